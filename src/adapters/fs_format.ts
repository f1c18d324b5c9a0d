/**
 * The entry files of `FsAdapter` (fs.ts): their names, their header, and reading one back.
 *
 * Each entry is one file, `<sha256 of the key as hex>.ltc`. An entry file, little-endian
 * (strings as UTF-16LE code units, lone surrogates kept as such):
 *
 * | offset   | size | field                                                               |
 * | -------- | ---- | ------------------------------------------------------------------- |
 * | 0        | 4    | magic `"LTC2"`                                                      |
 * | 4        | 4    | key length K in bytes                                               |
 * | 8        | 8    | value length V in bytes                                             |
 * | 16       | 8    | checksum of the value (`checksum` of src/internal/checksum.ts)      |
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
 * The file's modification time is the entry's last read time.
 *
 * A file is an entry for a key only if its magic, its size, its padding, its key and both
 * checksums match; anything else (truncated, damaged, foreign, another key's, an older format)
 * reads as a miss.
 *
 * @module
 */
import { createHash, hash } from "node:crypto";
import { Buffer } from "node:buffer";
import { fstatSync, type Stats } from "node:fs";
import { join } from "node:path";
import type { EntryInfo, EntryMetadata } from "../adapter.ts";
import { checksum, checksumInSlices } from "../internal/checksum.ts";
import { SLICE_BYTES } from "../internal/slices.ts";
import { fsError } from "./fs_errors.ts";
import { closeQuietly, openFile, readAll, readPrefix } from "./fs_io.ts";

const MAGIC = [0x4c, 0x54, 0x43, 0x32]; // "LTC2"
const HEADER_BYTES = 48;
/**
 * How much of a file is read first: the header of any entry with a short key; a file of at
 * most this size is read whole at once (`readSmallEntry`).
 */
const HEAD_READ = 4096;
/** The largest file `readSmallEntry` reads. */
export const SMALL_ENTRY = HEAD_READ;
/** Strings up to this many bytes are decoded by the short way. */
const SHORT_TEXT = 256;

/** The names of entry files. */
export const ENTRY = /^[0-9a-f]{64}\.ltc$/;

/**
 * The path of the entry file in the directory whose `directoryPrefix` is `prefix`, for the key
 * encoded as `keyBytes`.
 */
export function entryPath(prefix: string, keyBytes: Uint8Array): string {
  return `${prefix}${sha256Hex(keyBytes)}.ltc`;
}

/**
 * What `join(directory, name)` puts before `name` (a plain file name): the directory,
 * normalized, and a separator (nothing for `"."`). Joined once, not on every call.
 */
export function directoryPrefix(directory: string): string {
  return join(directory, "x").slice(0, -1);
}

/**
 * The SHA-256 of `bytes` in hex, from `node:crypto` (Node, Deno and Bun have it): every `get`
 * and `set` hashes its key, and this is a few times quicker than a pure-JS hash; its one-shot
 * `hash` quicker still where there is one (Node >= 20.12).
 */
const sha256Hex: (bytes: Uint8Array) => string = typeof hash === "function"
  ? (bytes) => hash("sha256", bytes, "hex")
  : (bytes) => createHash("sha256").update(bytes).digest("hex");

/** An entry read back: its value, creation time, task name and cache version. */
export interface StoredEntry {
  value: Uint8Array;
  createdAt: number;
  taskName: string;
  cacheVersion: string;
  /** Whether it is another task's entry than `expect` asks for (`isOtherTask`, adapter.ts). */
  isOtherTask(expect: EntryMetadata | undefined): boolean;
}

/** The key's UTF-16 code units, little-endian: one-to-one, lone surrogates included. */
export function encodeKey(key: string): Uint8Array {
  return encodeText(key, "a key");
}

/**
 * A string's UTF-16 code units, little-endian (lone surrogates kept as such); a `TypeError`
 * naming `what` for a non-string.
 */
export function encodeText(text: string, what: string): Uint8Array {
  if (typeof text !== "string") {
    throw new TypeError(`FsAdapter: ${what} must be a string, got ${typeof text}`);
  }
  // `node:buffer`'s encoder (its "utf16le" copies the code units as they are): a short key's
  // bytes come from its pool, where a new Uint8Array of its own took 3x as long (0.5 µs for a
  // 45-character key). Kept inside the adapter: never handed out.
  return Buffer.from(text, "utf16le");
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

/**
 * The bytes before a value of `size` bytes whose checksum is `low`, `high`: magic, lengths,
 * checksums, metadata and padding.
 */
export function entryHeader(
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
  setUint64(view, 8, size);
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

/**
 * The value checksum to give `entryHeader` when the value is summed as it is written: the
 * header is written last, once `setValueSum` has put the checksum in it.
 */
export const VALUE_SUM_LATER: [number, number] = [0, 0];

/** Puts the value checksum `sum` in `header` (from `entryHeader`; its metadata sum stays). */
export function setValueSum(header: Uint8Array, [low, high]: [number, number]): void {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  view.setUint32(16, low, true);
  view.setUint32(20, high, true);
}

/** Writes `value` (an integer below 2^53) at `offset` of `view`, little-endian. */
function setUint64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value % 0x1_0000_0000, true);
  view.setUint32(offset + 4, Math.floor(value / 0x1_0000_0000), true);
}

/** The unsigned 64-bit integer at `offset` of `view`, little-endian (exact below 2^53). */
function getUint64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 0x1_0000_0000;
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
  /** The value's checksum, as the header gives it. */
  valueSum: [number, number];
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
  if (start > file.length || getUint64(view, 8) !== fileSize - start) {
    return undefined;
  }
  for (let i = HEADER_BYTES + strings; i < start; i++) if (file[i] !== 0) return undefined;
  const [low, high] = checksum(file.subarray(32, start));
  if (view.getUint32(24, true) !== low || view.getUint32(28, true) !== high) return undefined;
  return {
    start,
    keyLength,
    taskNameLength,
    versionLength,
    createdAt: view.getFloat64(32, true),
    valueSum: [view.getUint32(16, true), view.getUint32(20, true)],
  };
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
 * the key, else `undefined`. The value is read only once the header and key are checked; a
 * large one is read asynchronously and summed a slice at a time, so that the event loop runs
 * meanwhile (a small one: see `readSmallEntry`).
 */
export async function readEntry(
  fd: number,
  size: number,
  keyBytes: Uint8Array,
): Promise<StoredEntry | undefined> {
  if (size <= HEAD_READ) return readSmallEntry(fd, size, keyBytes);
  const found = readHeader(fd, size);
  if (found === undefined || !isKey(found, keyBytes)) return undefined;
  const { head, header } = found;
  const value = await readAll(fd, header.start, size - header.start);
  if (value.length !== size - header.start) return undefined; // shrank meanwhile
  const sum = value.length <= SLICE_BYTES ? checksum(value) : await checksumInSlices([value]);
  return storedEntry(head, header, value, sum);
}

/**
 * {@link readEntry} of a file of at most `HEAD_READ` bytes, synchronously: read whole in one
 * call, its header and key checked, its value summed.
 */
export function readSmallEntry(
  fd: number,
  size: number,
  keyBytes: Uint8Array,
): StoredEntry | undefined {
  const found = readHeader(fd, size);
  if (found === undefined || found.head.length !== size || !isKey(found, keyBytes)) {
    return undefined; // not an entry for the key, or it changed meanwhile
  }
  const { head, header } = found;
  const value = head.subarray(header.start);
  return storedEntry(head, header, value, checksum(value));
}

/** Whether the header `found` names the key `keyBytes` (from `encodeKey`). */
function isKey({ head, header }: { head: Uint8Array; header: Header }, keyBytes: Uint8Array) {
  if (header.keyLength !== keyBytes.length) return false;
  // node:buffer's `compare` (a `memcmp`): the byte loop took 3 µs of a get until optimized.
  if (keyBytes instanceof Buffer) {
    return keyBytes.compare(head, HEADER_BYTES, HEADER_BYTES + keyBytes.length) === 0;
  }
  for (let i = 0; i < keyBytes.length; i++) {
    if (head[HEADER_BYTES + i] !== keyBytes[i]) return false;
  }
  return true;
}

/** The entry of `head` and `value`, if the value's checksum `sum` is the one in the header. */
function storedEntry(
  head: Uint8Array,
  header: Header,
  value: Uint8Array,
  [low, high]: [number, number],
): StoredEntry | undefined {
  const [expectLow, expectHigh] = header.valueSum;
  return low === expectLow && high === expectHigh ? new Entry(head, header, value) : undefined;
}

/** An entry read back, its task name and cache version decoded only when asked for, once. */
class Entry implements StoredEntry {
  readonly value: Uint8Array;
  readonly createdAt: number;
  readonly #head: Uint8Array;
  readonly #header: Header;
  #strings: { taskName: string; cacheVersion: string } | undefined;

  constructor(head: Uint8Array, header: Header, value: Uint8Array) {
    this.value = value;
    this.createdAt = header.createdAt;
    this.#head = head;
    this.#header = header;
  }

  get taskName(): string {
    return (this.#strings ??= metadataStrings(this.#head, this.#header)).taskName;
  }

  get cacheVersion(): string {
    return (this.#strings ??= metadataStrings(this.#head, this.#header)).cacheVersion;
  }

  /**
   * `isOtherTask(expect, this.taskName, this.cacheVersion)` (adapter.ts), the stored code
   * units compared with `expect`'s strings without decoding them (on every get).
   */
  isOtherTask(expect: EntryMetadata | undefined): boolean {
    if (expect === undefined) return false;
    const { keyLength, taskNameLength, versionLength } = this.#header;
    if (taskNameLength === 0 && versionLength === 0) return false; // stored without metadata
    const taskNameAt = HEADER_BYTES + keyLength;
    return !sameText(this.#head, taskNameAt, taskNameLength, expect.taskName) ||
      !sameText(this.#head, taskNameAt + taskNameLength, versionLength, expect.cacheVersion);
  }
}

/** Whether the `length` bytes of `bytes` at `at` are the UTF-16LE code units of `text`. */
function sameText(bytes: Uint8Array, at: number, length: number, text: string): boolean {
  if (length !== text.length * 2) return false;
  for (let i = 0; i < text.length; i++) {
    if ((bytes[at + 2 * i]! | (bytes[at + 2 * i + 1]! << 8)) !== text.charCodeAt(i)) return false;
  }
  return true;
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

/**
 * The metadata of the entry file at `path`, or `undefined` if it is gone, damaged, not a
 * regular file or not `trusted`.
 */
export function readEntryInfo(
  path: string,
  trusted: (stats: Stats) => boolean,
): EntryInfo | undefined {
  let fd: number | "strange" | undefined;
  try {
    fd = openFile(path);
  } catch (error) {
    throw fsError(`read the cache entry ${path}`, error);
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
    throw fsError(`read the cache entry ${path}`, error);
  } finally {
    closeQuietly(fd);
  }
}

/** The value size of the entry file at `path`, 0 if it cannot be read as one. */
export function entrySize(path: string): number {
  try {
    return readEntryInfo(path, () => true)?.size ?? 0;
  } catch {
    return 0; // a directory, say: removing it fails and says so
  }
}
