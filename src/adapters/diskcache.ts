/**
 * An adapter on flytekit's own local cache: a Python `diskcache.Cache` directory
 * (`~/.flyte/local-cache` by default), read and written as diskcache 5 does, so that a flytekit
 * run and a JavaScript run share their results in both directions, at the same time.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { CacheAdapter, EntryInfo, EntryMetadata, GetOptions, Lease } from "../adapter.ts";
import { isOtherTask, READ_TIME_RESOLUTION_MS } from "../adapter.ts";
import { checkPieces, joinInSlices, setAsOnePiece, totalLength } from "../internal/slices.ts";
import { blockedError, closedError, diskcacheError, readOnlyError } from "./diskcache_errors.ts";
import {
  placeFile,
  readValueFile,
  removeValueFile,
  ValueFileNames,
  writeValueFile,
} from "./diskcache_files.ts";
import { type CacheState, openCache } from "./diskcache_open.ts";
import { expandCachePath, FLYTEKIT_CACHE_LOCATION } from "./diskcache_path.ts";
import {
  cull,
  DATA_VERSION,
  EVICTION_POLICY,
  formatTag,
  fromDbKey,
  LEASE_KEY,
  LEASE_TAG,
  MODE_BINARY,
  MODE_RAW,
  parseSettings,
  parseTag,
  readSettingsTable,
  type RowColumns,
  rowInsert,
  rowUpdate,
  SELECT_CLEAR_BATCH,
  SELECT_ENTRIES,
  SELECT_FOR_DELETE,
  SELECT_FOR_SET,
  SELECT_ROW,
  toDbKey,
} from "./diskcache_sql.ts";
import {
  isBusy,
  type SqliteConnection,
  type SqlRow,
  type SqlValue,
  whileBusy,
} from "./diskcache_sqlite.ts";

export {
  expandCachePath,
  FLYTEKIT_CACHE_LOCATION,
  flytekitCacheDirectory,
} from "./diskcache_path.ts";

/** A hit's read time (under least-frequently-used eviction: and diskcache's count). */
const RECORD_READ = "UPDATE Cache SET access_time = ? WHERE rowid = ?";
const RECORD_READ_LFU =
  "UPDATE Cache SET access_time = ?, access_count = access_count + 1 WHERE rowid = ?";

/** Options of {@link DiskcacheAdapter}. */
export interface DiskcacheAdapterOptions {
  /**
   * The diskcache directory; default flytekit's, `~/.flyte/local-cache`. `~` and `$VAR` /
   * `${VAR}` are expanded as diskcache expands them (`os.path.expanduser`, `expandvars`).
   */
  directory?: string;
  /**
   * How long a write waits for SQLite's write lock held by another process (a Python writer)
   * before failing with `BLOCKED`; default 60 s, diskcache's own timeout.
   */
  busyTimeoutMs?: number;
  /**
   * A directory shared on purpose (a team's): accept it although another user owns it or group
   * or others can write to it. Without it (the default), such a directory, or one below a
   * directory another user can rename it through, is refused with `UNSAFE_DIRECTORY`, as
   * `FsAdapter` refuses it (not checked on Windows).
   */
  shared?: boolean;
}

/**
 * Reads and writes a Python `diskcache.Cache` directory, the store of flytekit's
 * `LocalTaskCache`: a row per key in `cache.db` (the key as text), values under 32 KiB inline,
 * larger ones in `.val` files, exactly as diskcache 5 writes them; writers take SQLite's write
 * lock (`BEGIN IMMEDIATE`), `set` culls past the size limit by the cache's eviction policy, and
 * a busy database is retried. Python sees our entries as its own, and we see its.
 *
 * - Rows we cannot use read as misses and are left alone: pickled values (an older flytekit's),
 *   other modes, missing or truncated files, values that are not bytes.
 * - Task metadata is kept in the row's `tag` (flytekit leaves it empty): a row without it (one
 *   flytekit wrote) lists with empty task name and version, and `get`'s `expect` accepts it.
 * - SQLite comes from the runtime: `bun:sqlite`, `node:sqlite` (Node >= 22.13, Deno), or the
 *   optional peer dependency `better-sqlite3@12` in Node 20, which can only read (it refuses
 *   diskcache's triggers): there `set`, `delete` and `clear` fail with `PERMISSION_DENIED`.
 * - Who can change the results: as `FsAdapter`, a directory owned by another user than this
 *   process's (root aside), or writable by group or others, or below a directory that is
 *   (without the sticky bit), is refused with `UNSAFE_DIRECTORY`; `shared: true` accepts a
 *   directory shared on purpose. (Not checked on Windows.)
 * - Not for browsers.
 * - Failures are `CacheError`s: `PERMISSION_DENIED`, `NO_SPACE`, `NOT_A_DIRECTORY`, `BLOCKED`
 *   (another process held the lock past `busyTimeoutMs`), `CLOSED`, else `IO`.
 *
 * @example On a directory of its own (without one: flytekit's `~/.flyte/local-cache`)
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { DiskcacheAdapter } from "local-task-cache/adapters/diskcache";
 *
 * const directory = mkdtempSync(join(tmpdir(), "flyte-cache-"));
 * const adapter = new DiskcacheAdapter({ directory });
 * await adapter.set("key", new Uint8Array([1, 2, 3]), { taskName: "train", cacheVersion: "1" });
 * assert.deepEqual(await adapter.get("key"), new Uint8Array([1, 2, 3]));
 * const [entry] = await Array.fromAsync(adapter.entries());
 * assert.equal(entry?.taskName, "train");
 * await adapter.close();
 * rmSync(directory, { recursive: true });
 * ```
 */
export class DiskcacheAdapter implements CacheAdapter {
  /** The cache directory, expanded. */
  readonly directory: string;
  #busyTimeoutMs: number;
  #shared: boolean;
  #state: Promise<CacheState> | undefined;
  #closed = false;
  #valueFiles = new ValueFileNames();

  /**
   * An adapter on `options.directory` (default flytekit's); nothing on disk is touched until it
   * is used.
   *
   * @param options The directory, and how long a write waits for another process's lock.
   */
  constructor(options: DiskcacheAdapterOptions = {}) {
    this.directory = expandCachePath(options.directory ?? FLYTEKIT_CACHE_LOCATION);
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 60_000;
    this.#shared = options.shared === true;
  }

  /**
   * Which SQLite binding the adapter uses, and whether it can write.
   *
   * @returns The binding's name (`node:sqlite`, `bun:sqlite` or `better-sqlite3`) and whether
   * it can write diskcache's database.
   */
  async binding(): Promise<{ name: string; writable: boolean }> {
    const { db, binding } = await this.#open("find its SQLite binding");
    return { name: binding, writable: db?.writable ?? false };
  }

  #open(action: string): Promise<CacheState> {
    if (this.#closed) return Promise.reject(closedError(action));
    const opening = this.#state ??= openCache(
      this.directory,
      this.#shared,
      (fn, action) => this.#retry(fn, action),
    ).then((state) => {
      // No database yet (and a binding that cannot create one): look again next time, since
      // flytekit may create it meanwhile.
      if (state.db === undefined && this.#state === opening) this.#state = undefined;
      return state;
    }, (error) => {
      if (this.#state === opening) this.#state = undefined;
      throw error;
    });
    return opening;
  }

  /** Runs `fn`, again while SQLite is busy (another process holds the lock), up to the timeout. */
  #retry<T>(fn: () => T, action: string): Promise<T> {
    const timeout = this.#busyTimeoutMs;
    return whileBusy(fn, timeout, (error) => blockedError(error, action, timeout));
  }

  /** `Cache._transact`: `fn` under `BEGIN IMMEDIATE`, committed, then the files it let go. */
  async #transact<T>(
    action: string,
    fn: (db: SqliteConnection, state: CacheState, cleanup: (file: SqlValue) => void) => T,
  ): Promise<T> {
    const state = await this.#open(action);
    const db = state.db;
    if (db === undefined || !db.writable) {
      const why = db === undefined
        ? `there is no diskcache database in ${this.directory}, and`
        : "the database is open read-only:";
      throw readOnlyError(action, why, state.binding);
    }
    const cleanup: SqlValue[] = [];
    const result = await this.#retry(() => {
      db.run("BEGIN IMMEDIATE");
      cleanup.length = 0;
      try {
        // The settings are read again when another connection has written since they were
        // (a Python process may have changed a limit): SQLite's data_version says so.
        const [version] = db.all(DATA_VERSION);
        const dataVersion = version?.data_version;
        if (dataVersion === undefined || dataVersion !== state.dataVersion) {
          state.settings = parseSettings(readSettingsTable(db, "acted-on"));
          state.dataVersion = dataVersion;
        }
        const value = fn(db, state, (file) => cleanup.push(file));
        db.run("COMMIT");
        return value;
      } catch (error) {
        try {
          db.run("ROLLBACK");
        } catch {
          // The transaction is already gone.
        }
        throw error;
      }
    }, action).catch((error) => {
      throw diskcacheError(error, `${action} in ${this.directory}`);
    });
    for (const file of cleanup) removeValueFile(this.directory, file);
    return result;
  }

  /**
   * The stored bytes for `key`, or `undefined`: missing, expired (diskcache's `expire_time`, or
   * stored before `options.notBefore`, then removed), written for another task than
   * `options.expect`, or unusable (pickled, damaged, its file missing or truncated).
   *
   * @param key The cache key.
   * @param options What the cache core expects of the entry.
   * @returns The value, or `undefined` for a miss.
   */
  async get(
    key: string,
    options: GetOptions = {},
  ): Promise<Uint8Array | undefined> {
    const state = await this.#open("read an entry");
    const db = state.db;
    if (db === undefined) return undefined;
    const params = [toDbKey(key), 1, Date.now() / 1000];
    let rows: SqlRow[];
    try {
      rows = db.all(SELECT_ROW, params);
    } catch (error) {
      // A lock in the way (a writer's checkpoint, say): the wait and the retries.
      if (!isBusy(error)) throw diskcacheError(error, `read an entry in ${this.directory}`);
      rows = await this.#retry(() => db.all(SELECT_ROW, params), "read").catch((error) => {
        throw diskcacheError(error, `read an entry in ${this.directory}`);
      });
    }
    const row = rows[0];
    if (row === undefined || row.tag === LEASE_TAG) return undefined;
    const metadata = parseTag(row.tag);
    if (
      metadata !== undefined &&
      isOtherTask(options.expect, metadata.taskName, metadata.cacheVersion)
    ) {
      return undefined;
    }
    const storedAt = Number(row.store_time) * 1000;
    if (options.notBefore !== undefined && !(storedAt >= options.notBefore)) {
      if (db.writable) await this.#deleteRow(Number(row.rowid), row.store_time ?? null);
      return undefined;
    }
    const value = await this.#readValue(row);
    if (value !== undefined && db.writable) this.#recordRead(db, state, row);
    return value;
  }

  async #readValue(row: SqlRow): Promise<Uint8Array | undefined> {
    if (row.mode === MODE_RAW) {
      return row.value instanceof Uint8Array ? row.value : undefined;
    }
    if (row.mode !== MODE_BINARY) return undefined; // pickled (4), text (3) or unknown
    return await readValueFile(this.directory, row.filename, Number(row.size));
  }

  /** A hit's read time (and diskcache's own update under LRU or LFU eviction); never fails. */
  #recordRead(db: SqliteConnection, state: CacheState, row: SqlRow): void {
    const now = Date.now() / 1000;
    const policy = EVICTION_POLICY[state.settings.evictionPolicy]?.get;
    const stale = now * 1000 - Number(row.access_time) * 1000 > READ_TIME_RESOLUTION_MS;
    if (!stale && policy === null) return;
    const update = policy === "access_count = access_count + 1" ? RECORD_READ_LFU : RECORD_READ;
    try {
      db.run(update, [now, Number(row.rowid)]);
    } catch {
      // Busy or read-only: the read time is a hint, the hit stands.
    }
  }

  async #deleteRow(rowid: number, storeTime: SqlValue): Promise<void> {
    await this.#transact("remove an expired entry", (db, _state, cleanup) => {
      const rows = db.all("SELECT filename FROM Cache WHERE rowid = ? AND store_time = ?", [
        rowid,
        storeTime,
      ]);
      if (rows.length === 0) return;
      db.run("DELETE FROM Cache WHERE rowid = ?", [rowid]);
      cleanup(rows[0]!.filename ?? null);
    }).catch(() => {
      // The entry reads as a miss either way.
    });
  }

  /**
   * `Cache.set(key, value)`: a value under the file size threshold (32 KiB by default) inline,
   * a larger one in a new `.val` file; the old row's file removed; then culling.
   *
   * @param key The cache key.
   * @param value The bytes to store.
   * @param metadata The task name and cache version the entry is for (kept in the row's tag).
   */
  set(key: string, value: Uint8Array, metadata?: EntryMetadata): Promise<void> {
    return setAsOnePiece(this, "DiskcacheAdapter", key, value, metadata);
  }

  /**
   * `set` of a value given as pieces (`TaskCache` hands a large output over uncopied): a value
   * file is written from the pieces as they are; an inline value is joined.
   *
   * @param key The cache key.
   * @param chunks The pieces of the value, in order.
   * @param metadata The task name and cache version the entry is for (kept in the row's tag).
   */
  async setChunks(
    key: string,
    chunks: readonly Uint8Array[],
    metadata?: EntryMetadata,
  ): Promise<void> {
    checkPieces(chunks, "DiskcacheAdapter.setChunks");
    const tag = metadata === undefined ? null : formatTag(metadata);
    await this.#store(toDbKey(key), chunks, tag, null);
  }

  async #store(
    dbKey: SqlValue,
    chunks: readonly Uint8Array[],
    tag: string | null,
    expireTime: number | null,
    lookup?: (db: SqliteConnection, rowid: number | undefined) => boolean,
  ): Promise<boolean> {
    const state = await this.#open("store an entry");
    const size = totalLength(chunks);
    const inline = size < state.settings.minFileSize;
    let temporary: string | undefined;
    let filename: string | null = null;
    let value: Uint8Array | null = null;
    if (inline) {
      value = chunks.length === 1 ? chunks[0]! : await joinInSlices(chunks);
    } else if (state.db?.writable) {
      ({ filename, temporary } = this.#valueFiles.next(this.directory));
      await writeValueFile(temporary, chunks, size).catch((error: unknown) => {
        throw diskcacheError(error, `store an entry in ${this.directory}`);
      });
    }
    try {
      return await this.#transact("store an entry", (db, current, cleanup) => {
        const now = Date.now() / 1000;
        const rows = db.all(SELECT_FOR_SET, [dbKey, 1]);
        const rowid = rows[0] === undefined ? undefined : Number(rows[0].rowid);
        if (lookup !== undefined && !lookup(db, rowid)) return false;
        const columns: RowColumns = inline
          ? { expireTime, tag, size: 0, mode: MODE_RAW, filename: null, value }
          : { expireTime, tag, size, mode: MODE_BINARY, filename, value: null };
        if (rowid !== undefined) {
          cleanup(rows[0]!.filename ?? null);
          rowUpdate(db, rowid, now, columns);
        } else {
          rowInsert(db, dbKey, now, columns);
        }
        cull(db, now, current.settings, current.pageSize, cleanup);
        if (temporary !== undefined && filename !== null) {
          placeFile(temporary, join(this.directory, filename));
          temporary = undefined;
        }
        return true;
      });
    } finally {
      if (temporary !== undefined) await rm(temporary, { force: true }).catch(() => {});
    }
  }

  /**
   * `Cache.delete(key)`.
   *
   * @param key The cache key.
   * @returns Whether there was an (unexpired) entry.
   */
  async delete(key: string): Promise<boolean> {
    const dbKey = toDbKey(key);
    const state = await this.#open("delete an entry");
    if (state.db === undefined) return false;
    return await this.#transact("delete an entry", (db, _state, cleanup) => {
      const rows = db.all(SELECT_FOR_DELETE, [dbKey, 1, Date.now() / 1000]);
      if (rows.length === 0) return false;
      db.run("DELETE FROM Cache WHERE rowid = ?", [Number(rows[0]!.rowid)]);
      cleanup(rows[0]!.filename ?? null);
      return true;
    });
  }

  /**
   * `Cache.clear()`: every row of the cache (flytekit's and ours alike; this is what
   * `pyflyte local-cache clear` does), 100 a transaction.
   */
  async clear(): Promise<void> {
    const state = await this.#open("clear the cache");
    if (state.db === undefined) return;
    let after = 0;
    for (;;) {
      const count = await this.#transact("clear the cache", (db, _state, cleanup) => {
        const rows = db.all(SELECT_CLEAR_BATCH, [after, 100]);
        if (rows.length === 0) return 0;
        db.run(`DELETE FROM Cache WHERE rowid IN (${rows.map((r) => Number(r.rowid)).join(",")})`);
        for (const row of rows) cleanup(row.filename ?? null);
        after = Number(rows[rows.length - 1]!.rowid);
        return rows.length;
      });
      if (count === 0) return;
    }
  }

  /**
   * Every entry with a text key (and ours with odd keys), unexpired, leases left out: its size,
   * store and read times, and the task name and version where we stored them.
   */
  async *entries(): AsyncIterable<EntryInfo> {
    const state = await this.#open("list the entries");
    const db = state.db;
    if (db === undefined) return;
    let after = 0;
    for (;;) {
      if (this.#closed) throw closedError("list the entries");
      const rows = await this.#retry(
        () => db.all(SELECT_ENTRIES, [after, Date.now() / 1000]),
        "list the entries",
      ).catch((error) => {
        throw diskcacheError(error, `list the entries in ${this.directory}`);
      });
      if (rows.length === 0) return;
      after = Number(rows[rows.length - 1]!.rowid);
      for (const row of rows) {
        const key = fromDbKey(row.key_type, row.key);
        if (key === undefined || row.tag === LEASE_TAG) continue;
        const metadata = parseTag(row.tag);
        const createdAt = Number(row.store_time) * 1000;
        yield {
          key,
          taskName: metadata?.taskName ?? "",
          cacheVersion: metadata?.cacheVersion ?? "",
          size: row.mode === MODE_BINARY ? Number(row.size) : Number(row.inline_size ?? 0),
          createdAt,
          lastReadAt: Math.max(createdAt, Number(row.access_time) * 1000 || 0),
        };
      }
    }
  }

  /**
   * A lease as a diskcache row of its own (key `local-task-cache-lease:<name>`) whose
   * `expire_time` is the lease's end: Python sees a small entry that expires, and culls it
   * like any expired entry.
   *
   * @param name What the lease is for (a cache key).
   * @param ttlMs How long it holds unless renewed, in milliseconds.
   * @returns The lease, or `undefined` while another holder's stands.
   */
  async acquireLease(name: string, ttlMs: number): Promise<Lease | undefined> {
    const dbKey = toDbKey(LEASE_KEY + name);
    const token = new Uint8Array(randomBytes(16));
    const taken = await this.#store(
      dbKey,
      [token],
      LEASE_TAG,
      (Date.now() + ttlMs) / 1000,
      (db, rowid) => {
        if (rowid === undefined) return true;
        const [row] = db.all("SELECT expire_time FROM Cache WHERE rowid = ?", [rowid]);
        const end = row?.expire_time;
        return typeof end === "number" && end <= Date.now() / 1000;
      },
    );
    if (!taken) return undefined;
    const ours = "SELECT rowid FROM Cache WHERE key = ? AND raw = 1 AND value = ?";
    return {
      renew: (renewMs = ttlMs) =>
        this.#transact("renew a lease", (db) => {
          const [row] = db.all(ours, [dbKey, token]);
          if (row === undefined) return false;
          db.run("UPDATE Cache SET expire_time = ? WHERE rowid = ?", [
            (Date.now() + renewMs) / 1000,
            Number(row.rowid),
          ]);
          return true;
        }),
      release: () =>
        this.#transact("release a lease", (db) => {
          db.run("DELETE FROM Cache WHERE key = ? AND raw = 1 AND value = ?", [dbKey, token]);
        }),
    };
  }

  /** Closes the database; later calls fail with `CLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const state = this.#state;
    this.#state = undefined;
    if (state === undefined) return;
    try {
      (await state).db?.close();
    } catch {
      // It never opened.
    }
  }
}
