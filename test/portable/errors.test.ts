/**
 * src/errors.ts: `isCacheError` recognizes a `CacheError` from this realm, the same class
 * evaluated in another realm (a `node:vm` context, where `instanceof` says no) and the plain
 * `{ name, code, message }` object a worker posts for one; it refuses other errors, unknown
 * codes, and the structured clone of a `CacheError` (which keeps neither its name nor its code).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runInNewContext } from "node:vm";
import {
  CacheError,
  type CacheErrorCode,
  ConversionError,
  isCacheError,
} from "../../src/errors.ts";
import * as api from "../../src/mod.ts";
import { ConversionError as FromMsgpack } from "../../src/values/msgpack.ts";
import { ConversionError as FromValues } from "../../src/values/values.ts";

const CODES: CacheErrorCode[] = [
  "PERMISSION_DENIED",
  "NO_SPACE",
  "NOT_A_DIRECTORY",
  "CLOSED",
  "BLOCKED",
  "UNSAFE_DIRECTORY",
  "UNAVAILABLE",
  "TOO_LARGE",
  "INVALID_SEAL",
  "IO",
];

test("isCacheError: a CacheError of this realm, with every code", () => {
  for (const code of CODES) {
    const error: unknown = new CacheError(code, "what to do", { cause: new Error("inner") });
    assert.ok(isCacheError(error), code);
    assert.equal(error.code, code);
  }
});

test("isCacheError: the CacheError class evaluated in another realm, where instanceof fails", () => {
  // The class's own (transpiled) source; `__name` is the helper tsx's transpiler may call in it.
  const Foreign = runInNewContext(`(${CacheError.toString()})`, {
    __name: (target: unknown) => target,
  }) as typeof CacheError;
  const error: unknown = new Foreign("NO_SPACE", "cannot store the entry: the disk is full");
  assert.ok(!(error instanceof Error), "the other realm's error is not this realm's Error");
  assert.ok(!(error instanceof CacheError));
  assert.ok(isCacheError(error));
  assert.equal(error.code, "NO_SPACE");
  assert.equal(error.message, "cannot store the entry: the disk is full");
});

test("isCacheError: the plain object a worker posts for one, cloned on the way", () => {
  const error = new CacheError("UNAVAILABLE", "the Redis server is down");
  const posted = structuredClone({ name: error.name, code: error.code, message: error.message });
  assert.ok(isCacheError(posted));
  assert.equal(posted.code, "UNAVAILABLE");
});

test("isCacheError: the structured clone of a CacheError itself keeps neither name nor code", () => {
  const cloned: unknown = structuredClone(new CacheError("IO", "failed"));
  assert.ok(cloned instanceof Error);
  assert.equal(cloned.name, "Error");
  assert.equal(isCacheError(cloned), false);
});

test("isCacheError: no for other errors, unknown or missing codes, and non-objects", () => {
  const refused: unknown[] = [
    new Error("failed"),
    new TypeError("failed"),
    new ConversionError("inputs.n", "expected an integer, got 1.5"),
    Object.assign(new Error("failed"), { code: "NO_SPACE" }),
    { name: "CacheError", code: "CORRUPT_VALUE", message: "a code that no longer exists" },
    { name: "CacheError", code: "ENOENT", message: "a Node code" },
    { name: "CacheError", message: "no code" },
    { name: "CacheError", code: "IO" },
    { name: "CacheError", code: 5, message: "a number" },
    "CacheError",
    null,
    undefined,
  ];
  for (const value of refused) assert.equal(isCacheError(value), false, String(value));
});

test("one ConversionError class: errors.ts's, under the names msgpack.ts, values.ts, mod.ts gave", () => {
  assert.equal(FromMsgpack, ConversionError);
  assert.equal(FromValues, ConversionError);
  assert.equal(api.ConversionError, ConversionError);
  assert.equal(api.CacheError, CacheError);
  assert.equal(api.isCacheError, isCacheError);
  const error = new ConversionError("inputs.n", "expected an integer, got 1.5");
  assert.ok(error instanceof TypeError);
  assert.equal(error.name, "ConversionError");
  assert.equal(error.message, "inputs.n: expected an integer, got 1.5");
});
