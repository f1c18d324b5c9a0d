/**
 * JavaScript values to Flyte literals and back, as flytekit converts the corresponding Python
 * values, so that a key made from JavaScript values equals the key flytekit makes from the same
 * values in Python.
 *
 * A task's inputs are described by a schema of {@link ValueType}s, one per input, built from
 * {@link t}: `t.int` for a Python `int`, `t.list(t.string)` for `list[str]`, `t.msgpack` for an
 * untyped `dict`, and so on. {@link toLiteralMap} turns the values into the `LiteralMap` that
 * {@link calculateCacheKey} and `LocalTaskCache` take; {@link fromLiteralMap} turns a stored
 * `LiteralMap` back into values.
 *
 * @example
 * ```ts
 * import { calculateCacheKey, t, toLiteralMap } from "local-task-cache";
 *
 * const schema = { a: t.int, b: t.string };
 * const inputs = toLiteralMap(schema, { a: 1, b: "hello" });
 * console.log(calculateCacheKey("my_task", "v1", inputs));
 * // my_task-v1-7b8aa689be1c6dfb6c7059b9483342ec, as flytekit's key for my_task(a=1, b="hello")
 * ```
 *
 * @module
 */
import { create } from "@bufbuild/protobuf";
import {
  type Duration,
  DurationSchema,
  type Timestamp,
  TimestampSchema,
} from "@bufbuild/protobuf/wkt";
import {
  BinarySchema,
  type Literal,
  LiteralCollectionSchema,
  type LiteralMap,
  LiteralMapSchema,
  LiteralSchema,
  type Primitive,
  PrimitiveSchema,
  type Scalar,
  ScalarSchema,
  VoidSchema,
} from "../../gen/flyteidl/core/literals_pb.ts";
import { ConversionError } from "../errors.ts";
import { describeValue, isPlainObject, keyPath } from "../internal/describe.ts";
import { isLiteral, setEntry } from "../internal/entries.ts";
import { isWellFormed } from "../internal/unicode.ts";
import { decodeMsgpack, encodeMsgpack } from "./msgpack.ts";

export { ConversionError };

/**
 * How one kind of JavaScript value becomes a Flyte `Literal` and back, the way flytekit converts
 * the corresponding Python type. Build them with {@link t}.
 *
 * @example
 * ```ts
 * import { t, type ValueType } from "local-task-cache";
 *
 * const ints: ValueType<number[]> = t.list(t.int);
 * const literal = ints.toLiteral([1, 2], "inputs.xs");
 * console.log(literal.value.case, ints.fromLiteral(literal, "inputs.xs")); // collection [ 1, 2 ]
 * ```
 */
export interface ValueType<T> {
  /** The type, for messages: `"int"`, `"list<int>"`, `"map<string>"`... */
  readonly name: string;
  /**
   * The literal flytekit makes of the corresponding Python value.
   *
   * @throws {ConversionError} naming `path` and the reason when `value` does not fit the type.
   */
  toLiteral(value: unknown, path: string): Literal;
  /**
   * The value of a literal, as {@link toLiteral} makes it.
   *
   * @throws {ConversionError} naming `path` and the reason when the literal has another shape.
   */
  fromLiteral(literal: Literal, path: string): T;
}

/**
 * The JavaScript type of the values of a {@link ValueType}.
 *
 * @example
 * ```ts
 * import { t, type ValueOf } from "local-task-cache";
 *
 * const xs: ValueOf<typeof t.int> = 3; // number
 * console.log(xs);
 * ```
 */
export type ValueOf<V> = V extends ValueType<infer T> ? T : never;

/**
 * The inputs (or outputs) of a task: a {@link ValueType} for each name.
 *
 * @example
 * ```ts
 * import { t, type ValueSchema } from "local-task-cache";
 *
 * const schema = { n: t.int, names: t.list(t.string) } satisfies ValueSchema;
 * console.log(Object.keys(schema)); // [ "n", "names" ]
 * ```
 */
// deno-lint-ignore no-explicit-any
export type ValueSchema = Readonly<Record<string, ValueType<any>>>;

/**
 * The values of a {@link ValueSchema}: for each name, a value of its type.
 *
 * @example
 * ```ts
 * import { t, type ValuesOf } from "local-task-cache";
 *
 * const schema = { n: t.int, names: t.list(t.string) };
 * const values: ValuesOf<typeof schema> = { n: 1, names: ["a"] };
 * console.log(values);
 * ```
 */
export type ValuesOf<S extends ValueSchema> = { [K in keyof S]: ValueOf<S[K]> };

// ---------------------------------------------------------------------------------------------
// Literals

function scalarLiteral(scalar: Scalar["value"]): Literal {
  return create(LiteralSchema, {
    value: { case: "scalar", value: create(ScalarSchema, { value: scalar }) },
  });
}

function primitiveLiteral(primitive: Primitive["value"]): Literal {
  return scalarLiteral({ case: "primitive", value: create(PrimitiveSchema, { value: primitive }) });
}

/** What a literal holds, for messages: "a collection", "a scalar blob", "a primitive integer". */
function describeLiteral(literal: unknown): string {
  if (
    typeof literal !== "object" || literal === null ||
    (literal as { $typeName?: unknown }).$typeName !== LiteralSchema.typeName
  ) {
    return `${describeValue(literal)}, not a flyteidl.core.Literal message`;
  }
  const value = (literal as Literal).value;
  switch (value.case) {
    case undefined:
      return (literal as Literal).hash !== ""
        ? "a literal holding only a hash"
        : "an empty literal";
    case "scalar": {
      const scalar = value.value.value;
      if (scalar.case === "primitive") {
        const primitive = scalar.value.value;
        return primitive.case === undefined
          ? "an empty primitive"
          : `a primitive ${primitive.case}`;
      }
      return scalar.case === undefined ? "an empty scalar" : `a scalar ${scalar.case}`;
    }
    case "collection":
      return "a collection";
    case "map":
      return "a map";
    default:
      return `a literal of kind ${value.case}`;
  }
}

function wrongLiteral(literal: unknown, path: string, type: string, expected: string): never {
  throw new ConversionError(
    path,
    `expected ${expected} (for ${type}), got ${describeLiteral(literal)}; ` +
      "read it with the type it was written with",
  );
}

/** The scalar of a literal, or a ConversionError. */
function scalarOf(literal: Literal, path: string, type: string, expected: string): Scalar {
  if (isLiteral(literal) && literal.value.case === "scalar") return literal.value.value;
  return wrongLiteral(literal, path, type, expected);
}

/** The value of each kind of primitive. */
interface PrimitiveValues {
  integer: bigint;
  floatValue: number;
  stringValue: string;
  boolean: boolean;
  datetime: Timestamp;
  duration: Duration;
}

/** The primitive value of a literal of the kind `kind`, or a ConversionError. */
function primitiveOf<K extends keyof PrimitiveValues>(
  literal: Literal,
  path: string,
  type: string,
  kind: K,
): PrimitiveValues[K] {
  const expected = `a primitive ${kind}`;
  const scalar = scalarOf(literal, path, type, expected).value;
  if (scalar.case === "primitive" && scalar.value.value.case === kind) {
    return scalar.value.value.value as PrimitiveValues[K];
  }
  return wrongLiteral(literal, path, type, expected);
}

function fail(path: string, reason: string): never {
  throw new ConversionError(path, reason);
}

function expected(path: string, what: string, value: unknown, advice = ""): never {
  return fail(path, `expected ${what}, got ${describeValue(value)}${advice ? `; ${advice}` : ""}`);
}

// ---------------------------------------------------------------------------------------------
// Integers

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const intType: ValueType<number> = {
  name: "int",
  toLiteral(value, path) {
    if (typeof value === "number") {
      if (Number.isSafeInteger(value)) {
        return primitiveLiteral({ case: "integer", value: BigInt(value) });
      }
      if (Number.isInteger(value)) {
        fail(
          path,
          `${describeValue(value)} is beyond the safe integers (±(2^53 - 1)), so it may ` +
            "not be the integer meant; use t.bigint with a bigint",
        );
      }
      expected(path, "an integer (t.int)", value, "use t.float for a Python float");
    }
    if (typeof value === "bigint") {
      expected(path, "a number (t.int)", value, "use t.bigint for bigint values");
    }
    return expected(path, "an integer (t.int)", value);
  },
  fromLiteral(literal, path) {
    const value = primitiveOf(literal, path, "t.int", "integer");
    if (value < -MAX_SAFE || value > MAX_SAFE) {
      fail(
        path,
        `the integer ${value} is beyond the safe integers (±(2^53 - 1)) of a number; ` +
          "read it with t.bigint",
      );
    }
    return Number(value);
  },
};

const bigintType: ValueType<bigint> = {
  name: "bigint",
  toLiteral(value, path) {
    let integer: bigint;
    if (typeof value === "bigint") integer = value;
    else if (typeof value === "number" && Number.isSafeInteger(value)) integer = BigInt(value);
    else {
      return expected(
        path,
        "a bigint or a safe integer (t.bigint)",
        value,
        typeof value === "number" ? 'pass a bigint, such as BigInt("...") or 123n' : "",
      );
    }
    if (integer < INT64_MIN || integer > INT64_MAX) {
      fail(
        path,
        `${describeValue(value)} is outside the int64 range (-2^63 .. 2^63-1) of a Flyte integer`,
      );
    }
    return primitiveLiteral({ case: "integer", value: integer });
  },
  fromLiteral(literal, path) {
    return primitiveOf(literal, path, "t.bigint", "integer");
  },
};

// ---------------------------------------------------------------------------------------------
// Floats, strings, booleans, none

const floatType: ValueType<number> = {
  name: "float",
  toLiteral(value, path) {
    if (typeof value !== "number") {
      expected(
        path,
        "a number (t.float)",
        value,
        typeof value === "bigint" ? "convert it with Number(value)" : "",
      );
    }
    return primitiveLiteral({ case: "floatValue", value });
  },
  fromLiteral(literal, path) {
    return primitiveOf(literal, path, "t.float", "floatValue");
  },
};

function checkString(value: string, path: string): void {
  if (!isWellFormed(value)) {
    fail(
      path,
      "the string has a lone surrogate, which is not valid UTF-8 (Python protobuf refuses to " +
        "serialize it); fix the string, e.g. with value.toWellFormed()",
    );
  }
}

const stringType: ValueType<string> = {
  name: "string",
  toLiteral(value, path) {
    if (typeof value !== "string") expected(path, "a string (t.string)", value);
    checkString(value, path);
    return primitiveLiteral({ case: "stringValue", value });
  },
  fromLiteral(literal, path) {
    return primitiveOf(literal, path, "t.string", "stringValue");
  },
};

const booleanType: ValueType<boolean> = {
  name: "boolean",
  toLiteral(value, path) {
    if (typeof value !== "boolean") expected(path, "a boolean (t.boolean)", value);
    return primitiveLiteral({ case: "boolean", value });
  },
  fromLiteral(literal, path) {
    return primitiveOf(literal, path, "t.boolean", "boolean");
  },
};

const noneType: ValueType<null> = {
  name: "none",
  toLiteral(value, path) {
    if (value !== null && value !== undefined) {
      expected(path, "null or undefined (t.none)", value);
    }
    return scalarLiteral({ case: "noneType", value: create(VoidSchema) });
  },
  fromLiteral(literal, path) {
    const scalar = scalarOf(literal, path, "t.none", "a scalar noneType");
    if (scalar.value.case !== "noneType") {
      wrongLiteral(literal, path, "t.none", "a scalar noneType");
    }
    return null;
  },
};

// ---------------------------------------------------------------------------------------------
// Datetimes and durations

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the range of Python's datetime. */
const DATETIME_MIN_MS = -62135596800000;
const DATETIME_MAX_MS = 253402300799999;

const datetimeType: ValueType<Date> = {
  name: "datetime",
  toLiteral(value, path) {
    if (!(value instanceof Date)) return expected(path, "a Date (t.datetime)", value);
    const ms = value.getTime();
    if (Number.isNaN(ms)) fail(path, "the Date is invalid (its time is NaN)");
    if (ms < DATETIME_MIN_MS || ms > DATETIME_MAX_MS) {
      fail(
        path,
        `${value.toISOString()} is outside the years 1 to 9999 of Python's datetime ` +
          "(and of google.protobuf.Timestamp)",
      );
    }
    const seconds = Math.floor(ms / 1000);
    const timestamp: Timestamp = create(TimestampSchema, {
      seconds: BigInt(seconds),
      nanos: (ms - seconds * 1000) * 1_000_000,
    });
    return primitiveLiteral({ case: "datetime", value: timestamp });
  },
  fromLiteral(literal, path) {
    const timestamp = primitiveOf(literal, path, "t.datetime", "datetime");
    const { seconds, nanos } = timestamp;
    if (!Number.isInteger(nanos) || Math.abs(nanos) >= 1e9) {
      fail(path, `the timestamp has nanos ${nanos}, outside -999999999 .. 999999999`);
    }
    // Milliseconds, rounded down (toward the past): a Date holds no more.
    const totalNanos = seconds * 1_000_000_000n + BigInt(nanos);
    let ms = totalNanos / 1_000_000n;
    if (ms * 1_000_000n > totalNanos) ms -= 1n;
    if (ms < -8_640_000_000_000_000n || ms > 8_640_000_000_000_000n) {
      fail(path, `the timestamp (${seconds} seconds) is beyond the range of a Date`);
    }
    return new Date(Number(ms));
  },
};

/** The range of Python's `timedelta`, in microseconds. */
const TIMEDELTA_MIN_US = -999_999_999n * 86_400_000_000n;
const TIMEDELTA_MAX_US = 1_000_000_000n * 86_400_000_000n - 1n;

/** C's `round`: halves away from zero (`Math.round` takes them up). */
function cRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Whole microseconds in `ms` milliseconds, exactly as Python's `timedelta(milliseconds=ms)`
 * computes them (CPython's `delta_new` and `accum`): the integer part exactly, the fraction
 * times 1000 in double arithmetic, what is left under a microsecond rounded half to even.
 * `ms` must be finite. This is how {@link ValueTypes.duration} rounds.
 *
 * @example
 * ```ts
 * import { millisecondsToMicroseconds } from "local-task-cache";
 *
 * console.log(millisecondsToMicroseconds(0.0015), millisecondsToMicroseconds(0.0025)); // 2n 2n
 * ```
 */
export function millisecondsToMicroseconds(ms: number): bigint {
  const whole = Math.trunc(ms);
  const fraction = ms - whole; // exact, as C's modf
  let us = BigInt(whole) * 1000n;
  if (fraction === 0) return us;
  const scaled = fraction * 1000;
  const scaledWhole = Math.trunc(scaled);
  us += BigInt(scaledWhole);
  const leftover = scaled - scaledWhole;
  if (leftover === 0) return us;
  let rounded = cRound(leftover);
  if (Math.abs(rounded - leftover) === 0.5) {
    const odd = Number(us & 1n);
    rounded = 2 * cRound((leftover + odd) * 0.5) - odd;
  }
  return us + BigInt(rounded);
}

const durationType: ValueType<number> = {
  name: "duration",
  toLiteral(value, path) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return expected(path, "a finite number of milliseconds (t.duration)", value);
    }
    const us = millisecondsToMicroseconds(value);
    if (us < TIMEDELTA_MIN_US || us > TIMEDELTA_MAX_US) {
      fail(
        path,
        `${describeValue(value)} milliseconds is outside the range of Python's timedelta ` +
          "(±999999999 days)",
      );
    }
    // As Duration.FromTimedelta: seconds and nanos with the same sign.
    const duration: Duration = create(DurationSchema, {
      seconds: us / 1_000_000n,
      nanos: Number(us % 1_000_000n) * 1000,
    });
    return primitiveLiteral({ case: "duration", value: duration });
  },
  fromLiteral(literal, path) {
    const { seconds, nanos } = primitiveOf(literal, path, "t.duration", "duration");
    if (!Number.isInteger(nanos) || Math.abs(nanos) >= 1e9) {
      fail(path, `the duration has nanos ${nanos}, outside -999999999 .. 999999999`);
    }
    // As Duration.ToTimedelta: whole microseconds, nanoseconds rounded toward zero.
    const us = seconds * 1_000_000n + BigInt(Math.trunc(nanos / 1000));
    // One rounding while the microseconds are exact as a number; beyond, whole milliseconds
    // (exact as a bigint) first.
    if (us >= -MAX_SAFE && us <= MAX_SAFE) return Number(us) / 1000;
    return Number(us / 1000n) + Number(us % 1000n) / 1000;
  },
};

// ---------------------------------------------------------------------------------------------
// Collections, maps, msgpack, hashes

function listType<T>(item: ValueType<T>): ValueType<T[]> {
  checkValueType(item, "t.list(item)");
  const name = `list<${item.name}>`;
  return {
    name,
    toLiteral(value, path) {
      if (!Array.isArray(value)) return expected(path, `an array (${name})`, value);
      const literals: Literal[] = [];
      for (let i = 0; i < value.length; i++) {
        literals.push(item.toLiteral(value[i], `${path}[${i}]`));
      }
      return create(LiteralSchema, {
        value: { case: "collection", value: create(LiteralCollectionSchema, { literals }) },
      });
    },
    fromLiteral(literal, path) {
      if (!isLiteral(literal) || literal.value.case !== "collection") {
        return wrongLiteral(literal, path, name, "a collection");
      }
      return literal.value.value.literals.map((element, i) =>
        item.fromLiteral(element, `${path}[${i}]`)
      );
    },
  };
}

function mapType<T>(valueType: ValueType<T>): ValueType<Record<string, T>> {
  checkValueType(valueType, "t.map(value)");
  const name = `map<${valueType.name}>`;
  return {
    name,
    toLiteral(value, path) {
      let entries: Iterable<[unknown, unknown]>;
      if (value instanceof Map) entries = value as Map<unknown, unknown>;
      else if (isPlainObject(value)) entries = Object.entries(value);
      else return expected(path, `a plain object or a Map (${name})`, value);
      const map = create(LiteralMapSchema);
      for (const [key, item] of entries) {
        if (typeof key !== "string") {
          fail(
            `${path}[key]`,
            `expected string keys (${name}, a Python dict[str, ...]), got ${describeValue(key)}`,
          );
        }
        const itemPath = keyPath(path, key);
        if (!isWellFormed(key)) {
          fail(itemPath, "the key has a lone surrogate, which is not valid UTF-8");
        }
        setEntry(map.literals, key, valueType.toLiteral(item, itemPath));
      }
      return create(LiteralSchema, { value: { case: "map", value: map } });
    },
    fromLiteral(literal, path) {
      if (!isLiteral(literal) || literal.value.case !== "map") {
        return wrongLiteral(literal, path, name, "a map");
      }
      const literals = literal.value.value.literals;
      const result: Record<string, T> = {};
      for (const key of Object.keys(literals)) {
        setEntry(result, key, valueType.fromLiteral(literals[key]!, keyPath(path, key)));
      }
      return result;
    },
  };
}

/** The tag flytekit gives a `Binary` of MessagePack bytes. */
const MSGPACK_TAG = "msgpack";

const msgpackType: ValueType<unknown> = {
  name: "msgpack",
  toLiteral(value, path) {
    return scalarLiteral({
      case: "binary",
      value: create(BinarySchema, { value: encodeMsgpack(value, path), tag: MSGPACK_TAG }),
    });
  },
  fromLiteral(literal, path) {
    const expectedShape = 'a scalar binary tagged "msgpack"';
    const scalar = scalarOf(literal, path, "t.msgpack", expectedShape).value;
    if (scalar.case !== "binary") return wrongLiteral(literal, path, "t.msgpack", expectedShape);
    if (scalar.value.tag !== MSGPACK_TAG) {
      fail(
        path,
        `expected ${expectedShape} (for t.msgpack), got a binary tagged ` +
          `${JSON.stringify(scalar.value.tag)}`,
      );
    }
    return decodeMsgpack(scalar.value.value, path);
  },
};

function hashedType<T>(type: ValueType<T>, hash: (value: T) => string): ValueType<T> {
  checkValueType(type, "t.hashed(type, hash)");
  if (typeof hash !== "function") {
    throw new TypeError(
      `t.hashed(type, hash): hash must be a function, got ${describeValue(hash)}`,
    );
  }
  return {
    name: `hashed<${type.name}>`,
    toLiteral(value, path) {
      const literal = type.toLiteral(value, path);
      let digest: unknown;
      try {
        digest = hash(value as T);
      } catch (error) {
        throw new ConversionError(path, `the hash function threw: ${String(error)}`, {
          cause: error,
        });
      }
      if (typeof digest !== "string" || digest === "") {
        fail(
          path,
          `the hash function must return a non-empty string, got ${describeValue(digest)}`,
        );
      }
      if (!isWellFormed(digest)) {
        fail(path, "the hash has a lone surrogate, which is not valid UTF-8");
      }
      literal.hash = digest;
      return literal;
    },
    fromLiteral(literal, path) {
      return type.fromLiteral(literal, path);
    },
  };
}

function checkValueType(type: unknown, where: string): void {
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
 * The value types of {@link t}, one member for each kind of Python value.
 *
 * @example
 * ```ts
 * import { t, type ValueTypes } from "local-task-cache";
 *
 * const types: ValueTypes = t;
 * console.log(types.list(types.int).name); // list<int>
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
   * import { t } from "local-task-cache";
   *
   * console.log(t.int.toLiteral(42, "inputs.n").value.case); // scalar
   * ```
   */
  readonly int: ValueType<number>;
  /**
   * A Python `int` as a `bigint`: `Primitive.integer`, the whole int64 range. Takes bigints and
   * safe-integer numbers; reads bigints.
   *
   * @example
   * ```ts
   * import { t } from "local-task-cache";
   *
   * const literal = t.bigint.toLiteral(2n ** 62n, "inputs.n");
   * console.log(t.bigint.fromLiteral(literal, "inputs.n")); // 4611686018427387904n
   * ```
   */
  readonly bigint: ValueType<bigint>;
  /**
   * A Python `float`: `Primitive.float_value`, any number (`NaN`, `±Infinity`, `-0` too).
   *
   * @example
   * ```ts
   * import { t } from "local-task-cache";
   *
   * console.log(t.float.toLiteral(0.5, "inputs.x").value.case); // scalar
   * ```
   */
  readonly float: ValueType<number>;
  /**
   * A Python `str`: `Primitive.string_value`. A string with a lone surrogate is refused: it has
   * no UTF-8 form, and Python protobuf refuses to serialize it.
   *
   * @example
   * ```ts
   * import { t } from "local-task-cache";
   *
   * console.log(t.string.toLiteral("hello", "inputs.s").value.case); // scalar
   * ```
   */
  readonly string: ValueType<string>;
  /**
   * A Python `bool`: `Primitive.boolean`.
   *
   * @example
   * ```ts
   * import { t } from "local-task-cache";
   *
   * console.log(t.boolean.fromLiteral(t.boolean.toLiteral(true, "x"), "x")); // true
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
   * import { t } from "local-task-cache";
   *
   * const literal = t.datetime.toLiteral(new Date("2024-01-02T03:04:05.678Z"), "inputs.at");
   * console.log(t.datetime.fromLiteral(literal, "inputs.at").toISOString());
   * // 2024-01-02T03:04:05.678Z
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
   * import { t } from "local-task-cache";
   *
   * const literal = t.duration.toLiteral(-1.5, "inputs.wait"); // timedelta(milliseconds=-1.5)
   * console.log(t.duration.fromLiteral(literal, "inputs.wait")); // -1.5
   * ```
   */
  readonly duration: ValueType<number>;
  /**
   * Python's `None`: `Scalar.none_type` (a `Void`). Takes `null` and `undefined`, reads `null`.
   *
   * @example
   * ```ts
   * import { t } from "local-task-cache";
   *
   * console.log(t.none.fromLiteral(t.none.toLiteral(undefined, "x"), "x")); // null
   * ```
   */
  readonly none: ValueType<null>;
  /**
   * A Python `list[T]`: `Literal.collection` of the items' literals, in order.
   *
   * @example
   * ```ts
   * import { t } from "local-task-cache";
   *
   * const xs = t.list(t.float);
   * console.log(xs.name, xs.fromLiteral(xs.toLiteral([0.5, 2], "xs"), "xs"));
   * // list<float> [ 0.5, 2 ]
   * ```
   */
  list<T>(item: ValueType<T>): ValueType<T[]>;
  /**
   * A Python `dict[str, T]`: `Literal.map`. Takes a plain object or a `Map` with string keys;
   * reads a plain object (every key an own property, `"__proto__"` too).
   *
   * @example
   * ```ts
   * import { t } from "local-task-cache";
   *
   * const m = t.map(t.int);
   * console.log(m.fromLiteral(m.toLiteral(new Map([["a", 1]]), "m"), "m")); // { a: 1 }
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
   * import { t } from "local-task-cache";
   *
   * const literal = t.msgpack.toLiteral({ a: 1, b: [true, null] }, "inputs.cfg");
   * console.log(t.msgpack.fromLiteral(literal, "inputs.cfg")); // { a: 1, b: [ true, null ] }
   * ```
   */
  readonly msgpack: ValueType<unknown>;
  /**
   * `type` with a hash, as flytekit's `HashMethod`: the literal carries `hash = hash(value)`,
   * and the cache key uses that hash in place of the value. `hash` must return a non-empty
   * string. Reading ignores the hash.
   *
   * @example
   * ```ts
   * import { t } from "local-task-cache";
   *
   * const rows = t.hashed(t.list(t.int), (xs) => `rows-${xs.length}`);
   * console.log(rows.toLiteral([1, 2, 3], "inputs.rows").hash); // rows-3
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
 * import { t, toLiteralMap } from "local-task-cache";
 *
 * const schema = { n: t.int, tags: t.list(t.string), cfg: t.msgpack };
 * const inputs = toLiteralMap(schema, { n: 3, tags: ["a"], cfg: { depth: 2 } });
 * console.log(Object.keys(inputs.literals)); // [ "n", "tags", "cfg" ]
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

// ---------------------------------------------------------------------------------------------
// Literal maps

function checkSchema(schema: unknown, where: string): string[] {
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

/**
 * The `LiteralMap` of a task's inputs (or outputs): each value converted by its type in
 * `schema`, as flytekit converts the task's Python arguments. The path of an input in errors is
 * `${what}.${name}` (`what` is `"inputs"` unless given).
 *
 * @throws {ConversionError} when `values` lacks an input of the schema, has one the schema does
 *   not, or a value does not fit its type.
 * @throws {TypeError} when `schema` is not an object of value types.
 *
 * @example
 * ```ts
 * import { calculateCacheKey, t, toLiteralMap } from "local-task-cache";
 *
 * const inputs = toLiteralMap({ a: t.int, b: t.string }, { a: 1, b: "hello" });
 * console.log(calculateCacheKey("my_task", "v1", inputs));
 * // my_task-v1-7b8aa689be1c6dfb6c7059b9483342ec
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
 * @throws {ConversionError} when a literal of the schema is missing or has another shape.
 *
 * @example
 * ```ts
 * import { fromLiteralMap, t, toLiteralMap } from "local-task-cache";
 *
 * const schema = { total: t.float, names: t.list(t.string) };
 * const outputs = toLiteralMap(schema, { total: 1.5, names: ["a"] }, "outputs");
 * console.log(fromLiteralMap(schema, outputs, "outputs")); // { total: 1.5, names: [ "a" ] }
 * ```
 */
export function fromLiteralMap<S extends ValueSchema>(
  schema: S,
  map: LiteralMap,
  what = "inputs",
): ValuesOf<S> {
  const names = checkSchema(schema, "fromLiteralMap");
  if (
    typeof map !== "object" || map === null ||
    (map as { $typeName?: unknown }).$typeName !== LiteralMapSchema.typeName
  ) {
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
