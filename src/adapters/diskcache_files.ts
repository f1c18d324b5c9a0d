/**
 * The files of a diskcache directory, as `DiskcacheAdapter` handles them: value files named as
 * diskcache names them (`ab/cd/<28 hex digits>.val`, but many to a folder), written whole under
 * a temporary name that diskcache's `check()` ignores, in the value's own folder, and renamed
 * into place; their removal with their folders (diskcache's `Disk.remove`); and the sweep of
 * temporaries that killed writers left.
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
import { open, readdir, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
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
 * The value folders are looked through for killed writers' temporaries at most this often (a
 * walk through up to 65,536 folders); the time of the last walk is the mtime of this file.
 */
const FOLDER_SWEEP_INTERVAL_MS = 24 * 60 * 60 * 1000;
const FOLDER_SWEEP_MARKER = `${TEMPORARY_PREFIX}swept`;
/** diskcache's folder names: two hex digits, at both levels. */
const FOLDER = /^[0-9a-f]{2}$/;

/**
 * How many value files an adapter writes to one folder before it picks another. diskcache
 * spreads its files over 65,536 folders (`Disk.filename`), so that nearly every set of its makes
 * two new folders, which costs more than writing the file; ours share a folder, whose name is
 * diskcache's (`ab/cd`) and random, for this many files (a folder then holds about this many of
 * ours per process that wrote to it, far below what a directory handles well).
 */
const FILES_PER_FOLDER = 256;

/**
 * Names new value files: random, as `Disk.filename` makes them, in the folder of the last ones
 * until that has had `FILES_PER_FOLDER` of them (diskcache reads any name a row gives, and
 * removes a folder once it is empty: then the next file makes it again).
 */
export class ValueFileNames {
  #folder = "";
  #left = 0;

  /**
   * A new value file's name (relative, as the row holds it) and the temporary path it is
   * written to first, in the same folder: a file is created much faster there, where diskcache
   * creates its own, than in the cache's top folder, and the rename stays within one folder.
   */
  next(directory: string): { filename: string; temporary: string } {
    const hex = randomBytes(16).toString("hex");
    if (this.#left-- <= 0) {
      this.#folder = join(hex.slice(0, 2), hex.slice(2, 4));
      this.#left = FILES_PER_FOLDER - 1;
    }
    return {
      filename: join(this.#folder, `${hex.slice(4)}.val`),
      temporary: join(directory, this.#folder, `${TEMPORARY_PREFIX}${hex.slice(4)}.tmp`),
    };
  }
}

/**
 * Runs `create` (which opens a new file at `path`), making the file's folders first when they
 * are missing: again if another cache removed an empty folder meanwhile, as diskcache's `_write`
 * tries 10 times.
 */
async function inFolder<T>(path: string, create: () => T | Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await create();
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOENT" || attempt === 10) throw error;
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  }
}

/** A value file written completely (its pieces, `size` bytes) before it is named in a row. */
export async function writeValueFile(
  path: string,
  chunks: readonly Uint8Array[],
  size: number,
): Promise<void> {
  if (size <= SYNC_IO_LIMIT) {
    const fd = await inFolder(path, () => openSync(path, "wx", 0o644));
    try {
      for (const chunk of chunks) {
        for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at);
      }
    } finally {
      closeSync(fd);
    }
    return;
  }
  const handle = await inFolder(path, () => open(path, "wx", 0o644));
  try {
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length;) {
        at += (await handle.write(chunk, at, chunk.length - at)).bytesWritten;
      }
    }
  } finally {
    await handle.close();
  }
}

/**
 * Moves a finished value file to its name, in the same folder (which stays while the file is in
 * it: diskcache removes only empty folders).
 */
export function placeFile(from: string, to: string): void {
  renameSync(from, to);
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

/**
 * Removes the temporary files of killed writers once they are an hour old: those in the top
 * folder (where earlier versions wrote them) at every open, those in the value folders at most
 * once a day (then a folder left empty goes too, as diskcache's `check()` wants none).
 */
export async function sweepTemporaries(directory: string): Promise<void> {
  try {
    await sweepFolder(directory);
    const marker = join(directory, FOLDER_SWEEP_MARKER);
    const last = await stat(marker).then((info) => info.mtimeMs, () => 0);
    if (Date.now() - last < FOLDER_SWEEP_INTERVAL_MS) return;
    await writeFile(marker, "", { mode: 0o644 });
    for (const top of await readdir(directory)) {
      if (!FOLDER.test(top)) continue;
      const names = await readdir(join(directory, top)).catch(() => []);
      for (const name of names) {
        if (!FOLDER.test(name)) continue;
        const folder = join(directory, top, name);
        if (await sweepFolder(folder)) {
          for (const empty of [folder, join(directory, top)]) {
            await rmdir(empty).catch(() => {}); // not empty: kept
          }
        }
      }
    }
  } catch {
    // Best effort.
  }
}

/** Removes a folder's stale temporaries; resolves to whether it removed any. */
async function sweepFolder(folder: string): Promise<boolean> {
  let removed = false;
  for (const name of await readdir(folder).catch(() => [])) {
    if (!name.startsWith(TEMPORARY_PREFIX) || !name.endsWith(".tmp")) continue;
    const path = join(folder, name);
    const info = await stat(path).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > STALE_TEMPORARY_MS) {
      await rm(path, { force: true });
      removed = true;
    }
  }
  return removed;
}
