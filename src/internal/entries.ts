/**
 * Helpers for the records and literals every module builds: {@link setEntry} (an own entry,
 * also `__proto__`), {@link isEmptyRecord} and {@link isLiteral}. Private to the package.
 *
 * @module
 */
import { type Literal, LiteralSchema } from "../../gen/flyteidl/core/literals_pb.ts";

/**
 * Sets an own, enumerable entry of `record` (a plain object or a protobuf-es map):
 * `record[key] = value` would, for the key `"__proto__"` (a valid input name and map key), set
 * the object's prototype and lose the entry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setEntry } from "./entries.ts";
 *
 * const record: Record<string, number> = {};
 * setEntry(record, "__proto__", 1);
 * assert.deepEqual(Object.keys(record), ["__proto__"]);
 * ```
 */
export function setEntry<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/**
 * Whether `record` has no enumerable entry (a `for...in` that stops at the first one: no list
 * of its keys is made).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isEmptyRecord } from "./entries.ts";
 *
 * assert.equal(isEmptyRecord({}), true);
 * assert.equal(isEmptyRecord({ a: 1 }), false);
 * ```
 */
export function isEmptyRecord(record: object): boolean {
  for (const _ in record) return false;
  return true;
}

const LITERAL_TYPE_NAME = LiteralSchema.typeName;

/**
 * Whether `value` is a `flyteidl.core.Literal` message: `isMessage(value, LiteralSchema)`,
 * inlined, since it runs for every literal of every key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "@bufbuild/protobuf";
 * import { LiteralSchema } from "../../gen/flyteidl/core/literals_pb.ts";
 * import { isLiteral } from "./entries.ts";
 *
 * assert.equal(isLiteral(create(LiteralSchema)), true);
 * assert.equal(isLiteral({}), false);
 * ```
 */
export function isLiteral(value: unknown): value is Literal {
  return typeof value === "object" && value !== null &&
    (value as { $typeName?: unknown }).$typeName === LITERAL_TYPE_NAME;
}
