/**
 * `IndexedDbAdapter`: cache entries in IndexedDB, in a browser window or worker, on `idb`.
 *
 * @module
 */
import { type IDBPDatabase, openDB } from "idb";
import type { CacheAdapter } from "../adapter.ts";
import { CacheError } from "../errors.ts";

/** Options of {@link IndexedDbAdapter}. */
export interface IndexedDbAdapterOptions {
  /** The database's name (default `"local-task-cache"`); one origin may hold several. */
  databaseName?: string;
  /** How long an open may wait for other tabs to close older connections (default 5 s). */
  blockedTimeoutMs?: number;
}

/** The schema version this adapter writes. */
const VERSION = 1;
const STORE = "entries";

/**
 * Stores entries in IndexedDB: one record per key in the object store `entries` (schema
 * version 1), so every `set` is atomic and a reader sees the old value or the new one. Works in a
 * window and in a dedicated worker.
 *
 * - When another tab upgrades the database (a newer version of this library, say), the adapter
 *   closes its connection instead of blocking it, and opens again on next use.
 * - An open that other tabs keep blocked (they hold older connections and do not close them)
 *   fails with `CacheError` `BLOCKED` after `blockedTimeoutMs`; a full quota
 *   (`QuotaExceededError`) with `NO_SPACE`; after `close()` every call fails with `CLOSED`.
 *   A failed `set` aborts its transaction: existing entries stay as they were.
 *
 * @example
 * ```ts
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

  /** The stored value for `key` (a new `Uint8Array`), or `undefined`. */
  async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    const value = await this.#run("read", (db) => db.get(STORE, key));
    if (value instanceof Uint8Array) return value;
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    return undefined;
  }

  /** Stores `value` under `key` (a copy), replacing any previous value atomically. */
  async set(key: string, value: Uint8Array): Promise<void> {
    if (!(value instanceof Uint8Array)) {
      throw new TypeError(`IndexedDbAdapter.set: value must be a Uint8Array, got ${typeof value}`);
    }
    checkKey(key);
    // A plain Uint8Array over its own buffer (structured clone copies it).
    const record = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength &&
        value.constructor === Uint8Array
      ? value
      : new Uint8Array(value);
    await this.#run("write", (db) => db.put(STORE, record, key));
  }

  /** Removes the entry for `key`; resolves to whether there was one. */
  async delete(key: string): Promise<boolean> {
    checkKey(key);
    return await this.#run("write", async (db) => {
      const transaction = db.transaction(STORE, "readwrite");
      const store = transaction.objectStore(STORE);
      const existed = (await store.count(key)) > 0;
      if (existed) await store.delete(key);
      await transaction.done;
      return existed;
    });
  }

  /** Removes every entry of the adapter's object store. */
  async clear(): Promise<void> {
    await this.#run("write", (db) => db.clear(STORE));
  }

  /** The keys of every stored entry (for inspection, e.g. a list of cached results). */
  async keys(): Promise<string[]> {
    return (await this.#run("read", (db) => db.getAllKeys(STORE))) as string[];
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
   * Runs `work` on the open database. A connection closed under it (another tab upgraded the
   * database) is opened again, once; failures become `CacheError`s.
   */
  async #run<T>(action: string, work: (db: IDBPDatabase) => Promise<T>): Promise<T> {
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
        throw storageError(error, action);
      }
    }
  }

  #open(): Promise<IDBPDatabase> {
    if (this.#closed) {
      return Promise.reject(
        new CacheError(
          "CLOSED",
          `IndexedDbAdapter(${this.databaseName}) is closed: open a new one`,
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
        throw storageError(error, "open");
      }
    }
    const db = await this.#openAt(undefined).catch((error: unknown) => {
      throw storageError(error, "open");
    });
    if (!db.objectStoreNames.contains(STORE)) {
      db.close();
      throw new CacheError(
        "IO",
        `IndexedDbAdapter: the database "${this.databaseName}" (version ${db.version}) has no ` +
          `"${STORE}" store: it was made by something else; pick another databaseName`,
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
        upgrade(db, oldVersion) {
          // Each version adds to the one before it.
          if (oldVersion < 1) db.createObjectStore(STORE);
        },
        blocked: () => {
          timer = setTimeout(() => {
            reject(
              new CacheError(
                "BLOCKED",
                `IndexedDbAdapter: opening "${this.databaseName}" is blocked by a connection ` +
                  "another tab keeps open: close or reload the other tabs of this site",
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

function checkKey(key: string): string {
  if (typeof key !== "string") {
    throw new TypeError(`IndexedDbAdapter: a key must be a string, got ${typeof key}`);
  }
  return key;
}

function storageError(error: unknown, action: string): Error {
  if (error instanceof CacheError || error instanceof TypeError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  const message = error instanceof Error ? error.message : String(error);
  const code = name === "QuotaExceededError"
    ? "NO_SPACE"
    : name === "InvalidStateError" || /clos/i.test(message)
    ? "CLOSED"
    : "IO";
  const advice = code === "NO_SPACE"
    ? ": the storage quota of this site is used up; clear the cache or free space"
    : "";
  return new CacheError(code, `IndexedDbAdapter: cannot ${action}: ${message}${advice}`, {
    cause: error,
  });
}
