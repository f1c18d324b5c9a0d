/**
 * local-task-cache: a persistent cache of local task results whose keys equal flytekit's.
 *
 * @example
 * ```ts
 * import { create } from "@bufbuild/protobuf";
 * import { calculateCacheKey, LiteralMapSchema } from "local-task-cache";
 *
 * console.log(calculateCacheKey("t.produce_dc", "1", create(LiteralMapSchema)));
 * // t.produce_dc-1-ea65cfadb0079394a8be1f4aa1e96e2b
 * ```
 *
 * @module
 */
export { calculateCacheKey, recursiveHashPlacement } from "./keys/key.ts";
export { toBinaryDeterministic } from "./keys/deterministic.ts";
export { joblibHashBytes } from "./keys/joblib.ts";
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
export {
  type CacheAdapter,
  type EntryInfo,
  type EntryMetadata,
  type GetOptions,
  isOtherTask,
  type Lease,
  READ_TIME_RESOLUTION_MS,
} from "./adapter.ts";
export { CacheError, type CacheErrorCode, isCacheError } from "./errors.ts";
export {
  type CacheEvent,
  type CacheEventType,
  type CacheStats,
  DEFAULT_MAX_SIZE,
  type EntryFilter,
  type PruneOptions,
  type PruneResult,
  TaskCache,
  type TaskCacheOptions,
} from "./core/task_cache.ts";
export {
  type CachedTask,
  cachedTask,
  type CachedTaskCommonOptions,
  type CachedTaskOptions,
  type CallOptions,
  type OutputSpec,
  type TaskResult,
} from "./core/task.ts";
export { decodeMsgpack, encodeMsgpack, MSGPACK_MAX_DEPTH } from "./values/msgpack.ts";
export {
  ConversionError,
  fromLiteralMap,
  t,
  toLiteralMap,
  type ValueOf,
  type ValueSchema,
  type ValuesOf,
  type ValueType,
  type ValueTypes,
} from "./values/values.ts";
export { LocalTaskCache, type LocalTaskCacheOptions } from "./core/local_task_cache.ts";
