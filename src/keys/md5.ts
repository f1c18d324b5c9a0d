/**
 * MD5 (RFC 1321) in plain JavaScript, for runtimes without a synchronous native one (browsers:
 * Web Crypto has no MD5, and none of its digests is synchronous).
 *
 * Written for speed on the one job keys give it, one digest of a buffer in one go: the state
 * lives in local variables, the 64 steps are written out one by one in the order of the RFC's
 * table, in two functions of 32 (step functions would be left out of line: the engines' inlining
 * budget ends long before 64 calls; one function of 64 JavaScriptCore does not optimize), and
 * the message is read as 32-bit little-endian words straight from its buffer where it is aligned
 * (else copied in chunks into an aligned scratch buffer). About 6 times the speed of
 * `@noble/hashes`' MD5 in V8, 4 times in WebKit (the README's benchmark section has the
 * figures).
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

/**
 * Runs `count` 64-byte blocks of `words` (from word `start`) through the state, each in two
 * halves of 32 steps: JavaScriptCore leaves a function of all 64 steps in its baseline tier
 * (25 MB/s in WebKit here) and optimizes the halves (320 MB/s), while V8 and SpiderMonkey run
 * the halves within a few percent of the whole.
 */
function blocks(state: Int32Array, words: Int32Array, start: number, count: number): void {
  for (let k = 0, w = start; k < count; k++, w += 16) {
    const a0 = state[0]!, b0 = state[1]!, c0 = state[2]!, d0 = state[3]!;
    firstHalf(state, words, w);
    secondHalf(state, words, w);
    state[0] = (state[0]! + a0) | 0;
    state[1] = (state[1]! + b0) | 0;
    state[2] = (state[2]! + c0) | 0;
    state[3] = (state[3]! + d0) | 0;
  }
}

/**
 * Rounds 1 and 2 of the block at word `w` on `state`. The RFC's constants of 2^31 and above are
 * written as their signed 32-bit values (the same sums modulo 2^32; the RFC's hex beside each):
 * with every operand an int32, SpiderMonkey adds in 32 bits rather than in doubles (about 2x the
 * speed in Firefox; no change in V8).
 */
function firstHalf(state: Int32Array, words: Int32Array, w: number): void {
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  // Round 1.
  a = (a + (d ^ (b & (c ^ d))) + words[w]! - 680876936) | 0; // 0xd76aa478
  a = ((a << 7) | (a >>> 25)) + b | 0;
  d = (d + (c ^ (a & (b ^ c))) + words[w + 1]! - 389564586) | 0; // 0xe8c7b756
  d = ((d << 12) | (d >>> 20)) + a | 0;
  c = (c + (b ^ (d & (a ^ b))) + words[w + 2]! + 0x242070db) | 0;
  c = ((c << 17) | (c >>> 15)) + d | 0;
  b = (b + (a ^ (c & (d ^ a))) + words[w + 3]! - 1044525330) | 0; // 0xc1bdceee
  b = ((b << 22) | (b >>> 10)) + c | 0;
  a = (a + (d ^ (b & (c ^ d))) + words[w + 4]! - 176418897) | 0; // 0xf57c0faf
  a = ((a << 7) | (a >>> 25)) + b | 0;
  d = (d + (c ^ (a & (b ^ c))) + words[w + 5]! + 0x4787c62a) | 0;
  d = ((d << 12) | (d >>> 20)) + a | 0;
  c = (c + (b ^ (d & (a ^ b))) + words[w + 6]! - 1473231341) | 0; // 0xa8304613
  c = ((c << 17) | (c >>> 15)) + d | 0;
  b = (b + (a ^ (c & (d ^ a))) + words[w + 7]! - 45705983) | 0; // 0xfd469501
  b = ((b << 22) | (b >>> 10)) + c | 0;
  a = (a + (d ^ (b & (c ^ d))) + words[w + 8]! + 0x698098d8) | 0;
  a = ((a << 7) | (a >>> 25)) + b | 0;
  d = (d + (c ^ (a & (b ^ c))) + words[w + 9]! - 1958414417) | 0; // 0x8b44f7af
  d = ((d << 12) | (d >>> 20)) + a | 0;
  c = (c + (b ^ (d & (a ^ b))) + words[w + 10]! - 42063) | 0; // 0xffff5bb1
  c = ((c << 17) | (c >>> 15)) + d | 0;
  b = (b + (a ^ (c & (d ^ a))) + words[w + 11]! - 1990404162) | 0; // 0x895cd7be
  b = ((b << 22) | (b >>> 10)) + c | 0;
  a = (a + (d ^ (b & (c ^ d))) + words[w + 12]! + 0x6b901122) | 0;
  a = ((a << 7) | (a >>> 25)) + b | 0;
  d = (d + (c ^ (a & (b ^ c))) + words[w + 13]! - 40341101) | 0; // 0xfd987193
  d = ((d << 12) | (d >>> 20)) + a | 0;
  c = (c + (b ^ (d & (a ^ b))) + words[w + 14]! - 1502002290) | 0; // 0xa679438e
  c = ((c << 17) | (c >>> 15)) + d | 0;
  b = (b + (a ^ (c & (d ^ a))) + words[w + 15]! + 0x49b40821) | 0;
  b = ((b << 22) | (b >>> 10)) + c | 0;
  // Round 2.
  a = (a + (c ^ (d & (b ^ c))) + words[w + 1]! - 165796510) | 0; // 0xf61e2562
  a = ((a << 5) | (a >>> 27)) + b | 0;
  d = (d + (b ^ (c & (a ^ b))) + words[w + 6]! - 1069501632) | 0; // 0xc040b340
  d = ((d << 9) | (d >>> 23)) + a | 0;
  c = (c + (a ^ (b & (d ^ a))) + words[w + 11]! + 0x265e5a51) | 0;
  c = ((c << 14) | (c >>> 18)) + d | 0;
  b = (b + (d ^ (a & (c ^ d))) + words[w]! - 373897302) | 0; // 0xe9b6c7aa
  b = ((b << 20) | (b >>> 12)) + c | 0;
  a = (a + (c ^ (d & (b ^ c))) + words[w + 5]! - 701558691) | 0; // 0xd62f105d
  a = ((a << 5) | (a >>> 27)) + b | 0;
  d = (d + (b ^ (c & (a ^ b))) + words[w + 10]! + 0x02441453) | 0;
  d = ((d << 9) | (d >>> 23)) + a | 0;
  c = (c + (a ^ (b & (d ^ a))) + words[w + 15]! - 660478335) | 0; // 0xd8a1e681
  c = ((c << 14) | (c >>> 18)) + d | 0;
  b = (b + (d ^ (a & (c ^ d))) + words[w + 4]! - 405537848) | 0; // 0xe7d3fbc8
  b = ((b << 20) | (b >>> 12)) + c | 0;
  a = (a + (c ^ (d & (b ^ c))) + words[w + 9]! + 0x21e1cde6) | 0;
  a = ((a << 5) | (a >>> 27)) + b | 0;
  d = (d + (b ^ (c & (a ^ b))) + words[w + 14]! - 1019803690) | 0; // 0xc33707d6
  d = ((d << 9) | (d >>> 23)) + a | 0;
  c = (c + (a ^ (b & (d ^ a))) + words[w + 3]! - 187363961) | 0; // 0xf4d50d87
  c = ((c << 14) | (c >>> 18)) + d | 0;
  b = (b + (d ^ (a & (c ^ d))) + words[w + 8]! + 0x455a14ed) | 0;
  b = ((b << 20) | (b >>> 12)) + c | 0;
  a = (a + (c ^ (d & (b ^ c))) + words[w + 13]! - 1444681467) | 0; // 0xa9e3e905
  a = ((a << 5) | (a >>> 27)) + b | 0;
  d = (d + (b ^ (c & (a ^ b))) + words[w + 2]! - 51403784) | 0; // 0xfcefa3f8
  d = ((d << 9) | (d >>> 23)) + a | 0;
  c = (c + (a ^ (b & (d ^ a))) + words[w + 7]! + 0x676f02d9) | 0;
  c = ((c << 14) | (c >>> 18)) + d | 0;
  b = (b + (d ^ (a & (c ^ d))) + words[w + 12]! - 1926607734) | 0; // 0x8d2a4c8a
  b = ((b << 20) | (b >>> 12)) + c | 0;
  state[0] = a;
  state[1] = b;
  state[2] = c;
  state[3] = d;
}

/** Rounds 3 and 4 of the block at word `w` on `state` (see `firstHalf`). */
function secondHalf(state: Int32Array, words: Int32Array, w: number): void {
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  // Round 3.
  a = (a + (b ^ c ^ d) + words[w + 5]! - 378558) | 0; // 0xfffa3942
  a = ((a << 4) | (a >>> 28)) + b | 0;
  d = (d + (a ^ b ^ c) + words[w + 8]! - 2022574463) | 0; // 0x8771f681
  d = ((d << 11) | (d >>> 21)) + a | 0;
  c = (c + (d ^ a ^ b) + words[w + 11]! + 0x6d9d6122) | 0;
  c = ((c << 16) | (c >>> 16)) + d | 0;
  b = (b + (c ^ d ^ a) + words[w + 14]! - 35309556) | 0; // 0xfde5380c
  b = ((b << 23) | (b >>> 9)) + c | 0;
  a = (a + (b ^ c ^ d) + words[w + 1]! - 1530992060) | 0; // 0xa4beea44
  a = ((a << 4) | (a >>> 28)) + b | 0;
  d = (d + (a ^ b ^ c) + words[w + 4]! + 0x4bdecfa9) | 0;
  d = ((d << 11) | (d >>> 21)) + a | 0;
  c = (c + (d ^ a ^ b) + words[w + 7]! - 155497632) | 0; // 0xf6bb4b60
  c = ((c << 16) | (c >>> 16)) + d | 0;
  b = (b + (c ^ d ^ a) + words[w + 10]! - 1094730640) | 0; // 0xbebfbc70
  b = ((b << 23) | (b >>> 9)) + c | 0;
  a = (a + (b ^ c ^ d) + words[w + 13]! + 0x289b7ec6) | 0;
  a = ((a << 4) | (a >>> 28)) + b | 0;
  d = (d + (a ^ b ^ c) + words[w]! - 358537222) | 0; // 0xeaa127fa
  d = ((d << 11) | (d >>> 21)) + a | 0;
  c = (c + (d ^ a ^ b) + words[w + 3]! - 722521979) | 0; // 0xd4ef3085
  c = ((c << 16) | (c >>> 16)) + d | 0;
  b = (b + (c ^ d ^ a) + words[w + 6]! + 0x04881d05) | 0;
  b = ((b << 23) | (b >>> 9)) + c | 0;
  a = (a + (b ^ c ^ d) + words[w + 9]! - 640364487) | 0; // 0xd9d4d039
  a = ((a << 4) | (a >>> 28)) + b | 0;
  d = (d + (a ^ b ^ c) + words[w + 12]! - 421815835) | 0; // 0xe6db99e5
  d = ((d << 11) | (d >>> 21)) + a | 0;
  c = (c + (d ^ a ^ b) + words[w + 15]! + 0x1fa27cf8) | 0;
  c = ((c << 16) | (c >>> 16)) + d | 0;
  b = (b + (c ^ d ^ a) + words[w + 2]! - 995338651) | 0; // 0xc4ac5665
  b = ((b << 23) | (b >>> 9)) + c | 0;
  // Round 4.
  a = (a + (c ^ (b | ~d)) + words[w]! - 198630844) | 0; // 0xf4292244
  a = ((a << 6) | (a >>> 26)) + b | 0;
  d = (d + (b ^ (a | ~c)) + words[w + 7]! + 0x432aff97) | 0;
  d = ((d << 10) | (d >>> 22)) + a | 0;
  c = (c + (a ^ (d | ~b)) + words[w + 14]! - 1416354905) | 0; // 0xab9423a7
  c = ((c << 15) | (c >>> 17)) + d | 0;
  b = (b + (d ^ (c | ~a)) + words[w + 5]! - 57434055) | 0; // 0xfc93a039
  b = ((b << 21) | (b >>> 11)) + c | 0;
  a = (a + (c ^ (b | ~d)) + words[w + 12]! + 0x655b59c3) | 0;
  a = ((a << 6) | (a >>> 26)) + b | 0;
  d = (d + (b ^ (a | ~c)) + words[w + 3]! - 1894986606) | 0; // 0x8f0ccc92
  d = ((d << 10) | (d >>> 22)) + a | 0;
  c = (c + (a ^ (d | ~b)) + words[w + 10]! - 1051523) | 0; // 0xffeff47d
  c = ((c << 15) | (c >>> 17)) + d | 0;
  b = (b + (d ^ (c | ~a)) + words[w + 1]! - 2054922799) | 0; // 0x85845dd1
  b = ((b << 21) | (b >>> 11)) + c | 0;
  a = (a + (c ^ (b | ~d)) + words[w + 8]! + 0x6fa87e4f) | 0;
  a = ((a << 6) | (a >>> 26)) + b | 0;
  d = (d + (b ^ (a | ~c)) + words[w + 15]! - 30611744) | 0; // 0xfe2ce6e0
  d = ((d << 10) | (d >>> 22)) + a | 0;
  c = (c + (a ^ (d | ~b)) + words[w + 6]! - 1560198380) | 0; // 0xa3014314
  c = ((c << 15) | (c >>> 17)) + d | 0;
  b = (b + (d ^ (c | ~a)) + words[w + 13]! + 0x4e0811a1) | 0;
  b = ((b << 21) | (b >>> 11)) + c | 0;
  a = (a + (c ^ (b | ~d)) + words[w + 4]! - 145523070) | 0; // 0xf7537e82
  a = ((a << 6) | (a >>> 26)) + b | 0;
  d = (d + (b ^ (a | ~c)) + words[w + 11]! - 1120210379) | 0; // 0xbd3af235
  d = ((d << 10) | (d >>> 22)) + a | 0;
  c = (c + (a ^ (d | ~b)) + words[w + 2]! + 0x2ad7d2bb) | 0;
  c = ((c << 15) | (c >>> 17)) + d | 0;
  b = (b + (d ^ (c | ~a)) + words[w + 9]! - 343485551) | 0; // 0xeb86d391
  b = ((b << 21) | (b >>> 11)) + c | 0;
  state[0] = a;
  state[1] = b;
  state[2] = c;
  state[3] = d;
}
