/**
 * DenoKvAdapter in Node, over the Deno.Kv-compatible client of the npm package @deno/kv on a
 * local file: the conformance suite, values over Deno KV's limits, and the running total of the
 * values' sizes (test/support/kv_total.ts).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openKv } from "@deno/kv";
import { DenoKvAdapter, type KvLike } from "../../src/adapters/deno_kv.ts";
import type { CacheAdapter } from "../../src/adapter.ts";
import { adapterConformance, patternBytes } from "../conformance/adapter_suite.ts";
import { kvHooks } from "../conformance/hooks.ts";
import { kvTotalTests } from "../support/kv_total.ts";

const directories: string[] = [];
const databases: KvLike[] = [];
test.after(async () => {
  for (const kv of databases) kv.close();
  await Promise.all(directories.map((d) => rm(d, { recursive: true, force: true })));
});

async function open(): Promise<KvLike> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-denokv-"));
  directories.push(directory);
  // @deno/kv's own Kv is a KvLike as it is: no cast (`npm run typecheck` checks this line).
  const kv: KvLike = await openKv(join(directory, "cache.kv"));
  databases.push(kv);
  return kv;
}

const kvOf = new WeakMap<CacheAdapter, KvLike>();
adapterConformance(test, {
  open: async () => {
    const kv = await open();
    const adapter = new DenoKvAdapter({ kv });
    kvOf.set(adapter, kv);
    return adapter;
  },
  leases: true,
  chunks: true,
  ...kvHooks((adapter) => kvOf.get(adapter)!),
});

test("with @deno/kv: values around 64 KiB and of 10 MiB, plain Uint8Arrays out", async () => {
  const adapter = new DenoKvAdapter({ kv: await open(), prefix: ["node"] });
  for (const [i, size] of [65535, 65536, 65537, 10 * 1024 * 1024].entries()) {
    const value = patternBytes(size, i + 1);
    await adapter.set(`k${i}`, value);
    const read = await adapter.get(`k${i}`);
    assert.equal(Object.getPrototypeOf(read), Uint8Array.prototype);
    assert.deepEqual(read, value);
  }
});

test("in Node, { path } without a kv is a clear CacheError", async () => {
  const adapter = new DenoKvAdapter({ path: "/tmp/x.kv" });
  await assert.rejects(adapter.get("k"), /Deno.openKv is not available.*@deno\/kv/);
});

kvTotalTests(test, (path) => openKv(path), async () => {
  const directory = await mkdtemp(join(tmpdir(), "ltc-denokv-total-"));
  directories.push(directory);
  return join(directory, "cache.kv");
});
