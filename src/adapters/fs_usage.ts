/**
 * The running total of `FsAdapter` (fs.ts) for the size limit: `ltc-usage.log` in the cache
 * directory, shared by every process using it. It is a journal of float64 (little-endian)
 * records, each a change in bytes, appended (`O_APPEND`, atomic for a write this small) by each
 * store, deletion and expiry once a `TaskCache` has started it; the total is their sum. A
 * reader reads only what was appended since it last looked, and nothing when a `stat` of the
 * journal shows it unchanged since (a store that finds its own record the only one appended
 * since this process last read counts it at once, so the read after it costs that one `stat`);
 * past `USAGE_COMPACT` bytes, the journal is rewritten as one record (its sum) by the next
 * reader. An adapter keeps the journal open for appending between stores (`KEEP_OPEN`); a
 * store whose `fstat` after the append finds it unlinked (removed or replaced meanwhile)
 * appends again to the journal in its place.
 *
 * @module
 */
import {
  existsSync,
  fstatSync,
  linkSync,
  lstatSync,
  renameSync,
  type Stats,
  writeSync,
} from "node:fs";
import { platform } from "node:os";
import { join } from "node:path";
import type { CacheDirectory } from "./fs_directory.ts";
import {
  closeQuietly,
  codeOf,
  openFile,
  openToAppend,
  readRange,
  removeQuietly,
  removeStrangeFile,
  temporaryPath,
} from "./fs_io.ts";

/**
 * Whether the journal stays open between stores, each of which appends to it: an open and a
 * close less per store (about 7 µs of a small store's 30-40 µs in the process). Not on
 * Windows, where a file held open cannot be removed or replaced by another process.
 */
const KEEP_OPEN = platform() !== "win32";
/** Closes the journal kept open by an adapter that was dropped without `close`. */
const HELD_JOURNALS = new FinalizationRegistry<{ fd: number | undefined }>((held) => {
  if (held.fd !== undefined) closeQuietly(held.fd);
});

/** The journal's name in the cache directory. */
export const USAGE = "ltc-usage.log";
const USAGE_RECORD = 8;
/** Past this size, the journal is rewritten as one record (its sum) by the next reader. */
const USAGE_COMPACT = 1024 * 1024;

/** The journal of the running total in one cache directory, and how far this process read it. */
export class UsageJournal {
  /** The journal's path. */
  readonly path: string;
  readonly #directory: CacheDirectory;
  /**
   * The journal as read so far: which file, how far, its sum; and its change time then, so
   * that a file in its place that merely has the same inode number and size is not taken for
   * it.
   */
  #read: { ino: number; offset: number; bytes: number; changed: number } | undefined;
  /**
   * The journal kept open for appending between stores (`KEEP_OPEN`), in a box that
   * `HELD_JOURNALS` closes if the adapter is dropped without `close`.
   */
  readonly #held: { fd: number | undefined } = { fd: undefined };

  /** The journal of `directory` (nothing is read yet). */
  constructor(directory: CacheDirectory) {
    this.#directory = directory;
    this.path = join(directory.path, USAGE);
    if (KEEP_OPEN) HELD_JOURNALS.register(this, this.#held);
  }

  /**
   * The running total, reading only what was appended since last time; `undefined` when there
   * is none yet (or it is not trusted, or damaged).
   */
  read(): number | undefined {
    const known = this.#unchanged();
    if (known !== undefined) return Math.max(0, known);
    const fd = openFile(this.path);
    if (fd === undefined) {
      // None: what was read is forgotten, or a journal started later in its place with the
      // same inode number, size and (coarse) change time would pass for it unchanged.
      this.#read = undefined;
      return undefined;
    }
    if (fd === "strange") {
      removeStrangeFile(this.path);
      return undefined;
    }
    let usage;
    try {
      const stats = fstatSync(fd);
      if (!this.#directory.isTrusted(stats)) return undefined;
      usage = this.#read;
      if (usage === undefined || usage.ino !== stats.ino || usage.offset > stats.size) {
        usage = { ino: stats.ino, offset: 0, bytes: 0, changed: stats.ctimeMs };
      }
      usage.changed = stats.ctimeMs;
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
      this.#read = undefined;
      return undefined; // damaged: the cache counts again
    }
    this.#read = usage;
    if (usage.offset >= USAGE_COMPACT) {
      try {
        this.#write(usage.bytes);
      } catch {
        // Not now (a full disk; on Windows, a reader holding it open): the next reader will.
      }
    }
    return Math.max(0, usage.bytes);
  }

  /**
   * Starts the journal at `counted` bytes when there is none; if another process started one
   * meanwhile, that one stands, unless it cannot be used (damaged, another user's), which is
   * replaced.
   */
  start(counted: number): void {
    try {
      this.#write(counted, (temporary) => linkSync(temporary, this.path));
    } catch (error) {
      if (codeOf(error) !== "EEXIST") throw error;
      if (this.read() === undefined) this.#write(counted);
    }
  }

  /**
   * Appends a change of `delta` bytes to the running total, if one is kept (it starts when a
   * cache first counts the entries). Best effort: a total that drifts is set right by the next
   * count.
   */
  account(delta: number): void {
    if (delta === 0) return;
    const record = new Uint8Array(USAGE_RECORD);
    new DataView(record.buffer).setFloat64(0, delta, true);
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd = this.#held.fd;
      if (fd === undefined) {
        // None kept (no size limit, or not started yet) is the usual case there: found without
        // the exception of a failed open, which took 10 µs of a store.
        if (!existsSync(this.path)) return;
        try {
          fd = openToAppend(this.path);
        } catch {
          return; // none kept yet (or not ours to write)
        }
        if (KEEP_OPEN) this.#held.fd = fd;
      }
      let stats;
      try {
        writeSync(fd, record);
        stats = fstatSync(fd);
      } catch {
        this.#release();
        return; // a full disk: the total drifts until the next count
      } finally {
        if (!KEEP_OPEN) closeQuietly(fd);
      }
      if (stats.nlink === 0) {
        // The journal was removed (a clear) or replaced (a compaction) since it was opened:
        // the record went to a file no one reads. Once more, to the journal there now, if any.
        // (A compaction that read the record between the write and this `fstat` counts it
        // twice: the total drifts up until the next count.)
        this.#release();
        continue;
      }
      // The record went to the end (O_APPEND): if the journal was as far as this process had
      // read it before, the record is all that is new, and the total moves by it here.
      const usage = this.#read;
      if (
        usage !== undefined && stats.ino === usage.ino &&
        stats.size === usage.offset + USAGE_RECORD
      ) {
        usage.offset = stats.size;
        usage.bytes += delta;
        usage.changed = stats.ctimeMs;
      }
      return;
    }
  }

  /** Closes the journal kept open for `account`, if it is. */
  #release(): void {
    const fd = this.#held.fd;
    this.#held.fd = undefined;
    if (fd !== undefined) closeQuietly(fd);
  }

  /** Releases the journal kept open (`FsAdapter.close`); `account` opens it again if used. */
  close(): void {
    this.#release();
  }

  /**
   * The total as read last, if a `stat` of the journal shows the same file, unchanged since
   * (and still one to trust), and it need not be compacted; else `undefined` (then it is read).
   */
  #unchanged(): number | undefined {
    const usage = this.#read;
    if (usage === undefined || usage.offset >= USAGE_COMPACT) return undefined;
    let stats: Stats | undefined;
    try {
      stats = lstatSync(this.path, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
    const same = stats !== undefined && stats.ino === usage.ino &&
      stats.ctimeMs === usage.changed &&
      stats.size - (stats.size % USAGE_RECORD) === usage.offset &&
      this.#directory.isTrusted(stats);
    return same && Number.isFinite(usage.bytes) ? usage.bytes : undefined;
  }

  /** Forgets what was read (the journal was removed). */
  forget(): void {
    this.#read = undefined;
    this.#release();
  }

  /**
   * Writes a journal of one record, `bytes`, under a temporary name, and puts it in place with
   * `place` (by default a rename over the journal: a compaction).
   */
  #write(
    bytes: number,
    place = (temporary: string) => renameSync(temporary, this.path),
  ): void {
    const temporary = temporaryPath(this.#directory.path);
    const record = new Uint8Array(USAGE_RECORD);
    new DataView(record.buffer).setFloat64(0, bytes, true);
    const fd = this.#directory.createTemporary(temporary);
    try {
      let ino;
      try {
        writeSync(fd, record);
        ino = fstatSync(fd).ino;
      } finally {
        closeQuietly(fd);
      }
      place(temporary);
      this.#release(); // the journal replaced, if one was open
      this.#read = { ino, offset: USAGE_RECORD, bytes, changed: Number.NaN };
    } finally {
      removeQuietly(temporary); // renamed or gone already
    }
  }
}
