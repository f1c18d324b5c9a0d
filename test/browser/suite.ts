/**
 * The tests that run inside the browser, in a page and in a worker alike, in every engine: the
 * adapter conformance suite over IndexedDbAdapter and MemoryAdapter, LocalTaskCache with its
 * browser default, cachedTask, and keys.
 *
 * @module
 */
import { create } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { LiteralMapSchema, LiteralSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { openDB } from "idb";
import { IndexedDbAdapter } from "../../src/adapters/indexeddb.ts";
import { MemoryAdapter } from "../../src/adapters/memory.ts";
import { calculateCacheKey } from "../../src/keys/key.ts";
import { LocalTaskCache } from "../../src/core/local_task_cache.ts";
import { md5Hex } from "../../src/keys/md5.ts";
import { cachedTask } from "../../src/core/task.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import { t } from "../../src/values/values.ts";
import { adapterConformance, assert, patternBytes } from "../conformance/adapter_suite.ts";
import { arbitraryLiteralMap, Random } from "../support/arbitrary.ts";
import { checkRfc1321, md5Cases } from "../support/md5_cases.ts";
import { valueSampleKeys } from "../support/value_samples.ts";
import { binary, blob, collection, integer, literalMap, map, string } from "../support/literals.ts";
import type { BrowserResult } from "./harness.ts";

const tests: [string, () => Promise<void>][] = [];
const register = (name: string, fn: () => Promise<void>) => tests.push([name, fn]);

/** Registers the tests of `adapterConformance` with `adapter: ` before their names. */
const named = (adapter: string) => (name: string, fn: () => Promise<void>) =>
  register(`${adapter}: ${name}`, fn);

let databases = 0;
adapterConformance(named("IndexedDbAdapter"), {
  // 20 MiB: the largest value the browser issue asks for (50 MiB makes the suite slow here).
  largestValue: 20 * 1024 * 1024,
  leases: false, // single flight goes through Web Locks here
  chunks: true,
  // Changes a byte of every stored record (a sealed value) behind the adapter's back.
  damage: async (adapter) => {
    const db = await openDB((adapter as IndexedDbAdapter).databaseName);
    try {
      const transaction = db.transaction("entries", "readwrite");
      let damaged = 0;
      for (
        let cursor = await transaction.store.openCursor();
        cursor;
        cursor = await cursor.continue()
      ) {
        const record = new Uint8Array(cursor.value as Uint8Array);
        record[record.length >> 1]! ^= 0x5a;
        await cursor.update(record);
        damaged++;
      }
      await transaction.done;
      assert(damaged > 0, "nothing to damage: no records in the entries store");
    } finally {
      db.close();
    }
  },
  open: () =>
    Promise.resolve(
      new IndexedDbAdapter({ databaseName: `conformance-${Date.now()}-${databases++}` }),
    ),
});
adapterConformance(named("MemoryAdapter"), {
  leases: false,
  largestValue: 20 * 1024 * 1024,
  open: () => Promise.resolve(new MemoryAdapter()),
});

function scalarLiteral(value: object) {
  return create(LiteralSchema, { value: { case: "scalar", value: { value } as never } });
}

register(
  "LocalTaskCache uses IndexedDB by default: miss, set, hit, other version misses, clear",
  async () => {
    await LocalTaskCache.close();
    const inputs = literalMap({ x: integer(1n), s: string("ünïcode 😀") });
    const outputs = literalMap({
      int: integer(-(2n ** 63n)),
      float: scalarLiteral({
        case: "primitive",
        value: { value: { case: "floatValue", value: -0 } },
      }),
      bool: scalarLiteral({
        case: "primitive",
        value: { value: { case: "boolean", value: true } },
      }),
      when: scalarLiteral({
        case: "primitive",
        value: {
          value: { case: "datetime", value: create(TimestampSchema, { seconds: -1n, nanos: 5 }) },
        },
      }),
      took: scalarLiteral({
        case: "primitive",
        value: { value: { case: "duration", value: create(DurationSchema, { seconds: 3n }) } },
      }),
      blob: blob("s3://bucket/key", "abc"),
      bin: binary(patternBytes(20 * 1024 * 1024, 9), "msgpack"),
      none: scalarLiteral({ case: "noneType", value: {} }),
      error: scalarLiteral({ case: "error", value: { failedNodeId: "n0", message: "boom" } }),
      generic: scalarLiteral({ case: "generic", value: { a: [1, "two", null, { b: false }] } }),
      schema: scalarLiteral({ case: "schema", value: { uri: "s3://schema" } }),
      dataset: scalarLiteral({ case: "structuredDataset", value: { uri: "s3://sd" } }),
      union: scalarLiteral({ case: "union", value: { value: integer(5n) } }),
      nested: collection(map({ k: string("v") }), integer(2n)),
    });
    assert(await LocalTaskCache.get("b.task", "1", inputs, []) === undefined, "a miss at first");
    await LocalTaskCache.set("b.task", "1", inputs, [], outputs);
    const hit = await LocalTaskCache.get("b.task", "1", inputs, []);
    assert(hit !== undefined, "a hit after set");
    const same = (await import("@bufbuild/protobuf")).equals(LiteralMapSchema, hit, outputs);
    assert(same, "the hit equals what was stored, every scalar kind and 20 MiB of binary");
    assert(
      await LocalTaskCache.get("b.task", "2", inputs, []) === undefined,
      "another version misses",
    );
    const listing = new IndexedDbAdapter();
    const names = [];
    for await (const entry of listing.entries()) names.push(entry.key);
    await listing.close();
    assert(
      names.some((name) => name.startsWith("b.task-1-")),
      "the entry is in IndexedDB 'local-task-cache'",
    );
    await LocalTaskCache.clear();
    assert(await LocalTaskCache.get("b.task", "1", inputs, []) === undefined, "clear empties");
    await LocalTaskCache.close();
  },
);

register("a version 1 database is upgraded in place: entries kept, with metadata", async () => {
  const databaseName = `upgrade-${Date.now()}`;
  // A database as version 1 of the adapter left it: one store of values, no metadata.
  const { openDB } = await import("idb");
  const v1 = await openDB(databaseName, 1, {
    upgrade: (db) => void db.createObjectStore("entries"),
  });
  await v1.put("entries", patternBytes(300, 4), "old-task-1-0123");
  v1.close();
  const adapter = new IndexedDbAdapter({ databaseName });
  try {
    const value = await adapter.get("old-task-1-0123");
    assert(value instanceof Uint8Array && value.length === 300, "the old entry is still read");
    const listed = [];
    for await (const entry of adapter.entries()) listed.push(entry);
    assert(listed.length === 1, `one entry listed, got ${listed.length}`);
    const [entry] = listed;
    assert(entry!.key === "old-task-1-0123" && entry!.size === 300, JSON.stringify(entry));
    assert(entry!.taskName === "" && entry!.cacheVersion === "", "no task name is known");
    await adapter.set("new", patternBytes(5), { taskName: "t", cacheVersion: "2" });
    listed.length = 0;
    for await (const entry of adapter.entries()) listed.push(entry);
    assert(listed.length === 2, "a set works on the upgraded database");
  } finally {
    await adapter.close();
  }
});

register("keys in the browser equal flytekit's vectors", async () => {
  const vectors: [string, string][] = [
    [
      calculateCacheKey("t.produce_dc", "1", literalMap()),
      "t.produce_dc-1-ea65cfadb0079394a8be1f4aa1e96e2b",
    ],
    [
      calculateCacheKey("my_task", "v1", literalMap({ a: integer(1n), b: string("hello") })),
      "my_task-v1-7b8aa689be1c6dfb6c7059b9483342ec",
    ],
    [
      calculateCacheKey("my_task", "v1", literalMap({ a: integer(1n), run_id: string("r-77") }), [
        "run_id",
      ]),
      "my_task-v1-5ee87946abccc6a877914d0b918dc4ec",
    ],
    [
      calculateCacheKey("etl.load", "3", literalMap({ df: blob("s3://b/k", "abc123") })),
      "etl.load-3-8a88cc99a69575dd67d5f534cc2fd590",
    ],
  ];
  for (const [ours, expected] of vectors) assert(ours === expected, `${ours} is not ${expected}`);
  await Promise.resolve();
});

register("cachedTask: miss, hit, overwrite, single flight, on IndexedDB by default", async () => {
  await LocalTaskCache.close();
  let runs = 0;
  const task = cachedTask({
    name: "browser.task",
    version: "1",
    inputs: { n: t.int, when: t.datetime, cfg: t.msgpack },
    outputs: { squares: t.list(t.int), at: t.datetime },
  }, async ({ n, when }) => {
    runs++;
    await new Promise((resolve) => setTimeout(resolve, 30));
    return { squares: Array.from({ length: n }, (_, i) => i * i), at: when };
  });
  const inputs = { n: 4, when: new Date(0), cfg: { depth: 2, names: ["a", "b"] } };
  const results = await Promise.all(Array.from({ length: 10 }, () => task(inputs)));
  assert(runs === 1, `10 concurrent calls ran the task once, not ${runs} times`);
  for (const result of results) {
    assert(result.squares.join() === "0,1,4,9", `squares: ${result.squares}`);
    assert(result.at instanceof Date && result.at.getTime() === 0, "a Date comes back");
  }
  await task(inputs);
  assert(runs === 1, "a later call hits");
  await task(inputs, { overwrite: true });
  assert((runs as number) === 2, "overwrite runs it again");
  const cache = await LocalTaskCache.taskCache();
  const [entry] = await cache.entries({ taskName: "browser.task" });
  assert(entry?.cacheVersion === "1" && entry.size > 0, `metadata: ${JSON.stringify(entry)}`);
  await LocalTaskCache.clear();
  await LocalTaskCache.close();
});

register("cachedTask with its own TaskCache: expiry and a task without outputs", async () => {
  const adapter = new IndexedDbAdapter({ databaseName: `task-${Date.now()}` });
  const cache = new TaskCache(adapter, { maxAge: 50 });
  let runs = 0;
  const touch = cachedTask(
    { name: "browser.touch", version: "1", inputs: { path: t.string }, cache },
    () => void runs++,
  );
  await touch({ path: "/a" });
  await touch({ path: "/a" });
  assert(runs === 1, "a task without outputs is cached");
  await new Promise((resolve) => setTimeout(resolve, 80));
  await touch({ path: "/a" });
  assert((runs as number) === 2, "an expired entry runs the task again");
  await cache.close();
});

/**
 * For single flight across workers: a slow cached task on one IndexedDB database; whether its
 * function ran in this context, and its result.
 */
export async function workerFlight(): Promise<{ ran: boolean; result: number }> {
  let ran = false;
  const cache = new TaskCache(new IndexedDbAdapter({ databaseName: "worker-flight" }));
  const task = cachedTask({
    name: "workers.flight",
    version: "1",
    inputs: {},
    outputs: t.int,
    cache,
  }, async () => {
    ran = true;
    await new Promise((resolve) => setTimeout(resolve, 500));
    return 42;
  });
  const result = await task({});
  await cache.close();
  return { ran, result };
}

/**
 * Keys of the seeded random maps, then of the JS value samples (`valueSamples`), for the Node
 * side to compare with its own.
 */
export function sharedKeys(count: number): string[] {
  return [
    ...Array.from(
      { length: count },
      (_, i) => calculateCacheKey(`task ${i}`, "1", arbitraryLiteralMap(new Random(i + 1))),
    ),
    ...valueSampleKeys(),
  ];
}

register("MD5 (src/keys/md5.ts): RFC 1321's test suite, whole and split at every byte", () => {
  checkRfc1321(md5Hex);
  return Promise.resolve();
});

/** The portable MD5 of `md5Cases(seed, count)`, for the Node side to compare with node:crypto. */
export function md5Digests(seed: number, count: number): string[] {
  return md5Cases(seed, count).map(({ parts }) => md5Hex(parts));
}

/** Runs every registered test, in order. */
export async function runSuite(): Promise<BrowserResult[]> {
  const results: BrowserResult[] = [];
  for (const [name, fn] of tests) {
    const started = performance.now();
    try {
      await fn();
      results.push({ name, ok: true, ms: performance.now() - started });
    } catch (error) {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      results.push({ name, ok: false, error: text, ms: performance.now() - started });
    }
  }
  return results;
}
