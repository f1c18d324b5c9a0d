import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryAdapter } from "../../../src/adapters/memory.ts";
import { CacheError } from "../../../src/errors.ts";
import { adapterConformance } from "../../conformance/adapter_suite.ts";

adapterConformance(test, {
  open: () => Promise.resolve(new MemoryAdapter()),
  leases: false,
  chunks: true,
});

test("after close: CLOSED, in the message shape every adapter shares", async () => {
  const adapter = new MemoryAdapter();
  await adapter.close();
  await assert.rejects(adapter.get("k"), (error) => {
    assert.ok(error instanceof CacheError);
    assert.equal(error.code, "CLOSED");
    // <Adapter>: cannot <action>: <advice>
    assert.match(
      error.message,
      /^MemoryAdapter: cannot .+: the adapter is closed; create a new one$/,
    );
    return true;
  });
});
