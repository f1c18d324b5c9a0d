/**
 * `DiskcacheAdapter`'s failures as `CacheError`s: what SQLite's and the file system's errors
 * mean (its `classify` for `storageError`), a database still locked by another process after
 * the adapter's busy timeout (`BLOCKED`), and a SQLite binding that can only read.
 *
 * @module
 */
import {
  adapterError,
  type Classification,
  type Classify,
  storageError,
} from "../internal/storage_error.ts";
import { ERRNO_CODES } from "./fs_errors.ts";

/** The adapter's name in its errors. */
export const ADAPTER = "DiskcacheAdapter";

/** What each error code (SQLite's, then the file system's errno codes) means, and what to do. */
const CODES: Readonly<Record<string, Classification>> = {
  ...ERRNO_CODES,
  SQLITE_READONLY: ["PERMISSION_DENIED", "the database is read-only"],
  SQLITE_CANTOPEN: ["PERMISSION_DENIED", "SQLite cannot open the database file"],
  SQLITE_FULL: ["NO_SPACE", "the disk is full; free some space or clear the cache"],
};

/** The code of a failure of SQLite or the file system, from its `code` or its message. */
const classify: Classify = (error, message) => {
  const value = (error as { code?: unknown } | null)?.code;
  const code = typeof value === "string" ? value : "";
  const candidates = [
    code,
    /^SQLITE_[A-Z]+/.exec(code)?.[0],
    /database or disk is full/.test(message) ? "SQLITE_FULL" : undefined,
    /readonly database/.test(message) ? "SQLITE_READONLY" : undefined,
    /unable to open database/.test(message) ? "SQLITE_CANTOPEN" : undefined,
  ];
  const known = candidates.find((name) => name !== undefined && Object.hasOwn(CODES, name));
  return known === undefined ? undefined : CODES[known];
};

/** A failure of SQLite or the file system while the adapter did `action`, as a `CacheError`. */
export function diskcacheError(error: unknown, action: string): Error {
  return storageError(ADAPTER, action, error, classify);
}

/** SQLite still busy (`error`) after `timeoutMs` of retries: another process holds the lock. */
export function blockedError(error: unknown, action: string, timeoutMs: number): Error {
  return storageError(ADAPTER, action, error, () => [
    "BLOCKED",
    `another process has held the cache's lock for ${timeoutMs} ms; try again later`,
  ]);
}

/** A write where the runtime's SQLite binding can only read diskcache's database. */
export function readOnlyError(action: string, why: string, binding: string): Error {
  return adapterError(
    ADAPTER,
    "PERMISSION_DENIED",
    action,
    `${why} this runtime's SQLite (${binding}) refuses diskcache's double-quoted triggers; ` +
      "write with Node >= 22.13, Deno or Bun",
  );
}

/** An operation of a closed adapter. */
export function closedError(action: string): Error {
  return adapterError(ADAPTER, "CLOSED", action, "the adapter is closed; open a new one");
}
