/**
 * How `DiskcacheAdapter` opens a diskcache directory: its database with the runtime's SQLite
 * binding, created with diskcache's schema, settings and pragmas where there is none yet (as
 * `diskcache.Cache(directory)` does, and only with a binding that can write it), the settings
 * the adapter acts on, and a sweep of temporary files that killed writers left. Before it
 * reads anything, it checks who can change the directory's results, as `FsAdapter` does
 * (fs_trust.ts), unless the directory is shared on purpose.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { diskcacheError } from "./diskcache_errors.ts";
import { checkDirectory } from "./fs_trust.ts";
import { sweepTemporaries } from "./diskcache_files.ts";
import {
  configureConnection,
  DBNAME,
  initializeDatabase,
  parseSettings,
  readSettingsTable,
  type Settings,
} from "./diskcache_sql.ts";
import { openSqlite, type SqliteConnection, type SqlValue } from "./diskcache_sqlite.ts";

/** An open cache directory. */
export interface CacheState {
  /** `undefined` where there is no database and the binding cannot create one. */
  db: SqliteConnection | undefined;
  /** The SQLite binding's name. */
  binding: string;
  /** The settings the adapter acts on, as last read. */
  settings: Settings;
  /** SQLite's page size, for diskcache's `volume()`. */
  pageSize: number;
  /**
   * SQLite's `data_version` when the settings were last read in a transaction: it changes when
   * another connection writes.
   */
  dataVersion?: SqlValue;
}

/**
 * Opens the cache in `directory`; `retry` runs a step again while another process holds the
 * database's lock. Unless `shared`, a directory that another user owns or can write to (or
 * rename) is refused with `UNSAFE_DIRECTORY`.
 */
export async function openCache(
  directory: string,
  shared: boolean,
  retry: (fn: () => void, action: string) => Promise<void>,
): Promise<CacheState> {
  const path = join(directory, DBNAME);
  let db: SqliteConnection | undefined;
  try {
    if (!existsSync(path)) {
      // Only a binding that can write creates the cache, as diskcache.Cache(directory) does.
      const probe = await openSqlite(":memory:");
      probe.close();
      if (!probe.writable) {
        return {
          db: undefined,
          binding: probe.binding,
          settings: parseSettings({}),
          pageSize: 4096,
        };
      }
      await mkdir(directory, { recursive: true, mode: 0o755 });
    }
    // Whoever can write the directory decides what tasks return.
    if (!shared) checkDirectory(directory);
    db = await openSqlite(path);
    const connection = db;
    db.all(`PRAGMA busy_timeout = 25`);
    await retry(() => {
      if (connection.writable) initializeDatabase(connection);
      else configureConnection(connection);
    }, "open the cache");
    const [page] = db.all("PRAGMA page_size");
    const state = {
      db,
      binding: db.binding,
      settings: parseSettings(readSettingsTable(db)),
      pageSize: Number(page?.page_size ?? 4096),
    };
    if (db.writable) void sweepTemporaries(directory);
    return state;
  } catch (error) {
    db?.close();
    throw diskcacheError(error, `open the cache in ${directory}`);
  }
}
