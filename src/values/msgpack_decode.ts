/**
 * The MessagePack decoder: {@link decodeMsgpack} reads bytes such as Python's `msgpack.packb`
 * writes into JavaScript values, the inverse of the encoder. `msgpack.ts` is its public face.
 *
 * @module
 */
import { MAX_SAFE_BIGINT } from "../internal/integers.ts";
import { setEntry } from "../internal/entries.ts";
import { fail } from "./fail.ts";

/** How deep {@link decodeMsgpack} nests before it refuses (Python's unpacker allows 1024). */
const DECODE_MAX_DEPTH = 1024;

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
 * inverse of `encodeMsgpack`:
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
 * import assert from "node:assert/strict";
 * import { ConversionError, decodeMsgpack } from "local-task-cache";
 *
 * // msgpack.packb({"n": 300}, use_bin_type=True) in Python
 * const bytes = new Uint8Array([0x81, 0xa1, 0x6e, 0xcd, 0x01, 0x2c]);
 * assert.deepEqual(decodeMsgpack(bytes), { n: 300 });
 * assert.throws(() => decodeMsgpack(bytes.subarray(0, 4), "outputs.o"), ConversionError);
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
  return value >= -MAX_SAFE_BIGINT && value <= MAX_SAFE_BIGINT ? Number(value) : value;
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
