/**
 * The running total `DenoKvAdapter` keeps for the size limit (src/adapters/deno_kv_total.ts),
 * checked against a listing of the entries: after stores, replacements, deletions, expiry and
 * clear, through two database handles on one file (as two processes), concurrent stores, a
 * database without a total, and a total damaged or thrown off behind the adapter's back. Run in
 * Deno (test/deno/deno_kv_total.test.ts, `Deno.openKv`) and in Node
 * (test/node/adapter_deno_kv.test.ts, `@deno/kv`).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { CacheAdapter } from "../../src/adapter.ts";
import { DenoKvAdapter, type KvLike } from "../../src/adapters/deno_kv.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import { binary, integer, literalMap } from "./literals.ts";

type Test = (name: string, fn: () => Promise<void>) => unknown;

const PREFIX = "local-task-cache";
const inputs = (i: number) => literalMap({ i: integer(BigInt(i)) });
const outputs = (size: number) => literalMap({ o0: binary(new Uint8Array(size).fill(7)) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The values' total by listing the entries. */
async function listed(adapter: CacheAdapter): Promise<number> {
  let bytes = 0;
  for await (const entry of adapter.entries()) bytes += entry.size;
  return bytes;
}

/** `adapter`, counting the listings made through it. */
function counting(adapter: DenoKvAdapter): { adapter: CacheAdapter; listings: () => number } {
  let listings = 0;
  const wrapped: CacheAdapter = {
    get: (key, options) => adapter.get(key, options),
    set: (key, value, metadata) => adapter.set(key, value, metadata),
    setChunks: (key, chunks, metadata) => adapter.setChunks(key, chunks, metadata),
    delete: (key) => adapter.delete(key),
    clear: () => adapter.clear(),
    entries: () => {
      listings++;
      return adapter.entries();
    },
    storedBytes: () => adapter.storedBytes(),
    correctStoredBytes: (counted, kept) => adapter.correctStoredBytes(counted, kept),
    close: () => adapter.close(),
  };
  return { adapter: wrapped, listings: () => listings };
}

/**
 * The tests, with `openKv(path)` the runtime's way to open a KV file and `file()` a fresh path
 * for one.
 */
export function kvTotalTests(
  test: Test,
  openKv: (path: string) => Promise<KvLike>,
  file: () => Promise<string>,
): void {
  /** Two handles on one new file (two processes, as far as Deno KV knows), closed at the end. */
  async function twoHandles<T>(
    body: (a: DenoKvAdapter, b: DenoKvAdapter, kv: KvLike) => Promise<T>,
  ): Promise<T> {
    const path = await file();
    const [one, two] = [await openKv(path), await openKv(path)];
    try {
      return await body(new DenoKvAdapter({ kv: one }), new DenoKvAdapter({ kv: two }), one);
    } finally {
      one.close();
      two.close();
    }
  }

  test("Deno KV running total: follows stores, replacements, deletions, expiry and clear on two handles", async () => {
    await twoHandles(async (a, b) => {
      const caches = [new TaskCache(a), new TaskCache(b)];
      const check = async (what: string) => {
        const bytes = await listed(a);
        assert.equal(await a.storedBytes(), bytes, what);
        assert.equal(await b.storedBytes(), bytes, `${what} (the other handle)`);
      };
      const cache = (i: number) => caches[i % 2]!;
      for (let i = 0; i < 20; i++) await cache(i).set("t", "1", inputs(i), [], outputs(100 + i));
      await check("after stores");
      // Replacements through the other handle than the store's, larger, chunked and smaller.
      for (let i = 0; i < 5; i++) await cache(i + 1).set("t", "1", inputs(i), [], outputs(1000));
      await check("after replacements by larger values");
      for (let i = 0; i < 3; i++) await cache(i).set("t", "1", inputs(i), [], outputs(200_000));
      await check("after replacements by chunked values");
      for (let i = 0; i < 5; i++) await cache(i).set("t", "1", inputs(i), [], outputs(3));
      await check("after replacements by smaller values");
      await a.delete("no such key");
      assert.equal(await caches[1]!.deleteEntries({ taskName: "t", cacheVersion: "1" }) > 0, true);
      await check("after deleteEntries");
      assert.equal(await a.storedBytes(), 0);
      await cache(0).set("t", "1", inputs(1), [], outputs(50));
      await sleep(60);
      await cache(1).set("t", "1", inputs(2), [], outputs(70_000));
      const young = new TaskCache(b, { maxAge: 30 });
      assert.equal(await young.get("t", "1", inputs(1)), undefined, "expired");
      await check("after an expired entry was removed");
      await caches[0]!.clear();
      await check("after clear");
      await cache(1).set("t", "1", inputs(3), [], outputs(70));
      await check("after clear and a store");
    });
  });

  test("Deno KV running total: concurrent stores, replacements and deletions on two handles add up", async () => {
    await twoHandles(async (a, b) => {
      await a.correctStoredBytes(0, undefined); // started, as a TaskCache's first store does
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 120; i++) {
        const adapter = i % 2 === 0 ? a : b;
        const key = `k${i % 17}`;
        const size = i % 11 === 0 ? 70_000 + i : 10 + i;
        work.push(i % 7 === 6 ? adapter.delete(key) : adapter.set(key, new Uint8Array(size)));
      }
      await Promise.all(work);
      assert.equal(await a.storedBytes(), await listed(a));
      await Promise.all([a.clear(), b.set("late", new Uint8Array(5))]);
      assert.equal(await b.storedBytes(), await listed(b), "a clear and a store at once");
    });
  });

  test("Deno KV running total: the first store of a new TaskCache on a filled database lists nothing", async () => {
    await twoHandles(async (a, b) => {
      const filler = new TaskCache(a);
      for (let i = 0; i < 100; i++) await filler.set("t", "1", inputs(i), [], outputs(64));
      const { adapter, listings } = counting(b);
      const cache = new TaskCache(adapter, { maxSize: 1024 ** 2 });
      for (let i = 100; i < 110; i++) await cache.set("t", "1", inputs(i), [], outputs(64));
      assert.equal(listings(), 0, "stores under the limit ask the running total, never list");
      assert.equal(await b.storedBytes(), await listed(b));
    });
  });

  test("Deno KV running total: a database without one (an older version's) starts one on a store", async () => {
    await twoHandles(async (a, b, kv) => {
      const old = new TaskCache(a, { maxSize: Infinity }); // no size limit: no total started
      for (let i = 0; i < 30; i++) await old.set("t", "1", inputs(i), [], outputs(100));
      assert.equal(await a.storedBytes(), undefined, "none kept");
      const { adapter, listings } = counting(b);
      const cache = new TaskCache(adapter);
      await cache.set("t", "1", inputs(30), [], outputs(100));
      assert.equal(listings(), 1, "the first store counted the entries once");
      await old.set("t", "1", inputs(31), [], outputs(100)); // the other handle: summed too
      await cache.set("t", "1", inputs(32), [], outputs(100));
      assert.equal(listings(), 1, "and then kept the total");
      assert.equal(await b.storedBytes(), await listed(b));
      assert.equal(await a.storedBytes(), await listed(a), "the same total on the other handle");
      // Its records are the adapter's own: clear keeps them (the epoch too) and nothing else.
      await cache.clear();
      const left = [];
      for await (const record of kv.list({ prefix: [PREFIX] })) left.push(record.key.at(-1));
      assert.deepEqual(left.sort(), ["e", "u", "us"]);
      assert.equal(await a.storedBytes(), 0);
    });
  });

  test("Deno KV running total: damaged or thrown off behind the adapter's back, it is set right", async () => {
    await twoHandles(async (a, b, kv) => {
      const cache = new TaskCache(a, { maxSize: 10_000 });
      for (let i = 0; i < 5; i++) await cache.set("t", "1", inputs(i), [], outputs(1000));
      const bytes = await listed(a);
      assert.equal(await a.storedBytes(), bytes);
      // Not a KvU64: stores go on (the total is dropped), and the next count (a new TaskCache's
      // first store, or a minute later) starts it again.
      assert.ok((await kv.atomic().set([PREFIX, "u"], { value: 5n }).commit()).ok);
      await b.set("other", new Uint8Array(10));
      assert.equal(await b.storedBytes(), undefined, "dropped");
      await new TaskCache(a).set("t", "1", inputs(5), [], outputs(1000));
      assert.equal(await a.storedBytes(), await listed(a), "started again by a count");
      // Below 0 (entries stored before it was started, removed since): counted again.
      assert.ok((await kv.atomic().sum([PREFIX, "u"], 2n ** 64n - 10n ** 6n).commit()).ok);
      assert.equal(await a.storedBytes(), undefined, "below 0: not used");
      await new TaskCache(b).set("t", "1", inputs(6), [], outputs(1000));
      assert.equal(await a.storedBytes(), await listed(a));
      // Far too large: it says past the limit, a count finds otherwise and moves it.
      assert.ok((await kv.atomic().sum([PREFIX, "u"], 10n ** 6n).commit()).ok);
      await cache.set("t", "1", inputs(7), [], outputs(1000));
      assert.equal(await a.storedBytes(), await listed(a));
      assert.ok((await listed(a)) <= 10_000);
    });
  });
}
