/**
 * Values that say who wrote them: a reader can tell an exact value that some writer stored
 * under a key from anything else (a mix of two values, a truncation, another key's value).
 *
 * @module
 */
import { patternBytes } from "../conformance/adapter_suite.ts";

const HEADER = 12;

/** A value of `length` bytes (at least 12) for key number `key`, from `writer`'s `seq`th write. */
export function stampedValue(key: number, writer: number, seq: number, length: number): Uint8Array {
  const value = new Uint8Array(Math.max(length, HEADER));
  const view = new DataView(value.buffer);
  view.setUint32(0, key);
  view.setUint32(4, writer);
  view.setUint32(8, seq);
  value.set(patternBytes(value.length - HEADER, writer * 1_000_003 + seq), HEADER);
  return value;
}

/**
 * What is wrong with `value` as a value read for key number `key`, or `undefined` when it is
 * exactly a stamped value written for that key. `lengthOf` gives the length a writer used.
 */
export function stampProblem(
  value: Uint8Array,
  key: number,
  lengthOf: (writer: number, seq: number) => number,
): string | undefined {
  if (value.length < HEADER) return `${value.length} bytes, shorter than a stamp`;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const [stampedKey, writer, seq] = [view.getUint32(0), view.getUint32(4), view.getUint32(8)];
  if (stampedKey !== key) return `the value of key ${stampedKey} read under key ${key}`;
  const expected = stampedValue(key, writer, seq, lengthOf(writer, seq));
  if (expected.length !== value.length) {
    return `writer ${writer} seq ${seq}: ${value.length} bytes, expected ${expected.length}`;
  }
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== expected[i]) return `writer ${writer} seq ${seq}: byte ${i} differs`;
  }
  return undefined;
}

/** What a mixed workload saw: reads, reads that hit, and every read that was not exact. */
export interface MixedReport {
  reads: number;
  hits: number;
  problems: string[];
}

/**
 * `ops` random gets and sets (half each, from a seeded xorshift) of keys `key-0` ..
 * `key-<keys - 1>` shared with other writers, checking that every read is a miss or exactly a
 * value some writer stored for that key (values of `lengthOf(writer, seq)` bytes).
 */
export async function mixedWorkload(
  adapter: {
    get(key: string): Promise<Uint8Array | unknown>;
    set(key: string, value: Uint8Array): Promise<void>;
  },
  options: {
    writer: number;
    ops: number;
    keys: number;
    seed: number;
    lengthOf: (writer: number, seq: number) => number;
  },
): Promise<MixedReport> {
  const { writer, ops, keys, lengthOf } = options;
  let state = options.seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const report: MixedReport = { reads: 0, hits: 0, problems: [] };
  for (let seq = 0; seq < ops; seq++) {
    const key = Math.floor(random() * keys);
    if (random() < 0.5) {
      await adapter.set(`key-${key}`, stampedValue(key, writer, seq, lengthOf(writer, seq)));
      continue;
    }
    report.reads++;
    const value = await adapter.get(`key-${key}`);
    if (value === undefined) continue;
    report.hits++;
    const problem = value instanceof Uint8Array
      ? stampProblem(value, key, lengthOf)
      : "not a Uint8Array";
    if (problem !== undefined) report.problems.push(problem);
  }
  return report;
}
