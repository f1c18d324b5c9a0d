/**
 * An adapter that keeps entries in memory, for tests and short-lived processes.
 *
 * @module
 */
import type { CacheAdapter } from "../adapter.ts";
import { CacheError } from "../errors.ts";

/**
 * Keeps entries in a `Map` in this process (or page, or worker). Nothing survives the process.
 * Values are copied in and out, so callers can change their arrays freely.
 *
 * @example
 * ```ts
 * import { TaskCache } from "local-task-cache";
 * import { MemoryAdapter } from "local-task-cache/adapters/memory";
 *
 * const cache = new TaskCache(new MemoryAdapter());
 * await cache.close();
 * ```
 */
export class MemoryAdapter implements CacheAdapter {
  #entries: Map<string, Uint8Array> | undefined = new Map();

  #open(): Map<string, Uint8Array> {
    if (this.#entries === undefined) {
      throw new CacheError("CLOSED", "this MemoryAdapter is closed; create a new one");
    }
    return this.#entries;
  }

  /** The stored bytes for `key` (a copy), or `undefined`. */
  get(key: string): Promise<Uint8Array | undefined> {
    return attempt(() => this.#open().get(key)?.slice());
  }

  /** Stores a copy of `value` under `key`. */
  set(key: string, value: Uint8Array): Promise<void> {
    return attempt(() => void this.#open().set(key, value.slice()));
  }

  /** Removes `key`; resolves to whether it was there. */
  delete(key: string): Promise<boolean> {
    return attempt(() => this.#open().delete(key));
  }

  /** Removes every entry. */
  clear(): Promise<void> {
    return attempt(() => this.#open().clear());
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
