/**
 * `FsAdapter`: cache entries as files in one directory, on `node:fs` (Node >= 20, Deno, Bun).
 *
 * Each entry is one file, `<sha256 of the key as hex>.ltc`, holding its key, task name, cache
 * version, creation time, value and checksums (the byte format, a table of offsets, is in
 * src/adapters/fs_format.ts), written under a temporary name (`.tmp-<32 random hex digits>`)
 * in the same directory and renamed into place: readers in any process see the old value or
 * the new one, and a crash leaves the old value or none. The file's modification time is the
 * entry's last read time: a hit sets it to the present when it is more than
 * `READ_TIME_RESOLUTION_MS` old. A file that is not a whole entry for its key (truncated,
 * damaged, foreign, another key's, an older format) reads as a miss and is removed.
 *
 * Beside the entries: leases for single flight across processes (`<sha256>.lease`,
 * fs_lease.ts), and `ltc-usage.log`, the running total of the values' sizes for the size limit,
 * shared by every process (fs_usage.ts). `defaultCacheDirectory` (fs_directory.ts) says where a
 * cache lives when nothing else does.
 *
 * @module
 */
import { closeSync, fstatSync, renameSync, type Stats, statSync, unlinkSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import {
  type CacheAdapter,
  type EntryInfo,
  type EntryMetadata,
  type GetOptions,
  type Lease,
  READ_TIME_RESOLUTION_MS,
} from "../adapter.ts";
import { Checksum, checksum } from "../internal/checksum.ts";
import { checkPieces, setAsOnePiece, totalLength } from "../internal/slices.ts";
import { adapterError } from "../internal/storage_error.ts";
import { CacheDirectory } from "./fs_directory.ts";
import { fsError } from "./fs_errors.ts";
import {
  directoryPrefix,
  encodeKey,
  ENTRY,
  entryHeader,
  entryPath,
  entrySize,
  readEntry,
  readEntryInfo,
  readSmallEntry,
  setValueSum,
  SMALL_ENTRY,
  VALUE_SUM_LATER,
} from "./fs_format.ts";
import {
  closeQuietly,
  codeOf,
  fileSize,
  isDirectory,
  openFile,
  removeStrangeFile,
  SMALL_VALUE,
  TEMPORARY,
  temporaryName,
  touch,
  writeAt,
  writeSmall,
  writeValue,
} from "./fs_io.ts";
import { acquireLease, LEASE } from "./fs_lease.ts";
import { USAGE, UsageJournal } from "./fs_usage.ts";

export { defaultCacheDirectory } from "./fs_directory.ts";

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

/** How many files `clear` removes at once. */
const CLEAR_BATCH = 64;

/**
 * Stores entries as files in one directory (the byte format: src/adapters/fs_format.ts).
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
 * - Failures are `CacheError`s reading `FsAdapter: cannot <action>: <advice> (<what node:fs
 *   said>)`: `PERMISSION_DENIED` (`EACCES`, `EPERM`, `EROFS`), `NO_SPACE` (`ENOSPC`,
 *   `EDQUOT`), `NOT_A_DIRECTORY` (the directory or a parent is a file), `UNSAFE_DIRECTORY`
 *   (above), else `IO`; `cause` is the original error. A failed `set` removes its temporary
 *   file and leaves the previous entry intact. `get` also rejects when the directory cannot be
 *   read (no permission, a file in its place), so a misconfigured cache is reported instead of
 *   never hitting; a directory that does not exist yet is just empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { FsAdapter } from "local-task-cache/adapters/fs";
 *
 * const directory = await mkdtemp(join(tmpdir(), "task-cache-"));
 * try {
 *   const adapter = new FsAdapter({ directory: join(directory, "cache") });
 *   await adapter.set("key", new Uint8Array([1, 2, 3]), { taskName: "t", cacheVersion: "1" });
 *   assert.deepEqual(await adapter.get("key"), new Uint8Array([1, 2, 3]));
 *   const [entry] = await Array.fromAsync(adapter.entries());
 *   assert.equal(entry?.taskName, "t");
 *   assert.equal(await adapter.delete("key"), true);
 *   assert.equal(await adapter.get("key"), undefined);
 *   await adapter.close();
 * } finally {
 *   await rm(directory, { recursive: true });
 * }
 * ```
 */
export class FsAdapter implements CacheAdapter {
  /** The directory holding the entries. */
  readonly directory: string;
  /** The directory and a separator, before the name of each entry file. */
  readonly #prefix: string;
  readonly #directory: CacheDirectory;
  /** The running total of the values' sizes (`ltc-usage.log`). */
  readonly #usage: UsageJournal;
  #closed = false;

  /**
   * An adapter on `options.directory`; nothing on disk is touched until it is used.
   *
   * @param options The directory, and whether it is shared on purpose.
   * @throws {TypeError} When `options.directory` is not a non-empty string.
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
    this.#prefix = directoryPrefix(directory);
    this.#directory = new CacheDirectory(directory, options.shared === true);
    this.#usage = new UsageJournal(this.#directory);
  }

  /**
   * The value stored under `key` (a new plain `Uint8Array`); `undefined` when there is none, it
   * was stored before `options.notBefore` or its file is damaged (then the file is removed), or
   * it is another task's (`options.expect`; it is kept).
   *
   * @param key The entry's key.
   * @param options When an entry expires, and whose entry is expected.
   * @returns The value, or `undefined` for a miss.
   */
  async get(key: string, options: GetOptions = {}): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    const keyBytes = encodeKey(key);
    const path = entryPath(this.#prefix, keyBytes);
    this.#directory.verify();
    let fd: number | "strange" | undefined;
    try {
      fd = openFile(path);
    } catch (error) {
      throw fsError(`read the cache entry ${path}`, error);
    }
    if (fd === undefined) return undefined;
    if (fd === "strange") {
      removeStrangeFile(path);
      return undefined;
    }
    let stats: Stats | undefined;
    let expired = 0; // the value size of an expired entry, counted off the running total
    try {
      this.#directory.verify(); // again, if the directory was made since

      stats = fstatSync(fd);
      // A small entry synchronously, without a turn of the promise machinery.
      const entry = !this.#directory.isTrusted(stats)
        ? undefined
        : stats.size <= SMALL_ENTRY
        ? readSmallEntry(fd, stats.size, keyBytes)
        : await readEntry(fd, stats.size, keyBytes);
      if (entry !== undefined && !(entry.createdAt < (options.notBefore ?? -Infinity))) {
        // Another task's entry (same key): a miss, left to it.
        if (entry.isOtherTask(options.expect)) return undefined;
        const now = Date.now();
        if (now - stats.mtimeMs > READ_TIME_RESOLUTION_MS) touch(fd, now);
        return entry.value;
      }
      expired = entry?.value.length ?? 0;
    } catch (error) {
      throw fsError(`read the cache entry ${path}`, error);
    } finally {
      closeQuietly(fd);
    }
    // Damaged, expired, foreign or not a file: remove it, unless a writer has renamed a new
    // entry into place since (a directory stays: it is not ours to remove).
    try {
      if (stats !== undefined && !stats.isDirectory() && statSync(path).ino === stats.ino) {
        unlinkSync(path);
        this.#usage.account(-expired);
      }
    } catch {
      // Gone already, or not removable: it reads as a miss either way.
    }
    return undefined;
  }

  /**
   * Stores `value` under `key`, atomically replacing any previous value.
   *
   * @param key The entry's key.
   * @param value The bytes to store (written as they are, not kept).
   * @param metadata The task name and cache version stored with it.
   */
  set(key: string, value: Uint8Array, metadata?: EntryMetadata): Promise<void> {
    return setAsOnePiece(this, "FsAdapter", key, value, metadata);
  }

  /**
   * `set` of the pieces `chunks` joined, written a piece at a time (never joined in memory);
   * a large value is summed a slice at a time, with turns of the event loop between slices.
   *
   * @param key The entry's key.
   * @param chunks The pieces of the value, in order.
   * @param metadata The task name and cache version stored with it.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { mkdtemp, rm } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * const directory = await mkdtemp(join(tmpdir(), "task-cache-"));
   * try {
   *   const adapter = new FsAdapter({ directory });
   *   await adapter.setChunks("key", [new Uint8Array([1]), new Uint8Array([2, 3])]);
   *   assert.deepEqual(await adapter.get("key"), new Uint8Array([1, 2, 3]));
   * } finally {
   *   await rm(directory, { recursive: true });
   * }
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
    const path = entryPath(this.#prefix, keyBytes);
    this.#directory.verify();
    const size = totalLength(chunks);
    const small = size <= SMALL_VALUE;
    // A small value's checksum goes in the header written with it; a larger one is summed
    // while it is written, after a header whose value checksum is filled in last.
    const sum = !small
      ? VALUE_SUM_LATER
      : chunks.length === 1
      ? checksum(chunks[0]!)
      : chunks.reduce((sum, chunk) => sum.update(chunk), new Checksum()).digest();
    const header = entryHeader(keyBytes, size, sum, metadata, Date.now());
    // The directory's prefix and the name, without `join`'s normalizing of the whole path.
    const temporary = this.#prefix + temporaryName();
    let fd: number | undefined;
    let renaming = false;
    try {
      fd = this.#directory.createTemporary(temporary);
      if (small) writeSmall(fd, [header, ...chunks]);
      else {
        setValueSum(header, await writeValue(fd, header.length, chunks));
        this.#checkOpen();
        writeAt(fd, header, 0);
      }
      const written = fd;
      fd = undefined;
      closeSync(written);
      renaming = true;
      const replaced = fileSize(path);
      renameSync(temporary, path);
      // The replaced entry's value: its file less the header (the same key, so the same
      // header length, unless its task name or version differ in length).
      const old = replaced === undefined ? 0 : Math.max(0, replaced - header.length);
      this.#usage.account(size - old);
    } catch (error) {
      if (fd !== undefined) closeQuietly(fd);
      // The temporary file is gone: a `clear` (maybe in another process) removed it just
      // before the rename. The value was stored and cleared, a valid outcome.
      if (renaming && codeOf(error) === "ENOENT") return;
      await unlink(temporary).catch(() => {});
      throw fsError(`store the cache entry ${path}`, error);
    }
  }

  /**
   * Removes the entry for `key`.
   *
   * @param key The entry's key.
   * @returns Whether there was one.
   */
  delete(key: string): Promise<boolean> {
    let path = this.directory;
    try {
      this.#checkOpen();
      path = entryPath(this.#prefix, encodeKey(key));
      this.#directory.verify();
      const size = entrySize(path);
      unlinkSync(path);
      this.#usage.account(-size);
      return Promise.resolve(true);
    } catch (error) {
      if (codeOf(error) === "ENOENT") return Promise.resolve(false);
      return Promise.reject(fsError(`remove the cache entry ${path}`, error));
    }
  }

  /**
   * Removes every entry file, leftover temporary file and lease of the directory, and the
   * running total of the values' sizes (`ltc-usage.log`), and nothing else.
   */
  async clear(): Promise<void> {
    this.#checkOpen();
    this.#directory.verify();
    const names = await this.#directory.names();
    const ours = names.filter((name) =>
      ENTRY.test(name) || TEMPORARY.test(name) || LEASE.test(name) || name === USAGE
    );
    this.#usage.forget();
    for (let i = 0; i < ours.length; i += CLEAR_BATCH) {
      await Promise.all(
        ours.slice(i, i + CLEAR_BATCH).map(async (name) => {
          const path = join(this.directory, name);
          await unlink(path).catch((error: unknown) => {
            // A directory under one of our names is not ours: it stays.
            if (codeOf(error) === "ENOENT" || isDirectory(path)) return;
            throw fsError(`remove ${path}`, error);
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
   * @param name What the lease is on (any string).
   * @param ttlMs How long the lease lasts unless renewed or released, in milliseconds (> 0).
   * @returns The lease, or `undefined` when another holds it.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { mkdtemp, rm } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * const directory = await mkdtemp(join(tmpdir(), "task-cache-"));
   * try {
   *   const adapter = new FsAdapter({ directory });
   *   const lease = await adapter.acquireLease("task-key", 10_000);
   *   assert.ok(lease !== undefined);
   *   // Held: another process (or adapter) gets none until it is released or expires.
   *   assert.equal(await new FsAdapter({ directory }).acquireLease("task-key", 10_000), undefined);
   *   await lease.release();
   * } finally {
   *   await rm(directory, { recursive: true });
   * }
   * ```
   */
  acquireLease(name: string, ttlMs: number): Promise<Lease | undefined> {
    try {
      this.#checkOpen();
      if (!(typeof ttlMs === "number" && ttlMs > 0)) {
        throw new TypeError(`FsAdapter.acquireLease: ttlMs must be a number > 0, got ${ttlMs}`);
      }
      return Promise.resolve(acquireLease(this.#directory, name, ttlMs));
    } catch (error) {
      return Promise.reject(fsError(`take the lease on ${name}`, error));
    }
  }

  /**
   * Every entry's metadata, read from the headers of the directory's entry files (damaged
   * ones are left out; `get` removes them). A directory that does not exist is empty.
   */
  async *entries(): AsyncIterable<EntryInfo> {
    this.#checkOpen();
    this.#directory.verify();
    const names = await this.#directory.names();
    for (const name of names) {
      if (!ENTRY.test(name)) continue;
      this.#checkOpen();
      const info = readEntryInfo(
        join(this.directory, name),
        (stats) => this.#directory.isTrusted(stats),
      );
      if (info !== undefined) yield info;
    }
  }

  /**
   * The total size of the stored values, from the running total every process using the
   * directory keeps in `ltc-usage.log` (a journal of changes: only what was appended since the
   * last call is read).
   *
   * @returns The total, or `undefined` when there is none yet (or it is not trusted, or
   * damaged): then the cache counts the entries and starts one (`correctStoredBytes`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { mkdtemp, rm } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { FsAdapter } from "local-task-cache/adapters/fs";
   *
   * const directory = await mkdtemp(join(tmpdir(), "task-cache-"));
   * try {
   *   const adapter = new FsAdapter({ directory });
   *   assert.equal(await adapter.storedBytes(), undefined); // none kept yet
   *   await adapter.correctStoredBytes(0, undefined); // a count found nothing: start at 0
   *   await adapter.set("key", new Uint8Array(100));
   *   assert.equal(await adapter.storedBytes(), 100);
   * } finally {
   *   await rm(directory, { recursive: true });
   * }
   * ```
   */
  storedBytes(): Promise<number | undefined> {
    try {
      this.#checkOpen();
      this.#directory.verify();
      return Promise.resolve(this.#usage.read());
    } catch (error) {
      return Promise.reject(fsError(`read the running total ${this.#usage.path}`, error));
    }
  }

  /**
   * Corrects the running total after a listing counted `counted` bytes while it said `kept`:
   * starts `ltc-usage.log` at `counted` when there is none (`kept` undefined; if another
   * process created one meanwhile, that one stands), else appends `counted - kept` to it.
   *
   * @param counted The values' total size, as a listing counted it.
   * @param kept What `storedBytes` said before the listing (`undefined`: none kept).
   */
  correctStoredBytes(counted: number, kept: number | undefined): Promise<void> {
    try {
      this.#checkOpen();
      for (const [name, value] of [["counted", counted], ["kept", kept ?? 0]] as const) {
        if (!(typeof value === "number" && value >= 0 && Number.isFinite(value))) {
          throw new TypeError(
            `FsAdapter.correctStoredBytes: ${name} must be a number >= 0, got ${value}`,
          );
        }
      }
      this.#directory.verify();
      if (kept !== undefined) this.#usage.account(counted - kept);
      else this.#usage.start(counted);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(fsError(`write the running total ${this.#usage.path}`, error));
    }
  }

  /**
   * Marks the adapter closed, and closes the one file it holds open between calls (the
   * running total, `ltc-usage.log`, kept open for appending except on Windows; an adapter
   * dropped without `close` has it closed when it is garbage-collected): later calls reject
   * with `CLOSED`. Closing again is harmless.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#usage.close();
    return Promise.resolve();
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw adapterError(
        "FsAdapter",
        "CLOSED",
        `use the cache directory ${this.directory}`,
        "the adapter is closed; open a new one",
      );
    }
  }
}
