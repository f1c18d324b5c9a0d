/**
 * The Flyte IDL messages of `flyteidl.core` that a cache's inputs and outputs are made of
 * (`LiteralMap`, `Literal`, `Scalar`, ...), as protobuf-es schemas and types generated into
 * `gen/` from flyteidl's `.proto` files. Build them with `create` from `@bufbuild/protobuf`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "@bufbuild/protobuf";
 * import { LiteralMapSchema } from "local-task-cache/flyteidl";
 *
 * const inputs = create(LiteralMapSchema, {
 *   literals: {
 *     x: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: 1n } } } } } },
 *   },
 * });
 * assert.equal(Object.keys(inputs.literals).length, 1);
 * ```
 *
 * @module
 */
export {
  type Binary,
  BinarySchema,
  type Blob,
  type BlobMetadata,
  BlobMetadataSchema,
  BlobSchema,
  type Literal,
  type LiteralCollection,
  LiteralCollectionSchema,
  type LiteralMap,
  LiteralMapSchema,
  type LiteralOffloadedMetadata,
  LiteralOffloadedMetadataSchema,
  LiteralSchema,
  type Primitive,
  PrimitiveSchema,
  type Scalar,
  ScalarSchema,
  type Schema,
  SchemaSchema,
  type StructuredDataset,
  type StructuredDatasetMetadata,
  StructuredDatasetMetadataSchema,
  StructuredDatasetSchema,
  type Union,
  UnionSchema,
  type Void,
  VoidSchema,
} from "../gen/flyteidl/core/literals_pb.ts";
export {
  type BlobType,
  BlobType_BlobDimensionality,
  BlobTypeSchema,
  type Error as FlyteError,
  ErrorSchema,
  type LiteralType,
  LiteralTypeSchema,
  type SchemaType,
  SchemaTypeSchema,
  SimpleType,
  type StructuredDatasetType,
  StructuredDatasetTypeSchema,
} from "../gen/flyteidl/core/types_pb.ts";
