/**
 * Small builders for the literals tests use most: they keep test inputs readable.
 *
 * @module
 */
import { create } from "@bufbuild/protobuf";
import {
  type Literal,
  type LiteralMap,
  LiteralMapSchema,
  LiteralSchema,
} from "../../gen/flyteidl/core/literals_pb.ts";

export function integer(value: bigint): Literal {
  return create(LiteralSchema, {
    value: {
      case: "scalar",
      value: { value: { case: "primitive", value: { value: { case: "integer", value } } } },
    },
  });
}

export function string(value: string): Literal {
  return create(LiteralSchema, {
    value: {
      case: "scalar",
      value: { value: { case: "primitive", value: { value: { case: "stringValue", value } } } },
    },
  });
}

export function blob(uri: string, hash = ""): Literal {
  return create(LiteralSchema, {
    hash,
    value: { case: "scalar", value: { value: { case: "blob", value: { uri } } } },
  });
}

export function binary(value: Uint8Array, tag = ""): Literal {
  return create(LiteralSchema, {
    value: { case: "scalar", value: { value: { case: "binary", value: { value, tag } } } },
  });
}

export function collection(...literals: Literal[]): Literal {
  return create(LiteralSchema, { value: { case: "collection", value: { literals } } });
}

export function map(literals: Record<string, Literal>): Literal {
  return create(LiteralSchema, { value: { case: "map", value: { literals } } });
}

export function literalMap(literals: Record<string, Literal> = {}): LiteralMap {
  return create(LiteralMapSchema, { literals });
}
