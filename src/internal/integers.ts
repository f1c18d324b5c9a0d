/**
 * The integer limits the encoders check against, as bigints: the int64 and uint64 ranges of
 * protobuf and MessagePack integers, and the safe integers of a JavaScript number
 * (`@bufbuild/protobuf/wire` exports the 32-bit limits only). Private to the package.
 *
 * @module
 */

/** -2^63, the smallest int64. */
export const INT64_MIN: bigint = -(2n ** 63n);

/** 2^63 - 1, the largest int64. */
export const INT64_MAX: bigint = 2n ** 63n - 1n;

/** 2^64 - 1, the largest uint64. */
export const UINT64_MAX: bigint = 2n ** 64n - 1n;

/** 2^53 - 1 (`Number.MAX_SAFE_INTEGER`) as a bigint: integers up to it in size are exact numbers. */
export const MAX_SAFE_BIGINT: bigint = BigInt(Number.MAX_SAFE_INTEGER);

/** 2^32, the first length (and integer) beyond 32 unsigned bits. */
export const TWO_POW_32 = 0x1_0000_0000;
