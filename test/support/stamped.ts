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
