/**
 * What a value type is ({@link ValueType}: a kind of JavaScript value and how it becomes a Flyte
 * `Literal` and back) and what a task's schema is ({@link ValueSchema}: a value type for each
 * name), with the JavaScript types they describe ({@link ValueOf}, {@link ValuesOf}) and the
 * checks that a value type or a schema is one.
 *
 * @module
 */
import type { Literal } from "../../gen/flyteidl/core/literals_pb.ts";
import { describeValue, isPlainObject } from "../internal/describe.ts";

/**
 * How one kind of JavaScript value becomes a Flyte `Literal` and back, the way flytekit converts
 * the corresponding Python type. Build them with {@link t}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { t, type ValueType } from "local-task-cache";
 *
 * const ints: ValueType<number[]> = t.list(t.int);
 * const literal = ints.toLiteral([1, 2], "inputs.xs");
 * assert.equal(ints.name, "list<int>");
 * assert.equal(literal.value.case, "collection");
 * assert.deepEqual(ints.fromLiteral(literal, "inputs.xs"), [1, 2]);
 * ```
 */
export interface ValueType<T> {
  /** The type, for messages: `"int"`, `"list<int>"`, `"map<string>"`... */
  readonly name: string;
  /**
   * The literal flytekit makes of the corresponding Python value.
   *
   * @param value The value to convert.
   * @param path Where the value is, for errors: `"inputs.n"`, `"inputs.xs[2]"`.
   * @returns The `Literal` flytekit makes of the Python value.
   * @throws {ConversionError} naming `path` and the reason when `value` does not fit the type.
   */
  toLiteral(value: unknown, path: string): Literal;
  /**
   * The value of a literal, as {@link toLiteral} makes it.
   *
   * @param literal The literal to read.
   * @param path Where the literal is, for errors.
   * @returns The value the literal holds.
   * @throws {ConversionError} naming `path` and the reason when the literal has another shape.
   */
  fromLiteral(literal: Literal, path: string): T;
}

/**
 * The JavaScript type of the values of a {@link ValueType}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { t, type ValueOf } from "local-task-cache";
 *
 * const n: ValueOf<typeof t.int> = 3; // a number
 * const when: ValueOf<typeof t.datetime> = new Date(0); // a Date
 * assert.equal(t.int.fromLiteral(t.int.toLiteral(n, "n"), "n"), 3);
 * assert.equal(t.datetime.fromLiteral(t.datetime.toLiteral(when, "at"), "at").getTime(), 0);
 * ```
 */
export type ValueOf<V> = V extends ValueType<infer T> ? T : never;

/**
 * The inputs (or outputs) of a task: a {@link ValueType} for each name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { t, toLiteralMap, type ValueSchema } from "local-task-cache";
 *
 * const schema = { n: t.int, names: t.list(t.string) } satisfies ValueSchema;
 * const inputs = toLiteralMap(schema, { n: 1, names: ["a"] });
 * assert.deepEqual(Object.keys(inputs.literals), ["n", "names"]);
 * ```
 */
// deno-lint-ignore no-explicit-any
export type ValueSchema = Readonly<Record<string, ValueType<any>>>;

/**
 * The values of a {@link ValueSchema}: for each name, a value of its type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromLiteralMap, t, toLiteralMap, type ValuesOf } from "local-task-cache";
 *
 * const schema = { n: t.int, names: t.list(t.string) };
 * const values: ValuesOf<typeof schema> = { n: 1, names: ["a"] };
 * assert.deepEqual(fromLiteralMap(schema, toLiteralMap(schema, values)), values);
 * ```
 */
export type ValuesOf<S extends ValueSchema> = { [K in keyof S]: ValueOf<S[K]> };

/**
 * Checks that `type` is a {@link ValueType}: a `TypeError` naming `where` (the argument, such
 * as `"t.list(item)"`) when it is not.
 */
export function checkValueType(type: unknown, where: string): void {
  const candidate = type as Partial<ValueType<unknown>> | null | undefined;
  if (
    typeof candidate !== "object" || candidate === null ||
    typeof candidate.toLiteral !== "function" || typeof candidate.fromLiteral !== "function"
  ) {
    throw new TypeError(
      `${where}: expected a ValueType (such as t.int or t.list(t.string)), got ` +
        describeValue(type),
    );
  }
}

/**
 * Checks that `schema` is a {@link ValueSchema} (a `TypeError` naming `where` when it is not);
 * returns its names, in order.
 */
export function checkSchema(schema: unknown, where: string): string[] {
  if (!isPlainObject(schema)) {
    throw new TypeError(
      `${where}: schema must be an object of value types ({ name: t.int, ... }), got ` +
        describeValue(schema),
    );
  }
  const names = Object.keys(schema);
  for (const name of names) checkValueType(schema[name], `${where}: schema.${name}`);
  return names;
}
