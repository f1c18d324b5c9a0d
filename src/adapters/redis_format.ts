/**
 * `RedisAdapter`'s keys and values in Redis, and the scripts that change them only when they are
 * still as read. Under the adapter's prefix (default `local-task-cache:`), each entry is ONE
 * Redis string, so that it is written (one `SET`), read (one `GET`), expired, evicted and
 * removed whole:
 *
 * - `<prefix>entry2:<id>`: a header, then the value's bytes; the id is `s` + the key for a
 *   well-formed key, or `u` + the hex of its UTF-16 code units for one with an unpaired
 *   surrogate (which UTF-8 cannot carry);
 * - `<prefix>lease:<id>`: a lease, a random token set with `SET NX PX` and renewed or released
 *   by a script only when it still holds that token.
 *
 * An entry, little-endian (strings as UTF-16LE code units, lone surrogates kept as such):
 *
 * | offset     | size | field                                                              |
 * | ---------- | ---- | ------------------------------------------------------------------ |
 * | 0          | 4    | magic `"LTR2"`                                                     |
 * | 4          | 8    | last read time, ms since the Unix epoch (float64); hits rewrite it |
 * | 12         | 8    | creation time, ms since the Unix epoch (float64)                   |
 * | 20         | 8    | value length V in bytes (float64)                                  |
 * | 28         | 4    | task name length T in bytes                                        |
 * | 32         | 4    | cache version length C in bytes                                    |
 * | 36         | T    | the task name                                                      |
 * | 36 + T     | C    | the cache version                                                  |
 * | 36 + T + C | V    | the value                                                          |
 *
 * A string that is not exactly that (another magic, lengths that do not add up to its size,
 * times that are not times) is damaged: it reads as a miss and goes. Version 0.1 kept each entry
 * as a hash under `<prefix>entry:`; those are not read (a miss: the task runs and stores the
 * new format) and `clear()` removes them with the rest.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { EntryMetadata } from "../adapter.ts";
import { inSlices, SLICE_BYTES, totalLength } from "../internal/slices.ts";
import { isWellFormed } from "../internal/unicode.ts";

/** The first bytes of every entry. */
const MAGIC = "LTR2";
/** The same, as a little-endian uint32. */
const MAGIC_WORD = 0x3252544c;
/** Where the last read time is. */
const READ_AT = 4;
/** Where the part of the header that identifies an entry (all but the read time) starts. */
const STAMP = 12;
/** The header's size before the task name and cache version. */
const FIXED = 36;
/**
 * How much of an entry `entries()` reads first: the whole header of any entry whose task name
 * and version are shorter than about 2,000 characters together.
 */
export const HEAD_READ = 4096;

/**
 * Removes the entry if the bytes from offset `STAMP` to `ARGV[1]` (its creation time, size, task
 * name and version) are still `ARGV[2]`: an expired entry, not one written since.
 */
export const DELETE_IF_UNCHANGED =
  `if redis.call('getrange', KEYS[1], ${STAMP}, ARGV[1]) == ARGV[2] then ` +
  "return redis.call('del', KEYS[1]) end return 0";
/**
 * Writes the read time `ARGV[1]` into an entry that still exists (never creating one; a key
 * that is not an entry string is left alone).
 */
export const TOUCH = `if redis.pcall('getrange', KEYS[1], 0, 3) == '${MAGIC}' then ` +
  `redis.call('setrange', KEYS[1], ${READ_AT}, ARGV[1]) end return 0`;
/** Extends a lease by `ARGV[2]` ms if it still holds the token `ARGV[1]`. */
export const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then " +
  "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0";
/** Removes a lease if it still holds the token `ARGV[1]`. */
export const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then " +
  "return redis.call('del', KEYS[1]) end return 0";

/** An entry's header, read back. */
export interface EntryHead {
  /** The task name. */
  taskName: string;
  /** The cache version. */
  cacheVersion: string;
  /** The creation time, ms since the Unix epoch. */
  createdAt: number;
  /** The last read time, ms since the Unix epoch. */
  readAt: number;
  /** The value's size in bytes. */
  size: number;
  /** The header's size: the value starts here. */
  headerBytes: number;
}

/** The Redis key of entry `key` under `prefix`. */
export function entryName(prefix: string, key: string): string {
  if (typeof key !== "string") {
    throw new TypeError(`RedisAdapter: a key must be a string, got ${typeof key}`);
  }
  return `${prefix}${ENTRY}${encodeId(key)}`;
}

/** The Redis key of the lease on `name` under `prefix`. */
export function leaseName(prefix: string, name: string): string {
  return `${prefix}lease:${encodeId(name)}`;
}

/** What the names of entries start with after the prefix. */
const ENTRY = "entry2:";
/** What the names of version 0.1's entries (hashes) started with after the prefix. */
const OLD_ENTRY = "entry:";

/**
 * The `SCAN MATCH` pattern of every entry under `prefix` (with `old`, also of version 0.1's
 * entries, and of nothing else of ours: the leases' names do not start with `entry`).
 */
export function entryPattern(prefix: string, old = false): string {
  return `${escapeGlob(prefix)}${old ? "entry*" : `${ENTRY}*`}`;
}

/** Whether `name`, matched by `entryPattern(prefix, true)`, is an entry of either format. */
export function isEntryName(prefix: string, name: string): boolean {
  return name.startsWith(ENTRY, prefix.length) || name.startsWith(OLD_ENTRY, prefix.length);
}

/** The key of the entry named `name` under `prefix`, or `undefined` for a foreign name. */
export function keyOfName(prefix: string, name: string): string | undefined {
  return decodeId(name.slice(prefix.length + ENTRY.length));
}

/** The size of the header of an entry with `metadata`. */
export function headerSize(metadata?: EntryMetadata): number {
  return FIXED + 2 * ((metadata?.taskName ?? "").length + (metadata?.cacheVersion ?? "").length);
}

/**
 * The entry for `pieces` (the value's bytes in order) stored at `now`: its header and the value
 * in one Buffer (copied a slice at a time, with turns of the event loop between slices, for a
 * large value), as `SET` takes it; written into the start of `into` when that is long enough
 * (memory used before), else into new memory. A small value's entry comes back as it is, not
 * in a promise.
 */
export function entryBytes(
  pieces: readonly Uint8Array[],
  now: number,
  metadata?: EntryMetadata,
  into?: Buffer,
): Buffer | Promise<Buffer> {
  const taskName = metadata?.taskName ?? "";
  const cacheVersion = metadata?.cacheVersion ?? "";
  const size = totalLength(pieces);
  const headerBytes = headerSize(metadata);
  const entry = into !== undefined && into.length >= headerBytes + size
    ? into.subarray(0, headerBytes + size)
    : Buffer.allocUnsafe(headerBytes + size);
  entry.write(MAGIC, 0, "latin1");
  entry.writeDoubleLE(now, READ_AT);
  entry.writeDoubleLE(now, STAMP);
  entry.writeDoubleLE(size, 20);
  entry.writeUInt32LE(2 * taskName.length, 28);
  entry.writeUInt32LE(2 * cacheVersion.length, 32);
  const versionAt = entry.write(taskName, FIXED, "utf16le") + FIXED;
  entry.write(cacheVersion, versionAt, "utf16le");
  if (size > SLICE_BYTES) {
    return inSlices(pieces, (slice, offset) => entry.set(slice, headerBytes + offset))
      .then(() => entry);
  }
  let at = headerBytes;
  for (const piece of pieces) {
    entry.set(piece, at);
    at += piece.length;
  }
  return entry;
}

/** The bytes of a read time, as `TOUCH` writes them. */
export function readTimeBytes(now: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeDoubleLE(now, 0);
  return bytes;
}

/**
 * The header of `entry` (the whole entry, or its first bytes when `size` gives the whole one's
 * size), or `undefined` when it is not an entry of this format: damaged, or the first bytes do
 * not hold the whole header (then `needs` says how many do).
 */
export function parseHead(
  entry: Buffer,
  size = entry.length,
): EntryHead | { needs: number } | undefined {
  const head = readHead(entry, size);
  if (head === undefined || "needs" in head) return head;
  const { headerBytes, versionAt, createdAt, readAt } = head;
  return {
    taskName: entry.toString("utf16le", FIXED, versionAt),
    cacheVersion: entry.toString("utf16le", versionAt, headerBytes),
    createdAt,
    readAt,
    size: head.size,
    headerBytes,
  };
}

/** An entry's header with its task name and cache version left in the bytes (`readHead`). */
export interface RawHead extends Omit<EntryHead, "taskName" | "cacheVersion"> {
  /** Where the cache version starts (the task name starts at the fixed part's end). */
  versionAt: number;
}

/**
 * `parseHead` without decoding the task name and cache version, for a `get`, which only
 * compares them (`isOtherTaskIn`).
 */
export function readHead(
  entry: Buffer,
  size = entry.length,
): RawHead | { needs: number } | undefined {
  if (entry.length < FIXED || entry.readUInt32LE(0) !== MAGIC_WORD) return undefined;
  const readAt = entry.readDoubleLE(READ_AT);
  const createdAt = entry.readDoubleLE(STAMP);
  const valueBytes = entry.readDoubleLE(20);
  const taskBytes = entry.readUInt32LE(28);
  const versionBytes = entry.readUInt32LE(32);
  const headerBytes = FIXED + taskBytes + versionBytes;
  if (
    taskBytes % 2 !== 0 || versionBytes % 2 !== 0 || headerBytes + valueBytes !== size ||
    !(createdAt >= 0 && Number.isFinite(createdAt)) || !Number.isFinite(readAt)
  ) return undefined;
  if (entry.length < headerBytes) return { needs: headerBytes };
  return { createdAt, readAt, size: valueBytes, headerBytes, versionAt: FIXED + taskBytes };
}

/**
 * `isOtherTask` (src/adapter.ts) for the entry `entry` with header `head`, comparing the
 * stored names' UTF-16 code units with the expected ones instead of decoding them.
 */
export function isOtherTaskIn(
  entry: Buffer,
  head: RawHead,
  expect: EntryMetadata | undefined,
): boolean {
  if (expect === undefined || head.headerBytes === FIXED) return false; // no names stored
  return !sameText(entry, FIXED, head.versionAt, expect.taskName) ||
    !sameText(entry, head.versionAt, head.headerBytes, expect.cacheVersion);
}

/** Whether `entry[from, to)` is `text` in UTF-16LE. */
function sameText(entry: Buffer, from: number, to: number, text: string): boolean {
  if (to - from !== 2 * text.length) return false;
  for (let i = 0, at = from; at < to; i++, at += 2) {
    if ((entry[at]! | (entry[at + 1]! << 8)) !== text.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * `DELETE_IF_UNCHANGED`'s arguments for the entry `entry` with header `head`: the end of the
 * part that identifies it, and that part.
 */
export function stampOf(entry: Buffer, head: { headerBytes: number }): [string, Buffer] {
  return [String(head.headerBytes - 1), entry.subarray(STAMP, head.headerBytes)];
}

/**
 * A key's part of a Redis key: `s` + the key (its UTF-8 is exact) or, for a key with an
 * unpaired surrogate (which UTF-8 would change), `u` + the hex of its UTF-16 code units.
 */
function encodeId(key: string): string {
  if (isWellFormed(key)) return `s${key}`;
  let hex = "u";
  for (let i = 0; i < key.length; i++) hex += key.charCodeAt(i).toString(16).padStart(4, "0");
  return hex;
}

function decodeId(id: string): string | undefined {
  if (id.startsWith("s")) return id.slice(1);
  if (!/^u(?:[0-9a-f]{4})*$/.test(id)) return undefined;
  let key = "";
  for (let i = 1; i < id.length; i += 4) {
    key += String.fromCharCode(parseInt(id.slice(i, i + 4), 16));
  }
  return key;
}

/** `text` with the glob characters of `SCAN MATCH` escaped. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\^-]/g, "\\$&");
}

/**
 * The value of `entry` (from offset `start`) as a plain `Uint8Array` (never a Buffer): a view
 * without a copy when the reply has its memory to itself (a large value), else a copy (a small
 * reply is a piece of the connection's read buffer, which a view would keep alive). A copy under
 * 4 KiB is a slice of node:buffer's shared pool, as `readFileSync`'s results are: a memory block
 * of its own costs more than the copy.
 */
export function valueOf(entry: Buffer, start: number): Uint8Array {
  if (entry.byteOffset === 0 && entry.byteLength === entry.buffer.byteLength) {
    return new Uint8Array(entry.buffer, start, entry.byteLength - start);
  }
  const length = entry.byteLength - start;
  const copy = Buffer.allocUnsafe(length);
  copy.set(new Uint8Array(entry.buffer, entry.byteOffset + start, length));
  return new Uint8Array(copy.buffer, copy.byteOffset, length);
}
