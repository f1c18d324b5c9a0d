/**
 * MD5 (RFC 1321) in plain JavaScript, for runtimes without a synchronous native one (browsers:
 * Web Crypto has no MD5, and none of its digests is synchronous).
 *
 * Written for speed on the one job keys give it, one digest of a buffer in one go: the state
 * lives in local variables, the 64 steps are written out one by one in the order of the RFC's
 * table (step functions would be left out of line: the engines' inlining budget ends long before
 * 64 calls), and the message is read as 32-bit little-endian words straight
 * from its buffer where it is aligned (else copied in chunks into an aligned scratch buffer).
 * About 6 times the speed of `@noble/hashes`' MD5 in V8 (the README's benchmark section
 * has the figures).
 *
 * MD5 is broken for signatures; here it only reproduces flytekit's keys (joblib.hash).
 *
 * @module
 */

/** Whether the platform stores integers little-endian (every mainstream one does). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Aligned scratch space: the tail of a part between parts, unaligned data, the padding. */
const CHUNK = 4096;
const scratch = new Int32Array(CHUNK / 4);
const scratchBytes = new Uint8Array(scratch.buffer);

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * The MD5 digest of the concatenation of `parts`, as 32 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { md5Hex } from "./md5.ts";
 *
 * const abc = new TextEncoder().encode("abc");
 * assert.equal(md5Hex([abc]), "900150983cd24fb0d6963f7d28e17f72");
 * // The digest of the parts joined: "abc" in two parts.
 * assert.equal(md5Hex([abc.subarray(0, 1), abc.subarray(1)]), md5Hex([abc]));
 * ```
 */
export function md5Hex(parts: readonly Uint8Array[]): string {
  const state = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);
  let total = 0;
  // Bytes of an unfinished block held at the start of `scratchBytes`.
  let held = 0;
  for (const part of parts) {
    let offset = 0;
    const length = part.length;
    total += length;
    if (held > 0) {
      const take = Math.min(64 - held, length);
      scratchBytes.set(part.subarray(0, take), held);
      held += take;
      offset = take;
      if (held < 64) continue;
      blocks(state, scratch, 0, 1);
      held = 0;
    }
    const whole = (length - offset) & ~63;
    if (whole > 0) {
      const start = part.byteOffset + offset;
      if (LITTLE_ENDIAN && (start & 3) === 0) {
        blocks(state, new Int32Array(part.buffer, start, whole >> 2), 0, whole >> 6);
      } else {
        for (let done = 0; done < whole; done += CHUNK) {
          const n = Math.min(CHUNK, whole - done);
          copyWords(part, offset + done, n);
          blocks(state, scratch, 0, n >> 6);
        }
      }
      offset += whole;
    }
    if (offset < length) {
      scratchBytes.set(part.subarray(offset), 0);
      held = length - offset;
    }
  }
  // Padding: 0x80, zeros up to 56 bytes into a block, then the length in bits (64-bit LE).
  scratchBytes[held++] = 0x80;
  if (held > 56) {
    scratchBytes.fill(0, held, 64);
    blocks(state, fromBytes(64), 0, 1);
    held = 0;
  }
  scratchBytes.fill(0, held, 56);
  const lo = (total * 8) >>> 0;
  const hi = Math.floor(total / 0x2000_0000) >>> 0;
  for (let i = 0; i < 4; i++) {
    scratchBytes[56 + i] = lo >>> (8 * i);
    scratchBytes[60 + i] = hi >>> (8 * i);
  }
  blocks(state, fromBytes(64), 0, 1);
  let hex = "";
  for (let i = 0; i < 4; i++) {
    const word = state[i]!;
    hex += HEX[word & 0xff]! + HEX[(word >>> 8) & 0xff]! + HEX[(word >>> 16) & 0xff]! +
      HEX[word >>> 24]!;
  }
  return hex;
}

/** `scratch` after `n` bytes were written to `scratchBytes`, as words of the platform's order. */
function fromBytes(n: number): Int32Array {
  if (!LITTLE_ENDIAN) copyWords(scratchBytes.slice(0, n), 0, n);
  return scratch;
}

/** Copies `n` bytes (a multiple of 4) of `data` from `offset` into `scratch` as LE words. */
function copyWords(data: Uint8Array, offset: number, n: number): void {
  if (LITTLE_ENDIAN) {
    scratchBytes.set(data.subarray(offset, offset + n));
    return;
  }
  for (let i = 0; i < n; i += 4) {
    const at = offset + i;
    scratch[i >> 2] = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) |
      (data[at + 3]! << 24);
  }
}

/** Runs `count` 64-byte blocks of `words` (from word `start`) through the state. */
function blocks(state: Int32Array, words: Int32Array, start: number, count: number): void {
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  for (let k = 0, w = start; k < count; k++, w += 16) {
    const x0 = words[w]!, x1 = words[w + 1]!, x2 = words[w + 2]!, x3 = words[w + 3]!;
    const x4 = words[w + 4]!, x5 = words[w + 5]!, x6 = words[w + 6]!, x7 = words[w + 7]!;
    const x8 = words[w + 8]!, x9 = words[w + 9]!, x10 = words[w + 10]!, x11 = words[w + 11]!;
    const x12 = words[w + 12]!, x13 = words[w + 13]!, x14 = words[w + 14]!;
    const x15 = words[w + 15]!;
    const a0 = a, b0 = b, c0 = c, d0 = d;
    // Round 1.
    a = (a + (d ^ (b & (c ^ d))) + x0 + 0xd76aa478) | 0;
    a = ((a << 7) | (a >>> 25)) + b | 0;
    d = (d + (c ^ (a & (b ^ c))) + x1 + 0xe8c7b756) | 0;
    d = ((d << 12) | (d >>> 20)) + a | 0;
    c = (c + (b ^ (d & (a ^ b))) + x2 + 0x242070db) | 0;
    c = ((c << 17) | (c >>> 15)) + d | 0;
    b = (b + (a ^ (c & (d ^ a))) + x3 + 0xc1bdceee) | 0;
    b = ((b << 22) | (b >>> 10)) + c | 0;
    a = (a + (d ^ (b & (c ^ d))) + x4 + 0xf57c0faf) | 0;
    a = ((a << 7) | (a >>> 25)) + b | 0;
    d = (d + (c ^ (a & (b ^ c))) + x5 + 0x4787c62a) | 0;
    d = ((d << 12) | (d >>> 20)) + a | 0;
    c = (c + (b ^ (d & (a ^ b))) + x6 + 0xa8304613) | 0;
    c = ((c << 17) | (c >>> 15)) + d | 0;
    b = (b + (a ^ (c & (d ^ a))) + x7 + 0xfd469501) | 0;
    b = ((b << 22) | (b >>> 10)) + c | 0;
    a = (a + (d ^ (b & (c ^ d))) + x8 + 0x698098d8) | 0;
    a = ((a << 7) | (a >>> 25)) + b | 0;
    d = (d + (c ^ (a & (b ^ c))) + x9 + 0x8b44f7af) | 0;
    d = ((d << 12) | (d >>> 20)) + a | 0;
    c = (c + (b ^ (d & (a ^ b))) + x10 + 0xffff5bb1) | 0;
    c = ((c << 17) | (c >>> 15)) + d | 0;
    b = (b + (a ^ (c & (d ^ a))) + x11 + 0x895cd7be) | 0;
    b = ((b << 22) | (b >>> 10)) + c | 0;
    a = (a + (d ^ (b & (c ^ d))) + x12 + 0x6b901122) | 0;
    a = ((a << 7) | (a >>> 25)) + b | 0;
    d = (d + (c ^ (a & (b ^ c))) + x13 + 0xfd987193) | 0;
    d = ((d << 12) | (d >>> 20)) + a | 0;
    c = (c + (b ^ (d & (a ^ b))) + x14 + 0xa679438e) | 0;
    c = ((c << 17) | (c >>> 15)) + d | 0;
    b = (b + (a ^ (c & (d ^ a))) + x15 + 0x49b40821) | 0;
    b = ((b << 22) | (b >>> 10)) + c | 0;
    // Round 2.
    a = (a + (c ^ (d & (b ^ c))) + x1 + 0xf61e2562) | 0;
    a = ((a << 5) | (a >>> 27)) + b | 0;
    d = (d + (b ^ (c & (a ^ b))) + x6 + 0xc040b340) | 0;
    d = ((d << 9) | (d >>> 23)) + a | 0;
    c = (c + (a ^ (b & (d ^ a))) + x11 + 0x265e5a51) | 0;
    c = ((c << 14) | (c >>> 18)) + d | 0;
    b = (b + (d ^ (a & (c ^ d))) + x0 + 0xe9b6c7aa) | 0;
    b = ((b << 20) | (b >>> 12)) + c | 0;
    a = (a + (c ^ (d & (b ^ c))) + x5 + 0xd62f105d) | 0;
    a = ((a << 5) | (a >>> 27)) + b | 0;
    d = (d + (b ^ (c & (a ^ b))) + x10 + 0x02441453) | 0;
    d = ((d << 9) | (d >>> 23)) + a | 0;
    c = (c + (a ^ (b & (d ^ a))) + x15 + 0xd8a1e681) | 0;
    c = ((c << 14) | (c >>> 18)) + d | 0;
    b = (b + (d ^ (a & (c ^ d))) + x4 + 0xe7d3fbc8) | 0;
    b = ((b << 20) | (b >>> 12)) + c | 0;
    a = (a + (c ^ (d & (b ^ c))) + x9 + 0x21e1cde6) | 0;
    a = ((a << 5) | (a >>> 27)) + b | 0;
    d = (d + (b ^ (c & (a ^ b))) + x14 + 0xc33707d6) | 0;
    d = ((d << 9) | (d >>> 23)) + a | 0;
    c = (c + (a ^ (b & (d ^ a))) + x3 + 0xf4d50d87) | 0;
    c = ((c << 14) | (c >>> 18)) + d | 0;
    b = (b + (d ^ (a & (c ^ d))) + x8 + 0x455a14ed) | 0;
    b = ((b << 20) | (b >>> 12)) + c | 0;
    a = (a + (c ^ (d & (b ^ c))) + x13 + 0xa9e3e905) | 0;
    a = ((a << 5) | (a >>> 27)) + b | 0;
    d = (d + (b ^ (c & (a ^ b))) + x2 + 0xfcefa3f8) | 0;
    d = ((d << 9) | (d >>> 23)) + a | 0;
    c = (c + (a ^ (b & (d ^ a))) + x7 + 0x676f02d9) | 0;
    c = ((c << 14) | (c >>> 18)) + d | 0;
    b = (b + (d ^ (a & (c ^ d))) + x12 + 0x8d2a4c8a) | 0;
    b = ((b << 20) | (b >>> 12)) + c | 0;
    // Round 3.
    a = (a + (b ^ c ^ d) + x5 + 0xfffa3942) | 0;
    a = ((a << 4) | (a >>> 28)) + b | 0;
    d = (d + (a ^ b ^ c) + x8 + 0x8771f681) | 0;
    d = ((d << 11) | (d >>> 21)) + a | 0;
    c = (c + (d ^ a ^ b) + x11 + 0x6d9d6122) | 0;
    c = ((c << 16) | (c >>> 16)) + d | 0;
    b = (b + (c ^ d ^ a) + x14 + 0xfde5380c) | 0;
    b = ((b << 23) | (b >>> 9)) + c | 0;
    a = (a + (b ^ c ^ d) + x1 + 0xa4beea44) | 0;
    a = ((a << 4) | (a >>> 28)) + b | 0;
    d = (d + (a ^ b ^ c) + x4 + 0x4bdecfa9) | 0;
    d = ((d << 11) | (d >>> 21)) + a | 0;
    c = (c + (d ^ a ^ b) + x7 + 0xf6bb4b60) | 0;
    c = ((c << 16) | (c >>> 16)) + d | 0;
    b = (b + (c ^ d ^ a) + x10 + 0xbebfbc70) | 0;
    b = ((b << 23) | (b >>> 9)) + c | 0;
    a = (a + (b ^ c ^ d) + x13 + 0x289b7ec6) | 0;
    a = ((a << 4) | (a >>> 28)) + b | 0;
    d = (d + (a ^ b ^ c) + x0 + 0xeaa127fa) | 0;
    d = ((d << 11) | (d >>> 21)) + a | 0;
    c = (c + (d ^ a ^ b) + x3 + 0xd4ef3085) | 0;
    c = ((c << 16) | (c >>> 16)) + d | 0;
    b = (b + (c ^ d ^ a) + x6 + 0x04881d05) | 0;
    b = ((b << 23) | (b >>> 9)) + c | 0;
    a = (a + (b ^ c ^ d) + x9 + 0xd9d4d039) | 0;
    a = ((a << 4) | (a >>> 28)) + b | 0;
    d = (d + (a ^ b ^ c) + x12 + 0xe6db99e5) | 0;
    d = ((d << 11) | (d >>> 21)) + a | 0;
    c = (c + (d ^ a ^ b) + x15 + 0x1fa27cf8) | 0;
    c = ((c << 16) | (c >>> 16)) + d | 0;
    b = (b + (c ^ d ^ a) + x2 + 0xc4ac5665) | 0;
    b = ((b << 23) | (b >>> 9)) + c | 0;
    // Round 4.
    a = (a + (c ^ (b | ~d)) + x0 + 0xf4292244) | 0;
    a = ((a << 6) | (a >>> 26)) + b | 0;
    d = (d + (b ^ (a | ~c)) + x7 + 0x432aff97) | 0;
    d = ((d << 10) | (d >>> 22)) + a | 0;
    c = (c + (a ^ (d | ~b)) + x14 + 0xab9423a7) | 0;
    c = ((c << 15) | (c >>> 17)) + d | 0;
    b = (b + (d ^ (c | ~a)) + x5 + 0xfc93a039) | 0;
    b = ((b << 21) | (b >>> 11)) + c | 0;
    a = (a + (c ^ (b | ~d)) + x12 + 0x655b59c3) | 0;
    a = ((a << 6) | (a >>> 26)) + b | 0;
    d = (d + (b ^ (a | ~c)) + x3 + 0x8f0ccc92) | 0;
    d = ((d << 10) | (d >>> 22)) + a | 0;
    c = (c + (a ^ (d | ~b)) + x10 + 0xffeff47d) | 0;
    c = ((c << 15) | (c >>> 17)) + d | 0;
    b = (b + (d ^ (c | ~a)) + x1 + 0x85845dd1) | 0;
    b = ((b << 21) | (b >>> 11)) + c | 0;
    a = (a + (c ^ (b | ~d)) + x8 + 0x6fa87e4f) | 0;
    a = ((a << 6) | (a >>> 26)) + b | 0;
    d = (d + (b ^ (a | ~c)) + x15 + 0xfe2ce6e0) | 0;
    d = ((d << 10) | (d >>> 22)) + a | 0;
    c = (c + (a ^ (d | ~b)) + x6 + 0xa3014314) | 0;
    c = ((c << 15) | (c >>> 17)) + d | 0;
    b = (b + (d ^ (c | ~a)) + x13 + 0x4e0811a1) | 0;
    b = ((b << 21) | (b >>> 11)) + c | 0;
    a = (a + (c ^ (b | ~d)) + x4 + 0xf7537e82) | 0;
    a = ((a << 6) | (a >>> 26)) + b | 0;
    d = (d + (b ^ (a | ~c)) + x11 + 0xbd3af235) | 0;
    d = ((d << 10) | (d >>> 22)) + a | 0;
    c = (c + (a ^ (d | ~b)) + x2 + 0x2ad7d2bb) | 0;
    c = ((c << 15) | (c >>> 17)) + d | 0;
    b = (b + (d ^ (c | ~a)) + x9 + 0xeb86d391) | 0;
    b = ((b << 21) | (b >>> 11)) + c | 0;
    a = (a + a0) | 0;
    b = (b + b0) | 0;
    c = (c + c0) | 0;
    d = (d + d0) | 0;
  }
  state[0] = a;
  state[1] = b;
  state[2] = c;
  state[3] = d;
}
