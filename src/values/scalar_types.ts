/**
 * The value types of Python's scalars, each the `Scalar` flytekit makes of it: `int` (as a
 * number or a bigint), `float`, `str`, `bool` and `None` as primitives, and an untyped value
 * as MessagePack bytes in a `Binary`. {@link t} gathers them. Private to the package.
 *
 * @module
 */
import { create } from "@bufbuild/protobuf";
import { BinarySchema, VoidSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { describeValue } from "../internal/describe.ts";
import { INT64_MAX, INT64_MIN, MAX_SAFE_BIGINT } from "../internal/integers.ts";
import { isWellFormed } from "../internal/unicode.ts";
import { expected, fail } from "./fail.ts";
import {
  primitiveLiteral,
  primitiveOf,
  scalarLiteral,
  scalarOf,
  wrongLiteral,
} from "./literal_shapes.ts";
import { decodeMsgpack, encodeMsgpack } from "./msgpack.ts";
import type { ValueType } from "./schema.ts";

/** `t.int`: a Python `int` as a safe-integer number. */
export const intType: ValueType<number> = {
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
    if (value < -MAX_SAFE_BIGINT || value > MAX_SAFE_BIGINT) {
      fail(
        path,
        `the integer ${value} is beyond the safe integers (±(2^53 - 1)) of a number; ` +
          "read it with t.bigint",
      );
    }
    return Number(value);
  },
};

/** `t.bigint`: a Python `int` as a bigint, the whole int64 range. */
export const bigintType: ValueType<bigint> = {
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

/** `t.float`: a Python `float`, any number. */
export const floatType: ValueType<number> = {
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

/** `t.string`: a Python `str`, refused with a lone surrogate. */
export const stringType: ValueType<string> = {
  name: "string",
  toLiteral(value, path) {
    if (typeof value !== "string") expected(path, "a string (t.string)", value);
    if (!isWellFormed(value)) {
      fail(
        path,
        "the string has a lone surrogate, which is not valid UTF-8 (Python protobuf refuses to " +
          "serialize it); fix the string, e.g. with value.toWellFormed()",
      );
    }
    return primitiveLiteral({ case: "stringValue", value });
  },
  fromLiteral(literal, path) {
    return primitiveOf(literal, path, "t.string", "stringValue");
  },
};

/** `t.boolean`: a Python `bool`. */
export const booleanType: ValueType<boolean> = {
  name: "boolean",
  toLiteral(value, path) {
    if (typeof value !== "boolean") expected(path, "a boolean (t.boolean)", value);
    return primitiveLiteral({ case: "boolean", value });
  },
  fromLiteral(literal, path) {
    return primitiveOf(literal, path, "t.boolean", "boolean");
  },
};

/** `t.none`: Python's `None`, a `Scalar.none_type`. */
export const noneType: ValueType<null> = {
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

/** The tag flytekit gives a `Binary` of MessagePack bytes. */
const MSGPACK_TAG = "msgpack";

/** `t.msgpack`: an untyped Python value, a `Scalar.binary` of its MessagePack bytes. */
export const msgpackType: ValueType<unknown> = {
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
