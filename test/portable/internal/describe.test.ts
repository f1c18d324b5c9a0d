/**
 * src/internal/describe.ts: the describers say what the messages of keys, values and
 * MessagePack say.
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
