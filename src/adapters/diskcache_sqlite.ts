/**
 * The SQLite binding under `DiskcacheAdapter`, from what the runtime has: `bun:sqlite` in Bun,
 * `node:sqlite` in Node >= 22.13 and Deno (with double-quoted string literals on, which
 * diskcache's triggers need), else the npm package `better-sqlite3` (version 12, for Node 20).
 * Never loaded by the main entry, so never in a browser bundle.
 *
 * @module
 */
import { CacheError } from "../errors.ts";

/** A value SQLite stores or returns, as the adapter sees it. */
export type SqlValue = null | number | bigint | string | Uint8Array;

/** One result row, by column name. */
export type SqlRow = Record<string, SqlValue>;

/** The few calls the adapter makes on a database connection. */
export interface SqliteConnection {
  /** Which binding this is: `node:sqlite`, `bun:sqlite` or `better-sqlite3`. */
  readonly binding: string;
  /**
   * Whether the connection can run diskcache's triggers (double-quoted string literals);
   * without that, nothing that inserts, updates or deletes a `Cache` row can run.
   */
  readonly writable: boolean;
  /** The rows of a query (BLOBs as plain `Uint8Array`s). */
  all(sql: string, params?: readonly SqlValue[]): SqlRow[];
  /** Runs a statement that returns no rows. */
  run(sql: string, params?: readonly SqlValue[]): void;
  /** Closes the connection. */
  close(): void;
}

interface Statement {
  /** better-sqlite3's: `false` for a statement that returns no rows (`all` refuses those). */
  readonly reader?: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): unknown;
}

interface RawDatabase {
  prepare(sql: string): Statement;
  close(): void;
}

/** The binding's module, by name; a variable so that no bundler or type checker resolves it. */
const load = (name: string): Promise<Record<string, unknown>> => import(name);

/** Opens `path` with the first binding the runtime has, or fails naming what to install. */
export async function openSqlite(path: string): Promise<SqliteConnection> {
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
  if (isBun) {
    const { Database } = await load("bun:sqlite") as {
      Database: new (path: string) => RawDatabase & { query?: unknown };
    };
    return wrap("bun:sqlite", new Database(path), undefined, true);
  }
  let nodeSqlite: Record<string, unknown> | undefined;
  try {
    nodeSqlite = await load("node:sqlite");
  } catch {
    // Node < 22.13 without --experimental-sqlite (Node 20: none at all): try better-sqlite3.
  }
  if (nodeSqlite !== undefined) {
    const DatabaseSync = nodeSqlite.DatabaseSync as new (
      path: string,
      options: Record<string, unknown>,
    ) => RawDatabase;
    const db = new DatabaseSync(path, { enableDoubleQuotedStringLiterals: true });
    // node:sqlite returns BLOBs as fresh, plain Uint8Arrays: its rows are handed on as they are.
    return wrap("node:sqlite", db, undefined, false);
  }
  let betterSqlite: (new (path: string) => RawDatabase) | undefined;
  try {
    const module = await load("better-sqlite3");
    betterSqlite = (module.default ?? module) as new (path: string) => RawDatabase;
  } catch (error) {
    throw new CacheError(
      "IO",
      "DiskcacheAdapter needs SQLite: this runtime has neither node:sqlite (Node >= 22.13, " +
        "Deno) nor bun:sqlite (Bun); in Node 20 install the optional peer dependency " +
        "better-sqlite3 version 12 (`npm install better-sqlite3@12`), or run Node >= 22.13",
      { cause: error },
    );
  }
  const { Buffer } = await import("node:buffer");
  // better-sqlite3 binds only Buffers as BLOBs.
  return wrap(
    "better-sqlite3",
    new betterSqlite(path),
    (value) => value instanceof Uint8Array ? Buffer.from(value) : value,
    true,
  );
}

function wrap(
  binding: string,
  db: RawDatabase,
  /** How a parameter is bound, where the binding takes not every `SqlValue` as it is. */
  bind: ((value: SqlValue) => unknown) | undefined,
  /** Whether BLOBs come back as Buffers (or shared), to be copied into plain Uint8Arrays. */
  copyBlobs: boolean,
): SqliteConnection {
  const statements = new Map<string, Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const bound = (params: readonly SqlValue[]) => bind === undefined ? params : params.map(bind);
  let writable = true;
  try {
    // diskcache's triggers compare with "count" and "size": a build without double-quoted
    // string literals refuses them, and with them every write to the Cache table.
    db.prepare(`SELECT "dqs"`).all();
  } catch {
    writable = false;
  }
  return {
    binding,
    writable,
    all(sql, params = []) {
      const statement = prepare(sql);
      if (statement.reader === false) {
        statement.run(...bound(params));
        return [];
      }
      const rows = statement.all(...bound(params)) as Record<string, unknown>[];
      if (!copyBlobs) return rows as SqlRow[];
      return rows.map((row) => {
        const out: SqlRow = {};
        for (const [column, value] of Object.entries(row)) {
          out[column] = value instanceof Uint8Array ? new Uint8Array(value) : value as SqlValue;
        }
        return out;
      });
    },
    run(sql, params = []) {
      prepare(sql).run(...bound(params));
    },
    close() {
      statements.clear();
      db.close();
    },
  };
}

/** Whether `error` is SQLite's "database is locked" (SQLITE_BUSY / SQLITE_LOCKED). */
export function isBusy(error: unknown): boolean {
  const e = error as { message?: unknown; code?: unknown; errcode?: unknown } | null;
  if (e === null || typeof e !== "object") return false;
  if (typeof e.errcode === "number" && [5, 6].includes(e.errcode & 0xff)) return true;
  if (typeof e.code === "string" && /^SQLITE_(BUSY|LOCKED)/.test(e.code)) return true;
  return typeof e.message === "string" && /database (table )?is locked/.test(e.message);
}

/**
 * `fn()`, run again after short waits while SQLite is busy (another process holds the lock),
 * for up to `timeoutMs`; then it fails with `blocked(error)`.
 */
export async function whileBusy<T>(
  fn: () => T,
  timeoutMs: number,
  blocked: (error: unknown) => Error,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1;; wait = Math.min(wait * 2, 50)) {
    try {
      return fn();
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (Date.now() > deadline) throw blocked(error);
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
