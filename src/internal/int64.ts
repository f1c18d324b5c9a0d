/**
 * The limits of protobuf's 64-bit integer types, as bigints, for every module that checks a
 * 64-bit value. (`@bufbuild/protobuf/wire` exports the 32-bit and float limits, `INT32_MAX`,
 * `UINT32_MAX`, `FLOAT32_MAX` and their kin, but none of 64 bits.) Private to the package.
 *
 * @module
 */

/** The smallest int64 (`sint64`, `sfixed64`): -2^63. */
export const INT64_MIN: bigint = -(2n ** 63n);
/** The largest int64 (`sint64`, `sfixed64`): 2^63 - 1. */
export const INT64_MAX: bigint = 2n ** 63n - 1n;
/** The largest uint64 (`fixed64`): 2^64 - 1. */
export const UINT64_MAX: bigint = 2n ** 64n - 1n;
