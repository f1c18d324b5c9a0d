/**
 * src/internal/: the shared private helpers. The unpaired-surrogate check agrees with the
 * runtime's `String.prototype.isWellFormed` and with its own fallback (`loneSurrogateIndex`'s
 * regular expression) on every surrogate placement; the describers say what the messages of
 * keys, values and MessagePack say; `setEntry` keeps `__proto__` as an entry.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.ts";
import {
  describeValue,
  isPlainObject,
  keyPath,
  showValue,
} from "../../../src/internal/describe.ts";
import { isLiteral, setEntry } from "../../../src/internal/entries.ts";
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

test("describeValue and showValue: the words of the error messages", () => {
  assert.equal(describeValue(1.5), "the number 1.5");
  assert.equal(describeValue(-0), "the number -0");
  assert.equal(describeValue("x".repeat(41)), "a string of length 41");
  assert.equal(describeValue(new Set()), "an instance of Set");
  assert.equal(describeValue(Object.create(null)), "an object");
  assert.equal(describeValue(create(LiteralSchema)), "a flyteidl.core.Literal message");
  assert.equal(showValue(-1n), "-1n");
  assert.equal(showValue("x".repeat(41)), JSON.stringify("x".repeat(40) + "…"));
  assert.equal(showValue(null), "null");
  assert.equal(showValue(undefined), "undefined");
  assert.equal(showValue([1]), "an array");
  assert.equal(showValue(() => 1), "a function");
  assert.equal(keyPath("inputs", "a b"), 'inputs["a b"]');
  assert.equal(keyPath("inputs", "cfg"), "inputs.cfg");
  assert.ok(isPlainObject(Object.create(null)) && !isPlainObject(new Date()));
});

test("setEntry keeps __proto__ as an own entry; isLiteral knows a Literal message", () => {
  const record: Record<string, number> = {};
  setEntry(record, "__proto__", 1);
  assert.deepEqual(Object.keys(record), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(record), Object.prototype);
  assert.ok(isLiteral(create(LiteralSchema)));
  assert.ok(!isLiteral({ value: { case: undefined } }) && !isLiteral(null));
});
