/**
 * The MessagePack encoder: {@link encodeMsgpack} writes the bytes Python's
 * `msgpack.packb(value, use_bin_type=True)` writes for the corresponding Python value, into a
 * growable buffer of MessagePack's forms. `msgpack.ts` is its public face.
 *
 * @module
 */
import { describeValue, isPlainObject, keyPath } from "../internal/describe.ts";
import { INT64_MIN, TWO_POW_32, UINT64_MAX } from "../internal/integers.ts";
import { isWellFormed } from "../internal/unicode.ts";
import { fail } from "./fail.ts";

/**
 * How deep Python's `msgpack.packb` nests: a value inside more than this many arrays and maps
 * is refused there ("recursion limit exceeded"), so it is refused here too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConversionError, encodeMsgpack, MSGPACK_MAX_DEPTH } from "local-task-cache";
 *
 * let deep: unknown = 1;
 * for (let i = 0; i < MSGPACK_MAX_DEPTH; i++) deep = [deep];
 * assert.equal(encodeMsgpack(deep).length, MSGPACK_MAX_DEPTH + 1); // as deep as Python goes
 * assert.throws(() => encodeMsgpack([deep]), ConversionError); // one level more: refused
 * ```
 */
export const MSGPACK_MAX_DEPTH = 511;

const utf8 = new TextEncoder();

/** A growable output buffer. */
class Output {
  buf = new Uint8Array(256);
  view = new DataView(this.buf.buffer);
  pos = 0;

  reserve(n: number): void {
    const needed = this.pos + n;
    if (needed <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(needed, this.buf.length * 2));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.reserve(1);
    this.buf[this.pos++] = value;
  }

  /** A type byte then an unsigned big-endian integer of `size` bytes (1, 2 or 4). */
  head(type: number, size: 1 | 2 | 4, value: number): void {
    this.reserve(1 + size);
    this.buf[this.pos++] = type;
    if (size === 1) this.view.setUint8(this.pos, value);
    else if (size === 2) this.view.setUint16(this.pos, value);
    else this.view.setUint32(this.pos, value);
    this.pos += size;
  }

  /** A container or string/bin header: the fix form below `fixLimit`, else 8/16/32 bits. */
  length(
    n: number,
    fixBase: number,
    fixLimit: number,
    t8: number | undefined,
    t16: number,
    t32: number,
  ): void {
    if (n < fixLimit) this.u8(fixBase + n);
    else if (t8 !== undefined && n < 0x100) this.head(t8, 1, n);
    else if (n < 0x10000) this.head(t16, 2, n);
    else this.head(t32, 4, n);
  }

  float64(value: number): void {
    this.reserve(9);
    this.buf[this.pos++] = 0xcb;
    if (Number.isNaN(value)) {
      // Python's float("nan"); DataView may write any NaN bit pattern.
      this.view.setUint32(this.pos, 0x7ff80000);
      this.view.setUint32(this.pos + 4, 0);
    } else {
      this.view.setFloat64(this.pos, value);
    }
    this.pos += 8;
  }

  /** An integer in the smallest form, as msgpack-python's `pack_long_long`/`pack_unsigned`. */
  int(value: number): void {
    if (value >= 0) {
      if (value < 0x80) this.u8(value);
      else if (value < 0x100) this.head(0xcc, 1, value);
      else if (value < 0x10000) this.head(0xcd, 2, value);
      else if (value < TWO_POW_32) this.head(0xce, 4, value);
      else this.int64(0xcf, BigInt(value));
    } else {
      if (value >= -0x20) this.u8(value & 0xff);
      else if (value >= -0x80) this.head(0xd0, 1, value & 0xff);
      else if (value >= -0x8000) this.head(0xd1, 2, value & 0xffff);
      else if (value >= -0x8000_0000) this.head(0xd2, 4, value >>> 0);
      else this.int64(0xd3, BigInt(value));
    }
  }

  int64(type: number, value: bigint): void {
    this.reserve(9);
    this.buf[this.pos++] = type;
    if (type === 0xcf) this.view.setBigUint64(this.pos, value);
    else this.view.setBigInt64(this.pos, value);
    this.pos += 8;
  }

  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  string(text: string): void {
    // At most 3 UTF-8 bytes per UTF-16 code unit; write after the longest header, then move
    // the bytes back when a shorter header fits (only for short strings: cheap).
    const max = text.length * 3;
    this.reserve(5 + max);
    const start = this.pos;
    const { written } = utf8.encodeInto(text, this.buf.subarray(start + 5));
    const headerSize = written < 32 ? 1 : written < 0x100 ? 2 : written < 0x10000 ? 3 : 5;
    if (headerSize !== 5) this.buf.copyWithin(start + headerSize, start + 5, start + 5 + written);
    this.length(written, 0xa0, 32, 0xd9, 0xda, 0xdb);
    this.pos = start + headerSize + written;
  }
}

/**
 * The MessagePack bytes Python's `msgpack.packb(v, use_bin_type=True)` gives for the Python
 * value `v` that corresponds to `value`:
 *
 * | JavaScript | Python | MessagePack |
 * | --- | --- | --- |
 * | `null` | `None` | nil |
 * | `true`, `false` | `True`, `False` | true, false |
 * | a safe integer (`Number.isSafeInteger`, but not `-0`) | `int` | the smallest int form |
 * | any other number: fractions, `-0`, `NaN`, `±Infinity`, beyond 2^53 | `float` | float 64 |
 * | a `bigint` in -2^63 .. 2^64-1 | `int` | the smallest int form |
 * | a string | `str` | fixstr, str 8, str 16 or str 32 of its UTF-8 |
 * | a `Uint8Array` (a Node `Buffer` too) | `bytes` | bin 8, bin 16 or bin 32 |
 * | an array | `list` | array, items in order |
 * | a plain object | `dict` with `str` keys | map, entries in `Object.keys` order |
 * | a `Map` | `dict` | map, entries in insertion order |
 *
 * - A JavaScript number cannot tell `1` from `1.0`: an integer-valued number is a Python `int`
 *   (as JSON has it). `-0` is the exception: `-0.0` is Python's only float a JS number can tell
 *   from an integer, so it stays a float (as `Object.is(-0, 0)` is false).
 * - Every `NaN` is written as Python's `float("nan")` (`cb 7f f8 00 ...`).
 * - A plain object's entries come in `Object.keys` order, which lists integer-like keys
 *   (`"1"`, `"10"`) first in numeric order, then the others in insertion order: the Python dict
 *   with its keys in that order. To control the order fully, use a `Map`.
 * - A `Map`'s keys may be strings, numbers, bigints, booleans or `null` (a Python dict's `str`,
 *   `int`, `float`, `bool` and `None` keys), each written as a value of that type.
 *
 * Refused with a {@link ConversionError} naming the path inside the value (`value.a[2]`):
 * `undefined` (anywhere; use `null`), functions, symbols (and symbol-keyed properties),
 * `Date` (Python's packb refuses `datetime`: store an ISO string or epoch milliseconds),
 * class instances and other objects that are not plain (`Set`, typed arrays other than
 * `Uint8Array`, `ArrayBuffer`...), cyclic structures (a value inside itself; the same object
 * twice side by side is fine and written twice, as Python does), strings and keys with a lone
 * surrogate (not UTF-8; Python refuses them), bigints outside -2^63 .. 2^64-1 (Python's
 * OverflowError), nesting deeper than {@link MSGPACK_MAX_DEPTH}, and lengths of 2^32 or more.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMsgpack, encodeMsgpack } from "local-task-cache";
 *
 * const bytes = encodeMsgpack({ n: 300 });
 * // msgpack.packb({"n": 300}, use_bin_type=True) in Python
 * assert.deepEqual(bytes, new Uint8Array([0x81, 0xa1, 0x6e, 0xcd, 0x01, 0x2c]));
 * assert.deepEqual(decodeMsgpack(bytes), { n: 300 });
 * ```
 */
export function encodeMsgpack(value: unknown, path = "value"): Uint8Array {
  const out = new Output();
  encodeValue(out, value, path, 0, new Set());
  return out.buf.slice(0, out.pos);
}

function checkLength(n: number, path: string, what: string): void {
  if (n >= TWO_POW_32) {
    fail(path, `${what} of ${n} is too long for MessagePack (at most 2^32 - 1)`);
  }
}

function encodeValue(
  out: Output,
  value: unknown,
  path: string,
  depth: number,
  ancestors: Set<object>,
): void {
  if (depth > MSGPACK_MAX_DEPTH) {
    fail(
      path,
      `nested more than ${MSGPACK_MAX_DEPTH} arrays and maps deep; Python's msgpack.packb ` +
        `refuses that too ("recursion limit exceeded")`,
    );
  }
  switch (typeof value) {
    case "boolean":
      out.u8(value ? 0xc3 : 0xc2);
      return;
    case "number":
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) out.int(value);
      else out.float64(value);
      return;
    case "bigint":
      encodeBigint(out, value, path);
      return;
    case "string":
      if (!isWellFormed(value)) {
        fail(path, "the string has a lone surrogate, which is not UTF-8 (Python refuses it too)");
      }
      checkLength(value.length, path, "a string");
      out.string(value);
      return;
    case "undefined":
      return fail(
        path,
        "undefined has no MessagePack form (Python has no undefined); use null for None, " +
          "or leave the entry out",
      );
    case "function":
    case "symbol":
      return fail(path, `${describeValue(value)} cannot be written as MessagePack`);
  }
  if (value === null) {
    out.u8(0xc0);
    return;
  }
  const object = value as object;
  if (object instanceof Uint8Array) {
    checkLength(object.length, path, "a Uint8Array");
    out.length(object.length, 0, 0, 0xc4, 0xc5, 0xc6);
    out.bytes(object);
    return;
  }
  if (ancestors.has(object)) {
    fail(path, "the value contains itself (a cycle), which MessagePack cannot write");
  }
  ancestors.add(object);
  if (Array.isArray(object)) {
    checkLength(object.length, path, "an array");
    out.length(object.length, 0x90, 16, undefined, 0xdc, 0xdd);
    for (let i = 0; i < object.length; i++) {
      encodeValue(out, object[i], `${path}[${i}]`, depth + 1, ancestors);
    }
  } else if (object instanceof Map) {
    checkLength(object.size, path, "a Map");
    out.length(object.size, 0x80, 16, undefined, 0xde, 0xdf);
    for (const [key, item] of object as Map<unknown, unknown>) {
      const itemPath = encodeMapKey(out, key, path);
      encodeValue(out, item, itemPath, depth + 1, ancestors);
    }
  } else if (isPlainObject(object)) {
    if (Object.getOwnPropertySymbols(object).length > 0) {
      fail(path, "the object has symbol-keyed properties, which MessagePack cannot write");
    }
    const keys = Object.keys(object);
    checkLength(keys.length, path, "an object");
    out.length(keys.length, 0x80, 16, undefined, 0xde, 0xdf);
    for (const key of keys) {
      const itemPath = keyPath(path, key);
      encodeStringKey(out, key, itemPath);
      encodeValue(out, object[key], itemPath, depth + 1, ancestors);
    }
  } else if (object instanceof Date) {
    fail(
      path,
      "a Date cannot be written as MessagePack (Python's msgpack.packb refuses datetime); " +
        "store date.toISOString() or date.getTime(), or pass it as its own input with t.datetime",
    );
  } else {
    fail(
      path,
      `${describeValue(object)} cannot be written as MessagePack: only null, booleans, ` +
        "numbers, bigints, strings, Uint8Arrays, arrays, plain objects and Maps can",
    );
  }
  ancestors.delete(object);
}

function encodeBigint(out: Output, value: bigint, path: string): void {
  if (value < INT64_MIN || value > UINT64_MAX) {
    fail(
      path,
      `${describeValue(value)} is outside -2^63 .. 2^64-1, the integers MessagePack can hold ` +
        "(Python's msgpack.packb raises OverflowError)",
    );
  }
  if (value >= -0x8000_0000n && value < 0x1_0000_0000n) out.int(Number(value));
  else out.int64(value < 0n ? 0xd3 : 0xcf, value);
}

/** Writes the string key of an object or a `Map`, whose value is at `itemPath`. */
function encodeStringKey(out: Output, key: string, itemPath: string): void {
  if (!isWellFormed(key)) {
    fail(itemPath, "the key has a lone surrogate, which is not UTF-8 (Python refuses it too)");
  }
  out.string(key);
}

/** Writes a key of a `Map`; returns the path of its value. */
function encodeMapKey(out: Output, key: unknown, path: string): string {
  switch (typeof key) {
    case "string": {
      const itemPath = keyPath(path, key);
      encodeStringKey(out, key, itemPath);
      return itemPath;
    }
    case "number":
    case "bigint":
    case "boolean": {
      const itemPath = `${path}[${
        describeValue(key).replace(/^the (number|bigint|boolean) /, "")
      }]`;
      encodeValue(out, key, itemPath, 0, new Set());
      return itemPath;
    }
  }
  if (key === null) {
    out.u8(0xc0);
    return `${path}[null]`;
  }
  return fail(
    `${path}[key]`,
    `a Map key may be a string, number, bigint, boolean or null (as a Python dict's str, ` +
      `int, float, bool and None keys), got ${describeValue(key)}`,
  );
}
