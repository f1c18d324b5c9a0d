/// <reference lib="deno.ns" />
/// <reference lib="deno.unstable" />
/**
 * DenoKvAdapter in a real Deno: the conformance suite on a KV file and on `:memory:`, the sizes
 * around Deno KV's limits, long keys, and the prefix. Run: deno test -A --unstable-kv test/deno/
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DenoKvAdapter } from "../../src/adapters/deno_kv.ts";
import { FsAdapter } from "../../src/adapters/fs.ts";
import type { CacheAdapter } from "../../src/adapter.ts";
import { adapterConformance, patternBytes } from "../conformance/adapter_suite.ts";
import { fsHooks, kvHooks } from "../conformance/hooks.ts";

const temporary: string[] = [];
test.after(async () => {
  for (const path of temporary) await Deno.remove(path, { recursive: true }).catch(() => {});
});

async function kvFile(): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "ltc-kv-" });
  temporary.push(directory);
  return `${directory}/cache.kv`;
}

/** Databases opened for the adapters (closed at the end), by adapter. */
const databases = new Map<CacheAdapter, Deno.Kv>();
test.after(() => {
  for (const kv of databases.values()) kv.close();
});
async function kvAdapter(path: string): Promise<CacheAdapter> {
  const kv = await Deno.openKv(path);
  const adapter = new DenoKvAdapter({ kv });
  databases.set(adapter, kv);
  return adapter;
}
const hooks = kvHooks((adapter) => databases.get(adapter)!);

adapterConformance((name, fn) => test(`file KV: ${name}`, fn), {
  open: async () => kvAdapter(await kvFile()),
  leases: true,
  chunks: true,
  ...hooks,
});

adapterConformance((name, fn) => test(`:memory: KV: ${name}`, fn), {
  open: () => kvAdapter(":memory:"),
  leases: true,
  chunks: true,
  ...hooks,
});

adapterConformance((name, fn) => test(`FsAdapter in Deno: ${name}`, fn), {
  open: async () => {
    const directory = await Deno.makeTempDir({ prefix: "ltc-fs-" });
    temporary.push(directory);
    return new FsAdapter({ directory });
  },
  leases: true,
  chunks: true,
  ...fsHooks(),
});

test("values around Deno KV's 64 KiB limit and far above it round-trip", async () => {
  const adapter = new DenoKvAdapter({ path: await kvFile() });
  const sizes = [65536 - 1, 65536, 65536 + 1, 1024 * 1024, 10 * 1024 * 1024];
  for (const [i, size] of sizes.entries()) {
    const value = patternBytes(size, i + 1);
    await adapter.set(`size ${size}`, value);
    assert.deepEqual(await adapter.get(`size ${size}`), value, `${size} bytes`);
  }
  // Replacing a large value by a small one and back leaves only the newest chunks.
  await adapter.set("size 1048576", Uint8Array.of(1));
  assert.deepEqual(await adapter.get("size 1048576"), Uint8Array.of(1));
  await adapter.close();
});

test("a 5000-character task name (keys over 2 KiB) works", async () => {
  const adapter = new DenoKvAdapter({ path: ":memory:" });
  const key = `${"t".repeat(5000)}-1-ea65cfadb0079394a8be1f4aa1e96e2b`;
  const other = `${"t".repeat(4999)}u-1-ea65cfadb0079394a8be1f4aa1e96e2b`;
  await adapter.set(key, Uint8Array.of(1));
  await adapter.set(other, patternBytes(200_000, 2));
  assert.deepEqual(await adapter.get(key), Uint8Array.of(1));
  assert.deepEqual(await adapter.get(other), patternBytes(200_000, 2));
  await adapter.close();
});

test("clear removes only the entries under the adapter's prefix", async () => {
  const kv = await Deno.openKv(":memory:");
  await kv.set(["mine"], "user data");
  await kv.set(["local-task-cache-other"], "near miss");
  const cache = new DenoKvAdapter({ kv });
  const other = new DenoKvAdapter({ kv, prefix: ["apps", "other-cache"] });
  await cache.set("k", patternBytes(300_000, 1));
  await other.set("k", Uint8Array.of(7));
  await cache.clear();
  assert.equal(await cache.get("k"), undefined);
  assert.deepEqual(await other.get("k"), Uint8Array.of(7));
  assert.equal((await kv.get(["mine"])).value, "user data");
  assert.equal((await kv.get(["local-task-cache-other"])).value, "near miss");
  const left = [];
  for await (const entry of kv.list({ prefix: ["local-task-cache"] })) left.push(entry.key);
  assert.deepEqual(left, [["local-task-cache", "e"]], "nothing but the clear epoch");
  // The adapter does not close a database it was given.
  await cache.close();
  assert.equal((await kv.get(["mine"])).value, "user data");
  kv.close();
});

test("damaged chunks read as a miss, never as wrong bytes", async () => {
  const kv = await Deno.openKv(":memory:");
  const adapter = new DenoKvAdapter({ kv });
  await adapter.set("k", patternBytes(500_000, 3));
  const chunks = [];
  for await (const entry of kv.list<Uint8Array>({ prefix: ["local-task-cache", "c"] })) {
    chunks.push(entry);
  }
  assert.ok(chunks.length >= 8, `${chunks.length} chunks`);
  const damaged = new Uint8Array(chunks[3]!.value);
  damaged[100]! ^= 1;
  await kv.set(chunks[3]!.key, damaged);
  assert.equal(await adapter.get("k"), undefined);
  await kv.delete(chunks[5]!.key);
  assert.equal(await adapter.get("k"), undefined);
  await adapter.set("k", Uint8Array.of(1, 2));
  assert.deepEqual(await adapter.get("k"), Uint8Array.of(1, 2));
  kv.close();
});

test("a chunked head with damaged fields reads as a miss, never as an error", async () => {
  const kv = await Deno.openKv(":memory:");
  const adapter = new DenoKvAdapter({ kv });
  await adapter.set("k", patternBytes(200_000, 4));
  const headKey = ["local-task-cache", "h", "k", "k"];
  const head = (await kv.get<Record<string, unknown>>(headKey)).value!;
  for (
    const damage of [{ l: "x" }, { l: -1 }, { l: 2 ** 60, n: 2 ** 60 / (63 * 1024) }, { n: 1 }, {
      g: 5,
    }, { c: null }]
  ) {
    await kv.set(headKey, { ...head, ...damage });
    assert.equal(await adapter.get("k"), undefined, JSON.stringify(damage));
  }
  kv.close();
});

test("bad options are TypeErrors", () => {
  assert.throws(() => new DenoKvAdapter({}), TypeError);
  assert.throws(() => new DenoKvAdapter({ path: ":memory:", kv: {} as never }), TypeError);
  assert.throws(() => new DenoKvAdapter({ path: ":memory:", prefix: "x" as never }), TypeError);
});
