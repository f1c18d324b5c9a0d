/**
 * `RedisAdapter`'s keys and values in Redis, and the scripts that change them only when they are
 * still as read. Under the adapter's prefix (default `local-task-cache:`), each entry is ONE
 * Redis hash, so that it is written, expired, evicted and removed whole:
 *
 * - `<prefix>entry:<id>`: fields `v` (the value's bytes), `m` (the metadata, JSON
 *   `{"t": task name, "c": cache version, "s": creation time}`) and `r` (the last read time in
 *   milliseconds); the id is `s` + the key for a well-formed key, or `u` + the hex of its UTF-16
 *   code units for one with an unpaired surrogate (which UTF-8 cannot carry);
 * - `<prefix>lease:<id>`: a lease, a random token set with `SET NX PX` and renewed or released
 *   by a script only when it still holds that token.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { EntryMetadata } from "../adapter.ts";
import { isWellFormed } from "../internal/unicode.ts";

/** Removes the entry if its metadata is still `ARGV[1]` (an expired entry not replaced). */
export const DELETE_IF_UNCHANGED =
  "if redis.call('hget', KEYS[1], 'm') == ARGV[1] then return redis.call('del', KEYS[1]) end " +
  "return 0";
/** Records a read time on an entry that still exists (never recreates a removed one). */
export const TOUCH = "if redis.call('exists', KEYS[1]) == 1 then redis.call('hset', KEYS[1], " +
  "'r', ARGV[1]) end return 0";
/** Extends a lease by `ARGV[2]` ms if it still holds the token `ARGV[1]`. */
export const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then " +
  "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0";
/** Removes a lease if it still holds the token `ARGV[1]`. */
export const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then " +
  "return redis.call('del', KEYS[1]) end return 0";

/** The fields of an entry's metadata, as stored in `m`. */
export interface StoredMetadata {
  t: string;
  c: string;
  s: number;
}

/** The Redis key of entry `key` under `prefix`. */
export function entryName(prefix: string, key: string): string {
  if (typeof key !== "string") {
    throw new TypeError(`RedisAdapter: a key must be a string, got ${typeof key}`);
  }
  return `${prefix}entry:${encodeId(key)}`;
}

/** The Redis key of the lease on `name` under `prefix`. */
export function leaseName(prefix: string, name: string): string {
  return `${prefix}lease:${encodeId(name)}`;
}

/** The `SCAN MATCH` pattern of every entry under `prefix`. */
export function entryPattern(prefix: string): string {
  return `${escapeGlob(prefix)}entry:*`;
}

/** The key of the entry named `name` under `prefix`, or `undefined` for a foreign name. */
export function keyOfName(prefix: string, name: string): string | undefined {
  return decodeId(name.slice(prefix.length + "entry:".length));
}

/** The `HSET` command that stores an entry whole, stored at `now`. */
export function entryWrite(
  name: string,
  value: Uint8Array,
  now: number,
  metadata?: EntryMetadata,
): (string | Buffer)[] {
  const stored: StoredMetadata = {
    t: metadata?.taskName ?? "",
    c: metadata?.cacheVersion ?? "",
    s: now,
  };
  return [
    "HSET",
    name,
    "v",
    Buffer.from(value.buffer, value.byteOffset, value.length),
    "m",
    JSON.stringify(stored),
    "r",
    String(now),
  ];
}

/** The stored metadata, or `undefined` when damaged. */
export function parseMetadata(text: string): StoredMetadata | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<StoredMetadata> | null;
    if (
      typeof parsed?.t === "string" && typeof parsed.c === "string" &&
      typeof parsed.s === "number" && Number.isFinite(parsed.s) && parsed.s >= 0
    ) return parsed as StoredMetadata;
  } catch {
    // damaged: a miss
  }
  return undefined;
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

/** A plain `Uint8Array` (never a Buffer) of the reply's bytes, without a copy when it can. */
export function plainBytes(bytes: Buffer): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return new Uint8Array(bytes.buffer, 0, bytes.byteLength);
  }
  return new Uint8Array(bytes);
}
