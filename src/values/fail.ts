/**
 * How the value types and MessagePack refuse a value: {@link fail} with a reason,
 * {@link expected} with what was expected and what was given. Both throw the
 * {@link ConversionError} of `errors.ts`. Private to the package.
 *
 * @module
 */
import { ConversionError } from "../errors.ts";
import { describeValue } from "../internal/describe.ts";

/** Refuses the value at `path`: a {@link ConversionError} of `path` and `reason`. */
export function fail(path: string, reason: string): never {
  throw new ConversionError(path, reason);
}

/**
 * Refuses the value at `path` as not being `what`: "expected `what`, got the number 1.5", and
 * `advice` after a semicolon when given.
 */
export function expected(path: string, what: string, value: unknown, advice = ""): never {
  return fail(path, `expected ${what}, got ${describeValue(value)}${advice ? `; ${advice}` : ""}`);
}
