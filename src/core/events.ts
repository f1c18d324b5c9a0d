/**
 * The events of a `TaskCache` (hits, misses, stores, storage errors, wait timeouts): their
 * types, and {@link CacheEvents}, which delivers them to listeners and counts them.
 *
 * @module
 */
import { describeArgument } from "../internal/describe.ts";

/**
 * What a {@link CacheEvent} reports: a hit, a miss, a store, a storage error, or a `cachedTask`
 * call that stopped waiting for another process's run (`"timeout"`).
 */
export type CacheEventType = "hit" | "miss" | "store" | "error" | "timeout";

/** The event types, in the order the docs name them. */
const EVENT_TYPES: readonly CacheEventType[] = ["hit", "miss", "store", "error", "timeout"];

/** A hit, a miss, a store, a storage error or a wait timeout, as `TaskCache.on` gets it. */
export interface CacheEvent {
  /** What happened. */
  type: CacheEventType;
  /** The cache key. */
  key: string;
  /** The task whose entry it concerns. */
  taskName: string;
  /** The task's cache version. */
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

/** A cache's listeners by event type, and how many events of each type it had. */
export class CacheEvents {
  #listeners = new Map<CacheEventType, Set<(event: CacheEvent) => void>>();
  #counts: Record<CacheEventType, number> = { hit: 0, miss: 0, store: 0, error: 0, timeout: 0 };

  /** `TaskCache.on`: listens to `type` events; returns a function that stops listening. */
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

  /** Counts `event` and hands it to its listeners; a listener that throws is ignored. */
  emit(event: CacheEvent): void {
    this.#counts[event.type]++;
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

  /** How many events of `type` there were. */
  count(type: CacheEventType): number {
    return this.#counts[type];
  }
}
