/**
 * How values read in error messages, for every module: {@link describeValue} ("the number 1.5",
 * "an array", "a flyteidl.core.Literal message"), {@link showValue} (a value as code writes it:
 * `1.5`, `-1n`, `"abc"`), {@link keyPath} (the path to an object's entry) and
 * {@link isPlainObject}, and {@link describeArgument} for a function's wrong argument. Private to
 * the package.
 *
 * @module
 */

/**
 * `path` followed by the step to the entry `key` of an object: `.name` or `["a b"]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyPath } from "./describe.ts";
 *
 * assert.equal(keyPath("inputs", "cfg"), "inputs.cfg");
 * assert.equal(keyPath("inputs", "a b"), 'inputs["a b"]');
 * ```
 */
export function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * A short description of a value for error messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeValue } from "./describe.ts";
 *
 * assert.equal(describeValue(1.5), "the number 1.5");
 * assert.equal(describeValue(new Set()), "an instance of Set");
 * ```
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value.length > 40
        ? `a string of length ${value.length}`
        : `the string ${JSON.stringify(value)}`;
    case "number":
      return Object.is(value, -0) ? "the number -0" : `the number ${value}`;
    case "bigint":
      return `the bigint ${value}n`;
    case "boolean":
      return `the boolean ${value}`;
    case "undefined":
      return "undefined";
    case "symbol":
      return `a symbol (${String(value)})`;
    case "function":
      return "a function";
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a Date";
  if (value instanceof Map) return "a Map";
  if (value instanceof Uint8Array) return "a Uint8Array";
  const typeName = (value as { $typeName?: unknown }).$typeName;
  if (typeof typeName === "string") return `a ${typeName} message`;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
  if (proto === null || proto === Object.prototype) return "an object";
  const name = proto.constructor?.name;
  return typeof name === "string" && name !== "" ? `an instance of ${name}` : "an object";
}

/**
 * A value as code would write it, for messages that quote it: numbers and booleans as they are,
 * a bigint with its `n`, a string in quotes (cut after 40 characters); objects and functions as
 * {@link describeValue} says them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { showValue } from "./describe.ts";
 *
 * assert.equal(showValue(-1n), "-1n");
 * assert.equal(showValue("abc"), '"abc"');
 * assert.equal(showValue([1]), "an array");
 * ```
 */
export function showValue(value: unknown): string {
  switch (typeof value) {
    case "bigint":
      return `${value}n`;
    case "string":
      return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
    case "object":
    case "function":
      return value === null ? "null" : describeValue(value);
  }
  return String(value);
}

/**
 * A plain object: made by `{}` or `Object.create(null)`, not a class instance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPlainObject } from "./describe.ts";
 *
 * assert.equal(isPlainObject({}), true);
 * assert.equal(isPlainObject(new Date()), false);
 * ```
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

/**
 * A short description of a wrong argument, for error messages: as {@link describeValue} says
 * it, but a plain object is named as not a protobuf message, and a primitive by its type and
 * value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeArgument } from "./describe.ts";
 *
 * assert.equal(describeArgument({}), "a plain object (not a protobuf message)");
 * assert.equal(describeArgument("x"), 'string "x"');
 * ```
 */
export function describeArgument(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "object") {
    const message = typeof (value as { $typeName?: unknown }).$typeName === "string";
    if (isPlainObject(value) && !message) return "a plain object (not a protobuf message)";
    return describeValue(value);
  }
  return `${typeof value} ${typeof value === "string" ? JSON.stringify(value) : String(value)}`;
}
