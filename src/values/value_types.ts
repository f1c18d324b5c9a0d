/**
 * {@link t}, the value types, one for each kind of Python value flytekit converts, and their
 * description ({@link ValueTypes}).
 *
 * @module
 */
import { hashedType, listType, mapType } from "./composite_types.ts";
import {
  bigintType,
  booleanType,
  floatType,
  intType,
  msgpackType,
  noneType,
  stringType,
} from "./scalar_types.ts";
import type { ValueType } from "./schema.ts";
import { datetimeType, durationType } from "./time_types.ts";

/**
 * The value types of {@link t}, one member for each kind of Python value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { t, type ValueTypes } from "local-task-cache";
 *
 * const types: ValueTypes = t;
 * assert.equal(types.list(types.int).name, "list<int>");
 * ```
 */
export interface ValueTypes {
  /**
   * A Python `int`: `Primitive.integer`. Takes safe integers (`Number.isSafeInteger`) only:
   * `1.5`, `NaN` and `2 ** 60` are refused (use {@link ValueTypes.bigint} for integers beyond
   * ±(2^53 - 1), {@link ValueTypes.float} for fractions). Reading an integer beyond the safe
   * range is refused too.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ConversionError, t } from "local-task-cache";
   *
   * const literal = t.int.toLiteral(42, "inputs.n");
   * assert.equal(literal.value.case, "scalar");
   * assert.equal(t.int.fromLiteral(literal, "inputs.n"), 42);
   * assert.throws(() => t.int.toLiteral(1.5, "inputs.n"), ConversionError);
   * ```
   */
  readonly int: ValueType<number>;
  /**
   * A Python `int` as a `bigint`: `Primitive.integer`, the whole int64 range. Takes bigints and
   * safe-integer numbers; reads bigints.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { t } from "local-task-cache";
   *
   * const literal = t.bigint.toLiteral(2n ** 62n, "inputs.n");
   * assert.equal(t.bigint.fromLiteral(literal, "inputs.n"), 4611686018427387904n);
   * ```
   */
  readonly bigint: ValueType<bigint>;
  /**
   * A Python `float`: `Primitive.float_value`, any number (`NaN`, `±Infinity`, `-0` too).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { t } from "local-task-cache";
   *
   * const literal = t.float.toLiteral(0.5, "inputs.x");
   * assert.equal(literal.value.case, "scalar");
   * assert.equal(t.float.fromLiteral(literal, "inputs.x"), 0.5);
   * ```
   */
  readonly float: ValueType<number>;
  /**
   * A Python `str`: `Primitive.string_value`. A string with a lone surrogate is refused: it has
   * no UTF-8 form, and Python protobuf refuses to serialize it.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ConversionError, t } from "local-task-cache";
   *
   * const literal = t.string.toLiteral("hello", "inputs.s");
   * assert.equal(t.string.fromLiteral(literal, "inputs.s"), "hello");
   * assert.throws(() => t.string.toLiteral("\uD800", "inputs.s"), ConversionError);
   * ```
   */
  readonly string: ValueType<string>;
  /**
   * A Python `bool`: `Primitive.boolean`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { t } from "local-task-cache";
   *
   * assert.equal(t.boolean.fromLiteral(t.boolean.toLiteral(true, "x"), "x"), true);
   * ```
   */
  readonly boolean: ValueType<boolean>;
  /**
   * A Python `datetime` (in UTC): `Primitive.datetime`, a `google.protobuf.Timestamp` of
   * `seconds = floor(ms / 1000)` and `nanos = (ms mod 1000) * 10^6` (never negative), as
   * protobuf's `Timestamp.FromDatetime`. Invalid dates and dates outside the years 1 to 9999
   * (Python's `datetime` range) are refused. Reading keeps whole milliseconds (a Date holds no
   * more): finer digits are dropped, rounding toward the past.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { t } from "local-task-cache";
   *
   * const literal = t.datetime.toLiteral(new Date("2024-01-02T03:04:05.678Z"), "inputs.at");
   * assert.equal(
   *   t.datetime.fromLiteral(literal, "inputs.at").toISOString(),
   *   "2024-01-02T03:04:05.678Z",
   * );
   * ```
   */
  readonly datetime: ValueType<Date>;
  /**
   * A Python `timedelta`, given in milliseconds: `Primitive.duration`. Fractions of a
   * millisecond are kept down to whole microseconds, rounded as `timedelta(milliseconds=ms)`
   * rounds (half to even, in the same float arithmetic), then stored as
   * `Duration.FromTimedelta` does: `seconds` and `nanos` with the same sign. Values beyond
   * Python's `timedelta` range (±999999999 days), `NaN` and `±Infinity` are refused. Reading
   * gives milliseconds with microsecond fractions (finer nanoseconds dropped toward zero, as
   * `Duration.ToTimedelta`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { t } from "local-task-cache";
   *
   * const literal = t.duration.toLiteral(-1.5, "inputs.wait"); // timedelta(milliseconds=-1.5)
   * assert.equal(t.duration.fromLiteral(literal, "inputs.wait"), -1.5);
   * // 1.5 microseconds round half to even, as Python's timedelta: 2 microseconds.
   * assert.equal(t.duration.fromLiteral(t.duration.toLiteral(0.0015, "d"), "d"), 0.002);
   * ```
   */
  readonly duration: ValueType<number>;
  /**
   * Python's `None`: `Scalar.none_type` (a `Void`). Takes `null` and `undefined`, reads `null`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { t } from "local-task-cache";
   *
   * assert.equal(t.none.fromLiteral(t.none.toLiteral(undefined, "x"), "x"), null);
   * ```
   */
  readonly none: ValueType<null>;
  /**
   * A Python `list[T]`: `Literal.collection` of the items' literals, in order.
   *
   * @param item The type of the items.
   * @returns The type of arrays of such items, named `list<item>`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { t } from "local-task-cache";
   *
   * const xs = t.list(t.float);
   * assert.equal(xs.name, "list<float>");
   * assert.deepEqual(xs.fromLiteral(xs.toLiteral([0.5, 2], "xs"), "xs"), [0.5, 2]);
   * ```
   */
  list<T>(item: ValueType<T>): ValueType<T[]>;
  /**
   * A Python `dict[str, T]`: `Literal.map`. Takes a plain object or a `Map` with string keys;
   * reads a plain object (every key an own property, `"__proto__"` too).
   *
   * @param value The type of the values.
   * @returns The type of string-keyed records of such values, named `map<value>`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { t } from "local-task-cache";
   *
   * const m = t.map(t.int);
   * assert.deepEqual(m.fromLiteral(m.toLiteral(new Map([["a", 1]]), "m"), "m"), { a: 1 });
   * ```
   */
  map<T>(value: ValueType<T>): ValueType<Record<string, T>>;
  /**
   * An untyped Python value (a `dict` without type arguments, `typing.Any`...), which flytekit
   * stores as `Scalar.binary` with `value` = `msgpack.packb(v, use_bin_type=True)` and
   * `tag = "msgpack"`. The bytes are those of {@link encodeMsgpack}, which lists the rules:
   *
   * - `null`, booleans, strings, arrays, `Uint8Array` (Python `bytes`), plain objects and `Map`s
   *   are what they are in Python;
   * - a safe integer is a Python `int` (JavaScript cannot tell `1` from `1.0`); any other
   *   number (fractions, `-0`, `NaN`, `±Infinity`, integers beyond 2^53) a Python `float`;
   * - a `bigint` is a Python `int` (-2^63 .. 2^64-1), in the smallest form as Python writes it;
   * - a plain object's entries are in `Object.keys` order (integer-like keys first): use a
   *   `Map` for another order; `Map` keys may also be numbers, bigints, booleans and `null`;
   * - refused, naming the path inside the value: `undefined`, functions, symbols, `Date`s,
   *   class instances, cycles, lone surrogates, bigints beyond 64 bits, more than 511 levels.
   *
   * Reading decodes with {@link decodeMsgpack}: ints beyond the safe range as bigints, maps as
   * plain objects (as `Map`s when a key is not a string).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { encodeMsgpack, t } from "local-task-cache";
   *
   * const value = { a: 1, b: [true, null] };
   * const literal = t.msgpack.toLiteral(value, "inputs.cfg");
   * assert.ok(literal.value.case === "scalar" && literal.value.value.value.case === "binary");
   * assert.deepEqual(literal.value.value.value.value.value, encodeMsgpack(value));
   * assert.equal(literal.value.value.value.value.tag, "msgpack");
   * assert.deepEqual(t.msgpack.fromLiteral(literal, "inputs.cfg"), value);
   * ```
   */
  readonly msgpack: ValueType<unknown>;
  /**
   * `type` with a hash, as flytekit's `HashMethod`: the literal carries `hash = hash(value)`,
   * and the cache key uses that hash in place of the value. `hash` must return a non-empty
   * string. Reading ignores the hash.
   *
   * @param type The type of the values.
   * @param hash What stands for a value in the cache key: a non-empty string.
   * @returns `type`, with literals that carry the hash, named `hashed<type>`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { calculateCacheKey, t, toLiteralMap } from "local-task-cache";
   *
   * const rows = t.hashed(t.list(t.int), (xs) => `rows-${xs.length}`);
   * assert.equal(rows.toLiteral([1, 2, 3], "inputs.rows").hash, "rows-3");
   * // The same hash, the same key.
   * const key = (xs: number[]) => calculateCacheKey("etl", "1", toLiteralMap({ rows }, { rows: xs }));
   * assert.equal(key([1, 2, 3]), key([7, 8, 9]));
   * ```
   */
  hashed<T>(type: ValueType<T>, hash: (value: T) => string): ValueType<T>;
}

/**
 * The value types, one for each kind of Python value flytekit converts: `t.int`, `t.bigint`,
 * `t.float`, `t.string`, `t.boolean`, `t.datetime`, `t.duration`, `t.none`, `t.list(T)`,
 * `t.map(T)`, `t.msgpack` and `t.hashed(T, hash)`. See {@link ValueTypes} for each.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromLiteralMap, t, toLiteralMap } from "local-task-cache";
 *
 * const schema = { n: t.int, tags: t.list(t.string), cfg: t.msgpack };
 * const values = { n: 3, tags: ["a"], cfg: { depth: 2 } };
 * const inputs = toLiteralMap(schema, values);
 * assert.deepEqual(Object.keys(inputs.literals), ["n", "tags", "cfg"]);
 * assert.deepEqual(fromLiteralMap(schema, inputs), values);
 * ```
 */
export const t: ValueTypes = Object.freeze({
  int: intType,
  bigint: bigintType,
  float: floatType,
  string: stringType,
  boolean: booleanType,
  datetime: datetimeType,
  duration: durationType,
  none: noneType,
  list: listType,
  map: mapType,
  msgpack: msgpackType,
  hashed: hashedType,
});
