/**
 * `LocalTaskCache`: flytekit's static cache API, over one `TaskCache`.
 *
 * @module
 */
import type { LiteralMap } from "../../gen/flyteidl/core/literals_pb.ts";
import type { CacheAdapter } from "../adapter.ts";
import { describeArgument } from "../internal/describe.ts";
import { checkKeyArguments } from "../keys/key.ts";
import { checkOutputs } from "./stored_value.ts";
import { checkTaskCacheOptions, TaskCache } from "./task_cache.ts";
import { openDefaultAdapter } from "#runtime";

/** Options of {@link LocalTaskCache.initialize}. */
export interface LocalTaskCacheOptions {
  /**
   * Where to store entries. Without it, the runtime's default: in Node, Bun and Deno an
   * `FsAdapter` in the per-user cache directory (`LOCAL_TASK_CACHE_DIR` moves it).
   */
  adapter?: CacheAdapter;
  /** The directory of the default file adapter, instead of the per-user cache directory. */
  directory?: string;
  /**
   * Share flytekit's own cache: a `DiskcacheAdapter` on `~/.flyte/local-cache` (or on
   * `directory`), which flytekit's `LocalTaskCache` reads and writes too. Default: the
   * environment variable `LOCAL_TASK_CACHE_FLYTEKIT` (`true`, `1`; `false`, `0`, `no`, `off`).
   * Not in browsers.
   */
  flytekit?: boolean;
  /** Entries older than this many milliseconds read as misses (default: no expiry). */
  maxAge?: number;
  /** The size limit in bytes, with least-recently-read eviction (default 1 GiB). */
  maxSize?: number;
}

/**
 * A process-wide cache of task outputs, with flytekit's `LocalTaskCache` API. It initializes
 * itself with the runtime's default storage on first use; call {@link LocalTaskCache.initialize}
 * first to choose another. All methods are async.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "@bufbuild/protobuf";
 * import { LocalTaskCache } from "local-task-cache";
 * import { LiteralMapSchema } from "local-task-cache/flyteidl";
 * import { MemoryAdapter } from "local-task-cache/adapters/memory";
 *
 * await LocalTaskCache.initialize({ adapter: new MemoryAdapter() });
 * const inputs = create(LiteralMapSchema);
 * assert.equal(await LocalTaskCache.get("my_task", "v1", inputs, []), undefined);
 * await LocalTaskCache.set("my_task", "v1", inputs, [], create(LiteralMapSchema));
 * assert.notEqual(await LocalTaskCache.get("my_task", "v1", inputs, []), undefined);
 * await LocalTaskCache.clear();
 * assert.equal(await LocalTaskCache.get("my_task", "v1", inputs, []), undefined);
 * await LocalTaskCache.close();
 * ```
 */
export class LocalTaskCache {
  static #cache: Promise<TaskCache> | undefined;

  private constructor() {}

  /**
   * Sets up storage: `options.adapter`, or the runtime's default. Calling it again replaces the
   * storage, closing the previous adapter.
   */
  static async initialize(options: LocalTaskCacheOptions = {}): Promise<void> {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `LocalTaskCache.initialize: options must be an object, got ${describeArgument(options)}`,
      );
    }
    // Options are checked before the storage is opened.
    const limits = checkTaskCacheOptions({ maxAge: options.maxAge, maxSize: options.maxSize });
    const next = options.adapter !== undefined
      ? Promise.resolve(new TaskCache(options.adapter, limits))
      : openDefaultAdapter({ directory: options.directory, flytekit: options.flytekit }).then((
        adapter,
      ) => new TaskCache(adapter, limits));
    const previous = LocalTaskCache.#cache;
    LocalTaskCache.#cache = next;
    try {
      await next;
    } catch (error) {
      if (LocalTaskCache.#cache === next) LocalTaskCache.#cache = previous;
      throw error;
    }
    await closeQuietly(previous);
  }

  /** Whether storage has been set up (explicitly or by a first use) and not closed since. */
  static get initialized(): boolean {
    return LocalTaskCache.#cache !== undefined;
  }

  /** The stored outputs of `taskName` at `cacheVersion` for these inputs, or `undefined`. */
  static async get(
    taskName: string,
    cacheVersion: string,
    inputLiteralMap: LiteralMap,
    cacheIgnoreInputVars: readonly string[] = [],
  ): Promise<LiteralMap | undefined> {
    // Wrong arguments are refused before the storage is opened.
    checkKeyArguments(taskName, cacheVersion, inputLiteralMap, cacheIgnoreInputVars);
    return (await LocalTaskCache.#current()).get(
      taskName,
      cacheVersion,
      inputLiteralMap,
      cacheIgnoreInputVars,
    );
  }

  /** Stores `value` as the outputs of `taskName` at `cacheVersion` for these inputs. */
  static async set(
    taskName: string,
    cacheVersion: string,
    inputLiteralMap: LiteralMap,
    cacheIgnoreInputVars: readonly string[],
    value: LiteralMap,
  ): Promise<void> {
    checkKeyArguments(taskName, cacheVersion, inputLiteralMap, cacheIgnoreInputVars ?? []);
    checkOutputs(value);
    return (await LocalTaskCache.#current()).set(
      taskName,
      cacheVersion,
      inputLiteralMap,
      cacheIgnoreInputVars,
      value,
    );
  }

  /** Removes every stored result. */
  static async clear(): Promise<void> {
    return (await LocalTaskCache.#current()).clear();
  }

  /**
   * The `TaskCache` behind the facade (set up on first use), for what flytekit's API lacks:
   * listing, deletion by task or version, pruning, stats and events.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { LocalTaskCache } from "local-task-cache";
   * import { MemoryAdapter } from "local-task-cache/adapters/memory";
   *
   * await LocalTaskCache.initialize({ adapter: new MemoryAdapter() });
   * const cache = await LocalTaskCache.taskCache();
   * assert.equal((await cache.stats()).entries, 0);
   * await LocalTaskCache.close();
   * ```
   */
  static taskCache(): Promise<TaskCache> {
    return LocalTaskCache.#current();
  }

  /** Releases the storage. The next call initializes it again. */
  static async close(): Promise<void> {
    const cache = LocalTaskCache.#cache;
    LocalTaskCache.#cache = undefined;
    if (cache !== undefined) await (await cache).close();
  }

  static #current(): Promise<TaskCache> {
    if (LocalTaskCache.#cache === undefined) {
      const opening = openDefaultAdapter({}).then((adapter) => new TaskCache(adapter));
      LocalTaskCache.#cache = opening;
      // A failed implicit initialization is not kept: the next call tries again.
      opening.catch(() => {
        if (LocalTaskCache.#cache === opening) LocalTaskCache.#cache = undefined;
      });
    }
    return LocalTaskCache.#cache;
  }
}

async function closeQuietly(cache: Promise<TaskCache> | undefined): Promise<void> {
  if (cache === undefined) return;
  try {
    await (await cache).close();
  } catch {
    // The old storage failed to open or close; the new one is in place either way.
  }
}
