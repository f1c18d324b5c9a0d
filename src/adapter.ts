/**
 * The storage interface under the cache: bytes in, bytes out, keys opaque.
 *
 * @module
 */
/**
 * Where a cache keeps its entries. The cache core computes keys and (de)serializes LiteralMaps;
 * an adapter only stores bytes under string keys. Every adapter passes the same conformance
 * suite (`test/conformance/`), which is the full definition of this contract:
 *
 * - Keys are opaque strings of any length and any characters; the adapter maps them to its own
 *   storage names safely (no path traversal, no storage key-size limit leaking out).
 * - Values are `Uint8Array`s of any length, 0 bytes included; `get` returns a `Uint8Array`
 *   (never a Node `Buffer`) equal to what was stored, which the caller may keep and change.
 * - A missing, expired or corrupted entry reads as `undefined`: never wrong bytes, never a throw.
 * - `set` is atomic: a concurrent reader sees the old value or the new one, never a mix; a crash
 *   mid-write leaves the old value or nothing.
 * - `clear` removes the adapter's own entries and nothing else.
 * - Every entry keeps its metadata (see {@link EntryInfo}): the task name and cache version
 *   given to `set` (empty strings without them), the value's size, when it was stored, and when
 *   it was last read. A hit updates the read time, to within {@link READ_TIME_RESOLUTION_MS}
 *   (so that a run of hits does not cost a write each). `entries()` lists them all.
 * - `get(key, { notBefore })` treats an entry stored before `notBefore` as expired: it reads as
 *   `undefined` and is removed.
 * - `get(key, { expect })` reads an entry whose stored task name or cache version differ from
 *   `expect` as `undefined`, and leaves it in place (see {@link GetOptions.expect}).
 * - Failures are `CacheError`s with a `code` (see `CacheErrorCode`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CacheAdapter, EntryInfo, EntryMetadata, GetOptions } from "local-task-cache";
 * import { isOtherTask, t, TaskCache, toLiteralMap } from "local-task-cache";
 *
 * class MapAdapter implements CacheAdapter {
 *   #entries = new Map<string, { value: Uint8Array; info: EntryInfo }>();
 *   get(key: string, options: GetOptions = {}) {
 *     const entry = this.#entries.get(key);
 *     if (entry === undefined) return Promise.resolve(undefined);
 *     if (entry.info.createdAt < (options.notBefore ?? -Infinity)) {
 *       this.#entries.delete(key);
 *       return Promise.resolve(undefined);
 *     }
 *     const { taskName, cacheVersion } = entry.info;
 *     if (isOtherTask(options.expect, taskName, cacheVersion)) return Promise.resolve(undefined);
 *     entry.info.lastReadAt = Date.now();
 *     return Promise.resolve(entry.value.slice());
 *   }
 *   set(key: string, value: Uint8Array, metadata?: EntryMetadata) {
 *     const now = Date.now();
 *     this.#entries.set(key, {
 *       value: value.slice(),
 *       info: {
 *         key,
 *         taskName: metadata?.taskName ?? "",
 *         cacheVersion: metadata?.cacheVersion ?? "",
 *         size: value.length,
 *         createdAt: now,
 *         lastReadAt: now,
 *       },
 *     });
 *     return Promise.resolve();
 *   }
 *   async *entries() {
 *     for (const { info } of this.#entries.values()) yield { ...info };
 *   }
 *   delete(key: string) {
 *     return Promise.resolve(this.#entries.delete(key));
 *   }
 *   clear() {
 *     this.#entries.clear();
 *     return Promise.resolve();
 *   }
 *   close() {
 *     return Promise.resolve();
 *   }
 * }
 *
 * const cache = new TaskCache(new MapAdapter());
 * const inputs = toLiteralMap({ n: t.int }, { n: 1 });
 * await cache.set("example.task", "1", inputs, [], toLiteralMap({ o0: t.int }, { o0: 2 }));
 * assert.ok((await cache.get("example.task", "1", inputs)) !== undefined);
 * assert.equal((await cache.entries())[0]?.taskName, "example.task");
 * await cache.close();
 * ```
 */
export interface CacheAdapter {
  /**
   * The stored value for `key`, or `undefined` when there is none (or it is unreadable, or
   * stored before `options.notBefore`). A hit records the read time.
   */
  get(key: string, options?: GetOptions): Promise<Uint8Array | undefined>;
  /** Stores `value` under `key` atomically, with its metadata, replacing any previous entry. */
  set(key: string, value: Uint8Array, metadata?: EntryMetadata): Promise<void>;
  /**
   * Optional: `set` with the value given as pieces that, joined, are the value (`TaskCache`
   * hands a large output's binaries over as they are, uncopied). The entry is the same as
   * `set` of the joined bytes would store, and as atomic. The pieces belong to the caller:
   * copy what is kept past the returned promise. Without it, `TaskCache` joins the pieces and
   * calls `set`.
   */
  setChunks?(key: string, chunks: readonly Uint8Array[], metadata?: EntryMetadata): Promise<void>;
  /** Removes the entry for `key`; resolves to whether there was one. */
  delete(key: string): Promise<boolean>;
  /** Removes every entry of this adapter, and nothing else. */
  clear(): Promise<void>;
  /**
   * Optional: a lease on `name` shared with every process using the same storage, for running a
   * task once across processes. Resolves to the lease, or to `undefined` while another holder's
   * unexpired lease stands. A lease lasts `ttlMs` unless renewed, so a crashed holder blocks
   * others for at most that long.
   */
  acquireLease?(name: string, ttlMs: number): Promise<Lease | undefined>;
  /** Every entry's metadata, in no particular order. Entries changed meanwhile may be missed. */
  entries(): AsyncIterable<EntryInfo>;
  /**
   * Optional: the total size in bytes of the stored values, as the storage keeps it (a running
   * total shared by every process using the storage), without listing the entries; `undefined`
   * when the storage keeps none yet. `TaskCache`'s size limit asks it on every store; without
   * it (or on `undefined`) the cache counts by listing the entries.
   */
  storedBytes?(): Promise<number | undefined>;
  /**
   * Optional, with `storedBytes`: the cache counted `counted` bytes by listing the entries while
   * the running total said `kept` (`undefined`: none was kept). Without a total, the storage
   * starts one at `counted` (unless another process started one meanwhile); with one, it moves
   * it by `counted - kept`, so that a total thrown off by changes made behind the storage's back
   * (files removed by hand) is set right, and what other processes add meanwhile still counts.
   */
  correctStoredBytes?(counted: number, kept: number | undefined): Promise<void>;
  /** Releases what the adapter holds (handles, connections). Further calls fail with `CLOSED`. */
  close(): Promise<void>;
}

/**
 * How fresh an entry's `lastReadAt` is kept: a hit writes the read time only when the stored one
 * is older than this, so that repeated hits do not each cost a write.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { READ_TIME_RESOLUTION_MS } from "local-task-cache";
 * import { MemoryAdapter } from "local-task-cache/adapters/memory";
 *
 * const adapter = new MemoryAdapter();
 * await adapter.set("k", new Uint8Array([1]));
 * await adapter.get("k");
 * for await (const entry of adapter.entries()) {
 *   // Read times are exact only to within the resolution: read right after it was stored, an
 *   // entry cannot be told from one never read.
 *   assert.ok(entry.lastReadAt - entry.createdAt < READ_TIME_RESOLUTION_MS);
 * }
 * await adapter.close();
 * ```
 */
export const READ_TIME_RESOLUTION_MS = 1000;

/** What the cache tells an adapter about an entry it stores. */
export interface EntryMetadata {
  /** The task whose outputs the entry holds. */
  readonly taskName: string;
  /** The task's cache version. */
  readonly cacheVersion: string;
}

/** An entry as `CacheAdapter.entries()` lists it. */
export interface EntryInfo {
  /** The cache key. */
  key: string;
  /** The task name given to `set` (`""` when none was given). */
  taskName: string;
  /** The cache version given to `set` (`""` when none was given). */
  cacheVersion: string;
  /** The stored value's size in bytes. */
  size: number;
  /** When the entry was stored, in milliseconds since the Unix epoch. */
  createdAt: number;
  /**
   * When the entry was last read (or stored), in milliseconds since the Unix epoch, to within
   * {@link READ_TIME_RESOLUTION_MS}.
   */
  lastReadAt: number;
}

/** Options of `CacheAdapter.get`. */
export interface GetOptions {
  /**
   * An entry stored before this time (milliseconds since the Unix epoch) has expired: it reads
   * as `undefined`, and the adapter removes it.
   */
  notBefore?: number;
  /**
   * The task and version the caller looks for. flytekit's keys are `name-version-hash`, so task
   * `a-b` at version `c` and task `a` at version `b-c` share keys: an entry whose stored task
   * name or cache version differ from these belongs to the other task. It reads as `undefined`
   * and is left in place (it is the other task's result). An entry stored without metadata
   * (empty task name and version: written by another program, or before metadata was kept) is
   * not checked. `TaskCache` always passes it.
   */
  expect?: EntryMetadata;
}

/**
 * Whether an entry stored with `taskName` and `cacheVersion` is another task's than `expect`
 * asks for (see {@link GetOptions.expect}): for adapters, after reading an entry's metadata.
 *
 * @param expect The task and version the caller looks for (`undefined`: any).
 * @param taskName The task name stored with the entry (`""`: stored without metadata).
 * @param cacheVersion The cache version stored with the entry (`""`: without metadata).
 * @returns Whether the entry belongs to another task (and reads as `undefined`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isOtherTask } from "local-task-cache";
 *
 * // Task `a-b` at version `c` and task `a` at version `b-c` share their keys.
 * const expect = { taskName: "a-b", cacheVersion: "c" };
 * assert.equal(isOtherTask(expect, "a-b", "c"), false);
 * assert.equal(isOtherTask(expect, "a", "b-c"), true);
 * assert.equal(isOtherTask(expect, "", ""), false, "an entry without metadata is not checked");
 * assert.equal(isOtherTask(undefined, "a", "b-c"), false, "nothing expected");
 * ```
 */
export function isOtherTask(
  expect: EntryMetadata | undefined,
  taskName: string,
  cacheVersion: string,
): boolean {
  if (expect === undefined || (taskName === "" && cacheVersion === "")) return false;
  return taskName !== expect.taskName || cacheVersion !== expect.cacheVersion;
}

/** A lease from `CacheAdapter.acquireLease`. */
export interface Lease {
  /**
   * Extends the lease by its time to live (or by `ttlMs` when given, from now on); resolves to
   * `false` if it was lost meanwhile (it expired and another holder took it), rejects with a
   * `CacheError` when the storage fails.
   */
  renew(ttlMs?: number): Promise<boolean>;
  /** Gives the lease up (if it is still this holder's). */
  release(): Promise<void>;
}
