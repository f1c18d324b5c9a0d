/**
 * Which read times an adapter wrote lately, so that a run of hits costs one write, not one each.
 *
 * @module
 */
import { READ_TIME_RESOLUTION_MS } from "../adapter.ts";

/** How many keys are remembered; past this the memory starts afresh. */
const LIMIT = 10_000;

/**
 * The read times an adapter (or another writer through it) recorded lately, by key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RecentReads } from "./read_times.ts";
 *
 * const reads = new RecentReads();
 * const now = Date.now();
 * assert.equal(reads.due("k", now), true); // record this read
 * assert.equal(reads.due("k", now), false); // one was recorded within the resolution
 * ```
 */
export class RecentReads {
  #times = new Map<string, number>();

  /**
   * Whether a read of `key` at `now` should be written; if so, it is remembered as written
   * (call `forget` if the write fails).
   */
  due(key: string, now: number): boolean {
    if (now - (this.#times.get(key) ?? -Infinity) <= READ_TIME_RESOLUTION_MS) return false;
    this.remember(key, now);
    return true;
  }

  /** Remembers that `key`'s read time `time` is stored (a `set` stores one). */
  remember(key: string, time: number): void {
    if (this.#times.size >= LIMIT) this.#times.clear();
    this.#times.set(key, time);
  }

  /** Forgets `key` (its read time could not be written). */
  forget(key: string): void {
    this.#times.delete(key);
  }

  /** Forgets everything (the entries were cleared). */
  clear(): void {
    this.#times.clear();
  }
}
