/**
 * `DenoKvAdapter`'s records in Deno KV. An entry's id is `["k", key]` for a key of up to 500
 * characters, or `["s", SHA-256 of the key]` for a longer one (or one with an unpaired
 * surrogate); under the adapter's prefix:
 *
 * - `[...prefix, "h", ...id]`, the head: for a value that fits in one record, the value itself
 *   (short keys) or `{ k: key, v: value }` (hashed keys), sealed with a checksum of the value
 *   and the key, with the task name and cache version when stored with them (`sealName` and
 *   `seal` of src/internal/checksum.ts); for a larger one
 *   `{ k: key, g: generation, n: chunks, l: length, c: checksum }`;
 * - `[...prefix, "c", ...id, generation, i]`, the chunks of a large value (63 KiB each);
 * - `[...prefix, "m", ...id]`, the entry's metadata `{ t: task name, v: cache version,
 *   s: size, c: creation time }` (and `k: key` for hashed ids), committed with the head;
 * - `[...prefix, "l", ...id]`, a lease `{ o: owner, e: expiry, p: pid, h: host }`
 *   (deno_kv_lease.ts);
 * - `[...prefix, "r", ...id]`, the last read time (a number of milliseconds), committed with the
 *   head and updated by a hit when older than `READ_TIME_RESOLUTION_MS`;
 * - `[...prefix, "e"]`, the clear epoch, which `clear` sets first;
 * - `[...prefix, "u"]` and `[...prefix, "us"]`, the running total of the values' sizes and when
 *   it was started (deno_kv_total.ts).
 *
 * A chunk generation is named `<head versionstamp>.<epoch versionstamp>.<random>` after the
 * head and the clear epoch its writer saw. A reader checks the chunks' count, length and
 * checksum against the head and reads again if a concurrent writer replaced them, so it never
 * returns a mix.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import type { EntryMetadata } from "../adapter.ts";
import { Checksum, seal, unseal, utf16le } from "../internal/checksum.ts";
import { regroup } from "../internal/slices.ts";
import { isWellFormed } from "../internal/unicode.ts";
import {
  atomic,
  CHUNK_LIST_BATCH,
  commitOrFail,
  type KvEntryMaybe,
  type KvKey,
  type KvKeyPart,
  type KvKeyRead,
  type KvLike,
} from "./deno_kv_atomic.ts";

/** The largest value kept in the head record itself. */
export const INLINE_LIMIT = 60 * 1024;
/** The size of a chunk: under Deno KV's 64 KiB per value, with room for its encoding. */
const CHUNK_BYTES = 63 * 1024;
/** Chunks per commit: under Deno KV's 800 KiB per atomic commit. */
const CHUNKS_PER_COMMIT = 12;
/** How often a read starts again when writers keep replacing the chunks it reads. */
const READ_ATTEMPTS = 5;
/** Keys up to this many UTF-16 units are KV key parts as they are (at most 1500 UTF-8 bytes). */
const DIRECT_KEY_LIMIT = 500;

/** An entry's metadata record. */
export interface Meta {
  /** The key (hashed ids only: a short id holds it). */
  k?: string;
  t: string;
  v: string;
  s: number;
  c: number;
}

/** A head record: an inline value, or where a chunked value's chunks are. */
export interface Head {
  /** The cache key, to tell apart keys whose SHA-256 collide (never seen, but checked). */
  k: string;
  /** An inline value. */
  v?: Uint8Array;
  /** The generation of the chunks, their count, the value's length and checksum. */
  g?: string;
  n?: number;
  l?: number;
  c?: [number, number];
}

/** A head as read: a short key's inline value is its sealed bytes alone. */
export type StoredHead = Head | Uint8Array;

/** The KV keys of an adapter's records under its prefix. */
export class KvLayout {
  /** Where an id starts in a record's key. */
  readonly idAt: number;

  constructor(readonly prefix: KvKey) {
    this.idAt = prefix.length + 1;
  }

  /** Every record of one kind (`"h"`, `"m"`, `"r"`, `"c"`, `"l"`). */
  part(kind: string): KvKey {
    return [...this.prefix, kind];
  }

  head(id: KvKey): KvKey {
    return [...this.prefix, "h", ...id];
  }

  meta(id: KvKey): KvKey {
    return [...this.prefix, "m", ...id];
  }

  read(id: KvKey): KvKey {
    return [...this.prefix, "r", ...id];
  }

  lease(id: KvKey): KvKey {
    return [...this.prefix, "l", ...id];
  }

  epoch(): KvKey {
    return [...this.prefix, "e"];
  }

  /** The running total of the values' sizes (a `Deno.KvU64`). */
  total(): KvKey {
    return [...this.prefix, "u"];
  }

  /** When the running total was started (absent: none is kept). */
  totalStart(): KvKey {
    return [...this.prefix, "us"];
  }

  /** The chunks of an entry, or of one generation of them. */
  chunks(id: KvKey, generation?: string): KvKey {
    return generation === undefined
      ? [...this.prefix, "c", ...id]
      : [...this.prefix, "c", ...id, generation];
  }
}

/**
 * The KV key parts naming entry `key`: `["k", key]` for a short key (no hashing), else
 * `["s", SHA-256 of its UTF-16 code units]`, short whatever the key's length. Keys with an
 * unpaired surrogate are always hashed: KV would store them as UTF-8, replacing it.
 */
export function entryId(key: string): KvKey {
  if (typeof key !== "string") {
    throw new TypeError(`DenoKvAdapter: a key must be a string, got ${typeof key}`);
  }
  if (key.length <= DIRECT_KEY_LIMIT && isWellFormed(key)) return ["k", key];
  return ["s", bytesToHex(sha256(utf16le(key)))];
}

/**
 * The head of a value stored inline, sealed for `name` (`sealName`): bytes alone where the KV
 * key holds the whole key.
 */
export function inlineHead(id: KvKey, key: string, value: Uint8Array, name: string): StoredHead {
  return id[0] === "k" ? seal(name, value) : { k: key, v: seal(name, value) };
}

/**
 * The inline value the head `head` of entry `key` holds if it opens with the seal name `name`,
 * else `undefined` (not inline, sealed for another name, or damaged).
 */
export function inlineValue(
  id: KvKey,
  key: string,
  head: StoredHead | null,
  name: string,
): Uint8Array | undefined {
  if (head instanceof Uint8Array) return id[0] === "k" ? opened([name], head) : undefined;
  return isHead(head) && head.k === key && head.v !== undefined
    ? opened([name], head.v)
    : undefined;
}

/** The metadata record of an entry stored `now`. */
export function metaOf(
  id: KvKey,
  key: string,
  size: number,
  now: number,
  metadata?: EntryMetadata,
): Meta {
  const meta: Meta = {
    t: metadata?.taskName ?? "",
    v: metadata?.cacheVersion ?? "",
    s: size,
    c: now,
  };
  if (id[0] !== "k") meta.k = key;
  return meta;
}

/** A fresh generation name for chunks following the head `before` in the clear epoch `epoch`. */
export function newGeneration(before: KvEntryMaybe<unknown>, epoch: KvEntryMaybe<unknown>) {
  return `${before.versionstamp ?? "0"}.${epoch.versionstamp ?? "0"}.${bytesToHex(randomBytes(8))}`;
}

/**
 * Writes the value made of `pieces` as chunk records under `prefix` (a generation's), a commit
 * at a time (the event loop runs between them); resolves to the head that points at them.
 */
export async function writeChunks(
  kv: KvLike,
  prefix: KvKey,
  key: string,
  generation: string,
  pieces: readonly Uint8Array[],
  size: number,
): Promise<Head> {
  const sum = new Checksum();
  let operation = atomic(kv);
  let i = 0;
  // A commit's worth of records, used again for the next commit once this one is stored
  // (a large value leaves no trail of garbage records behind it).
  const records: Uint8Array[] = [];
  const allocate = (length: number) =>
    length === CHUNK_BYTES
      ? records[i % CHUNKS_PER_COMMIT] ??= new Uint8Array(CHUNK_BYTES)
      : new Uint8Array(length);
  for (const record of regroup(pieces, CHUNK_BYTES, allocate)) {
    sum.update(record);
    operation.set([...prefix, i++], record);
    if (i % CHUNKS_PER_COMMIT === 0) {
      await commitOrFail(operation, "a value's chunks");
      operation = atomic(kv);
    }
  }
  if (i % CHUNKS_PER_COMMIT !== 0) await commitOrFail(operation, "a value's chunks");
  return { k: key, g: generation, n: Math.ceil(size / CHUNK_BYTES), l: size, c: sum.digest() };
}

/**
 * The value the head `head` of entry `key` stands for, or `undefined`: a chunked value is read
 * again while concurrent writers replace it under the reader.
 */
export async function readValue(
  kv: KvLike,
  layout: KvLayout,
  id: KvKey,
  key: string,
  head: StoredHead | null,
  names: readonly string[],
): Promise<Uint8Array | undefined> {
  for (let attempt = 0;; attempt++) {
    // A short key's small value is the head itself: the KV key already holds the whole key.
    if (head instanceof Uint8Array) return id[0] === "k" ? opened(names, head) : undefined;
    if (!isHead(head) || head.k !== key) return undefined;
    if (head.v !== undefined) return opened(names, head.v);
    if (attempt === READ_ATTEMPTS) return undefined;
    const value = await readChunks(kv, layout.chunks(id, head.g), head);
    if (value !== undefined) return value;
    // The chunks were replaced under us (or are damaged): look at the head again.
    const again = (await kv.get<StoredHead>(layout.head(id))).value;
    if (isHead(again) && again.g === head.g) return undefined;
    head = again;
  }
}

/** The value the head's chunks hold, or `undefined` if they are not all there and intact. */
async function readChunks(
  kv: KvLike,
  prefix: KvKey,
  head: Head,
): Promise<Uint8Array | undefined> {
  const { g, n, l, c } = head;
  // A damaged head (its fields of the wrong type, or not agreeing) is a miss.
  if (
    typeof g !== "string" || typeof l !== "number" || !Number.isSafeInteger(l) || l < 0 ||
    n !== Math.ceil(l / CHUNK_BYTES) || !Array.isArray(c) || c.length !== 2
  ) {
    return undefined;
  }
  let value: Uint8Array;
  try {
    value = new Uint8Array(l);
  } catch {
    return undefined; // a length no value of ours has
  }
  let index = 0;
  let offset = 0;
  const sum = new Checksum();
  // Batches of about 2 MiB: the work between two reads (copying, summing) stays short.
  for await (const entry of kv.list<Uint8Array>({ prefix }, { batchSize: CHUNK_LIST_BATCH })) {
    const chunk = entry.value;
    if (
      entry.key[entry.key.length - 1] !== index || !(chunk instanceof Uint8Array) ||
      offset + chunk.length > l
    ) {
      return undefined;
    }
    value.set(chunk, offset);
    sum.update(chunk);
    offset += chunk.length;
    index++;
    release(chunk);
  }
  if (index !== n || offset !== l) return undefined;
  const [low, high] = sum.digest();
  return low === c[0] && high === c[1] ? value : undefined;
}

/**
 * Frees a chunk read at once where its buffer is its own (Deno's KV hands each value its own):
 * detached by a `transfer` to 0 bytes, instead of waiting for a garbage collection, which V8
 * runs only once some 64 MiB of such buffers are garbage. Reading a 100 MiB value then peaks
 * at about its size, not at 1.7 times it. (`@deno/kv` in Node hands out views of a batch's
 * buffer: left alone.)
 */
function release(chunk: Uint8Array): void {
  const buffer = chunk.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (
    chunk.byteOffset === 0 && chunk.byteLength === buffer.byteLength &&
    typeof buffer.transfer === "function"
  ) {
    buffer.transfer(0);
  }
}

/** Whether `value` is a metadata record as `set` writes them. */
export function isMeta(value: unknown): value is Meta {
  const meta = value as Partial<Meta> | null;
  return typeof meta === "object" && meta !== null && typeof meta.t === "string" &&
    typeof meta.v === "string" && isSize(meta.s) && isTime(meta.c);
}

/** A time in milliseconds since the epoch, as the adapter writes them. */
export function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** A size in bytes. */
function isSize(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** An id as a string, to match an entry's records. */
export function idText(id: KvKeyRead): string {
  return `${String(id[0])}\u0000${String(id[1])}`;
}

/** Whether `value` is a head record (not a short key's bytes). */
export function isHead(value: unknown): value is Head {
  return typeof value === "object" && value !== null && typeof (value as Head).k === "string";
}

/** The chunk generation a head points at, if any. */
export function generationOf(head: StoredHead): string | undefined {
  return head instanceof Uint8Array ? undefined : head.g;
}

/**
 * The head versionstamp a chunk generation followed (`"0"`: none), from its name
 * `<head versionstamp>.<epoch versionstamp>.<random>`.
 */
export function baseOf(generation: KvKeyPart | undefined): string | undefined {
  return typeof generation === "string" ? generation.split(".")[0] : undefined;
}

/** The clear epoch's versionstamp a chunk generation started in, from its name. */
export function epochOf(generation: KvKeyPart | undefined): string | undefined {
  return typeof generation === "string" ? generation.split(".")[1] : undefined;
}

/**
 * An inline value, checked against its seal for one of `names`, as a plain `Uint8Array` of its
 * own.
 */
function opened(names: readonly string[], sealed: Uint8Array): Uint8Array | undefined {
  for (const name of names) {
    const value = unseal(name, sealed);
    if (value !== undefined) return plain(value);
  }
  return undefined;
}

/** A plain `Uint8Array` of its own: the Node client hands back `Buffer`s, copied. */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array && bytes.byteOffset === 0 &&
      bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : new Uint8Array(bytes);
}
