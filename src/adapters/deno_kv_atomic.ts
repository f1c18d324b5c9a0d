/**
 * The Deno KV database as `DenoKvAdapter` uses it: the part of `Deno.Kv` (or of the npm client
 * `@deno/kv`) it calls, opening a database, atomic commits tried again while another process
 * holds SQLite's write lock, and listing and deleting keys in batches under Deno KV's limits.
 *
 * @module
 */
import { adapterError, type Classify, storageError } from "../internal/storage_error.ts";

/**
 * A part of a Deno KV key, as the adapter writes them (the types both `Deno.Kv` and the npm
 * client `@deno/kv` take).
 */
export type KvKeyPart = Uint8Array | string | number | bigint | boolean;
/** A Deno KV key. */
export type KvKey = readonly KvKeyPart[];
/**
 * A key as a database hands it back: `Deno.KvKeyPart` also has `symbol`, so `unknown` parts
 * (the adapter only reads keys under its prefix, all written as `KvKey`s).
 */
export type KvKeyRead = readonly unknown[];

/** What one read of a Deno KV key gives. */
export interface KvEntryMaybe<T> {
  /** The key read. */
  key: KvKeyRead;
  /** Its value, or `null` when there is none. */
  value: T | null;
  /** The versionstamp of its last change, or `null` when there is no value. */
  versionstamp: string | null;
}

/** The atomic operation of a Deno KV database, as far as the adapter uses it. */
export interface KvAtomic {
  /** Commits only if each key's versionstamp is still the one given (`null`: absent). */
  check(...checks: { key: KvKey; versionstamp: string | null }[]): KvAtomic;
  /** Sets `key` to `value` in the commit. */
  set(key: KvKey, value: unknown): KvAtomic;
  /** Deletes `key` in the commit. */
  delete(key: KvKey): KvAtomic;
  /** Adds `n` (0 to 2^64 - 1, wrapping) to the `Deno.KvU64` at `key` (absent: 0) in the commit. */
  sum(key: KvKey, n: bigint): KvAtomic;
  /** Commits: `ok` is false when a check failed (nothing was written). */
  commit(): Promise<{ ok: boolean; versionstamp?: string }>;
}

/**
 * The part of `Deno.Kv` the adapter uses: a `Deno.Kv` from `Deno.openKv`, or the `Kv` client of
 * the npm package `@deno/kv` (`openKv`) in Node; both fit as they are, without a cast.
 */
export interface KvLike {
  /** Reads one key. */
  get<T = unknown>(key: KvKey, options?: { consistency?: "strong" | "eventual" }): Promise<
    KvEntryMaybe<T>
  >;
  /** Reads several keys at once, consistently. */
  getMany<T extends readonly unknown[]>(
    keys: readonly [...{ [K in keyof T]: KvKey }],
    options?: { consistency?: "strong" | "eventual" },
  ): Promise<{ [K in keyof T]: KvEntryMaybe<T[K]> }>;
  /** The entries under a prefix (or in a range), in key order. */
  list<T = unknown>(
    selector: { prefix: KvKey; start?: KvKey; end?: KvKey },
    options?: { batchSize?: number; consistency?: "strong" | "eventual" },
  ): AsyncIterable<{ key: KvKeyRead; value: T; versionstamp: string }>;
  /** A new atomic operation. */
  atomic(): KvAtomic;
  /** Closes the database. */
  close(): void;
}

/** The adapter's name in its errors. */
export const ADAPTER = "DenoKvAdapter";

/** What Deno KV's failures mean (it throws `TypeError`s for its own failures too). */
const classify: Classify = (_error, message) =>
  /closed/i.test(message)
    ? ["CLOSED", "the database was closed; open a new one"]
    : isBusy(message)
    ? ["IO", "another process held the database's lock too long; try again later"]
    : undefined;

/** A failure of the database while the adapter did `action`, as a `CacheError`. */
export function kvError(error: unknown, action: string): Error {
  return storageError(ADAPTER, action, error, classify);
}

/** Deletions per commit (Deno KV allows 1000 mutations). */
const DELETES_PER_COMMIT = 500;
/** Chunks read per batch of a listing (about 2 MiB of values). */
export const CHUNK_LIST_BATCH = 32;
/** Commits tried again while the database is busy with another process's (SQLite's lock). */
const BUSY_ATTEMPTS = 12;
const BUSY = /database is locked|busy/i;

/**
 * `work()`, tried again after a short, growing wait while the database is busy (another
 * process holds SQLite's write lock: Deno KV throws "database is locked"), before it fails.
 */
async function whileBusy<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= BUSY_ATTEMPTS || !isBusy(String((error as Error)?.message))) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2 ** attempt, 200)));
    }
  }
}

/** Whether `message` says that another process holds the database's lock. */
function isBusy(message: string): boolean {
  return BUSY.test(message);
}

/** `kv.atomic()`, with commits tried again while the database is busy (`whileBusy`). */
export function atomic(kv: KvLike): KvAtomic {
  const steps: ((operation: KvAtomic) => void)[] = [];
  const chain: KvAtomic = {
    check: (...checks) => (steps.push((o) => o.check(...checks)), chain),
    set: (key, value) => (steps.push((o) => o.set(key, value)), chain),
    delete: (key) => (steps.push((o) => o.delete(key)), chain),
    sum: (key, n) => (steps.push((o) => o.sum(key, n)), chain),
    commit: () =>
      whileBusy(() => {
        const operation = kv.atomic();
        for (const step of steps) step(operation);
        return operation.commit();
      }),
  };
  return chain;
}

/** Commits `operation`, which must succeed (it has no checks): a value's chunks. */
export async function commitOrFail(operation: KvAtomic, what: string): Promise<void> {
  const committed = await operation.commit();
  if (!committed.ok) throw new Error(`the commit of ${what} failed`);
}

/** Opens a database with `Deno.openKv`, where the runtime has it. */
export function openKv(path: string): Promise<KvLike> {
  const deno = (globalThis as { Deno?: { openKv?: (path: string) => Promise<KvLike> } }).Deno;
  if (typeof deno?.openKv !== "function") {
    return Promise.reject(
      adapterError(
        ADAPTER,
        "IO",
        "open the database",
        "Deno.openKv is not available: run Deno with --unstable-kv, or pass { kv } (in Node, " +
          "from openKv of the npm package @deno/kv)",
      ),
    );
  }
  return whileBusy(() => deno.openKv!(path));
}

/** The keys under `prefix` that `select` picks. */
export async function listKeys(
  kv: KvLike,
  prefix: KvKey,
  select: (key: KvKey) => boolean = () => true,
): Promise<KvKey[]> {
  return await listSelected(kv, { prefix }, select, DELETES_PER_COMMIT);
}

/**
 * The keys of the chunks `selector` selects, read in small batches: a listing reads the
 * values too, and a smaller batch keeps the work between two reads short.
 */
export async function listChunkKeys(
  kv: KvLike,
  selector: { prefix: KvKey; start?: KvKey; end?: KvKey },
  select: (key: KvKey) => boolean = () => true,
): Promise<KvKey[]> {
  return await listSelected(kv, selector, select, CHUNK_LIST_BATCH);
}

async function listSelected(
  kv: KvLike,
  selector: { prefix: KvKey; start?: KvKey; end?: KvKey },
  select: (key: KvKey) => boolean,
  batchSize: number,
): Promise<KvKey[]> {
  const keys: KvKey[] = [];
  for await (const entry of kv.list(selector, { batchSize })) {
    const key = keyOf(entry.key);
    if (select(key)) keys.push(key);
  }
  return keys;
}

/** Deletes `keys`, in atomic commits of up to `DELETES_PER_COMMIT`. */
export async function deleteKeys(kv: KvLike, keys: KvKey[]): Promise<void> {
  for (let first = 0; first < keys.length; first += DELETES_PER_COMMIT) {
    const operation = atomic(kv);
    for (const key of keys.slice(first, first + DELETES_PER_COMMIT)) operation.delete(key);
    await operation.commit();
  }
}

/** A key read back from under the prefix: written by the adapter, so a `KvKey`. */
export function keyOf(key: KvKeyRead): KvKey {
  return key as KvKey;
}

/** A check that the record `read` is still as it was read. */
export function checkOf(read: KvEntryMaybe<unknown>): { key: KvKey; versionstamp: string | null } {
  return { key: keyOf(read.key), versionstamp: read.versionstamp };
}
