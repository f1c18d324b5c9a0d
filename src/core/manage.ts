/**
 * The management operations of a `TaskCache` over its adapter: listing the entries (by task
 * and version), deleting them, pruning by age and size, and counting them for stats.
 *
 * @module
 */
import type { CacheAdapter, EntryInfo } from "../adapter.ts";
import { describeArgument } from "../internal/describe.ts";

/** Which entries a listing or a deletion concerns: all of them, or those of a task/version. */
export interface EntryFilter {
  /** Only the entries of this task. */
  taskName?: string;
  /** Only the entries of this cache version. */
  cacheVersion?: string;
}

/** What `TaskCache.prune` removes. */
export interface PruneOptions {
  /** Entries stored longer ago than this many milliseconds go. */
  olderThan?: number;
  /** Then the least recently read entries go until the stored values total at most this. */
  maxSize?: number;
  /** Called as entries are removed, with how many are done out of how many will be. */
  onProgress?: (done: number, total: number) => void;
}

/** What `TaskCache.prune` did. */
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

/** What `TaskCache.stats` reports. */
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

/** Deletions issued at once by `prune` and `deleteEntries`. */
const REMOVE_BATCH = 32;

/**
 * `TaskCache.entries`: the metadata of the adapter's entries that `filter` selects, most
 * recently read first (then most recently stored).
 */
export async function listEntries(
  adapter: CacheAdapter,
  filter: EntryFilter = {},
): Promise<EntryInfo[]> {
  const matches = entryMatcher(filter, "TaskCache.entries");
  const entries: EntryInfo[] = [];
  for await (const entry of adapter.entries()) if (matches(entry)) entries.push(entry);
  return entries.sort((a, b) => b.lastReadAt - a.lastReadAt || b.createdAt - a.createdAt);
}

/** `TaskCache.deleteEntries`: removes the entries of a task and/or a version; how many. */
export async function deleteEntries(
  adapter: CacheAdapter,
  filter: EntryFilter,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  if (filter?.taskName === undefined && filter?.cacheVersion === undefined) {
    throw new TypeError(
      "TaskCache.deleteEntries: name a taskName and/or a cacheVersion (clear() removes every " +
        "entry)",
    );
  }
  const doomed = await listEntries(adapter, filter);
  return (await removeEntries(adapter, doomed, onProgress)).removed;
}

/**
 * `TaskCache.prune`: removes entries stored longer ago than `olderThan` milliseconds, then the
 * least recently read ones until the values total at most `maxSize` bytes.
 */
export async function prune(adapter: CacheAdapter, options: PruneOptions): Promise<PruneResult> {
  const { olderThan, maxSize, onProgress } = options ?? {};
  for (const [name, value] of [["olderThan", olderThan], ["maxSize", maxSize]] as const) {
    if (value !== undefined && !(typeof value === "number" && value >= 0)) {
      throw new TypeError(
        `TaskCache.prune: ${name} must be a number >= 0, got ${describeArgument(value)}`,
      );
    }
  }
  // Least recently read last.
  const entries = await listEntries(adapter);
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
  const { removed, removedBytes } = await removeEntries(adapter, doomed, onProgress);
  return { removed, removedBytes, remaining: kept.length, remainingBytes };
}

/** The adapter's entries and the bytes of their values, counted by listing them. */
export async function countEntries(
  adapter: CacheAdapter,
): Promise<{ entries: number; bytes: number }> {
  let entries = 0;
  let bytes = 0;
  for await (const entry of adapter.entries()) {
    entries++;
    bytes += entry.size;
  }
  return { entries, bytes };
}

/** Deletes `entries`, a batch at a time, reporting progress. */
async function removeEntries(
  adapter: CacheAdapter,
  entries: readonly EntryInfo[],
  onProgress?: (done: number, total: number) => void,
): Promise<{ removed: number; removedBytes: number }> {
  let removed = 0;
  let removedBytes = 0;
  onProgress?.(0, entries.length);
  for (let i = 0; i < entries.length; i += REMOVE_BATCH) {
    const batch = entries.slice(i, i + REMOVE_BATCH);
    const results = await Promise.all(batch.map((entry) => adapter.delete(entry.key)));
    results.forEach((existed, j) => {
      if (!existed) return;
      removed++;
      removedBytes += batch[j]!.size;
    });
    onProgress?.(Math.min(i + REMOVE_BATCH, entries.length), entries.length);
  }
  return { removed, removedBytes };
}

/** Whether an entry is one `filter` selects; refuses a filter of the wrong shape. */
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
