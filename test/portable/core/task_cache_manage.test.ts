/**
 * TaskCache beyond get and set: listing, deletion by task and version, expiry, the size limit
 * with least-recently-read eviction, stats and events; on memory and on real files.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type CacheAdapter, READ_TIME_RESOLUTION_MS } from "../../../src/adapter.ts";
import { FsAdapter } from "../../../src/adapters/fs.ts";
import { MemoryAdapter } from "../../../src/adapters/memory.ts";
import { CacheError } from "../../../src/errors.ts";
import type { CacheEvent } from "../../../src/core/events.ts";
import { DEFAULT_MAX_SIZE } from "../../../src/core/size_limit.ts";
import { TaskCache } from "../../../src/core/task_cache.ts";
import { binary, integer, literalMap } from "../../support/literals.ts";
import { forwarding } from "../../support/forwarding.ts";

const directories: string[] = [];
after(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inputs = (i: number) => literalMap({ i: integer(BigInt(i)) });
/** Outputs whose serialized size is `size + 7` bytes or so: a binary of `size` bytes. */
const outputs = (size: number) => literalMap({ o0: binary(new Uint8Array(size).fill(7)) });

const kinds: [string, () => Promise<CacheAdapter>][] = [
  ["memory", () => Promise.resolve(new MemoryAdapter())],
  ["fs", async () => {
    const directory = await mkdtemp(join(tmpdir(), "ltc-manage-"));
    directories.push(directory);
    return new FsAdapter({ directory });
  }],
];

for (const [kind, open] of kinds) {
  test(`${kind}: entries() lists task names, versions and sizes, with filters`, async () => {
    const cache = new TaskCache(await open());
    await cache.set("etl.load", "1", inputs(1), [], outputs(100));
    await cache.set("etl.load", "2", inputs(1), [], outputs(200));
    await cache.set("train", "1", inputs(1), [], outputs(300));
    const all = await cache.entries();
    assert.equal(all.length, 3);
    const sizes = Object.fromEntries(all.map((e) => [`${e.taskName}@${e.cacheVersion}`, e.size]));
    assert.ok(sizes["etl.load@1"]! > 100 && sizes["etl.load@1"]! < 120, JSON.stringify(sizes));
    assert.ok(sizes["train@1"]! > 300 && sizes["train@1"]! < 320);
    assert.deepEqual(
      (await cache.entries({ taskName: "etl.load" })).map((e) => e.cacheVersion).sort(),
      ["1", "2"],
    );
    assert.deepEqual(
      (await cache.entries({ cacheVersion: "1" })).map((e) => e.taskName).sort(),
      ["etl.load", "train"],
    );
    assert.equal((await cache.entries({ taskName: "etl.load", cacheVersion: "2" })).length, 1);
    await assert.rejects(cache.deleteEntries({}), /name a taskName and\/or a cacheVersion/);
    await assert.rejects(cache.entries({ taskName: 5 as never }), TypeError);
    await cache.close();
  });

  test(`${kind}: deleteEntries removes a task's or a version's entries only`, async () => {
    const cache = new TaskCache(await open());
    for (let i = 0; i < 5; i++) await cache.set("a", "1", inputs(i), [], outputs(10));
    await cache.set("a", "2", inputs(0), [], outputs(10));
    await cache.set("b", "1", inputs(0), [], outputs(10));
    const progress: [number, number][] = [];
    assert.equal(
      await cache.deleteEntries({ taskName: "a", cacheVersion: "1" }, (d, t) => {
        progress.push([d, t]);
      }),
      5,
    );
    assert.deepEqual(progress.at(-1), [5, 5]);
    assert.equal(await cache.get("a", "1", inputs(0)), undefined);
    assert.ok(await cache.get("a", "2", inputs(0)), "the other version stays");
    assert.equal(await cache.deleteEntries({ cacheVersion: "1" }), 1, "b@1 goes");
    assert.deepEqual((await cache.entries()).map((e) => e.taskName), ["a"]);
    await cache.close();
  });

  test(`${kind}: maxAge: old entries read as misses and are removed`, async () => {
    const adapter = await open();
    const writer = new TaskCache(adapter);
    await writer.set("t", "1", inputs(1), [], outputs(10));
    await sleep(150);
    await writer.set("t", "1", inputs(2), [], outputs(10));
    const cache = new TaskCache(adapter, { maxAge: 100 });
    assert.equal(await cache.get("t", "1", inputs(1)), undefined, "the old entry has expired");
    assert.ok(await cache.get("t", "1", inputs(2)), "the young entry is a hit");
    assert.equal((await cache.entries()).length, 1, "the expired entry was removed");
    await cache.close();
  });

  test(`${kind}: prune --older-than, then --max-size by least recent read`, async () => {
    const cache = new TaskCache(await open());
    await cache.set("t", "1", inputs(0), [], outputs(1000)); // old
    await sleep(READ_TIME_RESOLUTION_MS + 200);
    const cutoff = Date.now();
    for (let i = 1; i <= 4; i++) await cache.set("t", "1", inputs(i), [], outputs(1000));
    await sleep(READ_TIME_RESOLUTION_MS + 200);
    // Read 1 and 2: 3 and 4 are now the least recently read.
    assert.ok(await cache.get("t", "1", inputs(1)));
    assert.ok(await cache.get("t", "1", inputs(2)));
    const old = await cache.prune({ olderThan: Date.now() - cutoff + 50 });
    assert.equal(old.removed, 1);
    assert.equal(old.remaining, 4);
    assert.equal(await cache.get("t", "1", inputs(0)), undefined, "the old entry is gone");
    const size = (await cache.entries())[0]!.size;
    const progress: number[] = [];
    const result = await cache.prune({
      maxSize: 2 * size,
      onProgress: (done) => progress.push(done),
    });
    assert.deepEqual(
      { removed: result.removed, remaining: result.remaining, bytes: result.remainingBytes },
      { removed: 2, remaining: 2, bytes: 2 * size },
    );
    assert.equal(result.removedBytes, 2 * size);
    assert.equal(progress.at(-1), 2);
    assert.ok(await cache.get("t", "1", inputs(1)), "recently read: kept");
    assert.ok(await cache.get("t", "1", inputs(2)), "recently read: kept");
    assert.equal(await cache.get("t", "1", inputs(3)), undefined, "least recently read: evicted");
    assert.equal(await cache.get("t", "1", inputs(4)), undefined, "least recently read: evicted");
    await assert.rejects(cache.prune({ maxSize: -1 }), TypeError);
    await cache.close();
  });

  test(`${kind}: a store past maxSize evicts the least recently read down to 90%`, async () => {
    const probe = new TaskCache(new MemoryAdapter());
    await probe.set("t", "1", inputs(0), [], outputs(1000));
    const size = (await probe.entries())[0]!.size;
    const cache = new TaskCache(await open(), { maxSize: 10 * size });
    for (let i = 0; i < 10; i++) {
      await cache.set("t", "1", inputs(i), [], outputs(1000));
      await sleep(3); // distinct creation times: among equal read times, the oldest goes first
    }
    assert.equal((await cache.entries()).length, 10, "at the limit: nothing evicted");
    await sleep(READ_TIME_RESOLUTION_MS + 200);
    assert.ok(await cache.get("t", "1", inputs(0)), "entry 0 is read: now the most recent");
    await cache.set("t", "1", inputs(10), [], outputs(1000));
    const left = await cache.entries();
    assert.ok(left.reduce((sum, e) => sum + e.size, 0) <= 9 * size, "down to 90% of the limit");
    const kept = new Set(
      await Promise.all(
        Array.from({ length: 11 }, async (_, i) => (await cache.get("t", "1", inputs(i))) && i),
      ),
    );
    assert.ok(kept.has(0), "the recently read entry stays");
    assert.ok(kept.has(10), "the new entry stays");
    assert.ok(!kept.has(1) && !kept.has(2), `the least recently read went: ${[...kept]}`);
    await cache.close();
  });

  test(`${kind}: stats count entries, bytes, hits, misses and stores`, async () => {
    const cache = new TaskCache(await open());
    await cache.get("t", "1", inputs(1));
    await cache.set("t", "1", inputs(1), [], outputs(50));
    await cache.set("t", "1", inputs(2), [], outputs(60));
    await cache.get("t", "1", inputs(1));
    await cache.get("t", "1", inputs(1));
    const stats = await cache.stats();
    const bytes = (await cache.entries()).reduce((sum, e) => sum + e.size, 0);
    assert.deepEqual(stats, { entries: 2, bytes, hits: 2, misses: 1, stores: 2, errors: 0 });
    await cache.close();
  });
}

test("events: hit, miss, store and error, with key, task, version and timings", async () => {
  const adapter = new MemoryAdapter();
  const cache = new TaskCache(adapter);
  const events: CacheEvent[] = [];
  for (const type of ["hit", "miss", "store", "error"] as const) {
    cache.on(type, (event) => events.push(event));
  }
  const off = cache.on("hit", () => {
    throw new Error("a listener's failure does not break the cache");
  });
  await cache.get("t", "1", inputs(1));
  await cache.set("t", "1", inputs(1), [], outputs(10));
  await cache.get("t", "1", inputs(1));
  off();
  assert.deepEqual(events.map((e) => e.type), ["miss", "store", "hit"]);
  for (const event of events) {
    assert.match(event.key, /^t-1-[0-9a-f]{32}$/);
    assert.equal(event.taskName, "t");
    assert.equal(event.cacheVersion, "1");
    assert.ok(event.durationMs >= 0);
  }
  assert.equal(events[1]!.size, events[2]!.size);
  await adapter.close();
  await assert.rejects(cache.get("t", "1", inputs(1)), CacheError);
  assert.equal(events.at(-1)!.type, "error");
  assert.equal(events.at(-1)!.operation, "get");
  assert.ok(events.at(-1)!.error instanceof CacheError);
  assert.equal((await cache.stats().catch((e) => e)) instanceof CacheError, true);
  assert.throws(() => cache.on("hits" as never, () => {}), TypeError);
});

/** `adapter` without its running total (`storedBytes`), as an adapter that keeps none. */
function withoutTotal(adapter: CacheAdapter): CacheAdapter {
  return forwarding(adapter);
}

test("without a running total, the size limit counts again after a minute: other processes' stores are seen", async (t) => {
  // Two caches on one directory, as two processes: `ours` has the limit, and an adapter that
  // keeps no running total (test/node/size_limit.test.ts tests the one FsAdapter keeps).
  const directory = await mkdtemp(join(tmpdir(), "ltc-manage-"));
  directories.push(directory);
  const ours = new TaskCache(withoutTotal(new FsAdapter({ directory })), { maxSize: 10_000 });
  const theirs = new TaskCache(new FsAdapter({ directory }), { maxSize: Infinity });
  try {
    await ours.set("t", "1", inputs(0), [], outputs(1000)); // the first store counts: ~1 KB
    for (let i = 1; i <= 3; i++) await theirs.set("t", "1", inputs(i), [], outputs(4000));
    await ours.set("t", "1", inputs(4), [], outputs(100)); // counted as ~1.1 KB: no eviction
    assert.equal((await theirs.stats()).entries, 5, "within the minute, the count is not redone");
    // A minute later (the clock moved on), the next store counts again and evicts.
    const clock = performance.now.bind(performance);
    t.mock.method(performance, "now", () => clock() + 61_000);
    await ours.set("t", "1", inputs(5), [], outputs(100));
    const { bytes } = await theirs.stats();
    assert.ok(bytes <= 10_000, `after the recount the total (${bytes} bytes) is within the limit`);
  } finally {
    await ours.close();
    await theirs.close();
  }
});

test("options are checked; the default size limit is flytekit's 1 GiB", () => {
  assert.equal(new TaskCache(new MemoryAdapter()).maxSize, DEFAULT_MAX_SIZE);
  assert.equal(DEFAULT_MAX_SIZE, 1024 ** 3);
  assert.throws(() => new TaskCache(new MemoryAdapter(), { maxAge: -1 }), /maxAge/);
  assert.throws(() => new TaskCache(new MemoryAdapter(), { maxSize: "1G" as never }), /maxSize/);
  assert.throws(() => new TaskCache({} as never), /expected a CacheAdapter/);
});
