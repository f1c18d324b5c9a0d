/**
 * Inputs for the tests of the portable MD5 (src/keys/md5.ts), shared by the tests of every
 * runtime (test/portable/keys/md5.test.ts, against `node:crypto`; joblib.test.ts beside it) and
 * the browser suite (the page's digests against `node:crypto`'s on the Node side, RFC 1321's
 * vectors in the page and the worker).
 *
 * @module
 */
import { Random } from "./arbitrary.ts";

/**
 * Lengths around MD5's 64-byte blocks and its 56-byte padding boundary, and pickle's switch
 * from SHORT_BINBYTES to BINBYTES at 256 bytes.
 */
export const BOUNDARY_LENGTHS: readonly number[] = [
  0,
  1,
  55,
  56,
  57,
  63,
  64,
  65,
  119,
  120,
  127,
  128,
  255,
  256,
  257,
  4096,
  1 << 20,
];

/** The test suite of RFC 1321 (appendix A.5): input text, digest. */
export const RFC_1321_VECTORS: readonly (readonly [string, string])[] = [
  ["", "d41d8cd98f00b204e9800998ecf8427e"],
  ["a", "0cc175b9c0f1b6a831c399e269772661"],
  ["abc", "900150983cd24fb0d6963f7d28e17f72"],
  ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
  ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
  [
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "d174ab98d277d9f5a5611c2c9f419d9f",
  ],
  [
    "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
    "57edf4a22be3c955ac49da2e2107b67a",
  ],
];

/**
 * Checks `md5Hex` on RFC 1321's vectors, whole and split at every byte; throws naming the first
 * vector it gets wrong.
 */
export function checkRfc1321(md5Hex: (parts: readonly Uint8Array[]) => string): void {
  for (const [text, digest] of RFC_1321_VECTORS) {
    const data = new TextEncoder().encode(text);
    for (let split = -1; split <= data.length; split++) {
      const parts = split < 0 ? [data] : [data.subarray(0, split), data.subarray(split)];
      const got = md5Hex(parts);
      if (got !== digest) {
        throw new Error(
          `MD5 of ${JSON.stringify(text)}${split < 0 ? "" : ` split at ${split}`}: ${got}, ` +
            `RFC 1321 says ${digest}`,
        );
      }
    }
  }
}

/** One random input: its parts (views at random offsets of their buffers), and a label. */
export interface Md5Case {
  label: string;
  parts: Uint8Array[];
}

/**
 * `count` random inputs from `seed`: lengths mostly around the block (64 bytes) and padding
 * (56) edges, some up to 200 KB and one of 1 MiB + 3; random bytes, each part a view at an
 * offset of 0 to 3 into a larger buffer (aligned and not), split into 1 to 4 parts at random
 * places (parts of every length, empty ones too). The same on every engine.
 */
export function md5Cases(seed: number, count: number): Md5Case[] {
  const random = new Random(seed);
  const cases: Md5Case[] = [];
  for (let i = 0; i < count; i++) {
    const length = i === 0
      ? (1 << 20) + 3
      : random.chance(0.6)
      ? random.below(300)
      : random.chance(0.8)
      ? 64 * random.below(64) + random.below(3) * 28 - 28 + random.below(5)
      : random.below(200_000);
    const size = Math.max(0, length);
    const offset = random.below(4);
    const buffer = new Uint8Array(size + offset + random.below(4));
    for (let j = 0; j < buffer.length; j++) buffer[j] = random.below(256);
    const data = buffer.subarray(offset, offset + size);
    const cuts = Array.from({ length: random.below(4) }, () => random.below(size + 1))
      .sort((a, b) => a - b);
    const bounds = [0, ...cuts, size];
    const parts = bounds.slice(1).map((end, k) => data.subarray(bounds[k]!, end));
    cases.push({
      label: `case ${i} of seed ${seed}: ${size} bytes at offset ${offset} in ${parts.length} ` +
        `part(s) of ${parts.map((p) => p.length).join(", ")}`,
      parts,
    });
  }
  return cases;
}
