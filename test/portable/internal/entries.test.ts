/**
 * src/internal/entries.ts: `setEntry` keeps `__proto__` as an entry; `isLiteral` knows a Literal
 * message.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.ts";
import { isLiteral, setEntry } from "../../../src/internal/entries.ts";

test("setEntry keeps __proto__ as an own entry; isLiteral knows a Literal message", () => {
  const record: Record<string, number> = {};
  setEntry(record, "__proto__", 1);
  assert.deepEqual(Object.keys(record), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(record), Object.prototype);
  assert.ok(isLiteral(create(LiteralSchema)));
  assert.ok(!isLiteral({ value: { case: undefined } }) && !isLiteral(null));
});
