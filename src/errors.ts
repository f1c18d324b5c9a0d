/**
 * Every error class of the library, in one place: {@link CacheError} (a storage failure, with a
 * `code`), {@link ConversionError} (a value that does not fit its type) and
 * {@link isCacheError}, the test for a `CacheError` that also works across realms.
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
  | "UNSAFE_DIRECTORY"
  | "UNAVAILABLE"
  | "TOO_LARGE"
  | "INVALID_SEAL"
  | "IO";

/** Every {@link CacheErrorCode} (a `Record` so that the compiler insists on each one). */
const CACHE_ERROR_CODES: Readonly<Record<CacheErrorCode, true>> = {
  PERMISSION_DENIED: true,
  NO_SPACE: true,
  NOT_A_DIRECTORY: true,
  CLOSED: true,
  BLOCKED: true,
  UNSAFE_DIRECTORY: true,
  UNAVAILABLE: true,
  TOO_LARGE: true,
  INVALID_SEAL: true,
  IO: true,
};

/**
 * A failure of the cache's storage, with a `code` a program can branch on and a message a
 * person can act on. The original error, if any, is the `cause`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CacheError } from "local-task-cache";
 *
 * async function store(): Promise<void> {
 *   throw new CacheError("NO_SPACE", "cannot store the entry: the disk is full");
 * }
 * let cached = true;
 * try {
 *   await store();
 * } catch (error) {
 *   if (!(error instanceof CacheError && error.code === "NO_SPACE")) throw error;
 *   cached = false; // go on without caching
 * }
 * assert.equal(cached, false);
 * ```
 */
export class CacheError extends Error {
  /** Always `"CacheError"`, also across realms (see {@link isCacheError}). */
  override readonly name = "CacheError";
  /** What went wrong; see {@link CacheErrorCode}. */
  readonly code: CacheErrorCode;

  /**
   * A failure of code `code`, with a `message` that names what failed and what to do.
   *
   * @param code What went wrong, for programs to branch on.
   * @param message What failed and what to do, for a person.
   * @param options `cause`: the original error, if any.
   */
  constructor(code: CacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Whether `value` is a {@link CacheError}, also one from another realm where `instanceof` says
 * no: another copy of this module (two versions of the package in one program), a `vm` context,
 * an iframe, or the plain `{ name, code, message }` object a worker posts for one (the structured
 * clone of an `Error` keeps neither its `name` nor its `code`). It checks the shape: `name` is
 * `"CacheError"`, `code` is one of {@link CacheErrorCode} and `message` is a string.
 *
 * @param value Anything, typically what a `catch` caught.
 * @returns Whether `value` carries a `CacheError`'s name, a known code and a message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CacheError, isCacheError } from "local-task-cache";
 *
 * const error: unknown = new CacheError("NO_SPACE", "cannot store the entry: the disk is full");
 * assert.ok(isCacheError(error) && error.code === "NO_SPACE");
 * // From a worker, posted as a plain object:
 * assert.equal(isCacheError({ name: "CacheError", code: "IO", message: "failed" }), true);
 * assert.equal(isCacheError({ name: "CacheError", code: "NOPE", message: "failed" }), false);
 * assert.equal(isCacheError(new Error("failed")), false);
 * ```
 */
export function isCacheError(
  value: unknown,
): value is Pick<CacheError, "name" | "code" | "message"> {
  if (typeof value !== "object" || value === null) return false;
  const { name, code, message } = value as Record<string, unknown>;
  return name === "CacheError" && typeof code === "string" &&
    Object.hasOwn(CACHE_ERROR_CODES, code) &&
    typeof message === "string";
}

/**
 * A value that cannot be converted to or from a Flyte literal or MessagePack, with where
 * (`path`, such as `inputs.items[3]` or `inputs.cfg.a.b`) and why (`reason`, with what to do).
 * The message is `${path}: ${reason}`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConversionError, t } from "local-task-cache";
 *
 * assert.throws(() => t.int.toLiteral(1.5, "inputs.n"), (error) => {
 *   assert.ok(error instanceof ConversionError);
 *   assert.equal(error.path, "inputs.n");
 *   return true;
 * });
 * ```
 */
export class ConversionError extends TypeError {
  /** Where the value is: the input name, then `.key` and `[index]` steps into it. */
  readonly path: string;
  /** What is wrong with it, and what to do. */
  readonly reason: string;

  /**
   * An error for the value at `path`, refused for `reason`; `options.cause` is the error behind
   * it, if any.
   *
   * @param path Where the value is, such as `inputs.items[3]`.
   * @param reason What is wrong with it, and what to do.
   * @param options `cause`: the error behind it, if any.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ConversionError } from "local-task-cache";
   *
   * const error = new ConversionError("inputs.n", "expected an integer, got 1.5");
   * assert.equal(error.message, "inputs.n: expected an integer, got 1.5");
   * assert.equal(error.name, "ConversionError");
   * ```
   */
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(`${path}: ${reason}`, options);
    this.name = "ConversionError";
    this.path = path;
    this.reason = reason;
  }
}
