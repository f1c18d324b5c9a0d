/**
 * The leases of `FsAdapter` (fs.ts), for single flight across processes: a lease on a name is
 * the file `<SHA-256 of the name>.lease` in the cache directory, a line of JSON with its owner,
 * its expiry and its holder (process id and host, src/internal/holder.ts). It is created whole
 * (written under a temporary name, then linked into place, which fails if a lease is there); an
 * expired one is taken over: moved aside, checked, and removed, or put back if it turns out to
 * be fresh.
 *
 * @module
 */
import {
  closeSync,
  fstatSync,
  linkSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import type { Lease } from "../adapter.ts";
import { adapterError } from "../internal/storage_error.ts";
import { isGoneHolder, thisHolder } from "../internal/holder.ts";
import type { CacheDirectory } from "./fs_directory.ts";
import { fsError } from "./fs_errors.ts";
import { encodeText } from "./fs_format.ts";
import {
  closeQuietly,
  codeOf,
  openFile,
  readPrefix,
  removeQuietly,
  temporaryPath,
} from "./fs_io.ts";

/** The names of lease files. */
export const LEASE = /^[0-9a-f]{64}\.lease$/;
/** A lease file is a line of JSON: anything longer is not one. */
const LEASE_MAX_BYTES = 1024;
/**
 * A lease claiming to last longer than this (or the reader's own lease time) from now has
 * expired: no holder renews that far ahead, so it is damage or a plant meant to block others.
 */
const LEASE_MAX_MS = 24 * 60 * 60 * 1000;

/**
 * A lease on `name` in `directory` for `ttlMs`, or `undefined` when another owner holds one
 * that has not expired. Failures of `node:fs` are thrown as they are.
 */
export function acquireLease(
  directory: CacheDirectory,
  name: string,
  ttlMs: number,
): Lease | undefined {
  const path = join(
    directory.path,
    `${bytesToHex(sha256(encodeText(name, "a lease name")))}.lease`,
  );
  const owner = bytesToHex(randomBytes(16));
  directory.verify();
  const trusted = (stats: Stats) => directory.isTrusted(stats);
  const longest = Math.max(ttlMs, LEASE_MAX_MS);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (placeLease(directory, path, owner, ttlMs)) return heldLease(directory, path, owner, ttlMs);
    const held = readLease(path, trusted, longest);
    if (held === "gone") continue;
    if (held.expiresAt > Date.now()) return undefined;
    // Expired: move it aside (only one taker can), and put it back if it was renewed.
    const aside = temporaryPath(directory.path);
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
      return undefined;
    }
    unlinkSync(aside);
  }
  return undefined;
}

/** Writes a lease file under a temporary name in `directory`; returns that name. */
function writeLease(directory: CacheDirectory, owner: string, ttlMs: number): string {
  const temporary = temporaryPath(directory.path);
  const fd = directory.createTemporary(temporary);
  try {
    try {
      // The holder's process and host: a waiter on this host sees at once that a killed
      // holder is gone (src/internal/holder.ts), whatever time its lease had left.
      writeSync(fd, JSON.stringify({ owner, expiresAt: Date.now() + ttlMs, ...thisHolder() }));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    removeQuietly(temporary);
    throw error;
  }
  return temporary;
}

/** Creates the lease file at `path` if there is none; whether it did. */
function placeLease(
  directory: CacheDirectory,
  path: string,
  owner: string,
  ttlMs: number,
): boolean {
  const temporary = writeLease(directory, owner, ttlMs);
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if (codeOf(error) === "EEXIST") return false;
    throw error;
  } finally {
    removeQuietly(temporary); // gone already after a clear: nothing to do
  }
}

/** The lease file at `path` held by `owner`, as a `Lease`. */
function heldLease(directory: CacheDirectory, path: string, owner: string, ttlMs: number): Lease {
  const ours = () => {
    const held = readLease(path, () => true, Infinity);
    return held !== "gone" && held.owner === owner;
  };
  return {
    renew: (ttl = ttlMs) => {
      let temporary: string | undefined;
      try {
        if (!ours()) return Promise.resolve(false);
        temporary = writeLease(directory, owner, ttl);
        renameSync(temporary, path);
        return Promise.resolve(true);
      } catch (error) {
        if (temporary !== undefined) removeQuietly(temporary); // unless renamed already
        return Promise.reject(fsError(`renew the lease ${path}`, error));
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
 * The owner and expiry of the lease file at `path`; `"gone"` if there is none. What cannot be
 * a lease of a trusted user counts as expired: a file that does not parse, is too long, is not
 * a regular file (a link, a FIFO, a socket, a device: never followed, never waited on) or that
 * `trusted` refuses, one whose expiry is more than `longestMs` ahead, or one whose holder ran on
 * this host and is gone (`isGoneHolder`). A directory there is a `CacheError` (the lease cannot
 * be taken; the caller runs without one).
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
      throw adapterError(
        "FsAdapter",
        "IO",
        `read the lease ${path}`,
        "a directory sits where the lease file goes; remove it",
      );
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
