/**
 * The error every storage failure surfaces as.
 *
 * @module
 */

/**
 * What went wrong, for programs to branch on:
 *
 * - `PERMISSION_DENIED`: the storage refuses access (a read-only or foreign directory).
 * - `NO_SPACE`: the disk is full or a quota is exhausted.
 * - `NOT_A_DIRECTORY`: a path the cache needs as a directory is a file.
 * - `CLOSED`: the adapter was closed, or its database closed under it.
 * - `BLOCKED`: the storage is held by someone else (e.g. a database upgrade in another tab).
 * - `CORRUPT_VALUE`: stored bytes are not a valid LiteralMap.
 * - `UNSAFE_DIRECTORY`: another user could change the cache's results: the cache directory (or
 *   one above it) is owned by another user or writable by group or others.
 * - `UNAVAILABLE`: a storage server (Redis) is down or unreachable; the operation gave up
 *   within a bounded time instead of waiting for it.
 * - `TOO_LARGE`: a value is larger than the storage accepts (Redis' `proto-max-bulk-len`);
 *   nothing was written.
 * - `INVALID_SEAL`: an entry's signature (the `signingKey` option) is missing or wrong; it was
 *   written without the key, with another key, or changed. Reported as an `error` event, read
 *   as a miss.
 * - `IO`: any other failure of the storage; `cause` has the original error.
 */
export type CacheErrorCode =
  | "PERMISSION_DENIED"
  | "NO_SPACE"
  | "NOT_A_DIRECTORY"
  | "CLOSED"
  | "BLOCKED"
  | "CORRUPT_VALUE"
  | "UNSAFE_DIRECTORY"
  | "UNAVAILABLE"
  | "TOO_LARGE"
  | "INVALID_SEAL"
  | "IO";

/**
 * A failure of the cache's storage, with a `code` a program can branch on and a message a
 * person can act on. The original error, if any, is the `cause`.
 *
 * @example
 * ```ts
 * import { CacheError } from "local-task-cache";
 *
 * try {
 *   throw new CacheError("NO_SPACE", "cannot store the entry: the disk is full");
 * } catch (error) {
 *   if (error instanceof CacheError && error.code === "NO_SPACE") console.log("skip caching");
 * }
 * ```
 */
export class CacheError extends Error {
  override readonly name = "CacheError";
  /** What went wrong; see {@link CacheErrorCode}. */
  readonly code: CacheErrorCode;

  constructor(code: CacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
