/** The workloads of test/deno/workers/kv_worker.ts, shared with the test that checks them. */

/** The killed writer's values: 10 MiB (about 160 chunks), varying a little with the sequence. */
export const killedLength = (_writer: number, seq: number): number =>
  10 * 1024 * 1024 + (seq % 7) * 1000;
/** The mixed workload's values: inline ones and chunked ones up to 300 KB. */
export const mixedLength = (writer: number, seq: number): number =>
  16 + ((writer * 7919 + seq * 104729) % (seq % 3 === 0 ? 300_000 : 50_000));
