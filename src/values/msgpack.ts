/**
 * MessagePack, byte for byte as Python's `msgpack.packb(value, use_bin_type=True)` writes the
 * corresponding Python value: flytekit stores an untyped `dict` (or `typing.Any` value) as a
 * `Scalar.binary` of these bytes with the tag `"msgpack"`, so the bytes are part of the cache key.
 *
 * The encoder and decoder are written out here rather than taken from `@msgpack/msgpack`, which
 * cannot write some of Python's bytes: it writes `-0` as the integer 0 (Python's `-0.0` is a
 * float64), can only write a `bigint` in the 64-bit forms (and, with `useBigInt64`, writes safe
 * integers of 2^32 and more as floats), writes a `Map` as an empty map (`Object.keys` of a
 * `Map`), encodes `Date` as a timestamp extension (Python refuses a `datetime`) and `undefined`
 * as nil; and its decoder refuses the map key `"__proto__"`, which Python writes as any other.
 *
 * @example
 * ```ts
 * import { decodeMsgpack, encodeMsgpack } from "local-task-cache";
 *
 * const bytes = encodeMsgpack({ a: 1, b: [1.5, "x"] });
 * // msgpack.packb({"a": 1, "b": [1.5, "x"]}, use_bin_type=True) in Python: the same bytes
 * console.log(decodeMsgpack(bytes)); // { a: 1, b: [ 1.5, "x" ] }
 * ```
 *
 * @module
 */

import { ConversionError } from "../errors.ts";
import { describeValue, isPlainObject, keyPath } from "../internal/describe.ts";
import { setEntry } from "../internal/entries.ts";
import { isWellFormed } from "../internal/unicode.ts";

export { ConversionError };

/**
 * How deep Python's `msgpack.packb` nests: a value inside more than this many arrays and maps
 * is refused there ("recursion limit exceeded"), so it is refused here too.
 *
 * @example
 * ```ts
 * import { encodeMsgpack, MSGPACK_MAX_DEPTH } from "local-task-cache";
 *
 * let deep: unknown = 1;
 * for (let i = 0; i < MSGPACK_MAX_DEPTH; i++) deep = [deep];
 * console.log(encodeMsgpack(deep).length); // 512: as deep as Python goes
 * ```
 */
export const MSGPACK_MAX_DEPTH = 511;

/** How deep {@link decodeMsgpack} nests before it refuses (Python's unpacker allows 1024). */
const DECODE_MAX_DEPTH = 1024;

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const TWO_POW_32 = 0x1_0000_0000;

// ---------------------------------------------------------------------------------------------
// Encoding

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
 * import { encodeMsgpack } from "local-task-cache";
 *
 * console.log(encodeMsgpack({ n: 300 })); // bytes 81 a1 6e cd 01 2c
 * ```
 */
export function encodeMsgpack(value: unknown, path = "value"): Uint8Array {
  const out = new Output();
  encodeValue(out, value, path, 0, new Set());
  return out.buf.slice(0, out.pos);
}

function fail(path: string, reason: string): never {
  throw new ConversionError(path, reason);
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
      if (!isWellFormed(key)) {
        fail(itemPath, "the key has a lone surrogate, which is not UTF-8 (Python refuses it too)");
      }
      out.string(key);
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

/** Writes a key of a `Map`; returns the path of its value. */
function encodeMapKey(out: Output, key: unknown, path: string): string {
  switch (typeof key) {
    case "string":
      if (!isWellFormed(key)) {
        fail(
          keyPath(path, key),
          "the key has a lone surrogate, which is not UTF-8 (Python refuses it too)",
        );
      }
      out.string(key);
      return keyPath(path, key);
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

// ---------------------------------------------------------------------------------------------
// Decoding

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

class Input {
  readonly view: DataView;
  pos = 0;

  constructor(readonly bytes: Uint8Array, readonly path: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n: number): void {
    if (this.pos + n > this.bytes.length) {
      fail(
        this.path,
        `the MessagePack bytes end early (at byte ${this.bytes.length}, ${n} more needed at ` +
          `byte ${this.pos})`,
      );
    }
  }

  /** Moves past `n` bytes (there must be as many); resolves to where they start. */
  skip(n: number): number {
    this.need(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  uint(size: 1 | 2 | 4): number {
    this.need(size);
    const at = this.pos;
    this.pos += size;
    return size === 1
      ? this.view.getUint8(at)
      : size === 2
      ? this.view.getUint16(at)
      : this.view.getUint32(at);
  }

  take(n: number): Uint8Array {
    this.need(n);
    const bytes = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return bytes;
  }
}

/**
 * The JavaScript value of MessagePack bytes, such as Python's `msgpack.packb` writes, the
 * inverse of {@link encodeMsgpack}:
 *
 * - ints are numbers when they are safe integers, bigints beyond (2^53 and more in size);
 * - float 64 and float 32 are numbers (a Python float with an integer value, `1.0`, comes back
 *   as `1`, which {@link encodeMsgpack} writes as an int: the only bytes that do not round
 *   trip);
 * - str is a string, bin a `Uint8Array` (a copy), nil `null`, array an array;
 * - a map whose keys are all strings is a plain object (every key an own property,
 *   `"__proto__"` too; listed in `Object.keys` order, integer-like keys first); a map with any
 *   other key (int, float, bool, nil) is a `Map`. A repeated key keeps its first place and its
 *   last value, as in Python.
 *
 * Refused with a {@link ConversionError} at `path`: extension types (Python writes them only
 * with a `default` hook), map keys that are arrays, maps or bin, the reserved byte `c1`,
 * strings that are not UTF-8, bytes missing or left over, nesting deeper than 1024.
 *
 * @example
 * ```ts
 * import { decodeMsgpack } from "local-task-cache";
 *
 * console.log(decodeMsgpack(new Uint8Array([0x81, 0xa1, 0x6e, 0xcd, 0x01, 0x2c]))); // { n: 300 }
 * ```
 */
export function decodeMsgpack(bytes: Uint8Array, path = "value"): unknown {
  const input = new Input(bytes, path);
  const value = decodeValue(input, 0);
  if (input.pos !== bytes.length) {
    fail(
      path,
      `${bytes.length - input.pos} bytes are left after the MessagePack value (at byte ` +
        `${input.pos})`,
    );
  }
  return value;
}

function decodeValue(input: Input, depth: number): unknown {
  if (depth > DECODE_MAX_DEPTH) {
    fail(input.path, `the MessagePack value nests more than ${DECODE_MAX_DEPTH} deep`);
  }
  const type = input.u8();
  if (type < 0x80) return type;
  if (type >= 0xe0) return type - 0x100;
  if (type < 0x90) return decodeMap(input, type - 0x80, depth);
  if (type < 0xa0) return decodeArray(input, type - 0x90, depth);
  if (type < 0xc0) return decodeString(input, type - 0xa0);
  const view = input.view;
  switch (type) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    // Copies, as plain Uint8Arrays (the `slice` of a Node Buffer would be a view).
    case 0xc4:
      return new Uint8Array(input.take(input.uint(1)));
    case 0xc5:
      return new Uint8Array(input.take(input.uint(2)));
    case 0xc6:
      return new Uint8Array(input.take(input.uint(4)));
    case 0xca:
      return view.getFloat32(input.skip(4));
    case 0xcb:
      return view.getFloat64(input.skip(8));
    case 0xcc:
      return input.uint(1);
    case 0xcd:
      return input.uint(2);
    case 0xce:
      return input.uint(4);
    case 0xcf:
      return fromBigint(view.getBigUint64(input.skip(8)));
    case 0xd0:
      return view.getInt8(input.skip(1));
    case 0xd1:
      return view.getInt16(input.skip(2));
    case 0xd2:
      return view.getInt32(input.skip(4));
    case 0xd3:
      return fromBigint(view.getBigInt64(input.skip(8)));
    case 0xd9:
      return decodeString(input, input.uint(1));
    case 0xda:
      return decodeString(input, input.uint(2));
    case 0xdb:
      return decodeString(input, input.uint(4));
    case 0xdc:
      return decodeArray(input, input.uint(2), depth);
    case 0xdd:
      return decodeArray(input, input.uint(4), depth);
    case 0xde:
      return decodeMap(input, input.uint(2), depth);
    case 0xdf:
      return decodeMap(input, input.uint(4), depth);
  }
  if (type === 0xc1) {
    fail(input.path, `the MessagePack byte c1 (never used) at byte ${input.pos - 1}`);
  }
  // c7, c8, c9, d4 .. d8: extension types.
  return fail(
    input.path,
    `a MessagePack extension type (byte 0x${type.toString(16)} at byte ${input.pos - 1}) ` +
      "has no JavaScript value here",
  );
}

function fromBigint(value: bigint): number | bigint {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
}

function decodeString(input: Input, length: number): string {
  const bytes = input.take(length);
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return fail(
      input.path,
      `a MessagePack str at byte ${input.pos - length} is not valid UTF-8`,
    );
  }
}

function decodeArray(input: Input, length: number, depth: number): unknown[] {
  // Every item takes at least one byte: refuse a length the bytes cannot hold before
  // allocating for it.
  input.need(length);
  const items: unknown[] = [];
  for (let i = 0; i < length; i++) items.push(decodeValue(input, depth + 1));
  return items;
}

function decodeMap(
  input: Input,
  length: number,
  depth: number,
): Record<string, unknown> | Map<unknown, unknown> {
  input.need(2 * length);
  const keys: unknown[] = [];
  const values: unknown[] = [];
  let allStrings = true;
  for (let i = 0; i < length; i++) {
    const at = input.pos;
    const key = decodeValue(input, depth + 1);
    if (typeof key === "object" && key !== null) {
      fail(
        input.path,
        `a MessagePack map key at byte ${at} is an array, a map or bin, which has no ` +
          "JavaScript key here",
      );
    }
    if (typeof key !== "string") allStrings = false;
    keys.push(key);
    values.push(decodeValue(input, depth + 1));
  }
  if (!allStrings) {
    const map = new Map<unknown, unknown>();
    for (let i = 0; i < length; i++) map.set(keys[i], values[i]);
    return map;
  }
  const object: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) {
    setEntry(object, keys[i] as string, values[i]);
  }
  return object;
}
