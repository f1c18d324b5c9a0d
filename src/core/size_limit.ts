/**
 * A `TaskCache`'s size limit: the stored bytes counted (from the adapter's running total, or by
 * listing the entries), and least-recently-read eviction when a store takes them past the limit.
 *
 * @module
 */
import type { CacheAdapter } from "../adapter.ts";
import { now } from "./clock.ts";

/**
 * flytekit's default size limit of its disk cache, 1 GiB: a `TaskCache`'s `maxSize` unless
 * given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_MAX_SIZE, TaskCache } from "local-task-cache";
 * import { MemoryAdapter } from "local-task-cache/adapters/memory";
 *
 * const cache = new TaskCache(new MemoryAdapter());
 * assert.equal(cache.maxSize, DEFAULT_MAX_SIZE);
 * assert.equal(DEFAULT_MAX_SIZE, 1024 ** 3);
 * await cache.close();
 * ```
 */
export const DEFAULT_MAX_SIZE = 1024 * 1024 * 1024;
/** The total size is counted again (listing the entries) at least this often, in ms. */
const RECOUNT_INTERVAL_MS = 60_000;
/** Eviction goes down to this share of `maxSize`, so that not every store evicts. */
const EVICTION_TARGET = 0.9;

/**
 * The bookkeeping of one cache's size limit. `evict(maxSize)` removes the least recently read
 * entries until the values total at most `maxSize` bytes, and resolves to the bytes left
 * (`TaskCache.prune`).
 */
export class SizeLimit {
  readonly #adapter: CacheAdapter;
  readonly #maxSize: number;
  readonly #evict: (maxSize: number) => Promise<number>;
  /** The stored bytes as last counted, plus what this cache stored since; and when counted. */
  #size: { bytes: number; countedAt: number } | undefined;
  #evicting: Promise<unknown> | undefined;
  /** The adapter's running total said "past the limit" and a count found it was not. */
  #keptIsOff = false;
  /** The running total when that count began: its change since is what the count lacks. */
  #keptAtCount: number | undefined;

  constructor(
    adapter: CacheAdapter,
    maxSize: number,
    evict: (maxSize: number) => Promise<number>,
  ) {
    this.#adapter = adapter;
    this.#maxSize = maxSize;
    this.#evict = evict;
  }

  /** The values were just counted (listed) at `bytes`. */
  counted(bytes: number): void {
    this.#size = { bytes, countedAt: now() };
  }

  /** The adapter was cleared. */
  cleared(): void {
    // Where the adapter keeps a running total, the next store counts (what was stored since)
    // and starts it again.
    this.#size = this.#adapter.storedBytes === undefined
      ? { bytes: 0, countedAt: now() }
      : undefined;
  }

  /** Resolves when an eviction under way (if any) is over, whether or not it failed. */
  async settled(): Promise<void> {
    await this.#evicting?.catch(() => {});
  }

  /**
   * Counts a store of `stored` bytes against the size limit, and evicts the least recently read
   * entries when the total goes past it. Where the adapter keeps a running total
   * (`storedBytes`, shared by every process using the storage), it is asked on every store, and
   * the entries are listed only to evict (or to start the total where none is kept yet).
   * Otherwise the total is counted by listing the entries on the first store, when it seems
   * past the limit, and at least every minute (other processes store too), adding this cache's
   * own stores in between. Answers `undefined`, not a promise, when that needs no I/O.
   */
  stored(stored: number): Promise<void> | undefined {
    if (this.#maxSize === Infinity) return undefined;
    if (this.#evicting !== undefined) return undefined; // one pass at a time; it counts this store
    if (this.#adapter.storedBytes !== undefined) return this.#storedKept(stored);
    // No running total: the count, plus this cache's stores since (no I/O, no promise).
    const size = this.#size;
    if (size !== undefined && now() - size.countedAt < RECOUNT_INTERVAL_MS) {
      size.bytes += stored;
      if (size.bytes <= this.#maxSize) return undefined;
    }
    return this.#pass(undefined);
  }

  /** `stored` where the adapter keeps a running total. */
  async #storedKept(stored: number): Promise<void> {
    const maxSize = this.#maxSize;
    const kept = await this.#adapter.storedBytes!();
    const size = this.#size;
    const recent = size !== undefined && now() - size.countedAt < RECOUNT_INTERVAL_MS;
    if (kept !== undefined && !(kept > maxSize && recent && this.#keptIsOff)) {
      this.#size = { bytes: kept, countedAt: size?.countedAt ?? -Infinity };
      if (kept <= maxSize) return;
    } else if (recent && kept !== undefined && this.#keptAtCount !== undefined) {
      // A running total found off by a count within the minute: the count, plus the total's
      // change since (every process's stores and evictions, which this cache's own stores
      // alone would miss).
      if (size.bytes + (kept - this.#keptAtCount) <= maxSize) return;
    } else if (recent && kept === undefined) {
      // No total kept yet: the count, plus this cache's stores since.
      size.bytes += stored;
      if (size.bytes <= maxSize) return;
    }
    await this.#pass(kept);
  }

  /**
   * Lists the entries to count them (and, where the adapter keeps a running total, `kept`,
   * to check it), and evicts when they are past the limit.
   */
  async #pass(kept: number | undefined): Promise<void> {
    const adapter = this.#adapter;
    const maxSize = this.#maxSize;
    const keeps = adapter.storedBytes !== undefined;
    const pass = (async () => {
      let bytes = 0;
      for await (const entry of adapter.entries()) bytes += entry.size;
      if (keeps) {
        // The total again, now that the listing is done: other processes may have stored and
        // evicted while it ran, which the listing saw and the total read before it did not.
        const after = await adapter.storedBytes!();
        // A total that still says past the limit when the entries are not: off (files removed
        // by hand).
        this.#keptIsOff = after !== undefined && after > maxSize && bytes <= maxSize;
        // Changes to the total from here on are what this count lacks.
        this.#keptAtCount = after;
        // The count starts the running total, or moves one that is far off. (A smaller
        // difference can be other processes' stores and evictions during the listing, which
        // the total has and the listing may not: they are not counted twice.)
        if (kept === undefined || Math.abs(bytes - kept) > maxSize / 2) {
          await adapter.correctStoredBytes?.(bytes, kept);
          this.#keptIsOff = false;
        }
      }
      if (bytes > maxSize) bytes = await this.#evict(maxSize * EVICTION_TARGET);
      this.counted(bytes);
    })();
    this.#evicting = pass;
    try {
      await pass;
    } finally {
      this.#evicting = undefined;
    }
  }
}
