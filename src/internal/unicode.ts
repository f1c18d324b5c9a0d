/**
 * Unpaired surrogates, for every module that must refuse them (they are not valid UTF-8: Python
 * refuses them, and replacing them with U+FFFD would give two inputs one key or one entry two
 * names). Private to the package.
 *
 * @module
 */

/** A lone (unpaired) surrogate. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether `text` has no unpaired surrogate (so it can be written as UTF-8):
 * `String.prototype.isWellFormed` where the runtime has it, else a regular expression.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isWellFormed } from "./unicode.ts";
 *
 * assert.equal(isWellFormed("\u{1F600}"), true);
 * assert.equal(isWellFormed("\uD83D"), false);
 * ```
 */
export const isWellFormed: (text: string) => boolean = typeof "".isWellFormed === "function"
  ? (text) => text.isWellFormed()
  : (text) => !LONE_SURROGATE.test(text);

/**
 * Where the first unpaired surrogate of `text` is, or -1 when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loneSurrogateIndex } from "./unicode.ts";
 *
 * assert.equal(loneSurrogateIndex("a\uDC00"), 1);
 * assert.equal(loneSurrogateIndex("\u{1F600}"), -1);
 * ```
 */
export function loneSurrogateIndex(text: string): number {
  return text.search(LONE_SURROGATE);
}
