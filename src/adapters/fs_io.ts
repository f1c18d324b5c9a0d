/**
 * The `node:fs` calls of `FsAdapter` (fs.ts): opening files without following links or
 * blocking, reading and writing them whole (small files with synchronous calls, large ones in
 * asynchronous pieces), temporary names, creating the directory, quiet closes and removals.
 *
 * @module
 */
import {
  closeSync,
  constants,
  futimesSync,
  lstatSync,
  mkdirSync,
  openSync,
  read,
  readSync,
  statSync,
  unlinkSync,
  write,
  writeSync,
  writevSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { Buffer } from "node:buffer";
import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import { Checksum } from "../internal/checksum.ts";
import { inSlices, SLICE_BYTES, totalLength, yieldToEventLoop } from "../internal/slices.ts";

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
/**
 * Reads shorter than this come from node:buffer's pool (`Buffer.allocUnsafe` pools below half
 * of its 8 KiB `poolSize`): a value read back shares its `ArrayBuffer` with other small
 * allocations, as `readFileSync`'s results do, and is a plain `Uint8Array` over its own bytes.
 */
const POOLED_READ = 4096;
/** Values up to this size are written with their header in one system call (`writev`). */
export const SMALL_VALUE = 64 * 1024;
/**
 * How entry and lease files are opened: never through a symbolic link, never waiting (a FIFO
 * opens at once); anything but a regular file is then refused before a byte is read.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
/** Codes of `open` on a symbolic link (with `O_NOFOLLOW`), a socket or a device without driver. */
const STRANGE_FILE = new Set(["ELOOP", "EMLINK", "ENXIO", "ENODEV", "EOPNOTSUPP", "EFTYPE"]);
/** How a file is opened to append to it: never through a link, never waiting. */
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | (constants.O_NOFOLLOW ?? 0) |
  (constants.O_NONBLOCK ?? 0);

/** How many random bytes are drawn at once for temporary names (16 a name). */
const RANDOM_POOL = 4096;
/** Random bytes drawn for temporary names, and how many of them are used. */
let pool = new Uint8Array(0);
let pooled = 0;

/** The name of a new temporary file in `directory`: `.tmp-<32 random hex digits>`. */
export function temporaryPath(directory: string): string {
  return join(directory, temporaryName());
}

/** The name of a new temporary file: `.tmp-<32 random hex digits>`. */
export function temporaryName(): string {
  // Drawn from the system's generator a pool at a time: once per name, the draw took longer
  // than the rest of a small `set`'s work in the process.
  if (pooled + 16 > pool.length) {
    pool = randomBytes(RANDOM_POOL);
    pooled = 0;
  }
  const name = bytesToHex(pool.subarray(pooled, pooled + 16));
  pool.fill(0, pooled, pooled + 16); // each drawn once
  pooled += 16;
  return `.tmp-${name}`;
}

/** The names of temporary files (`temporaryPath`). */
export const TEMPORARY = /^\.tmp-[0-9a-f]{32}$/;

/** The `code` of a `node:fs` failure (`"ENOENT"`, ...), if it has one. */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * The file at `path` open for reading (`OPEN_FLAGS`); `undefined` when there is none;
 * `"strange"` when it is a symbolic link, a socket or a device that cannot be opened. Other
 * failures are thrown.
 */
export function openFile(path: string): number | "strange" | undefined {
  try {
    return openSync(path, OPEN_FLAGS);
  } catch (error) {
    const code = codeOf(error);
    if (code === "ENOENT") return undefined;
    if (code !== undefined && STRANGE_FILE.has(code)) return "strange";
    throw error;
  }
}

/** The file at `path` open to append to it (never through a link); throws if there is none. */
export function openToAppend(path: string): number {
  return openSync(path, APPEND_FLAGS);
}

/**
 * A new file (that must not exist yet), mode 0600, open for writing. (The umask can only take
 * bits away: group and others never get access.)
 */
export function createFile(path: string): number {
  return openSync(path, "wx", 0o600);
}

/**
 * Creates `path` and its missing parents, mode 0700.
 * Unlike `mkdir(path, { recursive: true })`, which reports some failures (a read-only file
 * system) as `ENOENT`, it fails with the real cause.
 */
export function makeDirectory(path: string): void {
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

/** Removes what sits at `path` if it is not a directory (a link, a socket, a FIFO, a device). */
export function removeStrangeFile(path: string): void {
  try {
    if (!lstatSync(path).isDirectory()) unlinkSync(path);
  } catch {
    // Gone already, or not removable: it reads as a miss either way.
  }
}

/** Removes the file at `path` if it can: one gone already (or not removable) is left be. */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Renamed, removed or never created: nothing to do.
  }
}

/** Closes `fd`, if it is still open. */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing to do: the descriptor is gone either way.
  }
}

/** Whether `path` is a directory (not through a link). */
export function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The size of the file at `path`, or `undefined` if there is none (or it cannot be seen). */
export function fileSize(path: string): number | undefined {
  try {
    // Without an exception for a missing file (the usual case: a new entry), which costs
    // several times the system call.
    const stats = lstatSync(path, { throwIfNoEntry: false });
    return stats?.isFile() ? stats.size : undefined;
  } catch {
    return undefined;
  }
}

/** Sets the modification time of `fd` (the entry's last read time) to `now`, if it can. */
export function touch(fd: number, now: number): void {
  try {
    futimesSync(fd, now / 1000, now / 1000);
  } catch {
    // Not ours to change (another user's file): the read time stays older, nothing worse.
  }
}

/** The first `length` bytes of the file open as `fd` (fewer if it is shorter). */
export function readPrefix(fd: number, length: number): Uint8Array {
  // Not zero-filled: only the bytes read are handed out. A small one (under 4 KiB) is a slice
  // of node:buffer's shared pool, as `readFileSync`'s are: a memory block of its own took
  // 0.5 µs of a small get's 12 µs. Up to 64 KiB a block of its own zero-filled is as quick.
  let bytes;
  if (length < POOLED_READ) {
    const buffer = Buffer.allocUnsafe(length);
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, length);
  } else if (length <= SMALL_VALUE) bytes = new Uint8Array(length);
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
  return done === length ? bytes : bytes.subarray(0, done);
}

/** `length` bytes of the file open as `fd` from `position` on (fewer if it is shorter). */
export function readRange(fd: number, position: number, length: number): Uint8Array {
  const bytes = new Uint8Array(Math.max(0, length));
  let done = 0;
  while (done < bytes.length) {
    const count = readSync(fd, bytes, done, bytes.length - done, position + done);
    if (count === 0) break;
    done += count;
  }
  return bytes.subarray(0, done);
}

/** `size` bytes of the file open as `fd` from `position` on (fewer if it shrank meanwhile). */
export async function readAll(fd: number, position: number, size: number): Promise<Uint8Array> {
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
export function writeSmall(fd: number, pieces: readonly Uint8Array[]): void {
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
 * Writes the pieces `chunks` in turn into `fd` from `position` on, and returns the checksum of
 * their bytes (src/internal/checksum.ts): small pieces with synchronous calls, large ones in
 * asynchronous pieces of `IO_PIECE` bytes, each summed while it is written (in Node the write
 * runs in the thread pool meanwhile), a slice at a time with turns of the event loop between
 * slices, so that a value of any size never holds the loop up for long.
 */
export async function writeValue(
  fd: number,
  position: number,
  chunks: readonly Uint8Array[],
): Promise<[number, number]> {
  const sum = new Checksum();
  let sinceYield = 0;
  for (const bytes of chunks) {
    if (bytes.length <= SYNC_LIMIT) {
      if (sinceYield > 0 && sinceYield + bytes.length > SLICE_BYTES) {
        await yieldToEventLoop();
        sinceYield = 0;
      }
      writeAt(fd, bytes, position);
      sum.update(bytes);
      position += bytes.length;
      sinceYield += bytes.length;
      continue;
    }
    for (let offset = 0; offset < bytes.length;) {
      const piece = bytes.subarray(offset, offset + IO_PIECE);
      const written = writeAtAsync(fd, piece, position);
      await inSlices([piece], (slice) => sum.update(slice));
      await written;
      offset += piece.length;
      position += piece.length;
    }
    await yieldToEventLoop();
    sinceYield = 0;
  }
  return sum.digest();
}

/** Writes all of `bytes` into `fd` at `position`, synchronously. */
export function writeAt(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length;) {
    done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  }
}

/** Writes all of `bytes` into `fd` at `position`, asynchronously. */
async function writeAtAsync(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    done += await new Promise<number>((resolve, reject) =>
      write(fd, bytes, done, bytes.length - done, position + done, (error, n) => {
        if (error) reject(error);
        else resolve(n);
      })
    );
  }
}
