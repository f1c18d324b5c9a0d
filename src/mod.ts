/**
 * local-task-cache: a persistent cache of local task results whose keys equal flytekit's.
 *
 * The main entry is the cache: keys (`calculateCacheKey`), cached tasks (`cachedTask`, `t`),
 * the cache core (`TaskCache`, `LocalTaskCache`), the adapter contract (`CacheAdapter`) and the
 * errors. The generated Flyte IDL schemas and types (`LiteralMapSchema`, `LiteralMap`, ...) are
 * on the entry `local-task-cache/flyteidl`; the adapters on `local-task-cache/adapters/<name>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cachedTask, t, TaskCache } from "local-task-cache";
 * import { MemoryAdapter } from "local-task-cache/adapters/memory";
 *
 * let runs = 0;
 * const square = cachedTask({
 *   name: "example.square",
 *   version: "1",
 *   inputs: { n: t.int },
 *   outputs: t.int,
 *   cache: new TaskCache(new MemoryAdapter()),
 * }, ({ n }) => (runs++, n * n));
 * assert.equal(await square({ n: 4 }), 16);
 * assert.equal(await square({ n: 4 }), 16); // from the cache
 * assert.equal(runs, 1);
 * assert.equal(square.key({ n: 4 }).startsWith("example.square-1-"), true);
 * ```
 *
 * @module
 */
export { calculateCacheKey, recursiveHashPlacement } from "./keys/key.ts";
export { toBinaryDeterministic } from "./keys/deterministic.ts";
export { joblibHashBytes } from "./keys/joblib.ts";
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
export { type CacheEvent, type CacheEventType } from "./core/events.ts";
export {
  type CacheStats,
  type EntryFilter,
  type PruneOptions,
  type PruneResult,
} from "./core/manage.ts";
export { DEFAULT_MAX_SIZE } from "./core/size_limit.ts";
export { TaskCache, type TaskCacheOptions } from "./core/task_cache.ts";
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
