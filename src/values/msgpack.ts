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
 * The encoder is `msgpack_encode.ts`, the decoder `msgpack_decode.ts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMsgpack, encodeMsgpack } from "local-task-cache";
 *
 * const bytes = encodeMsgpack({ a: 1, b: [1.5, "x"] });
 * // msgpack.packb({"a": 1, "b": [1.5, "x"]}, use_bin_type=True) in Python: the same bytes
 * const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
 * assert.equal(hex, "82a16101a16292cb3ff8000000000000a178");
 * assert.deepEqual(decodeMsgpack(bytes), { a: 1, b: [1.5, "x"] });
 * ```
 *
 * @module
 */
export { ConversionError } from "../errors.ts";
export { encodeMsgpack, MSGPACK_MAX_DEPTH } from "./msgpack_encode.ts";
export { decodeMsgpack } from "./msgpack_decode.ts";
