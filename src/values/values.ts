/**
 * JavaScript values to Flyte literals and back, as flytekit converts the corresponding Python
 * values, so that a key made from JavaScript values equals the key flytekit makes from the same
 * values in Python.
 *
 * A task's inputs are described by a schema of {@link ValueType}s, one per input, built from
 * {@link t}: `t.int` for a Python `int`, `t.list(t.string)` for `list[str]`, `t.msgpack` for an
 * untyped `dict`, and so on. {@link toLiteralMap} turns the values into the `LiteralMap` that
 * `calculateCacheKey` and `LocalTaskCache` take; {@link fromLiteralMap} turns a stored
 * `LiteralMap` back into values.
 *
 * The pieces: `schema.ts` (what a value type and a schema are), `value_types.ts` (`t`),
 * `scalar_types.ts`, `time_types.ts` and `composite_types.ts` (the types themselves),
 * `literal_map.ts` (whole maps), `msgpack.ts` (the bytes of `t.msgpack`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calculateCacheKey, fromLiteralMap, t, toLiteralMap } from "local-task-cache";
 *
 * const schema = { a: t.int, b: t.string };
 * const inputs = toLiteralMap(schema, { a: 1, b: "hello" });
 * // flytekit's key for my_task(a=1, b="hello") at cache version v1
 * assert.equal(
 *   calculateCacheKey("my_task", "v1", inputs),
 *   "my_task-v1-7b8aa689be1c6dfb6c7059b9483342ec",
 * );
 * assert.deepEqual(fromLiteralMap(schema, inputs), { a: 1, b: "hello" });
 * ```
 *
 * @module
 */
export { ConversionError } from "../errors.ts";
export type { ValueOf, ValueSchema, ValuesOf, ValueType } from "./schema.ts";
export { t, type ValueTypes } from "./value_types.ts";
export { fromLiteralMap, toLiteralMap } from "./literal_map.ts";
