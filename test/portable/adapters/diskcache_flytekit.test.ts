/**
 * The switches that share flytekit's cache: `LocalTaskCache.initialize({ flytekit: true })` and
 * `LOCAL_TASK_CACHE_FLYTEKIT` (for `LocalTaskCache` and every `cachedTask` on it), and
 * `FLYTE_LOCAL_CACHE_OVERWRITE`, honoured by `cachedTask` as flytekit honours it; a cached task
 * and flytekit's LocalTaskCache (reproduced in Python) hitting each other's results.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, test, type TestContext } from "node:test";
import { create } from "@bufbuild/protobuf";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.ts";
import { DiskcacheAdapter } from "../../../src/adapters/diskcache.ts";
import { LocalTaskCache } from "../../../src/core/local_task_cache.ts";
import { main } from "../../../src/cli/main.ts";
import { cachedTask } from "../../../src/core/task.ts";
import { t as types, toLiteralMap } from "../../../src/values/values.ts";
import { FlytekitCache, requirePython } from "../../compat/flytekit_cache.ts";

const homes: string[] = [];
after(async () => {
  await LocalTaskCache.close();
  await Promise.all(homes.map((d) => rm(d, { recursive: true, force: true })));
});

async function freshHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "ltc-flytekit-switch-"));
  homes.push(home);
  return home;
}

/** Runs `fn` with these environment variables set (or removed), then restores them. */
async function withEnvironment<T>(
  values: Record<string, string | undefined>,
  fn: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(values);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

const writable = await (async () => {
  const adapter = new DiskcacheAdapter({ directory: join(await freshHome(), "probe") });
  const { writable } = await adapter.binding();
  await adapter.close();
  return writable;
})();

test("LOCAL_TASK_CACHE_FLYTEKIT and initialize({ flytekit }) open flytekit's directory", async () => {
  const home = await freshHome();
  await withEnvironment({ HOME: home, LOCAL_TASK_CACHE_FLYTEKIT: "1" }, async () => {
    await LocalTaskCache.initialize();
    const adapter = (await LocalTaskCache.taskCache()).adapter;
    assert.ok(adapter instanceof DiskcacheAdapter);
    assert.equal(adapter.directory, join(home, ".flyte", "local-cache"));
  });
  await withEnvironment({ LOCAL_TASK_CACHE_FLYTEKIT: "false" }, async () => {
    await LocalTaskCache.initialize({ directory: join(home, "own") });
    assert.ok(!((await LocalTaskCache.taskCache()).adapter instanceof DiskcacheAdapter));
    await LocalTaskCache.initialize({ flytekit: true, directory: join(home, "shared") });
    const adapter = (await LocalTaskCache.taskCache()).adapter;
    assert.ok(adapter instanceof DiskcacheAdapter);
    assert.equal(adapter.directory, join(home, "shared"));
  });
  await LocalTaskCache.close();
});

test("a cached task and flytekit's LocalTaskCache hit each other's results", async (t: TestContext) => {
  if (!requirePython(t)) return;
  const home = await freshHome();
  const python = new FlytekitCache(home);
  t.after(() => python.close());
  await LocalTaskCache.initialize({
    flytekit: true,
    directory: join(home, ".flyte", "local-cache"),
  });
  t.after(() => LocalTaskCache.close());
  let runs = 0;
  const square = cachedTask(
    { name: "wf.square", version: "1", inputs: { n: types.int }, outputs: types.int },
    ({ n }) => {
      runs++;
      return n * n;
    },
  );
  const inputs = (n: number) => toLiteralMap({ n: types.int }, { n }, "inputs");
  const outputs = (value: number) =>
    create(LiteralMapSchema, { literals: { o0: types.int.toLiteral(value, "o0") } });
  // Python first: we hit.
  await python.set({ task: "wf.square", version: "1", inputs: inputs(3) }, outputs(9));
  assert.equal(await square({ n: 3 }), 9);
  assert.equal(runs, 0, "flytekit's result is a hit");
  // We first: Python hits (where this runtime can write).
  assert.equal(await square({ n: 4 }), 16);
  assert.equal(runs, 1);
  const stored = await python.get({ task: "wf.square", version: "1", inputs: inputs(4) });
  if (writable) {
    assert.ok(stored !== undefined, "Python hits what the cached task stored");
    assert.equal(await square({ n: 4 }), 16);
    assert.equal(runs, 1, "the second call is a hit");
  } else {
    assert.equal(stored, undefined, "a read-only runtime stores nothing");
  }
  assert.deepEqual((await python.check()).warnings, []);
});

test("FLYTE_LOCAL_CACHE_OVERWRITE makes every call run and replace its entry", async () => {
  const home = await freshHome();
  await LocalTaskCache.initialize({ directory: join(home, "own") });
  let runs = 0;
  const task = cachedTask(
    { name: "wf.count", version: "1", inputs: {}, outputs: types.int },
    () => ++runs,
  );
  assert.equal(await task({}), 1);
  assert.equal(await task({}), 1, "a hit");
  for (const on of ["true", "1", "yes", "TRUE"]) {
    await withEnvironment({ FLYTE_LOCAL_CACHE_OVERWRITE: on }, async () => {
      const before = runs;
      assert.equal(await task({}), before + 1, `${on}: the task runs`);
    });
  }
  assert.equal(await task({}), runs, "the last run's result replaced the entry");
  for (const off of ["false", "0", "off", "no", ""]) {
    await withEnvironment({ FLYTE_LOCAL_CACHE_OVERWRITE: off }, async () => {
      assert.equal(await task({}), runs, `${JSON.stringify(off)}: a hit`);
    });
  }
  await withEnvironment({ FLYTE_LOCAL_CACHE_OVERWRITE: "true" }, async () => {
    assert.equal(await task({}, { overwrite: false }), runs, "the call option wins");
  });
  await LocalTaskCache.close();
});

test("the CLI's --flytekit lists, counts, prunes and clears flytekit's directory", async (t: TestContext) => {
  if (!requirePython(t)) return;
  const home = await freshHome();
  const python = new FlytekitCache(home);
  t.after(() => python.close());
  const inputs = (n: number) => toLiteralMap({ n: types.int }, { n }, "inputs");
  const outputs = (bytes: number) =>
    create(LiteralMapSchema, { literals: { o0: types.string.toLiteral("x".repeat(bytes), "o0") } });
  const keys = [];
  for (const [n, size] of [[1, 100], [2, 50_000], [3, 200_000]] as const) {
    keys.push(await python.set({ task: "wf.big", version: "1", inputs: inputs(n) }, outputs(size)));
  }
  const run = async (...argv: string[]) => {
    let out = "";
    let err = "";
    const code = await main(argv, {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (err += text) },
      env: { ...process.env, HOME: home },
      isTTY: false,
    });
    return { code, out, err };
  };
  const list = await run("--flytekit", "list", "--json");
  assert.equal(list.code, 0, list.err);
  assert.deepEqual(JSON.parse(list.out).map((e: { key: string }) => e.key).sort(), keys.sort());
  const stats = await run("--flytekit", "stats", "--json");
  assert.equal(JSON.parse(stats.out).directory, join(home, ".flyte", "local-cache"));
  assert.equal(JSON.parse(stats.out).entries, 3);
  if (!writable) {
    assert.equal((await run("--flytekit", "clear")).code, 1, "a read-only runtime cannot clear");
    return;
  }
  const pruned = await run("--flytekit", "prune", "--max-size", "210k", "--json");
  assert.equal(pruned.code, 0, pruned.err);
  assert.equal(JSON.parse(pruned.out).removed, 2);
  let report = await python.check();
  assert.deepEqual(report.warnings, []);
  assert.equal(report.len, 1);
  const cleared = await run("--flytekit", "clear", "--json");
  assert.equal(cleared.code, 0, cleared.err);
  report = await python.check();
  assert.deepEqual([report.warnings, report.len, report.files], [[], 0, 0]);
});
