/**
 * `TieredAdapter`: a near store (fast, local) in front of a far one (shared, e.g. Redis).
 *
 * @module
 */
import type { CacheAdapter, EntryInfo, EntryMetadata, GetOptions, Lease } from "../adapter.ts";
import { CacheError } from "../errors.ts";

/** Which tier a {@link TierErrorEvent} concerns. */
export type Tier = "near" | "far";

/** A failure of one tier that the other one covered, as `TieredAdapter.on` listeners get it. */
export interface TierErrorEvent {
  /** The tier that failed. */
  tier: Tier;
  /** What it was doing. */
  operation: "get" | "fill" | "set" | "delete" | "clear" | "entries" | "close";
  /** The cache key (for `get`, `fill`, `set` and `delete`). */
  key?: string;
  /** The failure (usually a `CacheError`). */
  error: unknown;
}

/**
 * Two adapters as one: `get` tries the near store, then the far one, and copies a far hit into
 * the near store; `set`, `delete` and `clear` go to both; leases come from the far store (from
 * the near one if the far has none), so single flight spans every process of the far store.
 *
 * One tier's failure never fails an operation the other tier did: it is reported to the
 * listeners of {@link TieredAdapter.on} and the operation goes on (a far `get` that fails is a
 * miss, a far `set` that fails leaves the near copy). An operation fails only when both fail.
 * `entries()` lists the far store's entries and the near store's that the far one lacks, with
 * the later of the two read times.
 *
 * A copy filled into the near store on a far hit is stored with the task and version of the
 * lookup (the cache passes them as `GetOptions.expect`) and counts its age from the copy; each
 * tier applies its own size limit and eviction.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { t, TaskCache, toLiteralMap } from "local-task-cache";
 * import { MemoryAdapter } from "local-task-cache/adapters/memory";
 * import { TieredAdapter } from "local-task-cache/adapters/tiered";
 *
 * // Typically an FsAdapter near and a RedisAdapter far (shared by every machine).
 * const near = new MemoryAdapter();
 * const far = new MemoryAdapter();
 * const tiered = new TieredAdapter([near, far]);
 * const failures: string[] = [];
 * tiered.on("error", (event) => failures.push(`${event.tier} ${event.operation}`));
 * const cache = new TaskCache(tiered);
 * const inputs = toLiteralMap({ n: t.int }, { n: 1 });
 * await cache.set("example.task", "1", inputs, [], toLiteralMap({ o0: t.int }, { o0: 2 }));
 * await near.clear(); // as on another machine: only the far store has the entry
 * assert.notEqual(await cache.get("example.task", "1", inputs), undefined);
 * let copied = 0;
 * for await (const _ of near.entries()) copied++;
 * assert.equal(copied, 1, "the far hit was copied into the near store");
 * assert.deepEqual(failures, []);
 * await cache.close();
 * ```
 */
export class TieredAdapter implements CacheAdapter {
  /** The near store (tried first, filled on far hits). */
  readonly near: CacheAdapter;
  /** The far store (the shared one). */
  readonly far: CacheAdapter;
  /** Leases from the far store (or the near one); absent when neither has them. */
  readonly acquireLease?: (name: string, ttlMs: number) => Promise<Lease | undefined>;
  #listeners = new Set<(event: TierErrorEvent) => void>();
  #closed = false;

  /**
   * The two stores as one adapter.
   *
   * @param tiers The near store (fast, local) and the far one (shared), in this order.
   */
  constructor(tiers: readonly [near: CacheAdapter, far: CacheAdapter]) {
    const [near, far] = Array.isArray(tiers) ? tiers : [];
    for (const [name, tier] of [["near", near], ["far", far]] as const) {
      if (typeof tier?.get !== "function" || typeof tier.set !== "function") {
        throw new TypeError(`TieredAdapter: expected [near, far] adapters, the ${name} is not one`);
      }
    }
    this.near = near!;
    this.far = far!;
    const leaser = typeof far!.acquireLease === "function"
      ? far!
      : typeof near!.acquireLease === "function"
      ? near!
      : undefined;
    if (leaser !== undefined) {
      this.acquireLease = (name, ttlMs) => {
        if (this.#closed) return Promise.reject(closed());
        return leaser.acquireLease!(name, ttlMs);
      };
    }
  }

  /**
   * Listens to failures of one tier that the other covered. Returns a function that stops
   * listening. A listener that throws is ignored.
   */
  on(type: "error", listener: (event: TierErrorEvent) => void): () => void {
    if (type !== "error" || typeof listener !== "function") {
      throw new TypeError('TieredAdapter.on: expected "error" and a function');
    }
    const own = (event: TierErrorEvent) => listener(event);
    this.#listeners.add(own);
    return () => void this.#listeners.delete(own);
  }

  /** The near store's value, else the far store's (copied into the near store). */
  async get(key: string, options: GetOptions = {}): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    let nearFailure: unknown;
    try {
      const value = await this.near.get(key, options);
      if (value !== undefined) return value;
    } catch (error) {
      nearFailure = error;
      this.#report({ tier: "near", operation: "get", key, error });
    }
    let value;
    try {
      value = await this.far.get(key, options);
    } catch (error) {
      if (nearFailure !== undefined) throw nearFailure;
      this.#report({ tier: "far", operation: "get", key, error });
      return undefined;
    }
    if (value !== undefined && nearFailure === undefined) {
      const { expect } = options;
      try {
        await this.near.set(key, value.slice(), expect);
      } catch (error) {
        this.#report({ tier: "near", operation: "fill", key, error });
      }
    }
    return value;
  }

  /** Stores the entry in both tiers. */
  async set(key: string, value: Uint8Array, metadata?: EntryMetadata): Promise<void> {
    this.#checkOpen();
    await this.#both("set", key, (tier) => tier.set(key, value, metadata));
  }

  /** Removes the entry from both tiers; whether either had it. */
  async delete(key: string): Promise<boolean> {
    this.#checkOpen();
    const [near, far] = await this.#both("delete", key, (tier) => tier.delete(key));
    return near === true || far === true;
  }

  /** Clears both tiers. */
  async clear(): Promise<void> {
    this.#checkOpen();
    await this.#both("clear", undefined, (tier) => tier.clear());
  }

  /** The far store's entries, and the near store's that the far one lacks. */
  async *entries(): AsyncIterable<EntryInfo> {
    this.#checkOpen();
    const nearEntries = new Map<string, EntryInfo>();
    let nearFailure: unknown;
    try {
      for await (const entry of this.near.entries()) nearEntries.set(entry.key, entry);
    } catch (error) {
      nearFailure = error;
      this.#report({ tier: "near", operation: "entries", error });
    }
    const farEntries: EntryInfo[] = [];
    try {
      for await (const entry of this.far.entries()) farEntries.push(entry);
    } catch (error) {
      if (nearFailure !== undefined) throw nearFailure;
      this.#report({ tier: "far", operation: "entries", error });
    }
    for (const entry of farEntries) {
      const near = nearEntries.get(entry.key);
      nearEntries.delete(entry.key);
      yield near === undefined
        ? entry
        : { ...entry, lastReadAt: Math.max(entry.lastReadAt, near.lastReadAt) };
    }
    yield* nearEntries.values();
  }

  /** Closes both tiers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const results = await Promise.allSettled([this.near.close(), this.far.close()]);
    const failed = results.find((result) => result.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  }

  /** Runs `operation` on both tiers; fails only when both fail (with the near one's error). */
  async #both<T>(
    operation: "set" | "delete" | "clear",
    key: string | undefined,
    fn: (tier: CacheAdapter) => Promise<T>,
  ): Promise<[T | undefined, T | undefined]> {
    const [near, far] = await Promise.allSettled([fn(this.near), fn(this.far)]);
    if (near.status === "rejected" && far.status === "rejected") throw near.reason;
    const tiers = [["near", near], ["far", far]] as const;
    for (const [tier, result] of tiers) {
      if (result.status === "rejected") {
        this.#report({
          tier,
          operation,
          ...(key === undefined ? {} : { key }),
          error: result.reason,
        });
      }
    }
    return [
      near.status === "fulfilled" ? near.value : undefined,
      far.status === "fulfilled" ? far.value : undefined,
    ];
  }

  #report(event: TierErrorEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw closed();
  }
}

function closed(): CacheError {
  return new CacheError("CLOSED", "this TieredAdapter is closed; create a new one");
}
