/**
 * DiskcacheAdapter against the real thing: flytekit's LocalTaskCache reproduced on Debian's
 * python3-diskcache (test/compat/flytekit_cache.py), on one directory, in both directions, for
 * inline and file-backed values; diskcache's own `Cache.check()`, `len` and `volume()` after our
 * writes, deletes, clears and prunes; Python's culling and ours; rows we cannot use.
 *
 * Where the runtime's SQLite cannot write diskcache's database (better-sqlite3 in Node 20), the
 * tests that write from JavaScript assert instead that writing is refused and reading works.
 * Outside CI a missing Python stack skips with the reason; under CI it fails.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test, type TestContext } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.ts";
import { DiskcacheAdapter } from "../../../src/adapters/diskcache.ts";
import { CacheError } from "../../../src/errors.ts";
import { calculateCacheKey } from "../../../src/keys/key.ts";
import { TaskCache } from "../../../src/core/task_cache.ts";
import { patternBytes } from "../../conformance/adapter_suite.ts";
import {
  type CheckReport,
  FlytekitCache,
  requirePython,
  type TaskCall,
} from "../../compat/flytekit_cache.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [KiB, 32 * KiB - 1, 32 * KiB, MiB, 50 * MiB];

const homes: string[] = [];
const pythons: FlytekitCache[] = [];
after(async () => {
  await Promise.all(pythons.map((p) => p.close()));
  await Promise.all(homes.map((d) => rm(d, { recursive: true, force: true })));
});

/** A HOME with flytekit's cache directory under it, Python on it, and our adapter on it. */
async function setup(t: TestContext) {
  if (!requirePython(t)) return undefined;
  const home = await mkdtemp(join(tmpdir(), "ltc-flytekit-"));
  homes.push(home);
  const directory = join(home, ".flyte", "local-cache");
  const python = new FlytekitCache(home);
  pythons.push(python);
  const adapter = new DiskcacheAdapter({ directory });
  t.after(() => adapter.close());
  const { writable } = await (async () => {
    // Python creates the database first, as flytekit would have.
    await python.check();
    return await adapter.binding();
  })();
  return { home, directory, python, adapter, writable, cache: new TaskCache(adapter) };
}

/** A LiteralMap whose serialization is exactly `size` bytes (one binary output, `o0`). */
function outputsOfSize(size: number, seed: number): LiteralMap {
  const make = (n: number) =>
    create(LiteralMapSchema, {
      literals: {
        o0: {
          value: {
            case: "scalar",
            value: { value: { case: "binary", value: { value: patternBytes(n, seed), tag: "" } } },
          },
        },
      },
    });
  let n = size;
  for (let i = 0; i < 8; i++) {
    const length = toBinary(LiteralMapSchema, make(n)).length;
    if (length === size) return make(n);
    n -= length - size;
  }
  throw new Error(`no LiteralMap of exactly ${size} bytes`);
}

function call(n: number, task = "wf.compute"): TaskCall {
  return {
    task,
    version: "1.0",
    inputs: create(LiteralMapSchema, {
      literals: {
        n: {
          value: {
            case: "scalar",
            value: {
              value: {
                case: "primitive",
                value: { value: { case: "integer", value: BigInt(n) } },
              },
            },
          },
        },
      },
    }),
    ignore: [],
  };
}

const keyOf = (c: TaskCall) => calculateCacheKey(c.task, c.version, c.inputs, c.ignore ?? []);

function assertClean(report: CheckReport, rows: number, what: string) {
  assert.deepEqual(report.warnings, [], `${what}: Cache.check() reports nothing`);
  assert.equal(report.rows, rows, `${what}: rows`);
  assert.equal(report.len, rows, `${what}: len(cache) is the number of rows`);
  assert.ok(report.volume >= report.size_sum, `${what}: volume() counts the files' bytes`);
}

async function rejectsReadOnly(promise: Promise<unknown>) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof CacheError);
    assert.equal(error.code, "PERMISSION_DENIED");
    assert.match(error.message, /Node >= 22\.13, Deno or Bun/);
    return true;
  });
}

for (const size of SIZES) {
  test(`Python stores ${size} bytes, JavaScript hits with equal bytes`, async (t) => {
    const s = await setup(t);
    if (!s) return;
    const outputs = outputsOfSize(size, size);
    const key = await s.python.set(call(1), outputs);
    assert.equal(key, keyOf(call(1)), "flytekit's key is ours");
    const bytes = await s.adapter.get(key);
    assert.ok(bytes instanceof Uint8Array, "a hit");
    assert.deepEqual(bytes, toBinary(LiteralMapSchema, outputs));
    const map = await s.cache.get("wf.compute", "1.0", call(1).inputs, []);
    assert.ok(map !== undefined, "TaskCache hits");
    assert.deepEqual(toBinary(LiteralMapSchema, map), toBinary(LiteralMapSchema, outputs));
    assert.equal(await s.adapter.get(keyOf(call(2))), undefined, "another input misses");
    assertClean(await s.python.check(), 1, "after our reads");
  });

  test(`JavaScript stores ${size} bytes, Python's LocalTaskCache.get hits`, async (t) => {
    const s = await setup(t);
    if (!s) return;
    const outputs = outputsOfSize(size, size + 1);
    if (!s.writable) {
      await rejectsReadOnly(
        s.cache.adapter.set(keyOf(call(1)), toBinary(LiteralMapSchema, outputs)),
      );
      assertClean(await s.python.check(), 0, "after a refused write");
      return;
    }
    await s.cache.set("wf.compute", "1.0", call(1).inputs, [], outputs);
    assert.deepEqual(await s.python.get(call(1)), toBinary(LiteralMapSchema, outputs));
    const report = await s.python.check();
    assertClean(report, 1, "after our write");
    assert.equal(report.size_sum, size >= 32 * KiB ? size : 0, "size counts file values only");
    assert.equal(report.files, size >= 32 * KiB ? 1 : 0, "a file exactly for values >= 32 KiB");
  });
}

test("after our overwrites, deletes, clear and prune Python finds the cache consistent", async (t) => {
  const s = await setup(t);
  if (!s) return;
  if (!s.writable) {
    await s.python.set(call(1), outputsOfSize(40 * KiB, 1));
    await rejectsReadOnly(s.adapter.delete(keyOf(call(1))));
    await rejectsReadOnly(s.adapter.clear());
    assertClean(await s.python.check(), 1, "after refused deletes");
    return;
  }
  const sizes = [KiB, 40 * KiB, 100, 200 * KiB, 32 * KiB];
  for (const [i, size] of sizes.entries()) {
    await s.cache.set("wf.compute", "1.0", call(i).inputs, [], outputsOfSize(size, i));
  }
  await s.python.set(call(10), outputsOfSize(64 * KiB, 10));
  assertClean(await s.python.check(), 6, "after sets");
  // Overwrites: inline -> file, file -> inline, file -> file.
  await s.cache.set("wf.compute", "1.0", call(0).inputs, [], outputsOfSize(50 * KiB, 20));
  await s.cache.set("wf.compute", "1.0", call(1).inputs, [], outputsOfSize(100, 21));
  await s.cache.set("wf.compute", "1.0", call(10).inputs, [], outputsOfSize(70 * KiB, 22));
  let report = await s.python.check();
  assertClean(report, 6, "after overwrites");
  assert.equal(report.size_sum, 50 * KiB + 200 * KiB + 32 * KiB + 70 * KiB);
  assert.equal(report.files, 4, "the replaced files are gone");
  assert.deepEqual(
    await s.python.get(call(10)),
    toBinary(LiteralMapSchema, outputsOfSize(70 * KiB, 22)),
  );
  assert.equal(await s.adapter.delete(keyOf(call(3))), true);
  assert.equal(await s.adapter.delete(keyOf(call(3))), false);
  assert.equal(await s.python.get(call(3)), undefined, "Python misses what we deleted");
  assertClean(await s.python.check(), 5, "after a delete");
  const pruned = await s.cache.prune({ maxSize: 100 * KiB });
  assert.ok(pruned.removed > 0);
  report = await s.python.check();
  assertClean(report, 5 - pruned.removed, "after a prune");
  await s.cache.clear();
  report = await s.python.check();
  assertClean(report, 0, "after clear");
  assert.equal(report.files, 0);
  const left = (await readdir(s.directory)).filter((name) => !name.startsWith("cache.db"));
  assert.deepEqual(left, [], "no value files or folders are left");
});

/** The folders holding value files (`ab/cd`), each with how many it holds. */
async function valueFolders(directory: string): Promise<Map<string, number>> {
  const folders = new Map<string, number>();
  for (const top of await readdir(directory)) {
    if (!/^[0-9a-f]{2}$/.test(top)) continue;
    for (const name of await readdir(join(directory, top))) {
      const files = await readdir(join(directory, top, name));
      folders.set(`${top}/${name}`, files.filter((file) => file.endsWith(".val")).length);
    }
  }
  return folders;
}

test("our value files share a folder, 256 at most; Python removing the last removes it, and we make it again", async (t) => {
  const s = await setup(t);
  if (!s) return;
  if (!s.writable) return await rejectsReadOnly(s.adapter.set("k", patternBytes(32 * KiB, 0)));
  for (let i = 0; i < 257; i++) await s.adapter.set(`k${i}`, patternBytes(32 * KiB, i));
  assert.deepEqual([...(await valueFolders(s.directory)).values()].sort((a, b) => a - b), [1, 256]);
  assertClean(await s.python.check(), 257, "after 257 sets");
  await s.python.request("clear");
  assert.deepEqual(await valueFolders(s.directory), new Map(), "Python removed the empty folders");
  // The adapter's folder is gone: its next file makes it again.
  await s.cache.set("wf.compute", "1.0", call(1).inputs, [], outputsOfSize(40 * KiB, 1));
  assert.equal((await valueFolders(s.directory)).size, 1);
  assertClean(await s.python.check(), 1, "after a set into a removed folder");
  assert.deepEqual(
    await s.python.get(call(1)),
    toBinary(LiteralMapSchema, outputsOfSize(40 * KiB, 1)),
  );
});

test("culling: ours at size_limit by least-recently-stored, and Python's own still works", async (t) => {
  const s = await setup(t);
  if (!s) return;
  if (!s.writable) return assertClean(await s.python.check(), 0, "read-only: nothing to cull");
  // Open and writing before Python sets the limit: a write sees the settings Python changed.
  const adapter = new DiskcacheAdapter({ directory: s.directory });
  t.after(() => adapter.close());
  await adapter.set("before", patternBytes(64 * KiB, 99));
  await s.python.request("limit", { size_limit: 600 * KiB });
  for (let i = 0; i < 30; i++) {
    await adapter.set(`k${i}`, patternBytes(64 * KiB, i));
  }
  let report = await s.python.check();
  assertClean(report, report.rows, "after our culling sets");
  assert.ok(report.rows < 30, `we culled (${report.rows} rows left)`);
  assert.ok(report.size_sum <= 600 * KiB, "the files stay under the limit");
  assert.equal(await adapter.get("k0"), undefined, "the least recently stored went first");
  assert.deepEqual(await adapter.get("k29"), patternBytes(64 * KiB, 29), "the newest stays");
  const filled = await s.python.request("fill", { prefix: "py", count: 30, size: 64 * KiB });
  report = await s.python.check();
  assertClean(report, Number(filled.len), "after Python's culling sets");
  assert.ok(report.size_sum <= 600 * KiB, "Python culled too");
  assert.equal(await adapter.get("k29"), undefined, "Python culled our old entries");
});

test("culling: expired rows first, cull_limit a set, their files removed", async (t) => {
  const s = await setup(t);
  if (!s?.writable) return;
  const { python, adapter } = s;
  for (let i = 0; i < 12; i++) await python.rawSet(`expired-${i}`, patternBytes(40 * KiB, i));
  await python.rawSet("kept", patternBytes(40 * KiB, 12));
  await python.request("sql", {
    statement: "UPDATE Cache SET expire_time = 1 WHERE key LIKE 'expired-%'",
    params: [],
  });
  await adapter.set("first", patternBytes(10, 1));
  let report = await s.python.check();
  assertClean(report, 3 + 1, "after one set: 10 expired rows culled (cull_limit)");
  await adapter.set("second", patternBytes(10, 2));
  report = await s.python.check();
  assertClean(report, 1 + 2, "after another: the last 2");
  assert.equal(report.files, 1, "the expired rows' files are gone");
  assert.deepEqual(await adapter.get("kept"), patternBytes(40 * KiB, 12));
});

test("pickled, damaged and foreign rows, missing and truncated files read as misses and stay", async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { python, adapter } = s;
  const value = patternBytes(40 * KiB, 3);
  await python.rawSetPickled("pickled-small", { a: 1 });
  await python.rawSetPickled("pickled-large", { a: "x".repeat(40 * KiB) });
  for (const key of ["missing-file", "truncated-file", "good", "bad-size", "bad-name"]) {
    await python.rawSet(key, value);
  }
  await python.rawSet("inline-text", patternBytes(10, 4));
  await python.rawSet("bad-mode", patternBytes(10, 5));
  const sql = (statement: string, params: unknown[] = []) =>
    python.request("sql", { statement, params });
  const fileOf = async (key: string) =>
    join(
      s.directory,
      String(
        ((await sql("SELECT filename FROM Cache WHERE key = ?", [key])).rows as string[][])[0]![0],
      ),
    );
  await rm(await fileOf("missing-file"));
  await truncate(await fileOf("truncated-file"), 1000);
  await sql("UPDATE Cache SET size = 5 WHERE key = ?", ["bad-size"]);
  await sql("UPDATE Cache SET filename = '../../../../etc/passwd' WHERE key = ?", ["bad-name"]);
  await sql("UPDATE Cache SET value = 'text' WHERE key = ?", ["inline-text"]);
  await sql("UPDATE Cache SET mode = 99 WHERE key = ?", ["bad-mode"]);
  const misses = [
    "pickled-small",
    "pickled-large",
    "missing-file",
    "truncated-file",
    "bad-size",
    "bad-name",
    "inline-text",
    "bad-mode",
  ];
  for (const key of misses) {
    assert.equal(await adapter.get(key), undefined, `${key} reads as a miss`);
  }
  assert.deepEqual(await adapter.get("good"), value);
  const rows = ((await sql("SELECT COUNT(*) FROM Cache")).rows as number[][])[0]![0];
  assert.equal(rows, misses.length + 1, "nothing was deleted on read");
  assert.deepEqual(await python.rawGet("good"), value, "Python still reads its entry");
  if (s.writable) {
    // Removing a row whose filename is foreign removes the row, never the file it names.
    assert.equal(await adapter.delete("bad-name"), true);
  }
});

test("a database Python holds locked is waited for, and BLOCKED past busyTimeoutMs", async (t) => {
  const s = await setup(t);
  if (!s) return;
  if (!s.writable) {
    await s.python.rawSet("k", patternBytes(100, 1));
    await s.python.request("lock", { seconds: 1 });
    assert.deepEqual(await s.adapter.get("k"), patternBytes(100, 1), "reads go on under the lock");
    return;
  }
  await s.python.request("lock", { seconds: 1.5 });
  // Held now: our write waits (retrying "database is locked") and lands once Python commits.
  await s.adapter.set("k", patternBytes(100, 1));
  assert.deepEqual(await s.python.rawGet("k"), patternBytes(100, 1));
  const impatient = new DiskcacheAdapter({ directory: s.directory, busyTimeoutMs: 200 });
  t.after(() => impatient.close());
  await impatient.get("k"); // opened before the lock
  await s.python.request("lock", { seconds: 1.5 });
  assert.deepEqual(await impatient.get("k"), patternBytes(100, 1), "reads go on under the lock");
  await assert.rejects(impatient.set("k", patternBytes(100, 2)), (error) => {
    assert.ok(error instanceof CacheError);
    assert.equal(error.code, "BLOCKED");
    return true;
  });
  assertClean(await s.python.check(), 1, "after a write that gave up");
  assert.deepEqual(await s.python.rawGet("k"), patternBytes(100, 1), "the old value stands");
});

test("an adapter used before flytekit created its cache sees the cache afterwards", async (t) => {
  if (!requirePython(t)) return;
  const home = await mkdtemp(join(tmpdir(), "ltc-flytekit-"));
  homes.push(home);
  const adapter = new DiskcacheAdapter({ directory: join(home, ".flyte", "local-cache") });
  t.after(() => adapter.close());
  assert.equal(await adapter.get(keyOf(call(1))), undefined, "nothing there yet");
  const python = new FlytekitCache(home);
  pythons.push(python);
  const outputs = outputsOfSize(KiB, 5);
  await python.set(call(1), outputs);
  assert.deepEqual(await adapter.get(keyOf(call(1))), toBinary(LiteralMapSchema, outputs));
});
