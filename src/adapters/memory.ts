/**
 * An adapter that keeps entries in memory, for tests and short-lived processes.
 *
 * @module
 */
import {
  type CacheAdapter,
  type EntryInfo,
  type EntryMetadata,
  type GetOptions,
  isOtherTask,
} from "../adapter.ts";
import { checkPieces, joinInSlices } from "../internal/slices.ts";
import { adapterError } from "../internal/storage_error.ts";

interface Entry {
  value: Uint8Array;
  info: EntryInfo;
}

/**
 * Keeps entries in a `Map` in this process (or page, or worker). Nothing survives the process.
 * Values are copied in and out, so callers can change their arrays freely; a large value a
 * slice at a time, with turns of the event loop between slices. Read times are exact. After
 * `close()`, every call fails with `CacheError` `CLOSED`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryAdapter } from "local-task-cache/adapters/memory";
 *
 * const adapter = new MemoryAdapter();
 * await adapter.set("key", new Uint8Array([1, 2, 3]), { taskName: "t", cacheVersion: "1" });
 * assert.deepEqual(await adapter.get("key"), new Uint8Array([1, 2, 3]));
 * assert.equal(await adapter.storedBytes(), 3);
 * const [entry] = await Array.fromAsync(adapter.entries());
 * assert.equal(entry?.taskName, "t");
 * assert.equal(await adapter.delete("key"), true);
 * await adapter.close();
 * await assert.rejects(adapter.get("key"), { code: "CLOSED" });
 * ```
 *
 * @example As a `TaskCache`'s storage
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "@bufbuild/protobuf";
 * import { TaskCache } from "local-task-cache";
 * import { LiteralMapSchema } from "local-task-cache/flyteidl";
 * import { MemoryAdapter } from "local-task-cache/adapters/memory";
 *
 * const cache = new TaskCache(new MemoryAdapter());
 * const inputs = create(LiteralMapSchema);
 * assert.equal(await cache.get("my.task", "1", inputs), undefined); // nothing stored yet
 * await cache.set("my.task", "1", inputs, [], create(LiteralMapSchema));
 * assert.ok(await cache.get("my.task", "1", inputs) !== undefined);
 * await cache.close();
 * ```
 */
export class MemoryAdapter implements CacheAdapter {
  #entries: Map<string, Entry> | undefined = new Map();
  /** The values' total size, kept as entries come and go. */
  #bytes = 0;

  #open(): Map<string, Entry> {
    if (this.#entries === undefined) {
      throw adapterError(
        "MemoryAdapter",
        "CLOSED",
        "use its entries",
        "the adapter is closed; create a new one",
      );
    }
    return this.#entries;
  }

  /**
   * The stored bytes for `key` (a copy), or `undefined`; expired entries are removed, another
   * task's (`options.expect`) are kept.
   */
  async get(key: string, options: GetOptions = {}): Promise<Uint8Array | undefined> {
    const value = await attempt(() => {
      const entries = this.#open();
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (options.notBefore !== undefined && entry.info.createdAt < options.notBefore) {
        this.#remove(entries, key);
        return undefined;
      }
      if (isOtherTask(options.expect, entry.info.taskName, entry.info.cacheVersion)) {
        return undefined;
      }
      entry.info.lastReadAt = Date.now();
      return entry.value;
    });
    return value === undefined ? undefined : await joinInSlices([value]);
  }

  /** Stores a copy of `value` under `key`, with its metadata. */
  set(key: string, value: Uint8Array, metadata?: EntryMetadata): Promise<void> {
    return this.setChunks(key, [value], metadata);
  }

  /** Stores the pieces of a value joined (a copy) under `key`, with its metadata. */
  async setChunks(
    key: string,
    chunks: readonly Uint8Array[],
    metadata?: EntryMetadata,
  ): Promise<void> {
    this.#open();
    checkPieces(chunks, "MemoryAdapter.setChunks");
    const value = await joinInSlices(chunks);
    // Stored once copied whole: a reader sees the old value or the new one.
    return attempt(() => {
      const entries = this.#open();
      const now = Date.now();
      this.#remove(entries, key);
      this.#bytes += value.length;
      entries.set(key, {
        value,
        info: {
          key,
          taskName: metadata?.taskName ?? "",
          cacheVersion: metadata?.cacheVersion ?? "",
          size: value.length,
          createdAt: now,
          lastReadAt: now,
        },
      });
    });
  }

  /** Removes `key`; resolves to whether it was there. */
  delete(key: string): Promise<boolean> {
    return attempt(() => this.#remove(this.#open(), key));
  }

  /** Removes every entry. */
  clear(): Promise<void> {
    return attempt(() => {
      this.#open().clear();
      this.#bytes = 0;
    });
  }

  /** The total size of the stored values, kept as they are stored and removed. */
  storedBytes(): Promise<number> {
    return attempt(() => (this.#open(), this.#bytes));
  }

  /** Removes `key` from `entries`, counting its size off; whether it was there. */
  #remove(entries: Map<string, Entry>, key: string): boolean {
    const entry = entries.get(key);
    if (entry === undefined) return false;
    this.#bytes -= entry.info.size;
    return entries.delete(key);
  }

  /** Every entry's metadata (copies). */
  async *entries(): AsyncIterable<EntryInfo> {
    const entries = [...this.#open().values()];
    for (const { info } of entries) yield { ...info };
  }

  /** Drops every entry; later calls fail with `CLOSED`. */
  close(): Promise<void> {
    this.#entries = undefined;
    return Promise.resolve();
  }
}

function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
