/**
 * `FsAdapter`: cache entries as files in one directory, on `node:fs` (Node >= 20, Deno, Bun).
 *
 * Each entry is one file, `<sha256 of the key as hex>.ltc`, written under a temporary name
 * (`.tmp-<32 random hex digits>`) in the same directory and renamed into place: readers in any
 * process see the old value or the new one, and a crash leaves the old value or none.
 *
 * An entry file, little-endian (strings as UTF-16LE code units, lone surrogates kept as such):
 *
 * | offset   | size | field                                                               |
 * | -------- | ---- | ------------------------------------------------------------------- |
 * | 0        | 4    | magic `"LTC2"`                                                      |
 * | 4        | 4    | key length K in bytes                                               |
 * | 8        | 8    | value length V in bytes                                             |
 * | 16       | 8    | checksum of the value (`checksum` of src/internal/checksum.ts)                |
 * | 24       | 8    | checksum of the bytes from offset 32 to the value (the metadata)    |
 * | 32       | 8    | creation time, milliseconds since the Unix epoch (float64)          |
 * | 40       | 4    | task name length T in bytes                                         |
 * | 44       | 4    | cache version length C in bytes                                     |
 * | 48       | K    | the key                                                             |
 * | 48 + K   | T    | the task name                                                       |
 * | ...      | C    | the cache version                                                   |
 * | ...      | P    | zeros, so that the value starts at a multiple of 4                  |
 * | S        | V    | the value                                                           |
 *
 * The file's modification time is the entry's last read time: a hit sets it to the present
 * when it is more than `READ_TIME_RESOLUTION_MS` old.
 *
 * A file is an entry for a key only if its magic, its size, its padding, its key and both
 * checksums match; anything else (truncated, damaged, foreign, another key's, an older format)
 * reads as a miss and is removed.
 *
 * `ltc-usage.log` keeps a running total of the values' sizes for the size limit, shared by
 * every process: a journal of float64 (little-endian) changes, appended by each store, deletion
 * and expiry once a `TaskCache` has started it (`storedBytes`, `correctStoredBytes`).
 *
 * @module
 */
import {
  closeSync,
  constants,
  fstatSync,
  futimesSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  read,
  readSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  write,
  writeSync,
  writevSync,
} from "node:fs";
import { readdir, unlink } from "node:fs/promises";
import { homedir, platform } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { Buffer } from "node:buffer";
import process from "node:process";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import {
  type CacheAdapter,
  type EntryInfo,
  type EntryMetadata,
  type GetOptions,
  isOtherTask,
  type Lease,
  READ_TIME_RESOLUTION_MS,
} from "../adapter.ts";
import { Checksum, checksum, checksumInSlices, utf16le } from "../internal/checksum.ts";
import { CacheError, type CacheErrorCode } from "../errors.ts";
import {
  checkPieces,
  setAsOnePiece,
  SLICE_BYTES,
  totalLength,
  yieldToEventLoop,
} from "../internal/slices.ts";
import { checkDirectory, trustedOwner } from "./fs_trust.ts";
import { isGoneHolder, thisHolder } from "../internal/holder.ts";

/** Options of {@link FsAdapter}. */
export interface FsAdapterOptions {
  /**
   * The directory holding the entries; created (mode 0700) on the first `set`. It may hold
   * other files too, and be shared by several processes.
   */
  directory: string;
  /**
   * A directory shared on purpose (a team's): accept it although another user owns it or
   * group or others can write to it, and trust the entries of every user who can write there.
   * Without it (the default), such a directory is refused with `UNSAFE_DIRECTORY`, and entry
   * files owned by another user than this process's (or root) read as misses.
   */
  shared?: boolean;
}

const MAGIC = [0x4c, 0x54, 0x43, 0x32]; // "LTC2"
const HEADER_BYTES = 48;
/** How much of a file `entries()` reads first: the header of any entry with a short key. */
const HEAD_READ = 4096;
const ENTRY = /^[0-9a-f]{64}\.ltc$/;
const LEASE = /^[0-9a-f]{64}\.lease$/;
const TEMPORARY = /^\.tmp-[0-9a-f]{32}$/;
/**
 * The running total of the stored values' sizes: a journal of float64 (little-endian) records,
 * each a change in bytes, appended (`O_APPEND`, atomic for a write this small) by every process
 * that stores or removes an entry; the total is their sum.
 */
const USAGE = "ltc-usage.log";
const USAGE_RECORD = 8;
/** Past this size, the journal is rewritten as one record (its sum) by the next reader. */
const USAGE_COMPACT = 1024 * 1024;
/**
 * Files up to this size are read and written with synchronous calls: from the page cache that
 * takes microseconds for small files (several times less than the thread-pool round trips of
 * asynchronous calls) and under a millisecond at this size. Larger ones are asynchronous, so a
 * big entry never holds up the event loop for long.
 */
const SYNC_LIMIT = 4 * 1024 * 1024;
/**
 * The most an asynchronous read or write asks for at once: Deno's `node:fs` does the work of
 * `read` and `write` before they return (about 50 ms for 200 MiB), so a large value goes in
 * pieces, each a short stretch there (Node's run in its thread pool anyway).
 */
const IO_PIECE = 8 * 1024 * 1024;
/** Values up to this size are written with their header in one system call (`writev`). */
const SMALL_VALUE = 64 * 1024;
const CLEAR_BATCH = 64;
/**
 * How entry and lease files are opened: never through a symbolic link, never waiting (a FIFO
 * opens at once); anything but a regular file is then refused before a byte is read.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
/** Codes of `open` on a symbolic link (with `O_NOFOLLOW`), a socket or a device without driver. */
const STRANGE_FILE = new Set(["ELOOP", "EMLINK", "ENXIO", "ENODEV", "EOPNOTSUPP", "EFTYPE"]);
/** How the journal of the running total is opened to append to it: never through a link. */
const USAGE_FLAGS = constants.O_WRONLY | constants.O_APPEND | (constants.O_NOFOLLOW ?? 0) |
  (constants.O_NONBLOCK ?? 0);
/** A lease file is a line of JSON: anything longer is not one. */
const LEASE_MAX_BYTES = 1024;
/**
 * A lease claiming to last longer than this (or the reader's own lease time) from now has
 * expired: no holder renews that far ahead, so it is damage or a plant meant to block others.
 */
const LEASE_MAX_MS = 24 * 60 * 60 * 1000;

/**
 * The default cache directory, always an absolute path: `LOCAL_TASK_CACHE_DIR` when set and not
 * empty (a leading `~` is the home directory; a relative path is resolved against the working
 * directory now, once), otherwise the per-user cache directory:
 *
 * - Linux and other Unixes: `$XDG_CACHE_HOME/local-task-cache` (when it is absolute, as the XDG
 *   specification requires), or `~/.cache/local-task-cache`;
 * - macOS: `~/Library/Caches/local-task-cache`;
 * - Windows: `%LOCALAPPDATA%\local-task-cache\Cache` (`~\AppData\Local\...` without it).
 *
 * `~` is `HOME` (`USERPROFILE` on Windows) from `env`, else the user's home directory. Another
 * user's home (`~name`) is not looked up: that is a `TypeError`.
 *
 * @param env The environment to read (default: `process.env`).
 *
 * @example
 * ```ts
 * import { defaultCacheDirectory } from "local-task-cache/adapters/fs";
 *
 * console.log(defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "/var/cache/tasks" }));
 * // "/var/cache/tasks"
 * console.log(defaultCacheDirectory({ HOME: "/home/me" })); // on Linux:
 * // "/home/me/.cache/local-task-cache"
 * ```
 */
export function defaultCacheDirectory(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const windows = platform() === "win32";
  const home = () => resolve((windows ? env.USERPROFILE : env.HOME) || homedir());
  const given = env.LOCAL_TASK_CACHE_DIR;
  if (given) {
    const tilde = /^~([^/\\]*)(.*)$/s.exec(given);
    if (tilde === null) return resolve(given);
    if (tilde[1] !== "") {
      throw new TypeError(
        `LOCAL_TASK_CACHE_DIR=${JSON.stringify(given)}: only ~ (your home directory) is ` +
          "expanded, not another user's; write the full path",
      );
    }
    return join(home(), tilde[2]!);
  }
  if (windows) {
    const local = env.LOCALAPPDATA || join(home(), "AppData", "Local");
    return resolve(local, "local-task-cache", "Cache");
  }
  if (platform() === "darwin") return join(home(), "Library", "Caches", "local-task-cache");
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home(), ".cache"), "local-task-cache");
}

/**
 * Stores entries as files in one directory (see the module documentation for the format).
 *
 * - Any key works: files are named from a SHA-256 of the key, and hold the key itself, so no
 *   key escapes the directory or reads another key's entry.
 * - `set` writes a temporary file in the same directory and renames it over the entry: readers
 *   in any process see the old value or the new one; a crash leaves the old value or none. (No
 *   fsync: after a power loss an entry may be lost, but a torn file fails its checks and reads
 *   as a miss, never as wrong bytes.)
 * - A truncated, damaged or foreign entry file reads as a miss and is removed.
 * - Strange files never hang or exhaust the process: entry and lease files are opened without
 *   following links and without blocking, and only regular files are read, the header before
 *   the value. A FIFO, socket, device or link at an entry's path is a miss and is removed; a
 *   directory there is a miss and stays (`clear` leaves directories alone too).
 * - Who can change the results: a directory owned by another user than this process's (root
 *   aside), or writable by group or others, or below a directory that is (without the sticky
 *   bit), is refused with `UNSAFE_DIRECTORY`; entry and lease files of another user are not
 *   trusted. `shared: true` accepts a directory shared on purpose. (Not checked on Windows.)
 * - The directory is created with mode 0700, files with mode 0600. `clear` removes the entry
 *   files and leftover temporary files (of crashed writers) and nothing else.
 * - Failures are `CacheError`s: `PERMISSION_DENIED` (`EACCES`, `EPERM`, `EROFS`), `NO_SPACE`
 *   (`ENOSPC`, `EDQUOT`), `NOT_A_DIRECTORY` (the directory or a parent is a file),
 *   `UNSAFE_DIRECTORY` (above), else `IO`;
 *   `cause` is the original error. A failed `set` removes its temporary file and leaves the
 *   previous entry intact. `get` also rejects when the directory cannot be read (no permission,
 *   a file in its place), so a misconfigured cache is reported instead of never hitting; a
 *   directory that does not exist yet is just empty.
 *
 * @example
 * ```ts
 * import { TaskCache } from "local-task-cache";
 * import { FsAdapter } from "local-task-cache/adapters/fs";
 *
 * const adapter = new FsAdapter({ directory: "./.task-cache" });
 * await adapter.set("key", new Uint8Array([1, 2, 3]));
 * console.log(await adapter.get("key")); // Uint8Array(3) [ 1, 2, 3 ]
 * const cache = new TaskCache(adapter);
 * await cache.close();
 * ```
 */
export class FsAdapter implements CacheAdapter {
  /** The directory holding the entries. */
  readonly directory: string;
  /**
   * Whom entry files may belong to: this process's user (and root), once the directory was
   * found safe; `"anyone"` for a shared directory or where owners are not checked (Windows);
   * `undefined` until the directory is checked (it may not exist yet).
   */
  #trusted: number | "anyone" | undefined;
  #closed = false;
  /** The journal of the running total (`USAGE`) as read so far: which file, how far, its sum. */
  #usage: { ino: number; offset: number; bytes: number } | undefined;

  /**
   * An adapter on `options.directory`; nothing on disk is touched until it is used.
   *
   * @example
   * ```ts
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * const adapter = new FsAdapter({ directory: "./.task-cache" });
   * ```
   */
  constructor(options: FsAdapterOptions) {
    const directory = (options as Partial<FsAdapterOptions> | undefined)?.directory;
    if (typeof directory !== "string" || directory === "") {
      throw new TypeError(
        `FsAdapter: options.directory must be a non-empty path string, got ${
          directory === "" ? "an empty string" : typeof directory
        }`,
      );
    }
    this.directory = directory;
    if (options.shared === true) this.#trusted = "anyone";
  }

  /**
   * The value stored under `key` (a new plain `Uint8Array`); `undefined` when there is none or
   * its file is damaged (then the file is removed).
   *
   * @example
   * ```ts
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * const value = await new FsAdapter({ directory: "./.task-cache" }).get("key");
   * ```
   */
  async get(key: string, options: GetOptions = {}): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    const keyBytes = encodeKey(key);
    const path = this.#path(keyBytes);
    this.#verify();
    let fd: number | "strange" | undefined;
    try {
      fd = openFile(path);
    } catch (error) {
      throw storageError(error, `cannot read the cache entry ${path}`);
    }
    if (fd === undefined) return undefined;
    if (fd === "strange") {
      removeStrangeFile(path);
      return undefined;
    }
    let inode: number | undefined;
    let expired = 0; // the value size of an expired entry, counted off the running total
    try {
      this.#verify(); // again, if the directory was made since

      const stats = fstatSync(fd);
      if (!stats.isDirectory()) inode = stats.ino;
      const entry = this.#isTrusted(stats) ? await readEntry(fd, stats.size, keyBytes) : undefined;
      if (entry !== undefined && !(entry.createdAt < (options.notBefore ?? -Infinity))) {
        // Another task's entry (same key): a miss, left to it.
        if (isOtherTask(options.expect, entry.taskName, entry.cacheVersion)) return undefined;
        const now = Date.now();
        if (now - stats.mtimeMs > READ_TIME_RESOLUTION_MS) touch(fd, now);
        return entry.value;
      }
      expired = entry?.value.length ?? 0;
    } catch (error) {
      throw storageError(error, `cannot read the cache entry ${path}`);
    } finally {
      closeQuietly(fd);
    }
    // Damaged, expired, foreign or not a file: remove it, unless a writer has renamed a new
    // entry into place since (a directory stays: it is not ours to remove).
    try {
      if (inode !== undefined && statSync(path).ino === inode) {
        unlinkSync(path);
        this.#account(-expired);
      }
    } catch {
      // Gone already, or not removable: it reads as a miss either way.
    }
    return undefined;
  }

  /**
   * Stores `value` under `key`, atomically replacing any previous value.
   *
   * @example
   * ```ts
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * await new FsAdapter({ directory: "./.task-cache" }).set("key", new Uint8Array([1, 2]));
   * ```
   */
  set(key: string, value: Uint8Array, metadata?: EntryMetadata): Promise<void> {
    return setAsOnePiece(this, "FsAdapter", key, value, metadata);
  }

  /**
   * `set` of the pieces `chunks` joined, written a piece at a time (never joined in memory);
   * a large value is summed a slice at a time, with turns of the event loop between slices.
   *
   * @example
   * ```ts
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * const adapter = new FsAdapter({ directory: "./.task-cache" });
   * await adapter.setChunks("key", [new Uint8Array([1]), new Uint8Array([2, 3])]);
   * console.log(await adapter.get("key")); // Uint8Array(3) [ 1, 2, 3 ]
   * ```
   */
  async setChunks(
    key: string,
    chunks: readonly Uint8Array[],
    metadata?: EntryMetadata,
  ): Promise<void> {
    this.#checkOpen();
    checkPieces(chunks, "FsAdapter.setChunks");
    const keyBytes = encodeKey(key);
    const path = this.#path(keyBytes);
    this.#verify();
    const size = totalLength(chunks);
    const sum = size <= SLICE_BYTES
      ? chunks.reduce((sum, chunk) => sum.update(chunk), new Checksum()).digest()
      : await checksumInSlices(chunks);
    this.#checkOpen();
    const header = entryHeader(keyBytes, size, sum, metadata, Date.now());
    const temporary = join(this.directory, `.tmp-${bytesToHex(randomBytes(16))}`);
    let fd: number | undefined;
    let renaming = false;
    try {
      fd = this.#createTemporary(temporary);
      if (size <= SMALL_VALUE) writeSmall(fd, [header, ...chunks]);
      else await writeAll(fd, [header, ...chunks]);
      const written = fd;
      fd = undefined;
      closeSync(written);
      renaming = true;
      const replaced = fileSize(path);
      renameSync(temporary, path);
      // The replaced entry's value: its file less the header (the same key, so the same
      // header length, unless its task name or version differ in length).
      const old = replaced === undefined ? 0 : Math.max(0, replaced - header.length);
      this.#account(size - old);
    } catch (error) {
      if (fd !== undefined) closeQuietly(fd);
      // The temporary file is gone: a `clear` (maybe in another process) removed it just
      // before the rename. The value was stored and cleared, a valid outcome.
      if (renaming && codeOf(error) === "ENOENT") return;
      await unlink(temporary).catch(() => {});
      throw storageError(error, `cannot store the cache entry ${path}`);
    }
  }

  /**
   * Removes the entry for `key`; resolves to whether there was one.
   *
   * @example
   * ```ts
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * const existed = await new FsAdapter({ directory: "./.task-cache" }).delete("key");
   * ```
   */
  delete(key: string): Promise<boolean> {
    let path = this.directory;
    try {
      this.#checkOpen();
      path = this.#path(encodeKey(key));
      this.#verify();
      const size = entrySize(path);
      unlinkSync(path);
      this.#account(-size);
      return Promise.resolve(true);
    } catch (error) {
      if (codeOf(error) === "ENOENT") return Promise.resolve(false);
      return Promise.reject(storageError(error, `cannot remove the cache entry ${path}`));
    }
  }

  /**
   * Removes every entry file, leftover temporary file and lease of the directory, and the
   * running total of the values' sizes (`ltc-usage.log`), and nothing else.
   *
   * @example
   * ```ts
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * await new FsAdapter({ directory: "./.task-cache" }).clear();
   * ```
   */
  async clear(): Promise<void> {
    this.#checkOpen();
    this.#verify();
    const names = await this.#names();
    const ours = names.filter((name) =>
      ENTRY.test(name) || TEMPORARY.test(name) || LEASE.test(name) || name === USAGE
    );
    this.#usage = undefined;
    for (let i = 0; i < ours.length; i += CLEAR_BATCH) {
      await Promise.all(
        ours.slice(i, i + CLEAR_BATCH).map(async (name) => {
          const path = join(this.directory, name);
          await unlink(path).catch((error: unknown) => {
            // A directory under one of our names is not ours: it stays.
            if (codeOf(error) === "ENOENT" || isDirectory(path)) return;
            throw storageError(error, `cannot remove ${path}`);
          });
        }),
      );
    }
  }

  /**
   * A lease on `name` for single flight across processes: the file `<SHA-256 of name>.lease`,
   * holding its owner and expiry as JSON, created whole (written under a temporary name, then
   * linked into place, which fails if a lease is there). An expired lease is taken over: moved
   * aside, checked, and removed; one that turns out to be fresh is put back.
   *
   * @example
   * ```ts
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * const lease = await new FsAdapter({ directory: "./.task-cache" }).acquireLease("k", 10_000);
   * if (lease) {
   *   // ... the work only one process should do ...
   *   await lease.release();
   * }
   * ```
   */
  acquireLease(name: string, ttlMs: number): Promise<Lease | undefined> {
    try {
      this.#checkOpen();
      if (!(typeof ttlMs === "number" && ttlMs > 0)) {
        throw new TypeError(`FsAdapter.acquireLease: ttlMs must be a number > 0, got ${ttlMs}`);
      }
      const path = join(
        this.directory,
        `${bytesToHex(sha256(encodeText(name, "a lease name")))}.lease`,
      );
      const owner = bytesToHex(randomBytes(16));
      this.#verify();
      const trusted = (stats: Stats) => this.#isTrusted(stats);
      const longest = Math.max(ttlMs, LEASE_MAX_MS);
      for (let attempt = 0; attempt < 3; attempt++) {
        if (this.#placeLease(path, owner, ttlMs)) {
          return Promise.resolve(this.#lease(path, owner, ttlMs));
        }
        const held = readLease(path, trusted, longest);
        if (held === "gone") continue;
        if (held.expiresAt > Date.now()) return Promise.resolve(undefined);
        // Expired: move it aside (only one taker can), and put it back if it was renewed.
        const aside = join(this.directory, `.tmp-${bytesToHex(randomBytes(16))}`);
        try {
          renameSync(path, aside);
        } catch (error) {
          if (codeOf(error) === "ENOENT") continue;
          throw error;
        }
        const moved = readLease(aside, trusted, longest);
        if (moved !== "gone" && moved.expiresAt > Date.now()) {
          try {
            linkSync(aside, path);
          } catch {
            // Someone else placed a lease meanwhile: theirs stands.
          }
          unlinkSync(aside);
          return Promise.resolve(undefined);
        }
        unlinkSync(aside);
      }
      return Promise.resolve(undefined);
    } catch (error) {
      return Promise.reject(storageError(error, `cannot take the lease on ${name}`));
    }
  }

  /** Creates the lease file if there is none; whether it did. */
  #placeLease(path: string, owner: string, ttlMs: number): boolean {
    const temporary = join(this.directory, `.tmp-${bytesToHex(randomBytes(16))}`);
    const fd = this.#createTemporary(temporary);
    try {
      try {
        writeSync(fd, leaseText(owner, ttlMs));
      } finally {
        closeSync(fd);
      }
      linkSync(temporary, path);
      return true;
    } catch (error) {
      if (codeOf(error) === "EEXIST") return false;
      throw error;
    } finally {
      try {
        unlinkSync(temporary);
      } catch {
        // Gone already (a clear): nothing to do.
      }
    }
  }

  #lease(path: string, owner: string, ttlMs: number): Lease {
    const ours = () => {
      const held = readLease(path, () => true, Infinity);
      return held !== "gone" && held.owner === owner;
    };
    return {
      renew: (ttl = ttlMs) => {
        const temporary = join(this.directory, `.tmp-${bytesToHex(randomBytes(16))}`);
        try {
          if (!ours()) return Promise.resolve(false);
          const fd = this.#createTemporary(temporary);
          try {
            writeSync(fd, leaseText(owner, ttl));
          } finally {
            closeSync(fd);
          }
          renameSync(temporary, path);
          return Promise.resolve(true);
        } catch (error) {
          try {
            unlinkSync(temporary);
          } catch {
            // Not created, or renamed already.
          }
          return Promise.reject(storageError(error, `cannot renew the lease ${path}`));
        }
      },
      release: () => {
        try {
          if (ours()) unlinkSync(path);
        } catch {
          // Gone already, or taken over: nothing of ours is left.
        }
        return Promise.resolve();
      },
    };
  }

  /**
   * Every entry's metadata, read from the headers of the directory's entry files (damaged
   * ones are left out; `get` removes them). A directory that does not exist is empty.
   *
   * @example
   * ```ts
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * for await (const entry of new FsAdapter({ directory: "./.task-cache" }).entries()) {
   *   console.log(entry.taskName, entry.size);
   * }
   * ```
   */
  async *entries(): AsyncIterable<EntryInfo> {
    this.#checkOpen();
    this.#verify();
    const names = await this.#names();
    for (const name of names) {
      if (!ENTRY.test(name)) continue;
      this.#checkOpen();
      const info = readEntryInfo(join(this.directory, name), (stats) => this.#isTrusted(stats));
      if (info !== undefined) yield info;
    }
  }

  /**
   * The total size of the stored values, from the running total every process using the
   * directory keeps in `ltc-usage.log` (a journal of changes: only what was appended since the
   * last call is read); `undefined` when there is none yet (or it is not trusted, or damaged).
   *
   * @example
   * ```ts
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * console.log(await new FsAdapter({ directory: "./.task-cache" }).storedBytes());
   * ```
   */
  storedBytes(): Promise<number | undefined> {
    try {
      this.#checkOpen();
      this.#verify();
      return Promise.resolve(this.#readUsage());
    } catch (error) {
      return Promise.reject(
        storageError(error, `cannot read the running total ${join(this.directory, USAGE)}`),
      );
    }
  }

  /** The running total (see `storedBytes`), reading only what was appended since last time. */
  #readUsage(): number | undefined {
    const path = join(this.directory, USAGE);
    const fd = openFile(path);
    if (fd === undefined) return undefined;
    if (fd === "strange") {
      removeStrangeFile(path);
      return undefined;
    }
    let usage;
    try {
      const stats = fstatSync(fd);
      if (!this.#isTrusted(stats)) return undefined;
      usage = this.#usage;
      if (usage === undefined || usage.ino !== stats.ino || usage.offset > stats.size) {
        usage = { ino: stats.ino, offset: 0, bytes: 0 };
      }
      const end = stats.size - (stats.size % USAGE_RECORD);
      const records = readRange(fd, usage.offset, end - usage.offset);
      const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
      for (let i = 0; i + USAGE_RECORD <= records.length; i += USAGE_RECORD) {
        usage.bytes += view.getFloat64(i, true);
      }
      usage.offset += records.length - (records.length % USAGE_RECORD);
    } finally {
      closeQuietly(fd);
    }
    if (!Number.isFinite(usage.bytes)) {
      this.#usage = undefined;
      return undefined; // damaged: the cache counts again
    }
    this.#usage = usage;
    if (usage.offset >= USAGE_COMPACT) {
      try {
        this.#writeUsage(usage.bytes);
      } catch {
        // Not now (a full disk; on Windows, a reader holding it open): the next reader will.
      }
    }
    return Math.max(0, usage.bytes);
  }

  /**
   * Corrects the running total after a listing counted `counted` bytes while it said `kept`:
   * starts `ltc-usage.log` at `counted` when there is none (`kept` undefined; if another
   * process created one meanwhile, that one stands), else appends `counted - kept` to it.
   *
   * @example
   * ```ts
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * await new FsAdapter({ directory: "./.task-cache" }).correctStoredBytes(0, undefined);
   * ```
   */
  correctStoredBytes(counted: number, kept: number | undefined): Promise<void> {
    const path = join(this.directory, USAGE);
    try {
      this.#checkOpen();
      for (const [name, value] of [["counted", counted], ["kept", kept ?? 0]] as const) {
        if (!(typeof value === "number" && value >= 0 && Number.isFinite(value))) {
          throw new TypeError(
            `FsAdapter.correctStoredBytes: ${name} must be a number >= 0, got ${value}`,
          );
        }
      }
      this.#verify();
      if (kept !== undefined) {
        this.#account(counted - kept);
        return Promise.resolve();
      }
      try {
        this.#writeUsage(counted, (temporary) => linkSync(temporary, path));
      } catch (error) {
        if (codeOf(error) !== "EEXIST") throw error;
        // Another process started one meanwhile: it stands, unless it cannot be used (damaged,
        // another user's), which is replaced.
        if (this.#readUsage() === undefined) this.#writeUsage(counted);
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(storageError(error, `cannot write the running total ${path}`));
    }
  }

  /**
   * Writes a journal of the running total of one record, `bytes`, under a temporary name, and
   * puts it in place with `place` (by default a rename over the journal: a compaction).
   */
  #writeUsage(
    bytes: number,
    place = (temporary: string) => renameSync(temporary, join(this.directory, USAGE)),
  ): void {
    const temporary = join(this.directory, `.tmp-${bytesToHex(randomBytes(16))}`);
    const record = new Uint8Array(USAGE_RECORD);
    new DataView(record.buffer).setFloat64(0, bytes, true);
    const fd = this.#createTemporary(temporary);
    try {
      let ino;
      try {
        writeSync(fd, record);
        ino = fstatSync(fd).ino;
      } finally {
        closeQuietly(fd);
      }
      place(temporary);
      this.#usage = { ino, offset: USAGE_RECORD, bytes };
    } finally {
      try {
        unlinkSync(temporary);
      } catch {
        // Renamed or gone already.
      }
    }
  }

  /**
   * Appends a change of `delta` bytes to the running total, if one is kept (it starts when a
   * cache first counts the entries). Best effort: a total that drifts is set right by the next
   * count (see `correctStoredBytes`).
   */
  #account(delta: number): void {
    if (delta === 0) return;
    let fd: number;
    try {
      fd = openSync(join(this.directory, USAGE), USAGE_FLAGS);
    } catch {
      return; // none kept yet (or not ours to write)
    }
    try {
      const record = new Uint8Array(USAGE_RECORD);
      new DataView(record.buffer).setFloat64(0, delta, true);
      writeSync(fd, record);
    } catch {
      // A full disk: the total drifts until the next count.
    } finally {
      closeQuietly(fd);
    }
  }

  /**
   * Marks the adapter closed (it holds no open files between calls): later calls reject with
   * `CLOSED`. Closing again is harmless.
   *
   * @example
   * ```ts
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * await new FsAdapter({ directory: "./.task-cache" }).close();
   * ```
   */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** The names in the directory; none when it does not exist. */
  async #names(): Promise<string[]> {
    try {
      return await readdir(this.directory);
    } catch (error) {
      if (codeOf(error) === "ENOENT") return [];
      throw storageError(error, `cannot list the cache directory ${this.directory}`);
    }
  }

  /**
   * Checks once that the directory is safe (see `fs_trust.ts`), unless it is shared; until it
   * exists there is nothing to check.
   */
  #verify(): void {
    if (this.#trusted !== undefined) return;
    try {
      this.#trusted = checkDirectory(this.directory) ?? "anyone";
    } catch (error) {
      if (codeOf(error) === "ENOENT") return;
      throw storageError(error, `cannot check the cache directory ${this.directory}`);
    }
  }

  /** Whether a file is a regular file that a user this adapter trusts owns. */
  #isTrusted(stats: Stats): boolean {
    if (!stats.isFile()) return false;
    const trusted = this.#trusted;
    return trusted === "anyone" || (trusted !== undefined && trustedOwner(stats.uid, trusted));
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new CacheError("CLOSED", `FsAdapter(${this.directory}) is closed: open a new one`);
    }
  }

  #path(keyBytes: Uint8Array): string {
    return join(this.directory, `${bytesToHex(sha256(keyBytes))}.ltc`);
  }

  /**
   * Creates the temporary file (mode 0600), and the directory first if it is missing; then
   * checks the directory, if that was not done yet (it did not exist).
   */
  #createTemporary(temporary: string): number {
    let fd: number;
    try {
      fd = createFile(temporary);
    } catch (error) {
      if (codeOf(error) !== "ENOENT") throw error;
      makeDirectory(this.directory);
      fd = createFile(temporary);
    }
    try {
      this.#verify();
      if (this.#trusted === undefined) throw new Error(`${this.directory} vanished`);
    } catch (error) {
      closeQuietly(fd);
      try {
        unlinkSync(temporary);
      } catch {
        // Gone already.
      }
      throw error;
    }
    return fd;
  }
}

/** The key's UTF-16 code units, little-endian: one-to-one, lone surrogates included. */
function encodeKey(key: string): Uint8Array {
  return encodeText(key, "a key");
}

/** A string's UTF-16 code units, little-endian. */
function encodeText(text: string, what: string): Uint8Array {
  if (typeof text !== "string") {
    throw new TypeError(`FsAdapter: ${what} must be a string, got ${typeof text}`);
  }
  return utf16le(text);
}

/** The string whose UTF-16LE code units `bytes` holds. */
function decodeText(bytes: Uint8Array): string {
  if (bytes.length <= SHORT_TEXT) {
    // A task name or version: code unit by code unit, without the arrays of the long way.
    let text = "";
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      text += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
    }
    return text;
  }
  const units = new Uint16Array(bytes.length / 2);
  for (let i = 0; i < units.length; i++) units[i] = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
  let text = "";
  for (let i = 0; i < units.length; i += 8192) {
    text += String.fromCharCode(...units.subarray(i, i + 8192));
  }
  return text;
}

/** Strings up to this many bytes are decoded by the short way. */
const SHORT_TEXT = 256;

/**
 * The bytes before a value of `size` bytes whose checksum is `low`, `high`: magic, lengths,
 * checksums, metadata and padding.
 */
function entryHeader(
  keyBytes: Uint8Array,
  size: number,
  [low, high]: [number, number],
  metadata: EntryMetadata | undefined,
  createdAt: number,
): Uint8Array {
  const taskName = encodeText(metadata?.taskName ?? "", "the task name");
  const version = encodeText(metadata?.cacheVersion ?? "", "the cache version");
  const header = new Uint8Array(valueOffset(keyBytes.length + taskName.length + version.length));
  const view = new DataView(header.buffer);
  header.set(MAGIC, 0);
  view.setUint32(4, keyBytes.length, true);
  view.setBigUint64(8, BigInt(size), true);
  view.setUint32(16, low, true);
  view.setUint32(20, high, true);
  view.setFloat64(32, createdAt, true);
  view.setUint32(40, taskName.length, true);
  view.setUint32(44, version.length, true);
  header.set(keyBytes, HEADER_BYTES);
  header.set(taskName, HEADER_BYTES + keyBytes.length);
  header.set(version, HEADER_BYTES + keyBytes.length + taskName.length);
  const [metaLow, metaHigh] = checksum(header.subarray(32));
  view.setUint32(24, metaLow, true);
  view.setUint32(28, metaHigh, true);
  return header;
}

/** Where the value starts: after the header and its strings, at a multiple of 4. */
function valueOffset(stringBytes: number): number {
  // Not `& ~3`: lengths read from a damaged file can pass 2^31.
  return Math.ceil((HEADER_BYTES + stringBytes) / 4) * 4;
}

interface Header {
  /** Where the value starts. */
  start: number;
  keyLength: number;
  taskNameLength: number;
  versionLength: number;
  createdAt: number;
}

/**
 * The header at the start of `file` (of `fileSize` bytes), if its magic, lengths, padding and
 * metadata checksum hold; `undefined` when `file` is too short to tell or they do not.
 */
function decodeHeader(file: Uint8Array, fileSize: number): Header | undefined {
  if (file.length < HEADER_BYTES) return undefined;
  for (let i = 0; i < MAGIC.length; i++) if (file[i] !== MAGIC[i]) return undefined;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const keyLength = view.getUint32(4, true);
  const taskNameLength = view.getUint32(40, true);
  const versionLength = view.getUint32(44, true);
  const strings = keyLength + taskNameLength + versionLength;
  // Each string is whole UTF-16 code units.
  if ((keyLength | taskNameLength | versionLength) % 2 !== 0 || strings > fileSize) {
    return undefined;
  }
  const start = valueOffset(strings);
  if (start > file.length || view.getBigUint64(8, true) !== BigInt(fileSize - start)) {
    return undefined;
  }
  for (let i = HEADER_BYTES + strings; i < start; i++) if (file[i] !== 0) return undefined;
  const [low, high] = checksum(file.subarray(32, start));
  if (view.getUint32(24, true) !== low || view.getUint32(28, true) !== high) return undefined;
  return { start, keyLength, taskNameLength, versionLength, createdAt: view.getFloat64(32, true) };
}

/**
 * The file at `path` open for reading (`OPEN_FLAGS`); `undefined` when there is none;
 * `"strange"` when it is a symbolic link, a socket or a device that cannot be opened. Other
 * failures are thrown.
 */
function openFile(path: string): number | "strange" | undefined {
  try {
    return openSync(path, OPEN_FLAGS);
  } catch (error) {
    const code = codeOf(error);
    if (code === "ENOENT") return undefined;
    if (code !== undefined && STRANGE_FILE.has(code)) return "strange";
    throw error;
  }
}

/** Removes what sits at `path` if it is not a directory (a link, a socket, a FIFO, a device). */
function removeStrangeFile(path: string): void {
  try {
    if (!lstatSync(path).isDirectory()) unlinkSync(path);
  } catch {
    // Gone already, or not removable: it reads as a miss either way.
  }
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The start of the regular file open as `fd` (`size` bytes long): its header and the bytes up
 * to the value, if its header holds; nothing past the header is read before it is checked.
 */
function readHeader(fd: number, size: number): { head: Uint8Array; header: Header } | undefined {
  let head = readPrefix(fd, Math.min(size, HEAD_READ));
  let header = decodeHeader(head, size);
  if (header === undefined && head.length >= HEADER_BYTES && size > HEAD_READ) {
    // A long key: read the whole header (if the file is as long as the lengths say).
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const strings = view.getUint32(4, true) + view.getUint32(40, true) + view.getUint32(44, true);
    if (valueOffset(strings) <= size) {
      head = readPrefix(fd, valueOffset(strings));
      header = decodeHeader(head, size);
    }
  }
  return header === undefined ? undefined : { head, header };
}

/**
 * The entry in the regular file open as `fd` (`size` bytes long) if it is a whole entry for
 * the key, else `undefined`. The value is read only once the header and key are checked.
 */
async function readEntry(
  fd: number,
  size: number,
  keyBytes: Uint8Array,
): Promise<
  { value: Uint8Array; createdAt: number; taskName: string; cacheVersion: string } | undefined
> {
  const found = readHeader(fd, size);
  if (found === undefined) return undefined;
  const { head, header } = found;
  if (header.keyLength !== keyBytes.length) return undefined;
  for (let i = 0; i < keyBytes.length; i++) {
    if (head[HEADER_BYTES + i] !== keyBytes[i]) return undefined;
  }
  // A small entry was read whole with its header.
  const value = head.length === size
    ? head.subarray(header.start)
    : await readAll(fd, header.start, size - header.start);
  if (value.length !== size - header.start) return undefined; // shrank meanwhile
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  // A large value a slice at a time, so that the event loop runs meanwhile.
  const [low, high] = value.length <= SLICE_BYTES
    ? checksum(value)
    : await checksumInSlices([value]);
  if (view.getUint32(16, true) !== low || view.getUint32(20, true) !== high) return undefined;
  let strings: { taskName: string; cacheVersion: string } | undefined;
  return {
    value,
    createdAt: header.createdAt,
    // Decoded only when asked for, once.
    get taskName() {
      return (strings ??= metadataStrings(head, header)).taskName;
    },
    get cacheVersion() {
      return (strings ??= metadataStrings(head, header)).cacheVersion;
    },
  };
}

/** The task name and cache version in the start of an entry file (`head`). */
function metadataStrings(
  head: Uint8Array,
  header: Header,
): { taskName: string; cacheVersion: string } {
  const start = HEADER_BYTES + header.keyLength;
  const middle = start + header.taskNameLength;
  return {
    taskName: decodeText(head.subarray(start, middle)),
    cacheVersion: decodeText(head.subarray(middle, middle + header.versionLength)),
  };
}

/** The key, task name and cache version in the start of an entry file (`head`). */
function entryStrings(
  head: Uint8Array,
  header: Header,
): { key: string; taskName: string; cacheVersion: string } {
  let offset = HEADER_BYTES;
  const text = (length: number) => decodeText(head.subarray(offset, offset += length));
  const key = text(header.keyLength);
  const taskName = text(header.taskNameLength);
  return { key, taskName, cacheVersion: text(header.versionLength) };
}

/** A lease file's text. */
function leaseText(owner: string, ttlMs: number): string {
  // The holder's process and host: a waiter on this host sees at once that a killed holder is
  // gone (src/internal/holder.ts), whatever time its lease had left.
  return JSON.stringify({ owner, expiresAt: Date.now() + ttlMs, ...thisHolder() });
}

/**
 * The owner and expiry of the lease file at `path`; `"gone"` if there is none. What cannot be
 * a lease of a trusted user counts as expired: a file that does not parse, is too long, is not
 * a regular file (a link, a FIFO, a socket, a device: never followed, never waited on) or that
 * `trusted` refuses, one whose expiry is more than `longestMs` ahead, or one whose holder ran on
 * this host and is gone (`isGoneHolder`). A directory there is a
 * `CacheError` (the lease cannot be taken; the caller runs without one).
 */
function readLease(
  path: string,
  trusted: (stats: Stats) => boolean,
  longestMs: number,
): { owner: string; expiresAt: number } | "gone" {
  const expired = { owner: "", expiresAt: -Infinity };
  const fd = openFile(path);
  if (fd === undefined) return "gone";
  if (fd === "strange") return expired;
  let text: string;
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) {
      throw new CacheError("IO", `a directory sits where the lease file ${path} goes: remove it`);
    }
    if (!trusted(stats) || stats.size > LEASE_MAX_BYTES) return expired;
    text = new TextDecoder().decode(readPrefix(fd, stats.size));
  } finally {
    closeQuietly(fd);
  }
  try {
    const { owner, expiresAt, pid, host } = JSON.parse(text);
    if (
      typeof owner === "string" && typeof expiresAt === "number" &&
      expiresAt - Date.now() <= longestMs && !isGoneHolder(pid, host)
    ) {
      return { owner, expiresAt };
    }
  } catch {
    // Damaged: expired.
  }
  return expired;
}

/**
 * The metadata of the entry file at `path`, or `undefined` if it is gone, damaged, not a
 * regular file or not `trusted`.
 */
function readEntryInfo(path: string, trusted: (stats: Stats) => boolean): EntryInfo | undefined {
  let fd: number | "strange" | undefined;
  try {
    fd = openFile(path);
  } catch (error) {
    throw storageError(error, `cannot read the cache entry ${path}`);
  }
  if (fd === undefined || fd === "strange") return undefined; // removed meanwhile, or a link
  try {
    const stats = fstatSync(fd);
    if (!trusted(stats)) return undefined;
    const found = readHeader(fd, stats.size);
    if (found === undefined) return undefined;
    const { head, header } = found;
    return {
      ...entryStrings(head, header),
      size: stats.size - header.start,
      createdAt: header.createdAt,
      // Whole milliseconds, as the creation time (the file system keeps finer times).
      lastReadAt: Math.max(header.createdAt, Math.floor(stats.mtimeMs)),
    };
  } catch (error) {
    throw storageError(error, `cannot read the cache entry ${path}`);
  } finally {
    closeQuietly(fd);
  }
}

/** The first `length` bytes of the file open as `fd` (fewer if it is shorter). */
function readPrefix(fd: number, length: number): Uint8Array {
  // Not zero-filled: only the bytes read are handed out (a small one is cheaper zero-filled
  // than from a Buffer).
  let bytes;
  if (length <= SMALL_VALUE) bytes = new Uint8Array(length);
  else {
    const buffer = Buffer.allocUnsafeSlow(length);
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, length);
  }
  let done = 0;
  while (done < length) {
    const count = readSync(fd, bytes, done, length - done, done);
    if (count === 0) break;
    done += count;
  }
  return bytes.subarray(0, done);
}

/** `length` bytes of the file open as `fd` from `position` on (fewer if it is shorter). */
function readRange(fd: number, position: number, length: number): Uint8Array {
  const bytes = new Uint8Array(Math.max(0, length));
  let done = 0;
  while (done < bytes.length) {
    const count = readSync(fd, bytes, done, bytes.length - done, position + done);
    if (count === 0) break;
    done += count;
  }
  return bytes.subarray(0, done);
}

/** The value size of the entry file at `path`, 0 if it cannot be read as one. */
function entrySize(path: string): number {
  try {
    return readEntryInfo(path, () => true)?.size ?? 0;
  } catch {
    return 0; // a directory, say: removing it fails and says so
  }
}

/** The size of the file at `path`, or `undefined` if there is none (or it cannot be seen). */
function fileSize(path: string): number | undefined {
  try {
    const stats = lstatSync(path);
    return stats.isFile() ? stats.size : undefined;
  } catch {
    return undefined;
  }
}

/** Sets the modification time of `fd` (the entry's last read time) to `now`, if it can. */
function touch(fd: number, now: number): void {
  try {
    futimesSync(fd, now / 1000, now / 1000);
  } catch {
    // Not ours to change (another user's file): the read time stays older, nothing worse.
  }
}

/**
 * A new file (that must not exist yet), mode 0600, open for writing. (The umask can only take
 * bits away: group and others never get access.)
 */
function createFile(path: string): number {
  return openSync(path, "wx", 0o600);
}

/**
 * Creates `path` and its missing parents, mode 0700.
 * Unlike `mkdir(path, { recursive: true })`, which reports some failures (a read-only file
 * system) as `ENOENT`, it fails with the real cause.
 */
function makeDirectory(path: string): void {
  for (let attempt = 0;; attempt++) {
    try {
      mkdirSync(path, { mode: 0o700 });
      return;
    } catch (error) {
      const code = codeOf(error);
      if (code === "EEXIST") {
        if (statSync(path).isDirectory()) return; // another process made it meanwhile
        throw error; // a file is in the way
      }
      const parent = dirname(path);
      if (code !== "ENOENT" || parent === path || attempt > 0) throw error;
      makeDirectory(parent);
    }
  }
}

/** `size` bytes of the file open as `fd` from `position` on (fewer if it shrank meanwhile). */
async function readAll(fd: number, position: number, size: number): Promise<Uint8Array> {
  // Not zero-filled: only the bytes read are handed out.
  const buffer = Buffer.allocUnsafeSlow(size);
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, size);
  let length = 0;
  while (length < size) {
    const count = size <= SYNC_LIMIT
      ? readSync(fd, bytes, length, size - length, position + length)
      : await new Promise<number>((resolve, reject) =>
        read(
          fd,
          bytes,
          length,
          Math.min(size - length, IO_PIECE),
          position + length,
          (error, n) => {
            if (error) reject(error);
            else resolve(n);
          },
        )
      );
    if (count === 0) break;
    length += count;
  }
  return bytes.subarray(0, length);
}

/**
 * Writes the pieces `pieces` (a small value and its header) at the current position of `fd`,
 * in one `writev` where the system writes them whole (it nearly always does, for a regular file).
 */
function writeSmall(fd: number, pieces: readonly Uint8Array[]): void {
  const total = totalLength(pieces);
  const written = writevSync(fd, pieces as Uint8Array[]);
  if (written === total) return;
  const rest = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    rest.set(piece, at);
    at += piece.length;
  }
  for (let offset = written; offset < rest.length;) {
    offset += writeSync(fd, rest, offset, rest.length - offset);
  }
}

/**
 * Writes all of the pieces `chunks` in turn at the current position of `fd`: small ones with
 * synchronous calls (with a turn of the event loop after every `SYNC_LIMIT` bytes of them),
 * large ones asynchronously.
 */
async function writeAll(fd: number, chunks: readonly Uint8Array[]): Promise<void> {
  let sinceYield = 0;
  for (const bytes of chunks) {
    if (bytes.length <= SYNC_LIMIT && sinceYield + bytes.length > SYNC_LIMIT) {
      await yieldToEventLoop();
      sinceYield = 0;
    }
    for (let offset = 0; offset < bytes.length;) {
      const length = Math.min(bytes.length - offset, IO_PIECE);
      offset += bytes.length <= SYNC_LIMIT
        ? writeSync(fd, bytes, offset, length)
        : await new Promise<number>((resolve, reject) =>
          write(fd, bytes, offset, length, null, (error, n) => {
            if (error) reject(error);
            else resolve(n);
          })
        );
    }
    if (bytes.length <= SYNC_LIMIT) sinceYield += bytes.length;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing to do: the descriptor is gone either way.
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const CODES: Record<string, [CacheErrorCode, string]> = {
  EACCES: [
    "PERMISSION_DENIED",
    "permission denied; fix the directory's owner or mode, or choose another directory",
  ],
  EPERM: [
    "PERMISSION_DENIED",
    "operation not permitted; fix the directory's owner or mode, or choose another directory",
  ],
  EROFS: ["PERMISSION_DENIED", "the file system is read-only; choose another directory"],
  ENOSPC: ["NO_SPACE", "the disk is full; free some space or clear the cache"],
  EDQUOT: ["NO_SPACE", "the disk quota is exhausted; free some space or clear the cache"],
  ENOTDIR: [
    "NOT_A_DIRECTORY",
    "a part of the cache directory's path is a file; remove it or choose another directory",
  ],
  EEXIST: [
    "NOT_A_DIRECTORY",
    "the cache directory's path is a file; remove it or choose another directory",
  ],
  EISDIR: ["IO", "a directory sits where a cache file goes; remove it"],
};

/**
 * A `node:fs` failure as a `CacheError` with a code and a message saying what to do (the
 * directory can be chosen with `LOCAL_TASK_CACHE_DIR` or the `directory` option).
 */
function storageError(error: unknown, action: string): CacheError {
  if (error instanceof CacheError) return error;
  const code = codeOf(error);
  const [cacheCode, advice] = (code !== undefined && CODES[code]) ||
    ["IO", `${error instanceof Error ? error.message : String(error)}`];
  return new CacheError(cacheCode, `${action}: ${advice}${code ? ` (${code})` : ""}`, {
    cause: error,
  });
}
