/**
 * The size limit at scale: the running total an adapter keeps (`storedBytes`), shared by every
 * process using the storage, so that a store never lists the entries unless it evicts; and
 * eviction, least recently read first, with several processes storing at once. Real files and
 * real processes; no timings.
 *
 * @module
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rename, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { type CacheAdapter, READ_TIME_RESOLUTION_MS } from "../../src/adapter.ts";
import { FsAdapter } from "../../src/adapters/fs.ts";
import { MemoryAdapter } from "../../src/adapters/memory.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import { binary, integer, literalMap } from "../support/literals.ts";

const WORKER = fileURLToPath(new URL("./workers/size_limit_worker.ts", import.meta.url));
const directories: string[] = [];
after(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));

async function directory(): Promise<string> {
  const made = await mkdtemp(join(tmpdir(), "ltc-size-"));
  directories.push(made);
  return made;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inputs = (i: number) => literalMap({ i: integer(BigInt(i)) });
const outputs = (size: number) => literalMap({ o0: binary(new Uint8Array(size).fill(7)) });

/** The values' total by listing the entries. */
async function listed(adapter: CacheAdapter): Promise<number> {
  let bytes = 0;
  for await (const entry of adapter.entries()) bytes += entry.size;
  return bytes;
}

/** `adapter`, counting the listings made through it. */
function counting(adapter: CacheAdapter): { adapter: CacheAdapter; listings: () => number } {
  let listings = 0;
  const wrapped = Object.create(adapter) as CacheAdapter;
  wrapped.entries = () => {
    listings++;
    return adapter.entries();
  };
  for (const name of ["get", "set", "delete", "clear", "close"] as const) {
    (wrapped as unknown as Record<string, unknown>)[name] = adapter[name].bind(adapter);
  }
  // The optional methods too: an inherited one would run on the wrapper, not the adapter.
  wrapped.setChunks = adapter.setChunks?.bind(adapter);
  wrapped.acquireLease = adapter.acquireLease?.bind(adapter);
  wrapped.storedBytes = adapter.storedBytes?.bind(adapter);
  wrapped.correctStoredBytes = adapter.correctStoredBytes?.bind(adapter);
  return { adapter: wrapped, listings: () => listings };
}

const kinds: [string, () => Promise<CacheAdapter>][] = [
  ["memory", () => Promise.resolve(new MemoryAdapter())],
  ["fs", async () => new FsAdapter({ directory: await directory() })],
];

for (const [kind, open] of kinds) {
  test(`${kind}: the running total follows stores, replacements, deletions, expiry and clear`, async () => {
    const adapter = await open();
    const cache = new TaskCache(adapter);
    const check = async (what: string) =>
      assert.equal(await adapter.storedBytes!(), await listed(adapter), what);
    for (let i = 0; i < 20; i++) await cache.set("t", "1", inputs(i), [], outputs(100 + i));
    await check("after stores");
    for (let i = 0; i < 5; i++) await cache.set("t", "1", inputs(i), [], outputs(1000 - i));
    await check("after replacements by larger values");
    for (let i = 0; i < 5; i++) await cache.set("t", "1", inputs(i), [], outputs(3));
    await check("after replacements by smaller values");
    await cache.deleteEntries({ taskName: "t" });
    assert.equal(await adapter.storedBytes!(), 0, "after deleteEntries");
    await cache.set("t", "1", inputs(1), [], outputs(50));
    await sleep(60);
    await cache.set("t", "1", inputs(2), [], outputs(50));
    const young = new TaskCache(adapter, { maxAge: 30 });
    assert.equal(await young.get("t", "1", inputs(1)), undefined, "expired");
    await check("after an expired entry was removed");
    await cache.clear();
    await cache.set("t", "1", inputs(3), [], outputs(70));
    await check("after clear and a store");
    await cache.close();
  });
}

test("fs: the first store of a new TaskCache on a filled directory lists nothing", async () => {
  const dir = await directory();
  const filler = new TaskCache(new FsAdapter({ directory: dir }));
  for (let i = 0; i < 200; i++) await filler.set("t", "1", inputs(i), [], outputs(64));
  await filler.close();
  const { adapter, listings } = counting(new FsAdapter({ directory: dir }));
  const cache = new TaskCache(adapter, { maxSize: 1024 ** 2 });
  for (let i = 200; i < 210; i++) await cache.set("t", "1", inputs(i), [], outputs(64));
  assert.equal(listings(), 0, "stores under the limit ask the running total, never list");
  assert.equal(await adapter.storedBytes!(), await listed(adapter));
  await cache.close();
});

test("fs: a directory without a running total (an older version's) starts one on a store", async () => {
  const dir = await directory();
  const writer = new FsAdapter({ directory: dir });
  const cache = new TaskCache(writer);
  for (let i = 0; i < 30; i++) await cache.set("t", "1", inputs(i), [], outputs(100));
  await unlink(join(dir, "ltc-usage.log"));
  assert.equal(await writer.storedBytes(), undefined, "none kept");
  const { adapter, listings } = counting(new FsAdapter({ directory: dir }));
  const next = new TaskCache(adapter);
  await next.set("t", "1", inputs(30), [], outputs(100));
  assert.equal(listings(), 1, "the first store counted the entries once");
  await next.set("t", "1", inputs(31), [], outputs(100));
  assert.equal(listings(), 1, "and then kept the total");
  assert.equal(await adapter.storedBytes!(), await listed(adapter));
  await next.close();
  await cache.close();
});

test("fs: each adapter's total has every other's changes, however they interleave", async () => {
  const dir = await directory();
  // Two adapters on one directory: each reads the journal as a process of its own would.
  const a = new FsAdapter({ directory: dir });
  const b = new FsAdapter({ directory: dir });
  await a.correctStoredBytes(0, undefined);
  const totals = async () => [await a.storedBytes(), await b.storedBytes()];
  assert.deepEqual(await totals(), [0, 0]);
  await a.set("1", new Uint8Array(10));
  assert.deepEqual(await totals(), [10, 10], "a's own store, and b sees it");
  await b.set("2", new Uint8Array(20));
  await a.set("3", new Uint8Array(5)); // a's record is not the only one since a last read
  assert.deepEqual(await totals(), [35, 35]);
  await a.set("4", new Uint8Array(1));
  await a.set("4", new Uint8Array(2)); // replaced
  await b.set("1", new Uint8Array(7)); // another's entry replaced
  assert.equal(await a.delete("2"), true);
  assert.deepEqual(await totals(), [14, 14]);
  assert.equal(await listed(a), 14);
  // A journal put in its place (as a compaction by another process does): read afresh.
  const record = new Uint8Array(8);
  new DataView(record.buffer).setFloat64(0, 100, true);
  await writeFile(join(dir, "replacement"), record, { mode: 0o600 });
  await rename(join(dir, "replacement"), join(dir, "ltc-usage.log"));
  assert.deepEqual(await totals(), [100, 100]);
  await a.set("5", new Uint8Array(3));
  assert.deepEqual(await totals(), [103, 103]);
  // Removed (a clear elsewhere): none kept.
  await unlink(join(dir, "ltc-usage.log"));
  assert.deepEqual(await totals(), [undefined, undefined]);
});

test("fs: a total thrown off by files removed by hand is set right by the next count", async () => {
  const dir = await directory();
  const adapter = new FsAdapter({ directory: dir });
  const probe = new TaskCache(new MemoryAdapter());
  await probe.set("t", "1", inputs(0), [], outputs(1000));
  const size = (await probe.entries())[0]!.size;
  const cache = new TaskCache(adapter, { maxSize: 10 * size });
  for (let i = 0; i < 9; i++) await cache.set("t", "1", inputs(i), [], outputs(1000));
  // Six entry files removed behind the adapter's back: the total still counts them.
  const names = (await readdir(dir)).filter((name) => name.endsWith(".ltc")).slice(0, 6);
  for (const name of names) await unlink(join(dir, name));
  assert.equal(await adapter.storedBytes(), 9 * size);
  // The next two stores take the (wrong) total past the limit: the cache lists, finds three
  // entries plus the new ones, evicts nothing and sets the total right.
  await cache.set("t", "1", inputs(9), [], outputs(1000));
  await cache.set("t", "1", inputs(10), [], outputs(1000));
  assert.equal((await cache.entries()).length, 5, "nothing evicted: the real total is small");
  assert.equal(await adapter.storedBytes(), await listed(adapter));
  assert.equal(await adapter.storedBytes(), 5 * size);
  await cache.close();
});

test("fs: eviction by the running total goes least recently read first", async () => {
  const adapter = new FsAdapter({ directory: await directory() });
  const probe = new TaskCache(new MemoryAdapter());
  await probe.set("t", "1", inputs(0), [], outputs(500));
  const size = (await probe.entries())[0]!.size;
  const { adapter: watched, listings } = counting(adapter);
  const cache = new TaskCache(watched, { maxSize: 10 * size });
  for (let i = 0; i < 10; i++) {
    await cache.set("t", "1", inputs(i), [], outputs(500));
    await sleep(3); // distinct creation times: among equal read times, the oldest goes first
  }
  const counted = listings(); // the first store started the total (an empty directory)
  await sleep(READ_TIME_RESOLUTION_MS + 200);
  for (const i of [0, 1, 2, 3, 4, 5, 6]) assert.ok(await cache.get("t", "1", inputs(i)));
  await cache.set("t", "1", inputs(10), [], outputs(500)); // past the limit: evicts to 90%
  assert.ok(listings() > counted, "eviction lists the entries");
  const kept = (await Promise.all(
    Array.from({ length: 11 }, async (_, i) => (await cache.get("t", "1", inputs(i))) && i),
  )).filter((i) => i !== undefined);
  assert.deepEqual(kept, [0, 1, 2, 3, 4, 5, 6, 9, 10], "7 and 8, read least recently, went");
  assert.equal(await adapter.storedBytes(), 9 * size, "down to 90% of the limit");
  await cache.close();
});

/** Starts `writers` worker processes on `dir` at once; resolves when all are done. */
async function workers(
  dir: string,
  writers: number,
  count: number,
  maxSize: number,
  mode: "stores" | "mixed" = "mixed",
) {
  const children = Array.from({ length: writers }, (_, writer) =>
    spawn(
      process.execPath,
      ["--import", "tsx", WORKER, dir, String(writer), String(count), String(maxSize), mode],
      { stdio: ["pipe", "pipe", "inherit"] },
    ));
  try {
    const lines = children.map((child) =>
      createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
    );
    for (const line of lines) assert.equal((await line.next()).value, "ready");
    for (const child of children) child.stdin!.end("go\n");
    for (const line of lines) assert.equal((await line.next()).value, "done");
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null ? undefined : new Promise((resolve) => child.once("exit", resolve))
      ),
    );
    for (const child of children) assert.equal(child.exitCode, 0);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

test("fs: several processes storing, replacing and deleting at once keep the total right", async () => {
  const dir = await directory();
  // A kept total from the start (a total started by several processes at once counts some
  // of their first stores twice or not at all).
  await new FsAdapter({ directory: dir }).correctStoredBytes(0, undefined);
  await workers(dir, 3, 60, Infinity);
  const adapter = new FsAdapter({ directory: dir });
  const entries = await new TaskCache(adapter).entries();
  assert.equal(entries.length, 3 * (60 - 5), "every process's entries, less its deletions");
  assert.equal(await adapter.storedBytes(), await listed(adapter));
});

test("fs: several processes with a size limit keep the directory within it", async () => {
  const dir = await directory();
  const maxSize = 20_000;
  await new FsAdapter({ directory: dir }).correctStoredBytes(0, undefined);
  await workers(dir, 3, 80, maxSize, "stores");
  const adapter = new FsAdapter({ directory: dir });
  const total = await listed(adapter);
  assert.ok(total <= maxSize, `the values total ${total} bytes, the limit is ${maxSize}`);
  assert.ok(total > 0.5 * maxSize, `eviction went down to about 90%, not further (${total})`);
  assert.equal(await adapter.storedBytes(), total, "the kept total is the listed one");
});

test("another process's eviction during a count does not pass for a total that is off", async () => {
  // The race of several processes: this cache reads a total past the limit and lists the
  // entries; while it lists, another process evicts. The listing is then under the limit while
  // the total read before it was past: the total is not off, it moved. Stores after that must
  // still be counted against the total (before the fix, they were taken as the count plus the
  // total's change since the reading before the listing, which counted the eviction twice, and
  // the cache stayed past its limit).
  const memory = new MemoryAdapter();
  const probe = new TaskCache(new MemoryAdapter());
  await probe.set("t", "1", inputs(0), [], outputs(1000));
  const size = (await probe.entries())[0]!.size;
  const cache = new TaskCache(memory, { maxSize: 10 * size });
  for (let i = 0; i < 10; i++) await cache.set("t", "1", inputs(i), [], outputs(1000));
  // The next store is past the limit; the other "process" evicts three entries while this
  // cache lists, so the listing finds 8 of them and this cache evicts nothing.
  const raw = memory.entries.bind(memory);
  let evictDuringListing = true;
  memory.entries = async function* () {
    if (evictDuringListing) {
      evictDuringListing = false;
      const keys: string[] = [];
      for await (const entry of raw()) keys.push(entry.key);
      for (const key of keys.slice(0, 3)) await memory.delete(key);
    }
    yield* raw();
  };
  await cache.set("t", "1", inputs(10), [], outputs(1000));
  assert.equal((await listed(memory)) / size, 8);
  // Three more stores: 11 entries, past the limit: this cache must evict.
  for (let i = 11; i < 14; i++) await cache.set("t", "1", inputs(i), [], outputs(1000));
  const total = await listed(memory);
  assert.ok(total <= 10 * size, `${total / size} entries stay, the limit is 10`);
  assert.equal(await memory.storedBytes(), total);
  await cache.close();
});

test("fs: a total a little off that says past the limit wrongly does not make every store list", async () => {
  const dir = await directory();
  const probe = new TaskCache(new MemoryAdapter());
  await probe.set("t", "1", inputs(0), [], outputs(1000));
  const size = (await probe.entries())[0]!.size;
  const raw = new FsAdapter({ directory: dir });
  const { adapter, listings } = counting(raw);
  const cache = new TaskCache(adapter, { maxSize: 10 * size });
  for (let i = 0; i < 8; i++) await cache.set("t", "1", inputs(i), [], outputs(1000));
  // Two entry files removed by hand: the total counts them still (less than half the limit).
  const names = (await readdir(dir)).filter((name) => name.endsWith(".ltc")).slice(0, 2);
  for (const name of names) await unlink(join(dir, name));
  await cache.set("t", "1", inputs(8), [], outputs(1000)); // total 9, really 7
  await cache.set("t", "1", inputs(9), [], outputs(1000)); // total 10, really 8
  const before = listings();
  await cache.set("t", "1", inputs(10), [], outputs(1000)); // total 11: past, really 9
  assert.equal(listings(), before + 1, "the store past the limit counted");
  assert.equal((await listed(raw)) / size, 9, "nothing evicted: really under the limit");
  await cache.set("t", "1", inputs(11), [], outputs(1000)); // the count plus this store: 10
  assert.equal(listings(), before + 1, "the next store went by that count, not listing again");
  await cache.set("t", "1", inputs(12), [], outputs(1000)); // 11: really past, evicts
  assert.equal(listings(), before + 3, "really past the limit: counted, then evicted");
  assert.equal((await listed(raw)) / size, 9, "evicted down to 90%");
  await cache.close();
});
