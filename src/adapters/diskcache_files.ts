/**
 * The files of a diskcache directory, as `DiskcacheAdapter` handles them: value files named as
 * diskcache names them (`ab/cd/<28 hex digits>.val`), written whole under a temporary name that
 * diskcache's `check()` ignores and renamed into place; their removal with their folders
 * (diskcache's `Disk.remove`).
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { open, readdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DBNAME } from "./diskcache_sql.ts";
import type { SqlValue } from "./diskcache_sqlite.ts";

/** A value file's name as diskcache makes them: `ab/cd/<28 hex>.val`. */
const VALUE_FILE = /^[0-9a-f]{2}[/\\][0-9a-f]{2}[/\\][0-9a-f]{28}\.val$/;
/** Our temporary files: diskcache's `check()` skips every path with `cache.db` in it. */
const TEMPORARY_PREFIX = `${DBNAME}-ltc-`;
/**
 * Value files up to this size are read and written with synchronous calls (from the page cache,
 * much cheaper than trips through the thread pool); larger ones asynchronously.
 */
const SYNC_IO_LIMIT = 4 * 1024 * 1024;
/** Temporary files left by a killed process are removed once they are this old. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;

/**
 * A new value file's name (relative, as the row holds it; random, as `Disk.filename` makes it)
 * and the temporary path it is written to first.
 */
export function newValueFile(directory: string): { filename: string; temporary: string } {
  const hex = randomBytes(16).toString("hex");
  return {
    filename: join(hex.slice(0, 2), hex.slice(2, 4), `${hex.slice(4)}.val`),
    temporary: join(directory, `${TEMPORARY_PREFIX}${hex}.tmp`),
  };
}

/** A value file written completely before it is named in a row. */
export async function writeValueFile(path: string, value: Uint8Array): Promise<void> {
  if (value.length <= SYNC_IO_LIMIT) {
    const fd = openSync(path, "wx", 0o644);
    try {
      for (let at = 0; at < value.length;) at += writeSync(fd, value, at);
    } finally {
      closeSync(fd);
    }
    return;
  }
  const handle = await open(path, "wx", 0o644);
  try {
    await handle.writeFile(value);
  } finally {
    await handle.close();
  }
}

/** Moves a finished value file to its name, making its directories (again, if a remover raced). */
export function placeFile(from: string, to: string): void {
  for (let attempt = 1;; attempt++) {
    try {
      // Most folders exist already (256 x 256 of them): make them only when the rename says so.
      if (attempt > 1) mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
      renameSync(from, to);
      return;
    } catch (error) {
      // Another cache removed the directories after the mkdir (diskcache's `_write` retries too).
      if ((error as { code?: string }).code !== "ENOENT" || attempt === 11) throw error;
    }
  }
}

/**
 * The bytes of a row's value file, or `undefined`: a name that is not diskcache's (never read,
 * wherever it points), a missing file (removed meanwhile), or one whose length is not `size`.
 */
export async function readValueFile(
  directory: string,
  filename: SqlValue | undefined,
  size: number,
): Promise<Uint8Array | undefined> {
  if (typeof filename !== "string" || !VALUE_FILE.test(filename)) return undefined;
  try {
    const path = join(directory, filename);
    const bytes = size <= SYNC_IO_LIMIT ? readFileSync(path) : await readFile(path);
    if (bytes.length !== size) return undefined; // truncated or overwritten
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  } catch {
    return undefined; // removed meanwhile, or unreadable
  }
}

/** `Disk.remove`: a value file, then its two folders when empty. Foreign names are kept. */
export function removeValueFile(directory: string, filename: SqlValue | undefined): void {
  if (typeof filename !== "string" || !VALUE_FILE.test(filename)) return;
  let path = join(directory, filename);
  for (const remove of [unlinkSync, rmdirSync, rmdirSync]) {
    try {
      remove(path);
    } catch {
      // Gone already (another process removed it), or the folder is not empty.
    }
    path = dirname(path);
  }
}

/** Removes the temporary files of killed writers, once they are an hour old. */
export async function sweepTemporaries(directory: string): Promise<void> {
  try {
    for (const name of await readdir(directory)) {
      if (!name.startsWith(TEMPORARY_PREFIX)) continue;
      const path = join(directory, name);
      const info = await stat(path);
      if (Date.now() - info.mtimeMs > STALE_TEMPORARY_MS) await rm(path, { force: true });
    }
  } catch {
    // Best effort.
  }
}
