/**
 * A task's values and their `LiteralMap`: {@link toLiteralMap} converts each value by its type
 * in the schema, {@link fromLiteralMap} reads each back.
 *
 * @module
 */
import { create, isMessage } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { keyPath } from "../internal/describe.ts";
import { setEntry } from "../internal/entries.ts";
import { expected, fail } from "./fail.ts";
import { checkSchema, type ValueSchema, type ValuesOf } from "./schema.ts";

/**
 * The `LiteralMap` of a task's inputs (or outputs): each value converted by its type in
 * `schema`, as flytekit converts the task's Python arguments. The path of an input in errors is
 * `${what}.${name}` (`what` is `"inputs"` unless given).
 *
 * @param schema The type of each input, by name.
 * @param values The value of each input, by name: exactly the names of `schema`.
 * @param what What the values are, for the paths in errors: `"inputs"` or `"outputs"`.
 * @returns The `LiteralMap` flytekit makes of the same Python values.
 * @throws {ConversionError} when `values` lacks an input of the schema, has one the schema does
 *   not, or a value does not fit its type.
 * @throws {TypeError} when `schema` is not an object of value types.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calculateCacheKey, ConversionError, t, toLiteralMap } from "local-task-cache";
 *
 * const schema = { a: t.int, b: t.string };
 * const inputs = toLiteralMap(schema, { a: 1, b: "hello" });
 * // flytekit's key for my_task(a=1, b="hello") at cache version v1
 * assert.equal(
 *   calculateCacheKey("my_task", "v1", inputs),
 *   "my_task-v1-7b8aa689be1c6dfb6c7059b9483342ec",
 * );
 * assert.throws(
 *   () => toLiteralMap(schema, { a: 1.5, b: "hello" }),
 *   (error) => error instanceof ConversionError && error.path === "inputs.a",
 * );
 * ```
 */
export function toLiteralMap<S extends ValueSchema>(
  schema: S,
  values: ValuesOf<S>,
  what = "inputs",
): LiteralMap {
  const names = checkSchema(schema, "toLiteralMap");
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    expected(what, "an object of values by name", values);
  }
  for (const name of Object.keys(values)) {
    if (!Object.hasOwn(schema, name)) {
      fail(
        keyPath(what, name),
        `not in the schema (its names: ${names.join(", ") || "none"}); remove it or add it ` +
          "to the schema",
      );
    }
  }
  const map = create(LiteralMapSchema);
  for (const name of names) {
    const path = keyPath(what, name);
    const type = schema[name]!;
    if (!Object.hasOwn(values, name)) {
      fail(path, `missing: the schema has it as ${type.name}; give it a value`);
    }
    setEntry(map.literals, name, type.toLiteral((values as Record<string, unknown>)[name], path));
  }
  return map;
}

/**
 * The values of a `LiteralMap` (such as stored outputs), each read by its type in `schema`.
 * Literals the schema does not name are ignored. The path of a value in errors is
 * `${what}.${name}` (`what` is `"inputs"` unless given).
 *
 * @param schema The type of each value, by name.
 * @param map The literals, such as a task's stored outputs.
 * @param what What the values are, for the paths in errors: `"inputs"` or `"outputs"`.
 * @returns The value of each name of `schema`.
 * @throws {ConversionError} when a literal of the schema is missing or has another shape.
 * @throws {TypeError} when `schema` is not an object of value types.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromLiteralMap, t, toLiteralMap } from "local-task-cache";
 *
 * const schema = { total: t.float, names: t.list(t.string) };
 * const outputs = toLiteralMap(schema, { total: 1.5, names: ["a"] }, "outputs");
 * assert.deepEqual(fromLiteralMap(schema, outputs, "outputs"), { total: 1.5, names: ["a"] });
 * assert.throws(() => fromLiteralMap({ count: t.int }, outputs, "outputs"), /outputs\.count/);
 * ```
 */
export function fromLiteralMap<S extends ValueSchema>(
  schema: S,
  map: LiteralMap,
  what = "inputs",
): ValuesOf<S> {
  const names = checkSchema(schema, "fromLiteralMap");
  if (!isMessage(map, LiteralMapSchema)) {
    expected(what, "a flyteidl.core.LiteralMap message", map);
  }
  const result: Record<string, unknown> = {};
  for (const name of names) {
    const path = keyPath(what, name);
    if (!Object.hasOwn(map.literals, name)) {
      fail(path, `missing: the literal map has no literal named ${JSON.stringify(name)}`);
    }
    setEntry(result, name, schema[name]!.fromLiteral(map.literals[name]!, path));
  }
  return result as ValuesOf<S>;
}
