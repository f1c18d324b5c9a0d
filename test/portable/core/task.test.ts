/**
 * cachedTask: hits and misses through the wrapper, typed outputs, overwrite, the off switch,
 * automatic versions, failures, and single flight within a process and across processes.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { FsAdapter } from "../../../src/adapters/fs.ts";
import { MemoryAdapter } from "../../../src/adapters/memory.ts";
import { CacheError } from "../../../src/errors.ts";
import { calculateCacheKey } from "../../../src/keys/key.ts";
import { LocalTaskCache } from "../../../src/core/local_task_cache.ts";
import { runExclusively } from "../../../src/core/single_flight.ts";
import { cachedTask } from "../../../src/core/task.ts";
import type { CacheEvent } from "../../../src/core/events.ts";
import { TaskCache, taskCacheInternals } from "../../../src/core/task_cache.ts";
import { runsLogged, taskProcess } from "../../support/task_processes.ts";
import { ConversionError, t, toLiteralMap } from "../../../src/values/values.ts";

const directories: string[] = [];
after(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));
async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-task-"));
  directories.push(directory);
  return directory;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A task that counts its runs, over a fresh memory cache. */
function counted<T>(fn: (inputs: { a: number; b: string }) => T) {
  const runs = { count: 0 };
  const cache = new TaskCache(new MemoryAdapter());
  const task = cachedTask({
    name: "test.counted",
    version: "1",
    inputs: { a: t.int, b: t.string },
    outputs: { total: t.int, label: t.string },
    ignoreInputs: [],
    cache,
  }, async (inputs) => {
    runs.count++;
    await sleep(5);
    return fn(inputs) as { total: number; label: string };
  });
  return { task, runs, cache };
}

test("a miss runs the task and stores its outputs; the same inputs then hit", async () => {
  const { task, runs } = counted(({ a, b }) => ({ total: a * 2, label: b.toUpperCase() }));
  assert.deepEqual(await task({ a: 21, b: "x" }), { total: 42, label: "X" });
  assert.deepEqual(await task({ a: 21, b: "x" }), { total: 42, label: "X" });
  assert.equal(runs.count, 1);
  assert.deepEqual(await task({ a: 1, b: "x" }), { total: 2, label: "X" });
  assert.equal(runs.count, 2, "other inputs miss");
});

test("the key is flytekit's key of the converted inputs", () => {
  const { task } = counted(() => ({ total: 0, label: "" }));
  assert.equal(task.taskName, "test.counted");
  assert.equal(task.cacheVersion, "1");
  assert.equal(
    task.key({ a: 1, b: "hello" }),
    calculateCacheKey(
      "test.counted",
      "1",
      toLiteralMap({ a: t.int, b: t.string }, { a: 1, b: "hello" }),
    ),
  );
  const vector = cachedTask(
    { name: "my_task", version: "v1", inputs: { a: t.int, b: t.string } },
    () => {},
  );
  assert.equal(vector.key({ a: 1, b: "hello" }), "my_task-v1-7b8aa689be1c6dfb6c7059b9483342ec");
});

test("single outputs, no outputs and every value type round-trip through the cache", async () => {
  const cache = new TaskCache(new MemoryAdapter());
  let runs = 0;
  const when = new Date(Date.UTC(2026, 10, 25, 12, 0, 0, 123));
  const everything = cachedTask({
    name: "test.everything",
    version: "1",
    inputs: { n: t.int },
    outputs: {
      int: t.int,
      big: t.bigint,
      float: t.float,
      text: t.string,
      flag: t.boolean,
      when: t.datetime,
      took: t.duration,
      none: t.none,
      list: t.list(t.float),
      map: t.map(t.list(t.string)),
      any: t.msgpack,
    },
    cache,
  }, ({ n }) => {
    runs++;
    return {
      int: n,
      big: 2n ** 62n,
      float: 0.5,
      text: "ünï 😀",
      flag: false,
      when,
      took: 1500.25,
      none: null,
      list: [1, 2.5],
      map: { a: ["x"], "b c": [] },
      any: { nested: [1, "two", null, { deep: true }], bytes: new Uint8Array([1, 2]) },
    };
  });
  const first = await everything({ n: 3 });
  const second = await everything({ n: 3 });
  assert.equal(runs, 1);
  assert.deepEqual(second, first);
  assert.ok(second.when instanceof Date && second.when.getTime() === when.getTime());

  const single = cachedTask(
    { name: "test.single", version: "1", inputs: {}, outputs: t.list(t.int), cache },
    () => [1, 2, 3],
  );
  assert.deepEqual(await single({}), [1, 2, 3]);
  assert.deepEqual(await single({}), [1, 2, 3]);
  const stored = await taskCacheInternals().lookup(cache, single.key({}), {
    taskName: "test.single",
    cacheVersion: "1",
  });
  assert.deepEqual(Object.keys(stored!.literals), ["o0"], "one output is stored as o0");

  let sideEffects = 0;
  const effect = cachedTask(
    { name: "test.effect", version: "1", inputs: { path: t.string }, cache },
    () => void sideEffects++,
  );
  assert.equal(await effect({ path: "/a" }), undefined);
  assert.equal(await effect({ path: "/a" }), undefined);
  assert.equal(sideEffects, 1, "a task without outputs is cached too");
});

test("a different version misses; an ignored input does not change the key", async () => {
  const cache = new TaskCache(new MemoryAdapter());
  let runs = 0;
  const make = (version: string) =>
    cachedTask({
      name: "test.versions",
      version,
      inputs: { x: t.float, run_id: t.string },
      outputs: t.float,
      ignoreInputs: ["run_id"],
      cache,
    }, ({ x }) => (runs++, x + 1));
  assert.equal(await make("1")({ x: 1, run_id: "a" }), 2);
  assert.equal(await make("1")({ x: 1, run_id: "b" }), 2);
  assert.equal(runs, 1, "the ignored input hits");
  await make("2")({ x: 1, run_id: "a" });
  assert.equal(runs, 2, "another version misses");
});

test("overwrite runs the task again and replaces the stored result", async () => {
  let value = 1;
  const cache = new TaskCache(new MemoryAdapter());
  const task = cachedTask(
    { name: "test.overwrite", version: "1", inputs: {}, outputs: t.int, cache },
    () => value,
  );
  assert.equal(await task({}), 1);
  value = 2;
  assert.equal(await task({}), 1, "a hit");
  assert.equal(await task({}, { overwrite: true }), 2, "overwrite runs");
  assert.equal(await task({}), 2, "and replaced the stored result");
});

test("the off switch: the option, and FLYTE_LOCAL_CACHE_ENABLED=false, 0, no, off or empty", async (t_) => {
  const cache = new TaskCache(new MemoryAdapter());
  let runs = 0;
  const make = (enabled?: boolean) =>
    cachedTask(
      { name: "test.off", version: "1", inputs: {}, outputs: t.int, cache, enabled },
      () => ++runs,
    );
  await make(false)({});
  await make(false)({});
  assert.equal(runs, 2, "enabled: false never caches");
  assert.equal((await cache.stats()).entries, 0, "nor stores");
  const previous = process.env.FLYTE_LOCAL_CACHE_ENABLED;
  t_.after(() => {
    if (previous === undefined) delete process.env.FLYTE_LOCAL_CACHE_ENABLED;
    else process.env.FLYTE_LOCAL_CACHE_ENABLED = previous;
  });
  // As flytekit's bool_transformer: empty is off, the words in any case, nothing trimmed.
  for (const off of ["false", "False", "0", "no", "NO", "off", ""]) {
    process.env.FLYTE_LOCAL_CACHE_ENABLED = off;
    const before: number = runs;
    await make()({});
    await make()({});
    assert.equal(runs, before + 2, `FLYTE_LOCAL_CACHE_ENABLED=${JSON.stringify(off)} is off`);
  }
  assert.equal((await cache.stats()).entries, 0, "nothing stored while off");
  process.env.FLYTE_LOCAL_CACHE_ENABLED = "true";
  await make()({});
  await make()({});
  assert.equal(runs, 17, "true turns it on");
  process.env.FLYTE_LOCAL_CACHE_ENABLED = " no ";
  await make()({});
  assert.equal(runs, 17, "a word with spaces around it is on, as in flytekit");
  process.env.FLYTE_LOCAL_CACHE_ENABLED = "false";
  await make(true)({});
  assert.equal(runs, 17, "the option wins over the environment");
});

test("two tasks, one key: a-b at c and a at b-c never return each other's outputs", async () => {
  const cache = new TaskCache(new MemoryAdapter());
  const runs: string[] = [];
  const make = (name: string, version: string) =>
    cachedTask({ name, version, inputs: { n: t.int }, outputs: t.string, cache }, ({ n }) => {
      runs.push(name);
      return `${name}:${n}`;
    });
  const first = make("a-b", "c");
  const second = make("a", "b-c");
  assert.equal(first.key({ n: 1 }), second.key({ n: 1 }), "flytekit's keys are the same");
  assert.equal(await first({ n: 1 }), "a-b:1");
  assert.equal(await second({ n: 1 }), "a:1", "the other task's entry is a miss");
  assert.deepEqual(runs, ["a-b", "a"]);
  // One key, so the second store replaced the first; each task still gets only its own outputs.
  assert.equal(await second({ n: 1 }), "a:1");
  assert.equal(await first({ n: 1 }), "a-b:1");
  assert.deepEqual(runs, ["a-b", "a", "a-b"]);
  assert.deepEqual((await cache.entries({ taskName: "a-b" })).map((e) => e.cacheVersion), ["c"]);
  assert.deepEqual(await cache.entries({ taskName: "a" }), [], "listed by the task that stored");
  assert.equal(await cache.deleteEntries({ taskName: "a" }), 0);
  assert.equal(await cache.deleteEntries({ taskName: "a-b", cacheVersion: "c" }), 1);
  const inputs = toLiteralMap({ n: t.int }, { n: 1 }, "inputs");
  assert.equal(await cache.get("a", "b-c", inputs), undefined);
});

test("autoVersion: the version follows the function's source and the declared types", () => {
  const make = (fn: (inputs: { x: number }) => number, outputs = t.int) =>
    cachedTask({ name: "test.auto", autoVersion: true, inputs: { x: t.int }, outputs }, fn);
  const a = make(({ x }) => x + 1);
  const same = make(({ x }) => x + 1);
  const edited = make(({ x }) => x + 2);
  const retyped = make(({ x }) => x + 1, t.float);
  assert.match(a.cacheVersion, /^auto-[0-9a-f]{16}$/);
  assert.equal(same.cacheVersion, a.cacheVersion, "the same source, the same version");
  assert.notEqual(edited.cacheVersion, a.cacheVersion, "an edit changes the version");
  assert.notEqual(retyped.cacheVersion, a.cacheVersion, "another output type changes it");
  assert.notEqual(edited.key({ x: 1 }), a.key({ x: 1 }));
});

test("version or autoVersion, exactly one: required by the types, checked at run time", () => {
  // `npm run typecheck` (and deno test) fail if either call below type-checks.
  assert.throws(
    () =>
      // @ts-expect-error: version and autoVersion both given
      cachedTask({ name: "x", version: "1", autoVersion: true, inputs: {} }, () => {}),
    /version .* or options.autoVersion: true, one of the two/,
  );
  // @ts-expect-error: neither version nor autoVersion
  assert.throws(() => cachedTask({ name: "x", inputs: {} }, () => {}), /one of the two/);
  // Either one alone type-checks.
  assert.equal(cachedTask({ name: "x", version: "1", inputs: {} }, () => {}).cacheVersion, "1");
  assert.match(
    cachedTask({ name: "x", autoVersion: true, inputs: {} }, () => {}).cacheVersion,
    /^auto-/,
  );
});

test("bad inputs are refused with the input's name, before the task runs", async () => {
  const { task, runs } = counted(() => ({ total: 0, label: "" }));
  const cases: [unknown, RegExp][] = [
    [{ a: 1.5, b: "x" }, /inputs\.a/],
    [{ a: 2n ** 64n, b: "x" }, /inputs\.a/],
    [{ a: 1, b: Symbol("s") }, /inputs\.b/],
    [{ a: 1, b: () => 1 }, /inputs\.b/],
    [{ a: 1 }, /inputs\.b: missing/],
    [{ a: 1, b: "x", c: 3 }, /inputs\.c: not in the schema/],
  ];
  for (const [inputs, message] of cases) {
    await assert.rejects(task(inputs as never), (error: unknown) => {
      assert.ok(error instanceof ConversionError, String(error));
      assert.match((error as Error).message, message);
      return true;
    });
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const any = cachedTask(
    { name: "test.any", version: "1", inputs: { cfg: t.msgpack }, cache: counted(() => 0).cache },
    () => {},
  );
  await assert.rejects(any({ cfg: cyclic }), /inputs\.cfg\.self.*cycl/i);
  assert.equal(runs.count, 0, "the task never ran");
  assert.throws(
    () => cachedTask({ name: "", version: "1", inputs: {} }, () => {}),
    /options.name must be a non-empty string/,
  );
  assert.throws(
    () => cachedTask({ name: "x", version: "1", inputs: { a: 5 as never } }, () => {}),
    /options.inputs.a is not a value type/,
  );
});

test("an exception of the task reaches the caller unchanged and is never cached", async () => {
  const cache = new TaskCache(new MemoryAdapter());
  const failure = new RangeError("the task failed");
  let fail = true;
  const task = cachedTask(
    { name: "test.fails", version: "1", inputs: {}, outputs: t.int, cache },
    () => {
      if (fail) throw failure;
      return 5;
    },
  );
  await assert.rejects(task({}), (error) => error === failure);
  assert.equal((await cache.stats()).entries, 0, "nothing was stored");
  fail = false;
  assert.equal(await task({}), 5, "the next call runs the task again");
});

test("outputs that do not fit their types are refused and not stored", async () => {
  const cache = new TaskCache(new MemoryAdapter());
  const task = cachedTask(
    { name: "test.badout", version: "1", inputs: {}, outputs: { n: t.int }, cache },
    () => ({ n: "three" as unknown as number }),
  );
  await assert.rejects(task({}), /outputs\.n/);
  assert.equal((await cache.stats()).entries, 0);
});

test("hashed inputs are keyed by their hash (flytekit's HashMethod)", async () => {
  const cache = new TaskCache(new MemoryAdapter());
  let runs = 0;
  const frame = t.hashed(t.list(t.float), (rows) => `rows:${rows.length}`);
  const task = cachedTask(
    { name: "test.hashed", version: "1", inputs: { df: frame }, outputs: t.int, cache },
    ({ df }) => (runs++, df.length),
  );
  assert.equal(await task({ df: [1, 2, 3] }), 3);
  assert.equal(await task({ df: [4, 5, 6] }), 3, "the same hash hits, whatever the content");
  assert.equal(runs, 1);
  await task({ df: [1] });
  assert.equal(runs, 2);
});

test("a storage failure never fails the call: the task runs, an error event says why", async () => {
  const adapter = new MemoryAdapter();
  const cache = new TaskCache(adapter);
  const errors: CacheEvent[] = [];
  cache.on("error", (event) => errors.push(event));
  const task = cachedTask(
    { name: "test.storage", version: "1", inputs: {}, outputs: t.int, cache },
    () => 7,
  );
  await adapter.close(); // every operation now fails with CLOSED
  assert.equal(await task({}), 7);
  // The lookup failed, then the store; (a recheck under a lock may add a get).
  assert.equal(errors[0]!.operation, "get");
  assert.equal(errors.at(-1)!.operation, "set");
  assert.ok(errors.every((e) => e.error instanceof CacheError && e.error.code === "CLOSED"));
});

test("single flight: 20 concurrent calls with one key run the task once", async () => {
  for (
    const open of [
      () => Promise.resolve(new MemoryAdapter()),
      async () => new FsAdapter({ directory: await temporaryDirectory() }),
    ]
  ) {
    const cache = new TaskCache(await open());
    let runs = 0;
    const task = cachedTask(
      { name: "test.flight", version: "1", inputs: { n: t.int }, outputs: t.list(t.int), cache },
      async ({ n }) => {
        runs++;
        await sleep(50);
        return [n, n];
      },
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => task({ n: i % 2 })),
    );
    assert.equal(runs, 2, "once per key");
    results.forEach((result, i) => assert.deepEqual(result, [i % 2, i % 2]));
    results[0]!.push(99);
    assert.deepEqual(results[2], [0, 0], "callers that shared a run get their own copy");
    const unshared = cachedTask({
      name: "test.flight",
      version: "1",
      inputs: { n: t.int },
      outputs: t.list(t.int),
      cache,
      singleFlight: false,
    }, async ({ n }) => {
      runs++;
      await sleep(20);
      return [n];
    });
    await Promise.all([unshared({ n: 5 }), unshared({ n: 5 })]);
    assert.equal(runs, 4, "without single flight both calls run");
  }
});

test("single flight across processes: two processes on one directory, one run", async () => {
  const directory = await temporaryDirectory();
  const log = join(directory, "runs.log");
  await writeFile(log, "");
  const outputs = await Promise.all([
    taskProcess(directory, log, 1500).exited,
    taskProcess(directory, log, 1500).exited,
    taskProcess(directory, log, 1500).exited,
  ]);
  assert.deepEqual(outputs, ["144", "144", "144"]);
  assert.equal((await runsLogged(log)).length, 1, `one run: ${await runsLogged(log)}`);
});

test("a holder killed mid-task blocks the others only until its lease expires", async () => {
  const directory = await temporaryDirectory();
  const log = join(directory, "runs.log");
  await writeFile(log, "");
  const holder = taskProcess(directory, log, 0, "hold");
  holder.exited.catch(() => {});
  while ((await runsLogged(log)).length === 0) await sleep(20); // it holds the lease, running
  holder.child.kill("SIGKILL");
  const started = Date.now();
  assert.equal(await taskProcess(directory, log, 10).exited, "144");
  const waited = Date.now() - started;
  assert.equal((await runsLogged(log)).length, 2, "the task ran again after the holder died");
  assert.ok(waited < 10_000, `waited ${waited} ms for a 3 s lease`);
});

test("a holder killed in a synchronous body (its lease made to last the waiters' bound) is seen gone at once", async () => {
  const directory = await temporaryDirectory();
  const log = join(directory, "runs.log");
  await writeFile(log, "");
  const holder = taskProcess(directory, log, 60_000, "sync");
  holder.exited.catch(() => {});
  while ((await runsLogged(log)).length === 0) await sleep(20); // its body holds the event loop
  holder.child.kill("SIGKILL");
  const started = Date.now();
  assert.equal(await taskProcess(directory, log, 10).exited, "144");
  const waited = Date.now() - started;
  assert.equal((await runsLogged(log)).length, 2, "the task ran again after the holder died");
  // Its lease had 10 minutes left: only the holder's death, seen on this host, ends it sooner.
  assert.ok(waited < 60_000, `waited ${waited} ms`);
});

/** Starts a holder of the task's lease and waits until its task runs. */
async function startHolder(directory: string, log: string, runMs: number, mode: string) {
  const holder = taskProcess(directory, log, runMs, mode);
  holder.exited.catch(() => {});
  while ((await runsLogged(log)).length === 0) await sleep(20); // it holds the lease, running
  return holder;
}

for (const mode of ["", "sync"]) {
  const body = mode === "sync" ? "a synchronous" : "an asynchronous";
  test(`${body} task of 7 s (over twice its 3 s lease): a second process waits`, async () => {
    const directory = await temporaryDirectory();
    const log = join(directory, "runs.log");
    await writeFile(log, "");
    const holder = await startHolder(directory, log, 7000, mode);
    // The lease must outlast two expiries (renewed, or made to last the synchronous run), and
    // the waiter must find the stored result instead of running the task.
    assert.equal(await taskProcess(directory, log, 10).exited, "144");
    assert.equal(await holder.exited, "144");
    assert.equal((await runsLogged(log)).length, 1, "the second process did not run the task");
  });
}

test("a holder that hangs while alive: a waiter runs the task after waitTimeoutMs", async () => {
  const directory = await temporaryDirectory();
  const log = join(directory, "runs.log");
  await writeFile(log, "");
  const holder = await startHolder(directory, log, 0, "hold");
  try {
    // The holder renews its lease for ever; the waiter gives up after 2 s and says so.
    assert.equal(await taskProcess(directory, log, 10, "", 2000).exited, "144\ntimeout");
    assert.equal(holder.child.exitCode, null, "the holder is still alive, holding the lease");
    assert.equal((await runsLogged(log)).length, 2, "the waiter ran the task itself");
  } finally {
    holder.child.kill("SIGKILL");
  }
});

test("waitTimeoutMs: the call runs the task past it, and a timeout event says so", async () => {
  const adapter = new FsAdapter({ directory: await temporaryDirectory() });
  const cache = new TaskCache(adapter);
  const events: CacheEvent[] = [];
  cache.on("timeout", (event) => events.push(event));
  let runs = 0;
  const task = cachedTask(
    { name: "test.wait", version: "1", inputs: {}, outputs: t.int, cache, waitTimeoutMs: 300 },
    () => ++runs,
  );
  // Another holder's lease on the key, standing for a minute.
  const lease = await adapter.acquireLease(task.key({}), 60_000);
  assert.ok(lease !== undefined);
  try {
    assert.equal(await task({}), 1);
    assert.equal(runs, 1);
    assert.equal(events.length, 1, "one timeout event");
    const [event] = events;
    assert.equal(event!.key, task.key({}));
    assert.equal(event!.taskName, "test.wait");
    assert.ok(event!.durationMs >= 300, `waited ${event!.durationMs} ms, at least the bound`);
    assert.equal(await task({}), 1, "its result was stored");
  } finally {
    await lease.release();
    await cache.close();
  }
  assert.throws(
    () => cachedTask({ name: "x", version: "1", inputs: {}, waitTimeoutMs: -1 }, () => {}),
    /waitTimeoutMs must be a number/,
  );
});

test("the lease holder looks for a stored result before it runs", async () => {
  const adapter = new FsAdapter({ directory: await temporaryDirectory() });
  try {
    let runs = 0;
    // The lease is free, but another holder stored the result just before releasing it.
    const value = await runExclusively(adapter, "k", {
      leaseMs: 3000,
      recheck: () => Promise.resolve("stored"),
      run: () => Promise.resolve(`ran ${++runs}`),
    });
    assert.equal(value, "stored");
    assert.equal(runs, 0);
  } finally {
    await adapter.close();
  }
});

test("without a cache option, tasks use LocalTaskCache", async () => {
  const adapter = new MemoryAdapter();
  await LocalTaskCache.initialize({ adapter });
  try {
    const task = cachedTask(
      { name: "test.local", version: "1", inputs: {}, outputs: t.int },
      () => 9,
    );
    await task({});
    const cache = await LocalTaskCache.taskCache();
    assert.deepEqual((await cache.entries()).map((e) => e.taskName), ["test.local"]);
  } finally {
    await LocalTaskCache.close();
  }
});
