/** The workloads of test/node/workers/fs_worker.ts, shared with the test that checks them. */

export const KILLED_KEYS = 3;
/** Sizes of the killed writer's values: 2 to 8 MiB, from its writer number and sequence. */
export const killedLength = (writer: number, seq: number): number =>
  (2 + ((writer * 7 + seq * 3) % 7)) * 1024 * 1024;
/** Sizes of the mixed workload's values: up to 64 KiB. */
export const mixedLength = (writer: number, seq: number): number =>
  16 + ((writer * 7919 + seq * 104729) % 65536);
