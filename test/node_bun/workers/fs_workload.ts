/**
 * The workloads of test/node_bun/workers/fs_worker.ts, shared with test/node_bun/fs_faults.test.ts,
 * which checks what they wrote. Values are stamped (test/support/stamped.ts): a reader can tell
 * an exact value some writer stored under a key from anything else.
 */
import { stampProblem } from "../../support/stamped.ts";

const MiB = 1024 * 1024;

/** The keys the killed writers cycle through: `key-0` .. `key-2`. */
export const KILLED_KEYS = 3;

/** Sizes of a killed writer's values: 4 to 8 MiB, from its writer number and sequence. */
export function killedLength(writer: number, seq: number): number {
  return 4 * MiB + ((writer * 7919 + seq * 104_729) % (4 * MiB));
}

/**
 * Sizes of the mixed workload's values: mostly up to 64 KiB (synchronous writes), every 37th
 * 1 to 2 MiB (asynchronous writes).
 */
export function mixedLength(writer: number, seq: number): number {
  const mix = writer * 7919 + seq * 104_729;
  return seq % 37 === 0 ? MiB + (mix % MiB) : 16 + (mix % 65_536);
}

/**
 * What is wrong with `value` read under key number `key` of a workload whose writers are
 * numbered 1 to `writers` and write key `seq % keyCount` at step `seq` (any key when
 * `keyCount` is 0); `undefined` when it is exactly a value one of them wrote for that key.
 */
export function workloadProblem(
  value: Uint8Array,
  key: number,
  lengthOf: (writer: number, seq: number) => number,
  writers: number,
  keyCount = 0,
): string | undefined {
  const problem = stampProblem(value, key, lengthOf);
  if (problem !== undefined) return problem;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const [writer, seq] = [view.getUint32(4), view.getUint32(8)];
  if (writer < 1 || writer > writers) return `written by writer ${writer}, who never ran`;
  if (keyCount > 0 && seq % keyCount !== key) return `seq ${seq} never wrote key ${key}`;
  return undefined;
}
