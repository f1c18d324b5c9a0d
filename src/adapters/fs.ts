/**
 * `FsAdapter`: cache entries as files in one directory, on `node:fs` (Node >= 20, Deno, Bun).
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writevSync,
} from "node:fs";
import { mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { homedir, platform } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { CacheAdapter } from "../adapter.ts";
import { CacheError, type CacheErrorCode } from "../errors.ts";

/** Options of {@link FsAdapter}. */
export interface FsAdapterOptions {
  /** The directory holding the entries; created (mode 0700) on first write. */
  directory: string;
}

/**
 * The per-user cache directory of the default file cache: `LOCAL_TASK_CACHE_DIR` if set;
 * otherwise `$XDG_CACHE_HOME/local-task-cache` or `~/.cache/local-task-cache` on Linux and other
 * Unixes, `~/Library/Caches/local-task-cache` on macOS, `%LOCALAPPDATA%\local-task-cache\Cache`
 * on Windows.
 *
 * @param env The environment to read (default: the process's).
 *
 * @example
 * ```ts
 * import { defaultCacheDirectory } from "local-task-cache/adapters/fs";
 *
 * console.log(defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "/var/cache/tasks" }));
 * // /var/cache/tasks
 * ```
 */
export function defaultCacheDirectory(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  if (env.LOCAL_TASK_CACHE_DIR) return env.LOCAL_TASK_CACHE_DIR;
  const home = env.HOME || homedir();
  switch (platform()) {
    case "darwin":
      return join(home, "Library", "Caches", "local-task-cache");
    case "win32":
      return join(
        env.LOCALAPPDATA || join(home, "AppData", "Local"),
        "local-task-cache",
        "Cache",
      );
    default:
      return join(env.XDG_CACHE_HOME || join(home, ".cache"), "local-task-cache");
  }
}

// One file per entry, named `<sha256 of the key>.entry`:
//
//   offset 0   "LTC1" magic
//          4   key length in bytes (uint32 LE), the key as UTF-16LE code units
//          8   value length (uint32 LE, low then high half)
//         16   checksum of the value (two uint32 LE lanes, see `checksum`)
//         24   key, zero-padded to a multiple of 4 bytes
//          …   value
//
// A file is written whole under a temporary name and renamed into place, so a complete file is
// the only thing a reader can find. Anything else (a truncated, flipped or foreign file) fails
// the checks and reads as a miss.
const MAGIC = Uint8Array.of(0x4c, 0x54, 0x43, 0x31);
const HEADER_BYTES = 24;
const PADDING = [0, 1, 2, 3].map((n) => new Uint8Array(n));
const ENTRY = /^[0-9a-f]{64}\.entry$/;
const TEMPORARY = /^[0-9a-f]{64}\.entry\.[0-9a-f]{16}\.tmp$/;
/**
 * Entries up to this size are read and written with synchronous calls: for a small file the
 * system calls take microseconds, much less than a round trip through libuv's thread pool
 * (about 10 times less for a 1 KiB entry). Larger entries go through the thread pool, so a big
 * entry never holds up the event loop.
 */
const SYNC_LIMIT = 1024 * 1024;

/**
 * Stores entries as files in one directory. Works in Node >= 20, Deno (with `--allow-read` and
 * `--allow-write` for the directory) and Bun.
 *
 * - Each entry is one file named from a SHA-256 of its key: any key works, none escapes the
 *   directory. The file holds the key and a checksum of the value: a truncated or corrupted file
 *   reads as a miss and is removed.
 * - `set` writes a temporary file in the same directory and renames it into place: readers in
 *   any process see the old value or the new one, and a crash leaves the old value or none.
 * - The directory is created with mode 0700, files with mode 0600. `clear` removes the adapter's
 *   own files (and temporary files left by crashed writers), nothing else.
 * - Storage failures are `CacheError`s: `PERMISSION_DENIED`, `NO_SPACE`, `NOT_A_DIRECTORY`, `IO`;
 *   a failed `set` leaves the previous entry intact.
 * - Entries up to 1 MiB are read and written with synchronous file system calls (microseconds
 *   on a local disk, far cheaper than the thread pool), larger ones asynchronously.
 *
 * @example
 * ```ts
 * import { TaskCache } from "local-task-cache";
 * import { FsAdapter } from "local-task-cache/adapters/fs";
 *
 * const cache = new TaskCache(new FsAdapter({ directory: "./.task-cache" }));
 * await cache.close();
 * ```
 */
export class FsAdapter implements CacheAdapter {
  /** The directory holding the entries. */
  readonly directory: string;
  #closed = false;
  #created = false;

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
  }

  /** The stored value for `key`; `undefined` when there is none or it is damaged. */
  async get(key: string): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    const keyBytes = encodeKey(key);
    const path = this.#path(keyBytes);
    let file: { data: Uint8Array; inode: number } | undefined;
    try {
      file = readSmall(path) ?? (await readLarge(path));
    } catch (error) {
      if (codeOf(error) === "ENOENT") return undefined;
      throw storageError(error, `cannot read the entry ${path}`);
    }
    const value = decodeEntry(file.data, keyBytes);
    if (value === undefined) removeIfSame(path, file.inode);
    return value;
  }

  /** Stores `value` under `key`, replacing any previous value atomically. */
  async set(key: string, value: Uint8Array): Promise<void> {
    this.#checkOpen();
    if (!(value instanceof Uint8Array)) {
      throw new TypeError(`FsAdapter.set: value must be a Uint8Array, got ${typeof value}`);
    }
    const keyBytes = encodeKey(key);
    const path = this.#path(keyBytes);
    const parts = [
      entryHeader(keyBytes, value),
      keyBytes,
      PADDING[padding(keyBytes.length)]!,
      value,
    ];
    this.#createDirectory();
    const temporary = `${path}.${hex(randomBytes(8))}.tmp`;
    try {
      if (value.length <= SYNC_LIMIT) {
        writeNewSync(temporary, parts);
        renameSync(temporary, path);
      } else {
        await writeNew(temporary, parts);
        await rename(temporary, path);
      }
    } catch (error) {
      await unlink(temporary).catch(() => {});
      // A concurrent `clear` took the temporary file: as if this set came just before it.
      if (codeOf(error) === "ENOENT" && (await exists(this.directory))) return;
      throw storageError(error, `cannot store the entry ${path}`);
    }
  }

  /** Removes the entry for `key`; resolves to whether there was one. */
  delete(key: string): Promise<boolean> {
    let path: string | undefined;
    try {
      this.#checkOpen();
      path = this.#path(encodeKey(key));
      unlinkSync(path);
      return Promise.resolve(true);
    } catch (error) {
      if (codeOf(error) === "ENOENT") return Promise.resolve(false);
      return Promise.reject(storageError(error, `cannot remove the entry ${path}`));
    }
  }

  /** Removes every entry file (and leftover temporary file) of the directory; nothing else. */
  async clear(): Promise<void> {
    this.#checkOpen();
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if (codeOf(error) === "ENOENT") return;
      throw storageError(error, `cannot list the cache directory ${this.directory}`);
    }
    for (const name of names) {
      if (!ENTRY.test(name) && !TEMPORARY.test(name)) continue;
      const path = join(this.directory, name);
      await unlink(path).catch((error: unknown) => {
        if (codeOf(error) !== "ENOENT") throw storageError(error, `cannot remove ${path}`);
      });
    }
  }

  /** Marks the adapter closed (it holds no open files between calls). */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new CacheError("CLOSED", `FsAdapter(${this.directory}) is closed: open a new one`);
    }
  }

  #path(keyBytes: Uint8Array): string {
    return join(this.directory, `${hex(createHash("sha256").update(keyBytes).digest())}.entry`);
  }

  /** Creates the directory, once per adapter (again after a failure). */
  #createDirectory(): void {
    if (this.#created) return;
    try {
      createDirectory(this.directory);
    } catch (error) {
      throw storageError(error, `cannot create the cache directory ${this.directory}`);
    }
    this.#created = true;
  }
}

/** The key's UTF-16 code units, little-endian: one-to-one, lone surrogates included. */
function encodeKey(key: string): Uint8Array {
  if (typeof key !== "string") {
    throw new TypeError(`FsAdapter: a key must be a string, got ${typeof key}`);
  }
  const bytes = new Uint8Array(key.length * 2);
  for (let i = 0, j = 0; i < key.length; i++, j += 2) {
    const unit = key.charCodeAt(i);
    bytes[j] = unit & 0xff;
    bytes[j + 1] = unit >>> 8;
  }
  return bytes;
}

function entryHeader(keyBytes: Uint8Array, value: Uint8Array): Uint8Array {
  const header = new Uint8Array(HEADER_BYTES);
  const view = new DataView(header.buffer);
  header.set(MAGIC, 0);
  view.setUint32(4, keyBytes.length, true);
  view.setUint32(8, value.length >>> 0, true);
  view.setUint32(12, Math.floor(value.length / 0x1_0000_0000), true);
  const [low, high] = checksum(value);
  view.setUint32(16, low, true);
  view.setUint32(20, high, true);
  return header;
}

/** The value in a stored file, or `undefined` when the file is not a whole entry for the key. */
function decodeEntry(data: Uint8Array, keyBytes: Uint8Array): Uint8Array | undefined {
  if (data.length < HEADER_BYTES) return undefined;
  for (let i = 0; i < MAGIC.length; i++) if (data[i] !== MAGIC[i]) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const keyLength = view.getUint32(4, true);
  if (keyLength !== keyBytes.length) return undefined;
  const valueLength = view.getUint32(8, true) + view.getUint32(12, true) * 0x1_0000_0000;
  const start = HEADER_BYTES + keyLength + padding(keyLength);
  if (data.length !== start + valueLength) return undefined;
  for (let i = 0; i < keyLength; i++) {
    if (data[HEADER_BYTES + i] !== keyBytes[i]) return undefined;
  }
  for (let i = HEADER_BYTES + keyLength; i < start; i++) if (data[i] !== 0) return undefined;
  const value = data.subarray(start);
  const [low, high] = checksum(value);
  if (view.getUint32(16, true) !== low || view.getUint32(20, true) !== high) return undefined;
  return value;
}

function padding(length: number): number {
  return (4 - (length & 3)) & 3;
}

/**
 * A 64-bit checksum: two lanes of multiply-rotate over the value's 32-bit words, then a final
 * mix with the length. Every step is a bijection of a lane's state, so any change to a single
 * word (any flipped byte) changes the result; a change spread over many words goes unnoticed
 * with probability about 2^-64. Several times faster than SHA-256, and the file name already
 * ties the entry to its key.
 */
function checksum(bytes: Uint8Array): [number, number] {
  const data = (bytes.byteOffset & 3) === 0 ? bytes : bytes.slice();
  const count = data.length >>> 2;
  const words = new Uint32Array(data.buffer, data.byteOffset, count);
  let a = 0x9e3779b1;
  let b = 0x85ebca77;
  let i = 0;
  for (; i + 1 < count; i += 2) {
    a = Math.imul(a ^ words[i]!, 0x85ebca6b);
    a = (a << 13) | (a >>> 19);
    b = Math.imul(b ^ words[i + 1]!, 0xc2b2ae35);
    b = (b << 15) | (b >>> 17);
  }
  let tail = i < count ? words[i]! : 0;
  a = Math.imul(a ^ tail, 0x85ebca6b);
  tail = 0;
  for (let j = count * 4; j < data.length; j++) tail = (tail << 8) | data[j]!;
  b = Math.imul(b ^ tail ^ data.length, 0xc2b2ae35);
  return [mix(a ^ Math.imul(b, 0x27d4eb2f)), mix(b ^ (data.length / 0x1_0000_0000))];
}

/** murmur3's finalizer: every input bit affects every output bit. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function createDirectory(directory: string): void {
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    // A recursive mkdir reports some failures (a read-only file system) as ENOENT; the plain
    // one names the real cause.
    if (codeOf(error) !== "ENOENT") throw error;
    try {
      mkdirSync(directory, { mode: 0o700 });
    } catch (plain) {
      throw codeOf(plain) === "ENOENT" ? error : plain;
    }
  }
}

/** The whole file at `path` read synchronously, or `undefined` when it is too large for that. */
function readSmall(path: string): { data: Uint8Array; inode: number } | undefined {
  const fd = openSync(path, "r");
  try {
    const { size, ino } = fstatSync(fd);
    if (size > SYNC_LIMIT + 64 * 1024) return undefined;
    const data = new Uint8Array(size);
    let length = 0;
    for (let read = -1; read !== 0 && length < size; length += read) {
      read = readSync(fd, data, length, size - length, length);
    }
    return { data: length === size ? data : data.subarray(0, length), inode: ino };
  } finally {
    closeSync(fd);
  }
}

async function readLarge(path: string): Promise<{ data: Uint8Array; inode: number }> {
  const handle = await open(path, "r");
  try {
    const inode = (await handle.stat()).ino;
    const buffer = await handle.readFile();
    // A plain Uint8Array over the buffer's memory (not pooled: the file is large).
    return { data: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), inode };
  } finally {
    await handle.close().catch(() => {});
  }
}

/** `writeNew`, synchronously: for small entries. */
function writeNewSync(path: string, parts: Uint8Array[]): void {
  const fd = openSync(path, "wx", 0o600);
  try {
    for (let pending = nonEmpty(parts); pending.length > 0;) {
      pending = afterWritten(pending, writevSync(fd, pending));
    }
  } finally {
    closeSync(fd);
  }
}

function nonEmpty(parts: Uint8Array[]): Uint8Array[] {
  return parts.filter((part) => part.length > 0);
}

/** The parts still to write after `written` bytes of `parts` went out (a short write). */
function afterWritten(parts: Uint8Array[], written: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  for (const part of parts) {
    if (written >= part.length) written -= part.length;
    else {
      rest.push(part.subarray(written));
      written = 0;
    }
  }
  return rest;
}

/** Writes `parts` to a new file (mode 0600) that must not exist yet. */
async function writeNew(path: string, parts: Uint8Array[]): Promise<void> {
  const handle = await open(path, "wx", 0o600);
  try {
    for (let pending = nonEmpty(parts); pending.length > 0;) {
      pending = afterWritten(pending, (await handle.writev(pending)).bytesWritten);
    }
  } finally {
    await handle.close();
  }
}

/** Removes a damaged entry, unless a writer has replaced it since it was read. */
function removeIfSame(path: string, inode: number): void {
  try {
    if (statSync(path).ino === inode) unlinkSync(path);
  } catch {
    // Gone already, or not removable: it still reads as a miss.
  }
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += bytes[i]!.toString(16).padStart(2, "0");
  return out;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const CODES: Record<string, [CacheErrorCode, string]> = {
  EACCES: ["PERMISSION_DENIED", "permission denied; check the directory's owner and mode"],
  EPERM: ["PERMISSION_DENIED", "operation not permitted; check the directory's owner and mode"],
  EROFS: ["PERMISSION_DENIED", "the file system is read-only; choose another directory"],
  ENOSPC: ["NO_SPACE", "the disk is full; free space or clear the cache"],
  EDQUOT: ["NO_SPACE", "the disk quota is exhausted; free space or clear the cache"],
  ENOTDIR: ["NOT_A_DIRECTORY", "a part of the cache directory's path is a file, not a directory"],
  EEXIST: ["NOT_A_DIRECTORY", "the cache directory's path is a file, not a directory"],
};

/** A `node:fs` failure as a `CacheError` with a code and a message saying what to do. */
function storageError(error: unknown, action: string): Error {
  if (error instanceof CacheError || error instanceof TypeError) return error;
  const code = codeOf(error);
  const [cacheCode, advice] = (code !== undefined && CODES[code]) ||
    ["IO", error instanceof Error ? error.message : String(error)];
  return new CacheError(cacheCode, `${action}: ${advice}${code ? ` (${code})` : ""}`, {
    cause: error,
  });
}
