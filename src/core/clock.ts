/**
 * The clock of the cache core's timings (event durations, the size limit's recount interval).
 * Private to the package.
 *
 * @module
 */

/** A monotonic clock in milliseconds where there is one (`performance.now()`), else `Date.now()`. */
export function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
