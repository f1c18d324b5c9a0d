/**
 * An adapter that forwards the contract's required methods to another, for tests that add or
 * leave out an optional one (leases, a running total) around a real adapter.
 */
import type { CacheAdapter } from "../../src/adapter.ts";

/** `adapter`'s get, set, delete, clear, entries and close, and nothing else of it. */
export function forwarding(adapter: CacheAdapter): CacheAdapter {
  return {
    get: (key, options) => adapter.get(key, options),
    set: (key, value, metadata) => adapter.set(key, value, metadata),
    delete: (key) => adapter.delete(key),
    clear: () => adapter.clear(),
    entries: () => adapter.entries(),
    close: () => adapter.close(),
  };
}
