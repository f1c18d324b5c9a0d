/**
 * How `FsAdapter` (fs.ts) reports a failure of `node:fs`: a `CacheError` built by
 * `storageError` (src/internal/storage_error.ts), its code and advice from the error's `errno`
 * code, so that it reads `FsAdapter: cannot <action>: <advice> (<what node:fs said>)`.
 *
 * @module
 */
import { type Classification, storageError } from "../internal/storage_error.ts";
import { codeOf } from "./fs_io.ts";

/**
 * The `node:fs` (errno) codes with a code of their own and advice (the rest are `IO`): one table
 * for every adapter on files (`FsAdapter`, and `DiskcacheAdapter` beside SQLite's codes), so the
 * same failure reads the same in each.
 */
export const ERRNO_CODES: Readonly<Record<string, Classification>> = {
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

/** The code and advice for a `node:fs` failure, by its `errno` code. */
function classify(error: unknown): Classification | undefined {
  const code = codeOf(error);
  return code !== undefined && Object.hasOwn(ERRNO_CODES, code) ? ERRNO_CODES[code] : undefined;
}

/**
 * A `node:fs` failure while doing `action` (a phrase after "cannot") as a `CacheError` saying
 * what to do; a `CacheError` passes through as it is.
 */
export function fsError(action: string, error: unknown): Error {
  return storageError("FsAdapter", action, error, classify);
}
