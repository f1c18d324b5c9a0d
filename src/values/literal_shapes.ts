/**
 * The literal shapes the value types make and read: building a scalar or primitive `Literal`,
 * taking the scalar or the primitive of a given kind out of one, and refusing a literal of
 * another shape with a message that says what it holds ("a collection", "a primitive
 * stringValue"). Private to the package.
 *
 * @module
 */
import { create } from "@bufbuild/protobuf";
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import {
  type Literal,
  LiteralSchema,
  type Primitive,
  PrimitiveSchema,
  type Scalar,
  ScalarSchema,
} from "../../gen/flyteidl/core/literals_pb.ts";
import { ConversionError } from "../errors.ts";
import { describeValue } from "../internal/describe.ts";
import { isLiteral } from "../internal/entries.ts";

/** The literal of a scalar. */
export function scalarLiteral(scalar: Scalar["value"]): Literal {
  return create(LiteralSchema, {
    value: { case: "scalar", value: create(ScalarSchema, { value: scalar }) },
  });
}

/** The literal of a primitive. */
export function primitiveLiteral(primitive: Primitive["value"]): Literal {
  return scalarLiteral({ case: "primitive", value: create(PrimitiveSchema, { value: primitive }) });
}

/** What a literal holds, for messages: "a collection", "a scalar blob", "a primitive integer". */
function describeLiteral(literal: unknown): string {
  if (!isLiteral(literal)) {
    return `${describeValue(literal)}, not a flyteidl.core.Literal message`;
  }
  const value = literal.value;
  switch (value.case) {
    case undefined:
      return literal.hash !== "" ? "a literal holding only a hash" : "an empty literal";
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

/**
 * Refuses `literal`, which is not `expected` (such as "a collection"), read at `path` as
 * `type` (such as "t.int" or "list<int>").
 */
export function wrongLiteral(
  literal: unknown,
  path: string,
  type: string,
  expected: string,
): never {
  throw new ConversionError(
    path,
    `expected ${expected} (for ${type}), got ${describeLiteral(literal)}; ` +
      "read it with the type it was written with",
  );
}

/** The scalar of a literal, or a ConversionError. */
export function scalarOf(literal: Literal, path: string, type: string, expected: string): Scalar {
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
export function primitiveOf<K extends keyof PrimitiveValues>(
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
