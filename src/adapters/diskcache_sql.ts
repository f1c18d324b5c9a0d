/**
 * diskcache 5's database, statement for statement (its `diskcache/core.py`, as Debian's
 * python3-diskcache 5.4.0 ships it): the schema a new `Cache` creates, its default settings,
 * and the statements its `get`, `set`, `delete`, `clear` and culling run; and how our rows use
 * its columns (keys, the `tag` that holds task metadata, lease rows).
 *
 * @module
 */
import type { EntryMetadata } from "../adapter.ts";
import { isWellFormed } from "../internal/unicode.ts";
import type { SqliteConnection, SqlValue } from "./diskcache_sqlite.ts";

/** The database file in the cache directory. */
export const DBNAME = "cache.db";

/** `Cache.mode`: how a row's value is stored. */
export const MODE_RAW = 1;
/** A value in a file under the directory (`filename`), its length in `size`. */
export const MODE_BINARY = 2;

/** diskcache's `DEFAULT_SETTINGS`, as a new cache writes them to its `Settings` table. */
export const DEFAULT_SETTINGS: Readonly<Record<string, string | number>> = {
  statistics: 0,
  tag_index: 0,
  eviction_policy: "least-recently-stored",
  size_limit: 2 ** 30,
  cull_limit: 10,
  sqlite_auto_vacuum: 1,
  sqlite_cache_size: 2 ** 13,
  sqlite_journal_mode: "wal",
  sqlite_mmap_size: 2 ** 26,
  sqlite_synchronous: 1,
  disk_min_file_size: 2 ** 15,
  // pickle.HIGHEST_PROTOCOL of every Python diskcache 5 runs on (3.8 and later).
  disk_pickle_protocol: 5,
};

/** diskcache's `METADATA`: counters kept in `Settings` (count and size by the triggers). */
const METADATA: Readonly<Record<string, number>> = { count: 0, size: 0, hits: 0, misses: 0 };

/** The settings the adapter acts on, read from the `Settings` table. */
export interface Settings {
  evictionPolicy: string;
  sizeLimit: number;
  cullLimit: number;
  minFileSize: number;
  statistics: boolean;
}

/** diskcache's `EVICTION_POLICY`: the culling query, and what a hit updates. */
export const EVICTION_POLICY: Readonly<
  Record<string, { init: string | null; get: string | null; cull: string | null }>
> = {
  "none": { init: null, get: null, cull: null },
  "least-recently-stored": {
    init: "CREATE INDEX IF NOT EXISTS Cache_store_time ON Cache (store_time)",
    get: null,
    cull: "SELECT {fields} FROM Cache ORDER BY store_time LIMIT ?",
  },
  "least-recently-used": {
    init: "CREATE INDEX IF NOT EXISTS Cache_access_time ON Cache (access_time)",
    get: "access_time = {now}",
    cull: "SELECT {fields} FROM Cache ORDER BY access_time LIMIT ?",
  },
  "least-frequently-used": {
    init: "CREATE INDEX IF NOT EXISTS Cache_access_count ON Cache (access_count)",
    get: "access_count = access_count + 1",
    cull: "SELECT {fields} FROM Cache ORDER BY access_count LIMIT ?",
  },
};

/** The `sqlite_*` settings as pragmas, applied per connection as diskcache does. */
function applyPragmas(db: SqliteConnection, settings: Record<string, SqlValue>): void {
  for (const key of Object.keys(settings).sort()) {
    if (!key.startsWith("sqlite_")) continue;
    const pragma = key.slice(7);
    const value = settings[key];
    if (!/^[a-z_]+$/.test(pragma) || !/^[\w.-]+$/.test(String(value))) continue;
    const [current] = db.all(`PRAGMA ${pragma}`);
    const old = current === undefined ? undefined : Object.values(current)[0];
    if (old !== value) db.all(`PRAGMA ${pragma} = ${value}`);
  }
}

/**
 * A number that changes when another connection (another process) commits a change to the
 * database, and only then.
 */
export const DATA_VERSION = "PRAGMA data_version";

/** The settings `parseSettings` reads. */
const ACTED_ON =
  "('eviction_policy', 'size_limit', 'cull_limit', 'disk_min_file_size', 'statistics')";

/**
 * The `Settings` table as a record (with `only`, just the settings the adapter acts on); empty
 * when the table does not exist yet.
 */
export function readSettingsTable(
  db: SqliteConnection,
  only?: "acted-on",
): Record<string, SqlValue> {
  try {
    const out: Record<string, SqlValue> = {};
    const where = only === undefined ? "" : ` WHERE key IN ${ACTED_ON}`;
    for (const row of db.all(`SELECT key, value FROM Settings${where}`)) {
      out[String(row.key)] = row.value ?? null;
    }
    return out;
  } catch {
    return {};
  }
}

/** The settings the adapter acts on, with diskcache's defaults for any that are missing. */
export function parseSettings(table: Record<string, SqlValue>): Settings {
  const all = { ...DEFAULT_SETTINGS, ...table };
  const number = (key: string) => {
    const value = Number(all[key]);
    return Number.isFinite(value) ? value : Number(DEFAULT_SETTINGS[key]);
  };
  return {
    evictionPolicy: String(all.eviction_policy),
    sizeLimit: number("size_limit"),
    cullLimit: number("cull_limit"),
    minFileSize: number("disk_min_file_size"),
    statistics: Boolean(number("statistics")),
  };
}

/**
 * What `diskcache.Cache(directory)` does to a database with default settings: pragmas,
 * the `Settings` table with the settings and counters, the `Cache` table, its indexes and the
 * triggers that keep `count` and `size`. Every statement is idempotent (`IF NOT EXISTS`,
 * `INSERT OR IGNORE`), so it is safe against a database Python created, or is creating.
 * Settings already in the table are kept (we pass no settings of our own).
 */
export function initializeDatabase(db: SqliteConnection): void {
  const current = readSettingsTable(db);
  const settings: Record<string, SqlValue> = { ...DEFAULT_SETTINGS, ...current };
  for (const key of Object.keys(METADATA)) delete settings[key];
  applyPragmas(db, settings);
  db.run("CREATE TABLE IF NOT EXISTS Settings ( key TEXT NOT NULL UNIQUE, value)");
  for (const [key, value] of Object.entries(settings)) {
    if (!(key in current)) db.run("INSERT OR IGNORE INTO Settings VALUES (?, ?)", [key, value]);
  }
  for (const [key, value] of Object.entries(METADATA)) {
    db.run("INSERT OR IGNORE INTO Settings VALUES (?, ?)", [key, value]);
  }
  db.run(
    "CREATE TABLE IF NOT EXISTS Cache ( rowid INTEGER PRIMARY KEY, key BLOB, raw INTEGER," +
      " store_time REAL, expire_time REAL, access_time REAL," +
      " access_count INTEGER DEFAULT 0, tag BLOB, size INTEGER DEFAULT 0," +
      " mode INTEGER DEFAULT 0, filename TEXT, value BLOB)",
  );
  db.run("CREATE UNIQUE INDEX IF NOT EXISTS Cache_key_raw ON Cache(key, raw)");
  db.run("CREATE INDEX IF NOT EXISTS Cache_expire_time ON Cache (expire_time)");
  const init = EVICTION_POLICY[String(settings.eviction_policy)]?.init;
  if (init) db.run(init);
  for (const trigger of TRIGGERS) db.run(trigger);
}

/** Per connection, as diskcache's `_con`: the `sqlite_*` settings as pragmas. */
export function configureConnection(db: SqliteConnection): void {
  applyPragmas(db, readSettingsTable(db));
}

const TRIGGERS = [
  "CREATE TRIGGER IF NOT EXISTS Settings_count_insert AFTER INSERT ON Cache FOR EACH ROW BEGIN" +
  ' UPDATE Settings SET value = value + 1 WHERE key = "count"; END',
  "CREATE TRIGGER IF NOT EXISTS Settings_count_delete AFTER DELETE ON Cache FOR EACH ROW BEGIN" +
  ' UPDATE Settings SET value = value - 1 WHERE key = "count"; END',
  "CREATE TRIGGER IF NOT EXISTS Settings_size_insert AFTER INSERT ON Cache FOR EACH ROW BEGIN" +
  ' UPDATE Settings SET value = value + NEW.size WHERE key = "size"; END',
  "CREATE TRIGGER IF NOT EXISTS Settings_size_update AFTER UPDATE ON Cache FOR EACH ROW BEGIN" +
  ' UPDATE Settings SET value = value + NEW.size - OLD.size WHERE key = "size"; END',
  "CREATE TRIGGER IF NOT EXISTS Settings_size_delete AFTER DELETE ON Cache FOR EACH ROW BEGIN" +
  ' UPDATE Settings SET value = value - OLD.size WHERE key = "size"; END',
];

/** `Cache.get`'s query: a row that has not expired. */
export const SELECT_ROW = "SELECT rowid, expire_time, tag, mode, filename, value, store_time," +
  " access_time, size FROM Cache WHERE key = ? AND raw = ?" +
  " AND (expire_time IS NULL OR expire_time > ?)";

/** `Cache.set`'s lookup of the row it replaces. */
export const SELECT_FOR_SET = "SELECT rowid, filename FROM Cache WHERE key = ? AND raw = ?";

/** `Cache._row_update`. */
export const ROW_UPDATE = "UPDATE Cache SET store_time = ?, expire_time = ?, access_time = ?," +
  " access_count = ?, tag = ?, size = ?, mode = ?, filename = ?, value = ? WHERE rowid = ?";

/** `Cache._row_insert`. */
export const ROW_INSERT = "INSERT INTO Cache( key, raw, store_time, expire_time, access_time," +
  " access_count, tag, size, mode, filename, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/** `Cache.__delitem__`'s lookup (expired rows count as absent). */
export const SELECT_FOR_DELETE = "SELECT rowid, filename FROM Cache WHERE key = ? AND raw = ?" +
  " AND (expire_time IS NULL OR expire_time > ?)";

/** `Cache.clear`'s batch query (100 rows a transaction). */
export const SELECT_CLEAR_BATCH = "SELECT rowid, filename FROM Cache WHERE rowid > ?" +
  " ORDER BY rowid LIMIT ?";

/** A page of `entries()`: text-keyed (and our odd-keyed) unexpired rows after a rowid. */
export const SELECT_ENTRIES = "SELECT rowid, typeof(key) AS key_type, CAST(key AS BLOB) AS key," +
  " tag, mode, size, length(value) AS inline_size, store_time, access_time FROM Cache" +
  " WHERE rowid > ? AND raw = 1 AND (expire_time IS NULL OR expire_time > ?)" +
  " ORDER BY rowid LIMIT 200";

/** The columns of a row in `Cache` that `set` writes: diskcache's `columns`. */
export interface RowColumns {
  expireTime: number | null;
  tag: SqlValue;
  size: number;
  mode: number;
  filename: string | null;
  value: SqlValue;
}

/** The values of a row's columns from `store_time` on, in diskcache's order. */
function columnValues(now: number, c: RowColumns): SqlValue[] {
  return [now, c.expireTime, now, 0, c.tag, c.size, c.mode, c.filename, c.value];
}

/** `Cache._row_update(rowid, now, columns)`. */
export function rowUpdate(db: SqliteConnection, rowid: number, now: number, c: RowColumns): void {
  db.run(ROW_UPDATE, [...columnValues(now, c), rowid]);
}

/** `Cache._row_insert(key, raw, now, columns)`. */
export function rowInsert(db: SqliteConnection, key: SqlValue, now: number, c: RowColumns): void {
  db.run(ROW_INSERT, [key, 1, ...columnValues(now, c)]);
}

/** `_cull`'s query of expired rows (`{fields}`: what it selects), the oldest first. */
const SELECT_EXPIRED = "SELECT {fields} FROM Cache WHERE expire_time IS NOT NULL" +
  " AND expire_time < ? ORDER BY expire_time LIMIT ?";

/**
 * What `_cull` looks at first, in one statement: whether a row has expired (`_cull` selects them,
 * and finds none almost always), and the parts of `volume()`.
 */
const CULL_CHECK = "SELECT EXISTS (SELECT 1 FROM Cache WHERE expire_time IS NOT NULL" +
  " AND expire_time < ?) AS expired, (SELECT page_count FROM pragma_page_count) AS pages," +
  " (SELECT value FROM Settings WHERE key = 'size') AS size";

/** The policies' culling queries, by what they select. */
const CULL_QUERIES = new Map<string, { select: string; remove: string }>();

function cullQueries(template: string): { select: string; remove: string } {
  let queries = CULL_QUERIES.get(template);
  if (queries === undefined) {
    queries = {
      select: template.replace("{fields}", "filename"),
      remove: `DELETE FROM Cache WHERE rowid IN (${template.replace("{fields}", "rowid")})`,
    };
    CULL_QUERIES.set(template, queries);
  }
  return queries;
}

/**
 * `Cache._cull(now, sql, cleanup)`, run inside `set`'s transaction: up to `cull_limit` expired
 * rows, then, when the volume has reached `size_limit`, up to as many rows again by the eviction
 * policy (for flytekit's `least-recently-stored`: the oldest stored). Hands the removed rows'
 * files to `cleanup`. Where no row has expired (one statement says so, with the volume), that
 * is all it reads.
 */
export function cull(
  db: SqliteConnection,
  now: number,
  settings: Settings,
  pageSize: number,
  cleanup: (filename: SqlValue) => void,
): void {
  let cullLimit = settings.cullLimit;
  if (cullLimit === 0) return;
  const [check] = db.all(CULL_CHECK, [now]);
  let total = pageSize * Number(check?.pages ?? 0) + Number(check?.size ?? 0);
  if (Number(check?.expired ?? 0) !== 0) {
    const expired = cullQueries(SELECT_EXPIRED);
    const rows = db.all(expired.select, [now, cullLimit]);
    if (rows.length > 0) {
      db.run(expired.remove, [now, cullLimit]);
      for (const row of rows) cleanup(row.filename ?? null);
      cullLimit -= rows.length;
      if (cullLimit === 0) return;
      total = volume(db, pageSize);
    }
  }
  const policy = EVICTION_POLICY[settings.evictionPolicy]?.cull;
  if (!policy || total < settings.sizeLimit) return;
  const { select, remove } = cullQueries(policy);
  const rows = db.all(select, [cullLimit]);
  if (rows.length > 0) {
    db.run(remove, [cullLimit]);
    for (const row of rows) cleanup(row.filename ?? null);
  }
}

/** `volume()`'s parts: the database's pages and the `size` counter. */
const VOLUME = "SELECT (SELECT page_count FROM pragma_page_count) AS pages," +
  " (SELECT value FROM Settings WHERE key = 'size') AS size";

/** `Cache.volume()`: the database's pages plus the `size` counter (the files' bytes). */
export function volume(db: SqliteConnection, pageSize: number): number {
  const [row] = db.all(VOLUME);
  return pageSize * Number(row?.pages ?? 0) + Number(row?.size ?? 0);
}

/** The tag of a row written with task metadata; flytekit's rows have none (NULL). */
const TAG_PREFIX = "local-task-cache:";
/** The tag of a lease row. */
export const LEASE_TAG = "local-task-cache-lease";
/** The key prefix of lease rows. */
export const LEASE_KEY = "local-task-cache-lease:";

/** The `tag` of a row we write with task metadata: `local-task-cache:["task","version"]`. */
export function formatTag(metadata: EntryMetadata): string {
  return TAG_PREFIX + JSON.stringify([metadata.taskName, metadata.cacheVersion]);
}

/**
 * A key as diskcache stores it: a well-formed string as text (as Python stores a `str`); one
 * with lone surrogates, which UTF-8 cannot hold and no Python `str` key can be, as a BLOB of its
 * UTF-16LE code units, so that it stays distinct from every text key.
 */
export function toDbKey(key: string): SqlValue {
  if (isWellFormed(key)) return key;
  const bytes = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    bytes[2 * i] = unit & 0xff;
    bytes[2 * i + 1] = unit >> 8;
  }
  return bytes;
}

/**
 * The key of a row from its type and bytes (as bytes, since some bindings cut text at a NUL), or
 * `undefined` for a key that is not ours to list (a foreign bytes key, a number).
 */
export function fromDbKey(
  type: SqlValue | undefined,
  value: SqlValue | undefined,
): string | undefined {
  if (!(value instanceof Uint8Array)) return undefined;
  if (type === "text") return UTF8.decode(value);
  if (type !== "blob" || value.length % 2 !== 0) return undefined;
  let key = "";
  for (let i = 0; i < value.length; i += 2) {
    key += String.fromCharCode(value[i]! | (value[i + 1]! << 8));
  }
  return isWellFormed(key) ? undefined : key;
}

const UTF8 = new TextDecoder();

/** The task metadata of a row we wrote; `undefined` for rows without it (flytekit's). */
export function parseTag(tag: SqlValue | undefined): EntryMetadata | undefined {
  if (typeof tag !== "string" || !tag.startsWith(TAG_PREFIX)) return undefined;
  try {
    const [taskName, cacheVersion] = JSON.parse(tag.slice(TAG_PREFIX.length));
    if (typeof taskName === "string" && typeof cacheVersion === "string") {
      return { taskName, cacheVersion };
    }
  } catch {
    // A damaged tag: no metadata.
  }
  return undefined;
}
