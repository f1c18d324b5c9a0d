/**
 * `IndexedDbAdapter`: cache entries in IndexedDB, in a browser window or worker, on `idb`.
 *
 * @module
 */
import { type IDBPDatabase, type IDBPTransaction, openDB } from "idb";
import {
  type CacheAdapter,
  type EntryInfo,
  type EntryMetadata,
  type GetOptions,
  isOtherTask,
} from "../adapter.ts";
import { seal, SEAL_BYTES, sealInSlices, unsealInSlices } from "../internal/checksum.ts";
import { RecentReads } from "../internal/read_times.ts";
import { checkPieces, setAsOnePiece } from "../internal/slices.ts";
import { adapterError, type Classification, storageError } from "../internal/storage_error.ts";

/** Options of {@link IndexedDbAdapter}. */
export interface IndexedDbAdapterOptions {
  /** The database's name (default `"local-task-cache"`); one origin may hold several. */
  databaseName?: string;
  /** How long an open may wait for other tabs to close older connections (default 5 s). */
  blockedTimeoutMs?: number;
}

/** The schema version this adapter writes. */
const VERSION = 2;
const STORE = "entries";
const META = "meta";
/** What a read of an expired entry resolves to inside its transaction. */
const EXPIRED = Symbol("expired");

/** An entry's metadata record: task name, cache version, size, creation and read times. */
interface Meta {
  t: string;
  v: string;
  s: number;
  c: number;
  r: number;
}

/**
 * Stores entries in IndexedDB: one record per key in the object store `entries` (the value
 * sealed with a checksum of it and the key, so that a damaged record, or another key's, reads
 * as a miss), and its
 * metadata `{ t: task name, v: cache version, s: size, c: created, r: last read }` under the
 * same key in the store `meta` (schema version 2; opening a version 1 database adds `meta`,
 * with empty task names and versions for the entries already there). A `set` writes both in one
 * transaction, so it is atomic and a reader sees the old value or the new one. A hit updates
 * the read time when it is older than `READ_TIME_RESOLUTION_MS` (this connection remembers what
 * it wrote, so a run of hits costs one write). Works in a window and in a dedicated worker.
 *
 * - When another tab upgrades the database (a newer version of this library, say), the adapter
 *   closes its connection instead of blocking it, and opens again on next use.
 * - An open that other tabs keep blocked (they hold older connections and do not close them)
 *   fails with `CacheError` `BLOCKED` after `blockedTimeoutMs`; a full quota
 *   (`QuotaExceededError`) with `NO_SPACE`; after `close()` every call fails with `CLOSED`.
 *   A failed `set` aborts its transaction: existing entries stay as they were.
 *
 * Failures are `CacheError`s reading `IndexedDbAdapter: cannot <action>: <advice> (<what
 * IndexedDB said>)`; a caller's mistake (a key that is not a string) is a `TypeError`.
 *
 * @example In a browser page or worker (IndexedDB is not there in Deno or Node)
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { IndexedDbAdapter } from "local-task-cache/adapters/indexeddb";
 *
 * const adapter = new IndexedDbAdapter({ databaseName: "my-notebook" });
 * await adapter.set("key", new Uint8Array([1, 2, 3]), { taskName: "t", cacheVersion: "1" });
 * assert.deepEqual(await adapter.get("key"), new Uint8Array([1, 2, 3]));
 * const [entry] = await Array.fromAsync(adapter.entries());
 * assert.equal(entry?.taskName, "t");
 * await adapter.clear();
 * await adapter.close();
 * ```
 *
 * @example As a `TaskCache`'s storage
 * ```ts ignore
 * import { TaskCache } from "local-task-cache";
 * import { IndexedDbAdapter } from "local-task-cache/adapters/indexeddb";
 *
 * const cache = new TaskCache(new IndexedDbAdapter({ databaseName: "my-notebook" }));
 * ```
 */
export class IndexedDbAdapter implements CacheAdapter {
  /** The database's name. */
  readonly databaseName: string;
  readonly #blockedTimeoutMs: number;
  #db: Promise<IDBPDatabase> | undefined;
  #closed = false;
  /** Read times this adapter wrote (or stored with a `set`). */
  #touched = new RecentReads();

  /**
   * An adapter on the database `options.databaseName`; nothing is opened until it is used.
   *
   * @param options The database's name, and how long an open may wait for other tabs.
   * @throws {TypeError} When an option has the wrong type or range.
   */
  constructor(options: IndexedDbAdapterOptions = {}) {
    const { databaseName = "local-task-cache", blockedTimeoutMs = 5000 } = options ?? {};
    if (typeof databaseName !== "string" || databaseName === "") {
      throw new TypeError("IndexedDbAdapter: options.databaseName must be a non-empty string");
    }
    if (typeof blockedTimeoutMs !== "number" || !(blockedTimeoutMs >= 0)) {
      throw new TypeError("IndexedDbAdapter: options.blockedTimeoutMs must be a number >= 0");
    }
    this.databaseName = databaseName;
    this.#blockedTimeoutMs = blockedTimeoutMs;
  }

  /**
   * The stored value for `key` (a new `Uint8Array`), or `undefined`; an entry stored before
   * `options.notBefore` is removed, another task's (`options.expect`) is kept.
   *
   * @param key The entry's key.
   * @param options When an entry expires, and whose entry is expected.
   * @returns The value, or `undefined` for a miss.
   */
  async get(key: string, options: GetOptions = {}): Promise<Uint8Array | undefined> {
    checkKey(key);
    const { notBefore, expect } = options;
    const stored = await this.#run("read from", async (db) => {
      if (notBefore === undefined && expect === undefined) return await db.get(STORE, key);
      const transaction = db.transaction([STORE, META], "readonly");
      const [value, meta] = await Promise.all([
        transaction.objectStore(STORE).get(key),
        transaction.objectStore(META).get(key) as Promise<Meta | undefined>,
      ]);
      if (value === undefined) return undefined;
      if (notBefore !== undefined && !((meta?.c ?? -Infinity) >= notBefore)) return EXPIRED;
      // Another task's entry (same key) is left to it.
      if (isMeta(meta) && isOtherTask(expect, meta.t, meta.v)) return undefined;
      return value;
    });
    if (stored === EXPIRED) {
      await this.delete(key);
      return undefined;
    }
    // A record of ours carries a seal (a checksum of the value and the key): anything else,
    // damaged or another key's, reads as a miss.
    const value = stored instanceof Uint8Array ? await unsealInSlices(key, stored) : undefined;
    if (value !== undefined) await this.#touch(key);
    return value;
  }

  /** Records a read of `key`, unless this connection recorded one recently. */
  async #touch(key: string): Promise<void> {
    const now = Date.now();
    if (!this.#touched.due(key, now)) return;
    try {
      await this.#run("write to", async (db) => {
        const transaction = db.transaction(META, "readwrite");
        const store = transaction.objectStore(META);
        const meta = (await store.get(key)) as Meta | undefined;
        // Only an entry that is still there: a deleted one gets no stray record.
        if (meta !== undefined) await store.put({ ...meta, r: Math.max(meta.r, now) }, key);
        await transaction.done;
      });
    } catch {
      // Best effort: the hit stands with the older read time; a later hit tries again.
      this.#touched.forget(key);
    }
  }

  /**
   * Stores `value` under `key` (a copy) with its metadata, replacing any previous entry.
   *
   * @param key The entry's key.
   * @param value The bytes to store.
   * @param metadata The task name and cache version stored with it.
   */
  set(key: string, value: Uint8Array, metadata?: EntryMetadata): Promise<void> {
    return setAsOnePiece(this, "IndexedDbAdapter", key, value, metadata);
  }

  /**
   * `set` of the pieces `chunks` joined: copied into the sealed record and summed a slice at a
   * time, with turns of the event loop between slices.
   *
   * @param key The entry's key.
   * @param chunks The pieces of the value, in order.
   * @param metadata The task name and cache version stored with it.
   */
  async setChunks(
    key: string,
    chunks: readonly Uint8Array[],
    metadata?: EntryMetadata,
  ): Promise<void> {
    checkPieces(chunks, "IndexedDbAdapter.setChunks");
    checkKey(key);
    // A new array: the value and its seal (structured clone copies it again).
    const record = await sealInSlices(key, chunks);
    const now = Date.now();
    const meta: Meta = {
      t: metadata?.taskName ?? "",
      v: metadata?.cacheVersion ?? "",
      s: record.length - SEAL_BYTES,
      c: now,
      r: now,
    };
    await this.#run("write to", async (db) => {
      const transaction = db.transaction([STORE, META], "readwrite");
      await Promise.all([
        transaction.objectStore(STORE).put(record, key),
        transaction.objectStore(META).put(meta, key),
        transaction.done,
      ]);
    });
    this.#touched.remember(key, now);
  }

  /**
   * Removes the entry for `key`.
   *
   * @param key The entry's key.
   * @returns Whether there was one.
   */
  async delete(key: string): Promise<boolean> {
    checkKey(key);
    return await this.#run("write to", async (db) => {
      const transaction = db.transaction([STORE, META], "readwrite");
      const store = transaction.objectStore(STORE);
      const existed = (await store.count(key)) > 0;
      if (existed) await store.delete(key);
      await transaction.objectStore(META).delete(key);
      await transaction.done;
      return existed;
    });
  }

  /** Removes every entry of the adapter's object stores. */
  async clear(): Promise<void> {
    this.#touched.clear();
    await this.#run("write to", async (db) => {
      const transaction = db.transaction([STORE, META], "readwrite");
      await Promise.all([
        transaction.objectStore(STORE).clear(),
        transaction.objectStore(META).clear(),
        transaction.done,
      ]);
    });
  }

  /** Every entry's metadata, read in one transaction. */
  async *entries(): AsyncIterable<EntryInfo> {
    const [keys, metas] = await this.#run("read from", async (db) => {
      const transaction = db.transaction(META, "readonly");
      const store = transaction.objectStore(META);
      return await Promise.all([store.getAllKeys(), store.getAll() as Promise<Meta[]>]);
    });
    for (const [i, meta] of metas.entries()) {
      // A damaged record is left out of the listing.
      if (!isMeta(meta) || typeof keys[i] !== "string") continue;
      yield {
        key: keys[i] as string,
        taskName: meta.t,
        cacheVersion: meta.v,
        size: meta.s,
        createdAt: meta.c,
        lastReadAt: meta.r,
      };
    }
  }

  /** Closes the connection; later calls fail with `CLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const db = this.#db;
    this.#db = undefined;
    (await db?.catch(() => undefined))?.close();
  }

  /**
   * Runs `work` on the open database (`action`: "read from", "write to"). A connection closed
   * under it (another tab upgraded the database) is opened again, once; failures become
   * `CacheError`s.
   */
  async #run<T>(
    action: "read from" | "write to",
    work: (db: IDBPDatabase) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0;; attempt++) {
      const opening = this.#open();
      try {
        return await work(await opening);
      } catch (error) {
        const name = (error as { name?: unknown } | null)?.name;
        if (attempt === 0 && !this.#closed && name === "InvalidStateError") {
          if (this.#db === opening) this.#db = undefined;
          continue;
        }
        throw idbError(`${action} the database "${this.databaseName}"`, error);
      }
    }
  }

  #open(): Promise<IDBPDatabase> {
    if (this.#closed) {
      return Promise.reject(
        adapterError(
          "IndexedDbAdapter",
          "CLOSED",
          `open the database "${this.databaseName}"`,
          "the adapter is closed; create a new one",
        ),
      );
    }
    this.#db ??= this.#connect().catch((error: unknown) => {
      this.#db = undefined;
      throw error;
    });
    return this.#db;
  }

  async #connect(): Promise<IDBPDatabase> {
    try {
      return await this.#openAt(VERSION);
    } catch (error) {
      // A newer version of the library upgraded the database: use it at its own version, as
      // long as it still has the entries store (later versions only add to the schema).
      if ((error as { name?: unknown } | null)?.name !== "VersionError") {
        throw idbError(`open the database "${this.databaseName}"`, error);
      }
    }
    const db = await this.#openAt(undefined).catch((error: unknown) => {
      throw idbError(`open the database "${this.databaseName}"`, error);
    });
    if (!db.objectStoreNames.contains(STORE) || !db.objectStoreNames.contains(META)) {
      db.close();
      throw adapterError(
        "IndexedDbAdapter",
        "IO",
        `open the database "${this.databaseName}"`,
        `its version ${db.version} has no "${STORE}" and "${META}" stores: something else ` +
          "made it; pick another databaseName",
      );
    }
    return db;
  }

  /** Opens the database at `version` (or its current one), stepping aside for upgrades. */
  #openAt(version: number | undefined): Promise<IDBPDatabase> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const forget = () => {
        // The connection is gone: the next call opens a new one.
        this.#db = undefined;
      };
      openDB(this.databaseName, version, {
        upgrade(db, oldVersion, _newVersion, transaction) {
          // Each version adds to the one before it.
          if (oldVersion < 1) db.createObjectStore(STORE);
          if (oldVersion < 2) {
            db.createObjectStore(META);
            if (oldVersion >= 1) return addMetadata(transaction);
          }
        },
        blocked: () => {
          timer = setTimeout(() => {
            reject(
              adapterError(
                "IndexedDbAdapter",
                "BLOCKED",
                `open the database "${this.databaseName}"`,
                "a connection another tab keeps open blocks it; close or reload the other " +
                  "tabs of this site",
              ),
            );
          }, this.#blockedTimeoutMs);
        },
        blocking: (_current, _next, event) => {
          // Another tab wants a newer version: step aside instead of blocking it.
          (event.target as IDBDatabase).close();
          forget();
        },
        terminated: forget,
      }).then(
        (db) => {
          clearTimeout(timer);
          resolve(db);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

/**
 * Version 1 to 2: each value sealed, and metadata for it (no task name or version known);
 * records that are no value are dropped.
 */
async function addMetadata(
  transaction: IDBPTransaction<unknown, string[], "versionchange">,
): Promise<void> {
  const entries = transaction.objectStore(STORE);
  const meta = transaction.objectStore(META);
  const now = Date.now();
  for (let cursor = await entries.openCursor(); cursor; cursor = await cursor.continue()) {
    const stored = cursor.value as unknown;
    const value = stored instanceof ArrayBuffer ? new Uint8Array(stored) : stored;
    if (!(value instanceof Uint8Array) || typeof cursor.key !== "string") {
      await cursor.delete();
      continue;
    }
    await cursor.update(seal(cursor.key, value));
    await meta.put({ t: "", v: "", s: value.byteLength, c: now, r: now }, cursor.key);
  }
}

/** Whether `value` is a metadata record as `set` writes them. */
function isMeta(value: unknown): value is Meta {
  const meta = value as Partial<Meta> | null;
  const time = (t: unknown) => typeof t === "number" && Number.isFinite(t) && t >= 0;
  return typeof meta === "object" && meta !== null && typeof meta.t === "string" &&
    typeof meta.v === "string" && Number.isSafeInteger(meta.s) && meta.s! >= 0 &&
    time(meta.c) && time(meta.r);
}

function checkKey(key: string): string {
  if (typeof key !== "string") {
    throw new TypeError(`IndexedDbAdapter: a key must be a string, got ${typeof key}`);
  }
  return key;
}

/** The code and advice for an IndexedDB failure, by the `DOMException`'s name. */
function classify(error: unknown, message: string): Classification | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "QuotaExceededError") {
    return ["NO_SPACE", "the storage quota of this site is used up; clear the cache or free space"];
  }
  if (name === "InvalidStateError" || /clos/i.test(message)) {
    return ["CLOSED", "the connection to the database was closed; create a new adapter"];
  }
  return undefined;
}

/**
 * An IndexedDB failure while doing `action` as a `CacheError` (see storage_error.ts); a
 * caller's mistake stays a `TypeError` (IndexedDB's own failures are `DOMException`s).
 */
function idbError(action: string, error: unknown): Error {
  if (error instanceof TypeError) return error;
  return storageError("IndexedDbAdapter", action, error, classify);
}
