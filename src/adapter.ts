/**
 * The storage interface under the cache: bytes in, bytes out, keys opaque.
 *
 * @module
 */
import type { LiteralMap } from "../gen/flyteidl/core/literals_pb.ts";

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
 * - Failures are `CacheError`s with a `code` (see `CacheErrorCode`).
 *
 * An adapter may also hand back a `LiteralMap` message from `get` (one that keeps messages in
 * memory, say); the cache copies it before returning it to the user.
 *
 * @example
 * ```ts
 * import type { CacheAdapter } from "local-task-cache";
 *
 * class MapAdapter implements CacheAdapter {
 *   #entries = new Map<string, Uint8Array>();
 *   get(key: string) {
 *     const value = this.#entries.get(key);
 *     return Promise.resolve(value && value.slice());
 *   }
 *   set(key: string, value: Uint8Array) {
 *     this.#entries.set(key, value.slice());
 *     return Promise.resolve();
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
 * ```
 */
export interface CacheAdapter {
  /** The stored value for `key`, or `undefined` when there is none (or it is unreadable). */
  get(key: string): Promise<Uint8Array | LiteralMap | undefined>;
  /** Stores `value` under `key` atomically, replacing any previous value. */
  set(key: string, value: Uint8Array): Promise<void>;
  /** Removes the entry for `key`; resolves to whether there was one. */
  delete(key: string): Promise<boolean>;
  /** Removes every entry of this adapter, and nothing else. */
  clear(): Promise<void>;
  /** Releases what the adapter holds (handles, connections). Further calls fail with `CLOSED`. */
  close(): Promise<void>;
}
