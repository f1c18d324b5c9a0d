/**
 * {@link TaskCache}: the storage-agnostic cache core, flytekit's keys and LiteralMap bytes over
 * one adapter. Its parts live beside it: the events (`events.ts`), the management operations
 * (`manage.ts`), the size limit (`size_limit.ts`) and the stored bytes (`stored_value.ts`).
 *
 * @module
 */
import type { LiteralMap } from "../../gen/flyteidl/core/literals_pb.ts";
import type { CacheAdapter, EntryInfo, EntryMetadata } from "../adapter.ts";
import { describeArgument } from "../internal/describe.ts";
import { calculateCacheKey } from "../keys/key.ts";
import { CacheError } from "../errors.ts";
import { joinInSlices, totalLength } from "../internal/slices.ts";
import { now } from "./clock.ts";
import { type CacheEvent, CacheEvents, type CacheEventType } from "./events.ts";
import {
  type CacheStats,
  countEntries,
  deleteEntries,
  type EntryFilter,
  listEntries,
  prune,
  type PruneOptions,
  type PruneResult,
} from "./manage.ts";
import { Signer } from "./signing.ts";
import { DEFAULT_MAX_SIZE, SizeLimit } from "./size_limit.ts";
import { checkStored, decodeOutputs, encodeOutputs } from "./stored_value.ts";

/** Options of {@link TaskCache}. */
export interface TaskCacheOptions {
  /**
   * Entries stored longer ago than this many milliseconds read as misses and are removed.
   * Default: they never expire.
   */
  maxAge?: number;
  /**
   * After a store takes the stored values past this many bytes, the least recently read entries
   * are evicted down to 90% of it. Default 1 GiB (flytekit's store has the same limit);
   * `Infinity` for none.
   */
  maxSize?: number;
  /**
   * A secret shared by everyone who may write results (16 bytes or more; a string is taken as
   * its UTF-8): every stored value is sealed with an HMAC-SHA256 over the key, the task name,
   * the cache version and the value, and an entry whose seal does not verify (written without
   * this key or with another, or changed) reads as a miss and is reported as an `error` event
   * with a `CacheError` of code `INVALID_SEAL`. Default: none (entries are not signed).
   */
  signingKey?: Uint8Array | string;
}

/** Set by `TaskCache`'s static block: see {@link taskCacheInternals}. */
let internals: TaskCacheInternals;

/**
 * A cache of task outputs over one adapter: flytekit's `LocalTaskCache` operations as an
 * instance, for programs that want several caches or no global state; plus listing, deletion,
 * expiry, a size limit with least-recently-read eviction, stats and events.
 *
 * Keys are flytekit's (see `calculateCacheKey`); values are stored as Flyte IDL protobuf bytes.
 * Wrong argument types are refused with a `TypeError` before any I/O; storage failures are
 * `CacheError`s from the adapter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromLiteralMap, t, TaskCache, toLiteralMap } from "local-task-cache";
 * import { MemoryAdapter } from "local-task-cache/adapters/memory";
 *
 * const cache = new TaskCache(new MemoryAdapter(), { maxAge: 24 * 3600_000 });
 * const hits: string[] = [];
 * cache.on("hit", (event) => hits.push(event.key));
 * const inputs = toLiteralMap({ n: t.int }, { n: 3 });
 * assert.equal(await cache.get("example.square", "1", inputs), undefined);
 * await cache.set("example.square", "1", inputs, [], toLiteralMap({ o0: t.int }, { o0: 9 }));
 * const outputs = await cache.get("example.square", "1", inputs);
 * assert.deepEqual(fromLiteralMap({ o0: t.int }, outputs!, "outputs"), { o0: 9 });
 * assert.equal(hits.length, 1);
 * const stats = await cache.stats();
 * assert.deepEqual([stats.entries, stats.hits, stats.misses, stats.stores], [1, 1, 1, 1]);
 * await cache.close();
 * ```
 */
export class TaskCache {
  /** The adapter this cache stores its entries in. */
  readonly adapter: CacheAdapter;
  /** Entries older than this (ms) are misses; `undefined` for no expiry. */
  readonly maxAge: number | undefined;
  /** The size limit in bytes (`Infinity` for none). */
  readonly maxSize: number;
  readonly #events = new CacheEvents();
  readonly #limit: SizeLimit;
  readonly #signer: Signer | undefined;

  /**
   * A cache over `adapter`, with the expiry, size limit and signing key of `options`.
   *
   * @param adapter Where the entries are stored (a `MemoryAdapter`, an `FsAdapter`, ...).
   * @param options The expiry (`maxAge`), the size limit (`maxSize`) and the `signingKey`.
   */
  constructor(adapter: CacheAdapter, options: TaskCacheOptions = {}) {
    if (!isAdapter(adapter)) {
      throw new TypeError(
        `TaskCache: expected a CacheAdapter (an object with get, set, delete, clear, entries ` +
          `and close), got ${describeArgument(adapter)}`,
      );
    }
    const { maxAge, maxSize } = checkTaskCacheOptions(options);
    this.adapter = adapter;
    this.maxAge = maxAge;
    this.maxSize = maxSize;
    this.#limit = new SizeLimit(
      adapter,
      maxSize,
      async (size) => (await this.prune({ maxSize: size })).remainingBytes,
    );
    this.#signer = options.signingKey === undefined ? undefined : new Signer(options.signingKey);
  }

  /**
   * The stored outputs of `taskName` at `cacheVersion` for these inputs, or `undefined`.
   * The result is a fresh message: changing it does not change the cache.
   *
   * @param taskName The task's name.
   * @param cacheVersion The task's cache version.
   * @param inputLiteralMap The task's inputs.
   * @param cacheIgnoreInputVars Inputs left out of the key (flytekit's `cache_ignore_input_vars`).
   * @returns The stored outputs, or `undefined` on a miss.
   */
  async get(
    taskName: string,
    cacheVersion: string,
    inputLiteralMap: LiteralMap,
    cacheIgnoreInputVars: readonly string[] = [],
  ): Promise<LiteralMap | undefined> {
    const key = calculateCacheKey(taskName, cacheVersion, inputLiteralMap, cacheIgnoreInputVars);
    return await this.#lookup(key, { taskName, cacheVersion });
  }

  /**
   * Stores `value` as the outputs of `taskName` at `cacheVersion` for these inputs.
   *
   * @param taskName The task's name.
   * @param cacheVersion The task's cache version.
   * @param inputLiteralMap The task's inputs.
   * @param cacheIgnoreInputVars Inputs left out of the key (flytekit's `cache_ignore_input_vars`).
   * @param value The task's outputs.
   */
  async set(
    taskName: string,
    cacheVersion: string,
    inputLiteralMap: LiteralMap,
    cacheIgnoreInputVars: readonly string[],
    value: LiteralMap,
  ): Promise<void> {
    const key = calculateCacheKey(
      taskName,
      cacheVersion,
      inputLiteralMap,
      cacheIgnoreInputVars ?? [],
    );
    await this.#store(key, { taskName, cacheVersion }, value);
  }

  /**
   * Listens to `type` events (hits, misses, stores, storage errors, wait timeouts), with the key
   * and timings. A listener that throws is ignored.
   *
   * @param type The events to listen to.
   * @param listener Called with each event of that type.
   * @returns A function that stops listening.
   */
  on(type: CacheEventType, listener: (event: CacheEvent) => void): () => void {
    return this.#events.on(type, listener);
  }

  /**
   * Every stored entry's metadata (optionally of one task and/or version), most recently read
   * first (then most recently stored).
   *
   * @param filter The task and/or version whose entries to list; all of them without.
   */
  async entries(filter: EntryFilter = {}): Promise<EntryInfo[]> {
    return await listEntries(this.adapter, filter);
  }

  /**
   * Removes the entries of a task and/or a version (at least one of them). `clear()` removes
   * everything.
   *
   * @param filter The task and/or version whose entries go.
   * @param onProgress Called as entries are removed, with how many are done out of how many.
   * @returns How many entries were removed.
   */
  async deleteEntries(
    filter: EntryFilter,
    onProgress?: (done: number, total: number) => void,
  ): Promise<number> {
    return await deleteEntries(this.adapter, filter, onProgress);
  }

  /**
   * Removes entries stored longer ago than `olderThan` milliseconds, then the least recently
   * read ones until the values total at most `maxSize` bytes.
   *
   * @param options What to remove, and a progress callback.
   * @returns What was removed, and what is left.
   */
  async prune(options: PruneOptions): Promise<PruneResult> {
    const result = await prune(this.adapter, options);
    this.#limit.counted(result.remainingBytes);
    return result;
  }

  /** Entries and bytes stored, and this cache's hits, misses, stores and storage errors. */
  async stats(): Promise<CacheStats> {
    const { entries, bytes } = await countEntries(this.adapter);
    this.#limit.counted(bytes);
    const events = this.#events;
    return {
      entries,
      bytes,
      hits: events.count("hit"),
      misses: events.count("miss"),
      stores: events.count("store"),
      errors: events.count("error"),
    };
  }

  /** Removes every stored result. */
  async clear(): Promise<void> {
    await this.adapter.clear();
    this.#limit.cleared();
  }

  /** Releases the adapter (file handles, database connections). */
  async close(): Promise<void> {
    await this.#limit.settled();
    await this.adapter.close();
  }

  static {
    // cachedTask's access to the key-level operations, without making them public.
    internals = {
      lookup: (cache, key, metadata, options) => cache.#lookup(key, metadata, options),
      store: (cache, key, metadata, value) => cache.#store(key, metadata, value),
      reportWaitTimeout: (cache, key, metadata, waitedMs) => {
        const { taskName, cacheVersion } = metadata;
        cache.#events.emit({ type: "timeout", key, taskName, cacheVersion, durationMs: waitedMs });
      },
    };
  }

  /**
   * `get` by a key computed already; `metadata` names the task and version for events, and an
   * entry stored with another task name or version is a miss. With `options.again`, a second
   * look for the same call (after waiting for another runner): a miss is not counted twice.
   */
  async #lookup(
    key: string,
    metadata: EntryMetadata,
    options: { again?: boolean } = {},
  ): Promise<LiteralMap | undefined> {
    const started = now();
    let stored;
    try {
      // The expected task and version: an entry of another task with the same key (flytekit's
      // keys are `name-version-hash`: `a-b` at `c` and `a` at `b-c` share them) is a miss.
      const expect = { taskName: metadata.taskName, cacheVersion: metadata.cacheVersion };
      stored = await this.adapter.get(
        key,
        this.maxAge === undefined ? { expect } : { notBefore: Date.now() - this.maxAge, expect },
      );
    } catch (error) {
      this.#failed("get", key, metadata, started, error);
      throw error;
    }
    checkStored(stored, this.adapter);
    if (this.#signer !== undefined && stored !== undefined) {
      stored = await this.#unseal(key, metadata, stored, started);
    }
    let value: LiteralMap | undefined;
    if (stored !== undefined) {
      value = decodeOutputs(stored);
      // Stored bytes that do not parse as a LiteralMap read as a miss, and the entry goes.
      if (value === undefined) await this.adapter.delete(key).catch(() => false);
    }
    const durationMs = now() - started;
    if (value === undefined) {
      if (options.again) return undefined;
      this.#events.emit({ type: "miss", key, ...metadata, durationMs });
    } else {
      this.#events.emit({ type: "hit", key, ...metadata, durationMs, size: stored!.length });
    }
    return value;
  }

  /** `set` by a key computed already, with the entry's metadata. */
  async #store(key: string, metadata: EntryMetadata, value: LiteralMap): Promise<void> {
    // Large binaries are not copied: they go to the adapter as pieces of the value (joined, a
    // slice at a time, for an adapter that takes only whole values).
    const chunks = encodeOutputs(value);
    const size = totalLength(chunks);
    const started = now();
    const entry = { taskName: metadata.taskName, cacheVersion: metadata.cacheVersion };
    try {
      const pieces = this.#signer === undefined
        ? chunks
        : await this.#signer.sealChunks(key, entry, chunks);
      if (this.adapter.setChunks !== undefined) await this.adapter.setChunks(key, pieces, entry);
      else await this.adapter.set(key, await joinInSlices(pieces), entry);
    } catch (error) {
      this.#failed("set", key, entry, started, error);
      throw error;
    }
    this.#events.emit({ type: "store", key, ...entry, durationMs: now() - started, size });
    const counting = this.#limit.stored(size); // no promise when no I/O is needed
    if (counting !== undefined) await counting;
  }

  /** The value of a sealed entry, or `undefined` (reported) when its seal does not verify. */
  async #unseal(
    key: string,
    metadata: EntryMetadata,
    sealed: Uint8Array,
    started: number,
  ): Promise<Uint8Array | undefined> {
    const value = await this.#signer!.open(key, metadata, sealed);
    if (value !== undefined) return value;
    const error = new CacheError(
      "INVALID_SEAL",
      `the entry ${key} is not signed with this cache's signingKey (written without it, with ` +
        "another key, or changed): it reads as a miss; the task runs and stores a signed result",
    );
    this.#failed("get", key, metadata, started, error);
    return undefined;
  }

  /** Reports a storage failure as an `error` event (which counts it). */
  #failed(
    operation: "get" | "set",
    key: string,
    metadata: EntryMetadata,
    started: number,
    error: unknown,
  ): void {
    const durationMs = now() - started;
    this.#events.emit({ type: "error", key, ...metadata, durationMs, error, operation });
  }
}

/**
 * What `cachedTask` does with a `TaskCache` besides its public API: look up and store by a key
 * computed already, and report a wait timeout. Private to the package (`mod.ts` does not
 * export it); see {@link taskCacheInternals}.
 */
export interface TaskCacheInternals {
  /** `get` by a key computed already (see `#lookup`). */
  lookup(
    cache: TaskCache,
    key: string,
    metadata: EntryMetadata,
    options?: { again?: boolean },
  ): Promise<LiteralMap | undefined>;
  /** `set` by a key computed already, with the entry's metadata. */
  store(cache: TaskCache, key: string, metadata: EntryMetadata, value: LiteralMap): Promise<void>;
  /** Reports (a `"timeout"` event) that a call waited `waitedMs` for another lease holder. */
  reportWaitTimeout(cache: TaskCache, key: string, metadata: EntryMetadata, waitedMs: number): void;
}

/** The key-level operations of `TaskCache` that `cachedTask` uses (set by the class). */
export function taskCacheInternals(): TaskCacheInternals {
  return internals;
}

/** `options` checked, with the default size limit filled in. */
export function checkTaskCacheOptions(
  options: TaskCacheOptions,
): { maxAge: number | undefined; maxSize: number } {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`TaskCache: options must be an object, got ${describeArgument(options)}`);
  }
  const { maxAge, maxSize = DEFAULT_MAX_SIZE } = options;
  if (maxAge !== undefined && !(typeof maxAge === "number" && maxAge >= 0)) {
    throw new TypeError(
      `TaskCache: options.maxAge must be a number of milliseconds >= 0, got ` +
        describeArgument(maxAge),
    );
  }
  if (!(typeof maxSize === "number" && maxSize >= 0)) {
    throw new TypeError(
      `TaskCache: options.maxSize must be a number of bytes >= 0 (Infinity for no limit), ` +
        `got ${describeArgument(maxSize)}`,
    );
  }
  return { maxAge, maxSize };
}

function isAdapter(value: unknown): value is CacheAdapter {
  if (typeof value !== "object" || value === null) return false;
  const adapter = value as Record<string, unknown>;
  return ["get", "set", "delete", "clear", "entries", "close"].every((name) =>
    typeof adapter[name] === "function"
  );
}
