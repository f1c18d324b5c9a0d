/**
 * src/internal/unicode.ts: the unpaired-surrogate check agrees with the runtime's
 * `String.prototype.isWellFormed` and with its own fallback (`loneSurrogateIndex`'s regular
 * expression) on every surrogate placement.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isWellFormed, loneSurrogateIndex } from "../../../src/internal/unicode.ts";

test("isWellFormed and the fallback agree with String.prototype.isWellFormed", () => {
  assert.equal(typeof "".isWellFormed, "function", "the runtime has isWellFormed (Node >= 20)");
  const units = ["a", "\uD83D", "\uDE00", "\uDBFF", "\uDC00", "\u{1F600}", "é", ""];
  let strings = 0;
  for (const a of units) {
    for (const b of units) {
      for (const c of units) {
        const text = a + b + c;
        const expected = text.isWellFormed();
        assert.equal(isWellFormed(text), expected, JSON.stringify(text));
        const index = loneSurrogateIndex(text);
        assert.equal(index === -1, expected, `fallback on ${JSON.stringify(text)}`);
        if (index !== -1) {
          assert.ok(text.slice(0, index).isWellFormed(), "none before it");
          assert.ok(!text.slice(index, index + 1).isWellFormed(), "it points at a surrogate");
        }
        strings++;
      }
    }
  }
  assert.equal(strings, units.length ** 3);
});
