/**
 * The storage-agnostic cache core: keys and LiteralMap bytes over one adapter.
 *
 * @module
 */
import { clone, fromBinary, isMessage } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import type { CacheAdapter, EntryInfo, EntryMetadata } from "../adapter.ts";
import { toBinaryDeterministicChunks } from "../keys/deterministic.ts";
import { describeArgument } from "../internal/describe.ts";
import { calculateCacheKey } from "../keys/key.ts";
import { CacheError } from "../errors.ts";
import { Signer } from "./signing.ts";
import { joinInSlices, totalLength } from "../internal/slices.ts";

/** Which entries a listing or a deletion concerns: all of them, or those of a task/version. */
export interface EntryFilter {
  /** Only the entries of this task. */
  taskName?: string;
  /** Only the entries of this cache version. */
  cacheVersion?: string;
}

/** What {@link TaskCache.prune} removes. */
export interface PruneOptions {
  /** Entries stored longer ago than this many milliseconds go. */
  olderThan?: number;
  /** Then the least recently read entries go until the stored values total at most this. */
  maxSize?: number;
  /** Called as entries are removed, with how many are done out of how many will be. */
  onProgress?: (done: number, total: number) => void;
}

/** What {@link TaskCache.prune} did. */
export interface PruneResult {
  /** Entries removed. */
  removed: number;
  /** Bytes of the values removed. */
  removedBytes: number;
  /** Entries left. */
  remaining: number;
  /** Bytes of the values left. */
  remainingBytes: number;
}

/** What {@link TaskCache.stats} reports. */
export interface CacheStats {
  /** Entries stored (by every process using the storage). */
  entries: number;
  /** Bytes of the stored values. */
  bytes: number;
  /** Hits of this `TaskCache` since it was made. */
  hits: number;
  /** Misses of this `TaskCache` since it was made. */
  misses: number;
  /** Values this `TaskCache` stored. */
  stores: number;
  /** Storage failures this `TaskCache` met. */
  errors: number;
}

/**
 * What a {@link CacheEvent} reports: a hit, a miss, a store, a storage error, or a `cachedTask`
 * call that stopped waiting for another process's run (`"timeout"`).
 */
export type CacheEventType = "hit" | "miss" | "store" | "error" | "timeout";

/** The event types, in the order the docs name them. */
const EVENT_TYPES: readonly CacheEventType[] = ["hit", "miss", "store", "error", "timeout"];

/** A hit, a miss, a store, a storage error or a wait timeout, as {@link TaskCache.on} gets it. */
export interface CacheEvent {
  type: CacheEventType;
  /** The cache key. */
  key: string;
  taskName: string;
  cacheVersion: string;
  /**
   * How long the storage took, in milliseconds; for a `"timeout"`, how long the call waited for
   * the other holder of the key's lease before it ran the task itself.
   */
  durationMs: number;
  /** The value's size in bytes (hits and stores). */
  size?: number;
  /** The storage operation that failed (errors). */
  operation?: "get" | "set";
  /** The failure (errors). */
  error?: unknown;
}

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

/** flytekit's default size limit of its disk cache, 1 GiB. */
export const DEFAULT_MAX_SIZE = 1024 * 1024 * 1024;
/** The total size is counted again (listing the entries) at least this often, in ms. */
const RECOUNT_INTERVAL_MS = 60_000;
/** Eviction goes down to this share of `maxSize`, so that not every store evicts. */
const EVICTION_TARGET = 0.9;

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
 * import { create } from "@bufbuild/protobuf";
 * import { LiteralMapSchema, TaskCache } from "local-task-cache";
 * import { MemoryAdapter } from "local-task-cache/adapters/memory";
 *
 * const cache = new TaskCache(new MemoryAdapter(), { maxAge: 24 * 3600_000 });
 * cache.on("hit", (event) => console.log(`hit ${event.key} in ${event.durationMs} ms`));
 * const inputs = create(LiteralMapSchema);
 * console.log(await cache.get("t", "1", inputs)); // undefined
 * await cache.set("t", "1", inputs, [], create(LiteralMapSchema));
 * console.log(await cache.get("t", "1", inputs)); // the stored (empty) LiteralMap
 * console.log(await cache.stats()); // { entries: 1, bytes: 0, hits: 1, misses: 1, ... }
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
  #hits = 0;
  #misses = 0;
  #stores = 0;
  #errors = 0;
  #listeners = new Map<CacheEventType, Set<(event: CacheEvent) => void>>();
  /** The stored bytes as last counted, plus what this cache stored since; and when counted. */
  #size: { bytes: number; countedAt: number } | undefined;
  #evicting: Promise<unknown> | undefined;
  #signer: Signer | undefined;
  /** The adapter's running total said "past the limit" and a count found it was not. */
  #keptIsOff = false;
  /** The running total when that count began: its change since is what the count lacks. */
  #keptAtCount: number | undefined;

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
    if (options.signingKey !== undefined) this.#signer = new Signer(options.signingKey);
  }

  /**
   * The stored outputs of `taskName` at `cacheVersion` for these inputs, or `undefined`.
   * The result is a fresh message: changing it does not change the cache.
   */
  async get(
    taskName: string,
    cacheVersion: string,
    inputLiteralMap: LiteralMap,
    cacheIgnoreInputVars: readonly string[] = [],
  ): Promise<LiteralMap | undefined> {
    const key = calculateCacheKey(taskName, cacheVersion, inputLiteralMap, cacheIgnoreInputVars);
    return await this.lookup(key, { taskName, cacheVersion });
  }

  /** Stores `value` as the outputs of `taskName` at `cacheVersion` for these inputs. */
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
    await this.store(key, { taskName, cacheVersion }, value);
  }

  /**
   * `get` by a key computed already (with `calculateCacheKey`); `metadata` names the task and
   * version for events, and an entry stored with another task name or version is a miss. With `options.again`, a second look for the same call (after waiting
   * for another runner): a miss is not counted twice.
   */
  async lookup(
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
    if (this.#signer !== undefined && stored instanceof Uint8Array) {
      stored = await this.#unseal(key, metadata, stored, started);
    }
    let value: LiteralMap | undefined;
    let size = 0;
    if (stored instanceof Uint8Array) {
      value = await this.#decode(key, stored);
      size = stored.length;
    } else if (isMessage(stored, LiteralMapSchema)) {
      value = clone(LiteralMapSchema, stored);
    } else if (stored !== undefined) {
      throw new TypeError(
        `TaskCache.get: the adapter (${adapterName(this.adapter)}) returned ` +
          `${describeArgument(stored)} for a key; an adapter's get must resolve to a Uint8Array, ` +
          `a flyteidl.core.LiteralMap message or undefined`,
      );
    }
    const durationMs = now() - started;
    if (value === undefined) {
      if (options.again) return undefined;
      this.#misses++;
      this.#emit({ type: "miss", key, ...metadata, durationMs });
    } else {
      this.#hits++;
      this.#emit({ type: "hit", key, ...metadata, durationMs, size });
    }
    return value;
  }

  /** `set` by a key computed already (with `calculateCacheKey`), with the entry's metadata. */
  async store(key: string, metadata: EntryMetadata, value: LiteralMap): Promise<void> {
    checkOutputs(value);
    checkReadableDepth(value);
    // Deterministic bytes parse like any protobuf bytes, and refuse what Python refuses
    // (unpaired surrogates, out-of-range integers) instead of storing a changed value. Large
    // binaries are not copied: they go to the adapter as pieces of the value (joined, a slice
    // at a time, for an adapter that takes only whole values).
    const chunks = toBinaryDeterministicChunks(LiteralMapSchema, value, "TaskCache.set: value");
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
    this.#stores++;
    this.#emit({ type: "store", key, ...entry, durationMs: now() - started, size });
    await this.#enforceLimit(size);
  }

  /**
   * Reports (as a `"timeout"` event) that a call of the task waited `waitedMs` for another
   * process that holds the key's lease, and runs the task itself: `cachedTask` calls it.
   */
  reportWaitTimeout(key: string, metadata: EntryMetadata, waitedMs: number): void {
    const { taskName, cacheVersion } = metadata;
    this.#emit({ type: "timeout", key, taskName, cacheVersion, durationMs: waitedMs });
  }

  /**
   * Listens to `type` events (hits, misses, stores, storage errors, wait timeouts), with the key
   * and timings.
   * Returns a function that stops listening. A listener that throws is ignored.
   */
  on(type: CacheEventType, listener: (event: CacheEvent) => void): () => void {
    if (!EVENT_TYPES.includes(type) || typeof listener !== "function") {
      throw new TypeError(
        `TaskCache.on: expected "hit", "miss", "store", "error" or "timeout" and a function, ` +
          `got ${describeArgument(type)} and ${describeArgument(listener)}`,
      );
    }
    let listeners = this.#listeners.get(type);
    if (listeners === undefined) this.#listeners.set(type, listeners = new Set());
    const own = (event: CacheEvent) => listener(event);
    listeners.add(own);
    return () => void listeners.delete(own);
  }

  /**
   * Every stored entry's metadata (optionally of one task and/or version), most recently read
   * first (then most recently stored).
   */
  async entries(filter: EntryFilter = {}): Promise<EntryInfo[]> {
    const matches = entryMatcher(filter, "TaskCache.entries");
    const entries: EntryInfo[] = [];
    for await (const entry of this.adapter.entries()) if (matches(entry)) entries.push(entry);
    return entries.sort((a, b) => b.lastReadAt - a.lastReadAt || b.createdAt - a.createdAt);
  }

  /**
   * Removes the entries of a task and/or a version (at least one of them); resolves to how
   * many were removed. `clear()` removes everything.
   */
  async deleteEntries(
    filter: EntryFilter,
    onProgress?: (done: number, total: number) => void,
  ): Promise<number> {
    if (filter?.taskName === undefined && filter?.cacheVersion === undefined) {
      throw new TypeError(
        "TaskCache.deleteEntries: name a taskName and/or a cacheVersion (clear() removes every " +
          "entry)",
      );
    }
    const doomed = await this.entries(filter);
    return (await this.#remove(doomed, onProgress)).removed;
  }

  /**
   * Removes entries stored longer ago than `olderThan` milliseconds, then the least recently
   * read ones until the values total at most `maxSize` bytes.
   */
  async prune(options: PruneOptions): Promise<PruneResult> {
    const { olderThan, maxSize, onProgress } = options ?? {};
    for (const [name, value] of [["olderThan", olderThan], ["maxSize", maxSize]] as const) {
      if (value !== undefined && !(typeof value === "number" && value >= 0)) {
        throw new TypeError(
          `TaskCache.prune: ${name} must be a number >= 0, got ${describeArgument(value)}`,
        );
      }
    }
    // Least recently read last.
    const entries = await this.entries();
    const doomed: EntryInfo[] = [];
    const kept: EntryInfo[] = [];
    const cutoff = olderThan === undefined ? -Infinity : Date.now() - olderThan;
    for (const entry of entries) (entry.createdAt < cutoff ? doomed : kept).push(entry);
    let remainingBytes = kept.reduce((sum, entry) => sum + entry.size, 0);
    while (maxSize !== undefined && remainingBytes > maxSize && kept.length > 0) {
      const entry = kept.pop()!;
      doomed.push(entry);
      remainingBytes -= entry.size;
    }
    const { removed, removedBytes } = await this.#remove(doomed, onProgress);
    this.#size = { bytes: remainingBytes, countedAt: now() };
    return { removed, removedBytes, remaining: kept.length, remainingBytes };
  }

  /** Entries and bytes stored, and this cache's hits, misses, stores and storage errors. */
  async stats(): Promise<CacheStats> {
    let entries = 0;
    let bytes = 0;
    for await (const entry of this.adapter.entries()) {
      entries++;
      bytes += entry.size;
    }
    this.#size = { bytes, countedAt: now() };
    return {
      entries,
      bytes,
      hits: this.#hits,
      misses: this.#misses,
      stores: this.#stores,
      errors: this.#errors,
    };
  }

  /** Removes every stored result. */
  async clear(): Promise<void> {
    await this.adapter.clear();
    // Where the adapter keeps a running total, the next store counts (what was stored since)
    // and starts it again.
    this.#size = this.adapter.storedBytes === undefined
      ? { bytes: 0, countedAt: now() }
      : undefined;
  }

  /** Releases the adapter (file handles, database connections). */
  async close(): Promise<void> {
    await this.#evicting?.catch(() => {});
    await this.adapter.close();
  }

  /** Deletes `entries`, a batch at a time, reporting progress. */
  async #remove(
    entries: readonly EntryInfo[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ removed: number; removedBytes: number }> {
    let removed = 0;
    let removedBytes = 0;
    onProgress?.(0, entries.length);
    for (let i = 0; i < entries.length; i += REMOVE_BATCH) {
      const batch = entries.slice(i, i + REMOVE_BATCH);
      const results = await Promise.all(batch.map((entry) => this.adapter.delete(entry.key)));
      results.forEach((existed, j) => {
        if (!existed) return;
        removed++;
        removedBytes += batch[j]!.size;
      });
      onProgress?.(Math.min(i + REMOVE_BATCH, entries.length), entries.length);
    }
    return { removed, removedBytes };
  }

  /**
   * Counts a store against the size limit, and evicts the least recently read entries when the
   * total goes past it. Where the adapter keeps a running total (`storedBytes`, shared by every
   * process using the storage), the cache asks it on every store, and lists the entries only
   * to evict (or to start the total where none is kept yet). Otherwise the total is counted by
   * listing the entries on the first store, when it seems past the limit, and at least every
   * minute (other processes store too), adding this cache's own stores in between.
   */
  async #enforceLimit(stored: number): Promise<void> {
    if (this.maxSize === Infinity) return;
    if (this.#evicting !== undefined) return; // one pass at a time; it counts this store too
    const keeps = this.adapter.storedBytes !== undefined;
    const kept = keeps ? await this.adapter.storedBytes!() : undefined;
    const size = this.#size;
    const recent = size !== undefined && now() - size.countedAt < RECOUNT_INTERVAL_MS;
    if (kept !== undefined && !(kept > this.maxSize && recent && this.#keptIsOff)) {
      this.#size = { bytes: kept, countedAt: size?.countedAt ?? -Infinity };
      if (kept <= this.maxSize) return;
    } else if (recent && kept !== undefined && this.#keptAtCount !== undefined) {
      // A running total found off by a count within the minute: the count, plus the total's
      // change since (every process's stores and evictions, which this cache's own stores
      // alone would miss).
      if (size.bytes + (kept - this.#keptAtCount) <= this.maxSize) return;
    } else if (recent && kept === undefined) {
      // No running total: the count, plus this cache's stores since.
      size.bytes += stored;
      if (size.bytes <= this.maxSize) return;
    }
    const pass = (async () => {
      let bytes = 0;
      for await (const entry of this.adapter.entries()) bytes += entry.size;
      if (keeps) {
        // A total said past the limit that the entries are not: off (files removed by hand).
        this.#keptIsOff = kept !== undefined && bytes <= this.maxSize;
        this.#keptAtCount = kept;
        // The count starts the running total, or moves one that is far off. (A smaller
        // difference can be other processes' stores and evictions during the listing, which
        // the total has and the listing may not: they are not counted twice.)
        if (kept === undefined || Math.abs(bytes - kept) > this.maxSize / 2) {
          await this.adapter.correctStoredBytes?.(bytes, kept);
          this.#keptIsOff = false;
        }
      }
      if (bytes > this.maxSize) {
        bytes = (await this.prune({ maxSize: this.maxSize * EVICTION_TARGET })).remainingBytes;
      }
      this.#size = { bytes, countedAt: now() };
    })();
    this.#evicting = pass;
    try {
      await pass;
    } finally {
      this.#evicting = undefined;
    }
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

  /** Counts a storage failure and reports it as an `error` event. */
  #failed(
    operation: "get" | "set",
    key: string,
    metadata: EntryMetadata,
    started: number,
    error: unknown,
  ): void {
    this.#errors++;
    this.#emit({ type: "error", key, ...metadata, durationMs: now() - started, error, operation });
  }

  #emit(event: CacheEvent): void {
    const listeners = this.#listeners.get(event.type);
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own: the cache goes on.
      }
    }
  }

  /** Stored bytes that do not parse as a LiteralMap read as a miss, and the entry goes. */
  async #decode(key: string, bytes: Uint8Array): Promise<LiteralMap | undefined> {
    try {
      return fromBinary(LiteralMapSchema, bytes);
    } catch {
      await this.adapter.delete(key).catch(() => false);
      return undefined;
    }
  }
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

/** Deletions issued at once by `prune` and `deleteEntries`. */
const REMOVE_BATCH = 32;

/** A monotonic clock in milliseconds, where there is one. */
function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}

function entryMatcher(filter: EntryFilter, what: string): (entry: EntryInfo) => boolean {
  if (typeof filter !== "object" || filter === null) {
    throw new TypeError(`${what}: the filter must be an object, got ${describeArgument(filter)}`);
  }
  const { taskName, cacheVersion } = filter;
  for (const [name, value] of [["taskName", taskName], ["cacheVersion", cacheVersion]]) {
    if (value !== undefined && typeof value !== "string") {
      throw new TypeError(
        `${what}: filter.${name} must be a string, got ${describeArgument(value)}`,
      );
    }
  }
  return (entry) =>
    (taskName === undefined || entry.taskName === taskName) &&
    (cacheVersion === undefined || entry.cacheVersion === cacheVersion);
}

/**
 * How deep messages may nest in a stored value, the outermost counted: the recursion limit of
 * protobuf-es's `fromBinary` (and of Python's protobuf), so that what `set` stores, `get` (and
 * flytekit) can read back. A map of maps nests two messages a level (a `Literal`, a
 * `LiteralMap`): a little under 50 levels.
 */
export const MAX_MESSAGE_DEPTH = 100;

/**
 * Refuses (with a `RangeError` naming the depth) a value whose messages nest deeper than
 * {@link MAX_MESSAGE_DEPTH}: stored, it could never be read back. Walks the value without
 * recursion, so that any depth gets this error rather than a stack overflow.
 */
function checkReadableDepth(value: LiteralMap): void {
  // Objects to look at, with the depth of messages they are in; non-message objects (oneof
  // cases, maps, arrays) count in `levels`, so that a cycle among them ends too.
  const items: object[] = [value];
  const depths: number[] = [0];
  const levelsOf: number[] = [0];
  while (items.length > 0) {
    const item = items.pop()!;
    const depth = depths.pop()! + ("$typeName" in item ? 1 : 0);
    const levels = levelsOf.pop()! + 1;
    if (depth > MAX_MESSAGE_DEPTH || levels > 4 * MAX_MESSAGE_DEPTH) {
      throw new RangeError(
        `TaskCache.set: the value nests messages deeper than ${MAX_MESSAGE_DEPTH} levels (maps ` +
          `or lists of literals nested about ${MAX_MESSAGE_DEPTH / 2} deep), past what ` +
          `protobuf readers (protobuf-es, Python's) read back; flatten it, or store the deep ` +
          `part as one value (t.msgpack)`,
      );
    }
    for (const name in item) {
      const child = (item as Record<string, unknown>)[name];
      if (typeof child === "object" && child !== null && !ArrayBuffer.isView(child)) {
        items.push(child);
        depths.push(depth);
        levelsOf.push(levels);
      }
    }
  }
}

/** Refuses outputs that are not a LiteralMap message, with a `TypeError`. */
export function checkOutputs(value: unknown): asserts value is LiteralMap {
  if (!isMessage(value, LiteralMapSchema)) {
    throw new TypeError(
      `TaskCache.set: value must be a flyteidl.core.LiteralMap message ` +
        `(create(LiteralMapSchema, ...)), got ${describeArgument(value)}`,
    );
  }
}

function isAdapter(value: unknown): value is CacheAdapter {
  if (typeof value !== "object" || value === null) return false;
  const adapter = value as Record<string, unknown>;
  return ["get", "set", "delete", "clear", "entries", "close"].every((name) =>
    typeof adapter[name] === "function"
  );
}

function adapterName(adapter: CacheAdapter): string {
  return (adapter as { constructor?: { name?: string } }).constructor?.name ?? "adapter";
}
