/**
 * src/internal/storage_error.ts: the one shape of an adapter's `CacheError`
 * (`<Adapter>: cannot <action>: <advice> (<storage's message>)`), what passes through, and the
 * storage's message kept short.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CacheError } from "../../../src/errors.ts";
import { adapterError, errorMessage, storageError } from "../../../src/internal/storage_error.ts";

test("a failure the adapter knows: its code, its advice, and the storage's message in brackets", () => {
  const cause = Object.assign(new Error("EACCES: permission denied, open '/c/x'"), {
    code: "EACCES",
  });
  const error = storageError(
    "FsAdapter",
    "store the entry",
    cause,
    (e) =>
      (e as { code?: string }).code === "EACCES"
        ? ["PERMISSION_DENIED", "the directory is not writable; choose another"]
        : undefined,
  );
  assert.ok(error instanceof CacheError);
  assert.equal(error.code, "PERMISSION_DENIED");
  assert.equal(
    error.message,
    "FsAdapter: cannot store the entry: the directory is not writable; choose another " +
      "(EACCES: permission denied, open '/c/x')",
  );
  assert.equal(error.cause, cause);
});

test("a failure it does not know is IO with the storage's own message; a CacheError passes as it is", () => {
  const error = storageError("RedisAdapter", "read the entry", new Error("weird"), () => undefined);
  assert.ok(error instanceof CacheError);
  assert.equal(error.code, "IO");
  assert.equal(error.message, "RedisAdapter: cannot read the entry: weird");
  const original = new CacheError("NO_SPACE", "full");
  assert.equal(storageError("X", "y", original), original);
  const typeError = new TypeError("Deno KV: its own failure");
  const wrapped = storageError("DenoKvAdapter", "read the entry", typeError);
  assert.ok(wrapped instanceof CacheError, "a TypeError from the storage is wrapped too");
});

test("errorMessage: a message, a name for an empty one, strings as they are, 300 characters at most", () => {
  assert.equal(errorMessage(new Error("m")), "m");
  assert.equal(errorMessage(new RangeError("")), "RangeError");
  assert.equal(errorMessage("text"), "text");
  assert.equal(errorMessage(42), "42");
  assert.equal(errorMessage("x".repeat(400)), `${"x".repeat(300)}...`);
});

test("adapterError: the same shape with no storage error behind it", () => {
  const error = adapterError("MemoryAdapter", "CLOSED", "read the entry", "the adapter is closed");
  assert.equal(error.code, "CLOSED");
  assert.equal(error.message, "MemoryAdapter: cannot read the entry: the adapter is closed");
});
