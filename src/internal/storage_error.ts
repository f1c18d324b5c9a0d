/**
 * The one way an adapter turns a failure of its storage into a {@link CacheError}, so that the
 * same failure reads the same in every adapter:
 *
 * `<Adapter>: cannot <action>: <advice> (<what the storage said>)`
 *
 * Each adapter passes a `classify` function that knows its storage's errors (errno codes, SQLite
 * codes, DOMException names, server replies) and answers a code and the advice for a person;
 * what it does not know is an `IO` error carrying the storage's own message.
 *
 * @module
 */
import { CacheError, type CacheErrorCode } from "../errors.ts";

/** A code and the advice for a person (what to do), or `undefined` for an unknown failure. */
export type Classification = readonly [code: CacheErrorCode, advice: string];

/** What an adapter knows of its storage's failures. */
export type Classify = (error: unknown, message: string) => Classification | undefined;

/** The storage's own message for `error`, shortened to 300 characters. */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error
    ? error.message || error.name
    : typeof error === "string"
    ? error
    : String(error);
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}

/**
 * `error` as a `CacheError` of `adapter` (its class name) failing to do `action` (a phrase
 * after "cannot"). A `CacheError` passes through as it is. (An adapter whose callers' mistakes
 * are `TypeError`s lets those through before it calls this: some storages, Deno KV among them,
 * throw `TypeError`s for their own failures too.)
 */
export function storageError(
  adapter: string,
  action: string,
  error: unknown,
  classify?: Classify,
): Error {
  if (error instanceof CacheError) return error;
  const message = errorMessage(error);
  const known = classify?.(error, message);
  const text = known === undefined
    ? `${adapter}: cannot ${action}: ${message}`
    : `${adapter}: cannot ${action}: ${known[1]} (${message})`;
  return new CacheError(known?.[0] ?? "IO", text, { cause: error });
}

/** A `CacheError` of `adapter` with no storage error behind it (e.g. `CLOSED`). */
export function adapterError(
  adapter: string,
  code: CacheErrorCode,
  action: string,
  advice: string,
): CacheError {
  return new CacheError(code, `${adapter}: cannot ${action}: ${advice}`);
}
