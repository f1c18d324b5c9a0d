/**
 * `joblib.hash` of a Python `bytes` object, without Python: the MD5 of its pickle.
 *
 * joblib pickles with protocol 3 and does not memoize `bytes`, so the pickle of `n` bytes is
 * `80 03` (PROTO 3), then `43 n` (SHORT_BINBYTES) for n <= 255 or `42` and n as 4 bytes
 * little-endian (BINBYTES) above, then the bytes, then `2e` (STOP).
 *
 * MD5 comes from the runtime where it has a native one (`node:crypto` in Node, Deno and Bun,
 * through the `#runtime` import) and from src/keys/md5.ts (plain JavaScript) elsewhere; both
 * give the same digest.
 *
 * @module
 */
import { nativeMd5Hex } from "#runtime";
import { md5Hex as portableMd5 } from "./md5.ts";
import type { Md5Hex } from "../runtime/types.ts";

const STOP = Uint8Array.of(0x2e);
const MAX_BINBYTES = 0xffffffff;

/** MD5 in plain JavaScript (src/keys/md5.ts), the same in every runtime. */
export const portableMd5Hex: Md5Hex = portableMd5;

const md5Hex: Md5Hex = nativeMd5Hex ?? portableMd5Hex;

/**
 * The pickle opcodes that come before `length` bytes in joblib's pickle of a `bytes` object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pickleBytesHeader } from "./joblib.ts";
 *
 * // PROTO 3, then SHORT_BINBYTES 3.
 * assert.deepEqual(pickleBytesHeader(3), Uint8Array.of(0x80, 0x03, 0x43, 3));
 * ```
 */
export function pickleBytesHeader(length: number): Uint8Array {
  if (length <= 0xff) return Uint8Array.of(0x80, 0x03, 0x43, length);
  if (length > MAX_BINBYTES) {
    throw new RangeError(
      `cannot hash ${length} bytes: pickle protocol 3 (joblib.hash) holds at most 4 GiB - 1`,
    );
  }
  const header = Uint8Array.of(0x80, 0x03, 0x42, 0, 0, 0, 0);
  new DataView(header.buffer).setUint32(3, length, true);
  return header;
}

/**
 * `joblib.hash(data)` for a Python `bytes` object `data`: 32 lowercase hex digits. A cache
 * key's hash is this digest of the deterministic bytes of its inputs
 * (`toBinaryDeterministic`).
 *
 * @param data The bytes, as Python's `bytes` object holds them.
 * @param md5 The MD5 to use, given the parts to digest and answering 32 lowercase hex digits;
 *   by default the runtime's native one where there is one.
 * @returns The MD5 of joblib's pickle of `data`, in lowercase hex.
 * @throws {RangeError} for 4 GiB of data or more, which pickle protocol 3 cannot hold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "@bufbuild/protobuf";
 * import { calculateCacheKey, joblibHashBytes, toBinaryDeterministic } from "local-task-cache";
 * import { LiteralMapSchema } from "local-task-cache/flyteidl";
 *
 * // Python: joblib.hash(b"") == "ea65cfadb0079394a8be1f4aa1e96e2b"
 * assert.equal(joblibHashBytes(new Uint8Array(0)), "ea65cfadb0079394a8be1f4aa1e96e2b");
 *
 * // A key ends in the digest of its inputs' deterministic bytes.
 * const inputs = create(LiteralMapSchema);
 * const digest = joblibHashBytes(toBinaryDeterministic(LiteralMapSchema, inputs));
 * assert.equal(calculateCacheKey("t.produce_dc", "1", inputs), `t.produce_dc-1-${digest}`);
 * ```
 */
export function joblibHashBytes(
  data: Uint8Array,
  // The type spelled out (it is Md5Hex), so that the public signature names no private type.
  md5: (parts: readonly Uint8Array[]) => string = md5Hex,
): string {
  return md5([pickleBytesHeader(data.length), data, STOP]);
}

/**
 * `joblibHashBytes` of the bytes `parts` joined, without joining them: the pickle's parts are
 * handed to MD5 as they are (a large binary of the inputs is not copied).
 */
function joblibHashParts(parts: readonly Uint8Array[]): string {
  let length = 0;
  for (const part of parts) length += part.length;
  return md5Hex([pickleBytesHeader(length), ...parts, STOP]);
}

/**
 * Byte fields of at least this many bytes are hashed where they are, not copied into the key's
 * buffer (the copy costs more than hashing in parts from there on).
 */
export const HASHED_BY_REFERENCE = 64 * 1024;

/** Room `joblibHashInPlace` needs before the data: the longest pickle header. */
export const PICKLE_HEADROOM = 7;

/**
 * `joblibHashBytes(buffer.subarray(start, end))`, hashing one contiguous piece of memory: the
 * pickle header is written into the 7 bytes before `start` and STOP into the byte at `end`, in
 * `buffer` itself. Only for bytes whose surroundings the caller owns (the key's scratch buffer:
 * a `ScratchUse` of src/keys/deterministic.ts); without that room it hashes as
 * `joblibHashBytes` does. Given `parts` (the bytes in pieces), it hashes those instead.
 */
export function joblibHashInPlace(
  buffer: Uint8Array,
  start: number,
  end: number,
  parts?: readonly Uint8Array[],
): string {
  if (parts !== undefined) return joblibHashParts(parts);
  const length = end - start;
  const short = length <= 0xff;
  const from = start - (short ? 4 : 7);
  // Past what pickle protocol 3 holds (refused there, with pickleBytesHeader's RangeError), or
  // no room around the bytes.
  if (length > MAX_BINBYTES || from < 0 || end >= buffer.length) {
    return joblibHashBytes(buffer.subarray(start, end));
  }
  // The header written in place (no array made for it): PROTO 3, then (SHORT_)BINBYTES n.
  buffer[from] = 0x80;
  buffer[from + 1] = 0x03;
  if (short) {
    buffer[from + 2] = 0x43;
    buffer[from + 3] = length;
  } else {
    buffer[from + 2] = 0x42;
    buffer[from + 3] = length & 0xff;
    buffer[from + 4] = (length >>> 8) & 0xff;
    buffer[from + 5] = (length >>> 16) & 0xff;
    buffer[from + 6] = length >>> 24;
  }
  buffer[end] = STOP[0]!;
  return md5Hex([buffer.subarray(from, end + 1)]);
}
