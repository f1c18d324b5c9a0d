import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { fileURLToPath } from "node:url";
import { equals } from "@bufbuild/protobuf";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { MemoryAdapter } from "../../src/adapters/memory.ts";
import { LocalTaskCache } from "../../src/core/local_task_cache.ts";
import { integer, literalMap, string } from "../support/literals.ts";

const worker = fileURLToPath(new URL("./workers/local_task_cache_worker.ts", import.meta.url));
const inputs = literalMap({ a: integer(1n), run_id: string("r-1") });
const outputs = literalMap({ o0: string("done") });
let directory: string;
const savedEnv = process.env.LOCAL_TASK_CACHE_DIR;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "ltc-local-"));
  process.env.LOCAL_TASK_CACHE_DIR = directory;
});

afterEach(async () => {
  await LocalTaskCache.close();
  if (savedEnv === undefined) delete process.env.LOCAL_TASK_CACHE_DIR;
  else process.env.LOCAL_TASK_CACHE_DIR = savedEnv;
  await rm(directory, { recursive: true, force: true });
});

test("initializes itself on first use, in LOCAL_TASK_CACHE_DIR", async () => {
  assert.equal(LocalTaskCache.initialized, false);
  assert.equal(await LocalTaskCache.get("t", "v1", inputs, []), undefined);
  assert.equal(LocalTaskCache.initialized, true);
  await LocalTaskCache.set("t", "v1", inputs, [], outputs);
  assert.ok(
    (await readdir(directory, { recursive: true })).length > 0,
    "entries are files in the directory",
  );
});

test("flytekit's behaviours: miss, hit, other version misses, ignored input hits, clear empties", async () => {
  assert.equal(await LocalTaskCache.get("t", "v1", inputs, ["run_id"]), undefined, "miss");
  await LocalTaskCache.set("t", "v1", inputs, ["run_id"], outputs);
  const hit = await LocalTaskCache.get("t", "v1", inputs, ["run_id"]);
  assert.ok(hit && equals(LiteralMapSchema, hit, outputs), "hit");
  assert.equal(
    await LocalTaskCache.get("t", "v2", inputs, ["run_id"]),
    undefined,
    "another version misses",
  );
  const otherRun = literalMap({ a: integer(1n), run_id: string("r-2") });
  assert.ok(await LocalTaskCache.get("t", "v1", otherRun, ["run_id"]), "an ignored input hits");
  await LocalTaskCache.clear();
  assert.equal(await LocalTaskCache.get("t", "v1", inputs, ["run_id"]), undefined, "clear empties");
});

test("initialize with an adapter, and again replaces it, closing the old one", async () => {
  const first = new MemoryAdapter();
  await LocalTaskCache.initialize({ adapter: first });
  await LocalTaskCache.set("t", "v1", inputs, [], outputs);
  const second = new MemoryAdapter();
  await LocalTaskCache.initialize({ adapter: second });
  await assert.rejects(
    first.get("x"),
    { name: "CacheError", code: "CLOSED" },
    "the old adapter is closed",
  );
  assert.equal(await LocalTaskCache.get("t", "v1", inputs), undefined, "the new adapter is empty");
  await LocalTaskCache.initialize({ directory });
  assert.equal(await LocalTaskCache.get("t", "v1", inputs), undefined);
});

test("initialize refuses bad options", async () => {
  await assert.rejects(LocalTaskCache.initialize(null as unknown as object), TypeError);
  await assert.rejects(
    LocalTaskCache.initialize({ adapter: {} as MemoryAdapter }),
    /expected a CacheAdapter/,
  );
  assert.equal(LocalTaskCache.initialized, false, "a failed initialize leaves nothing half set up");
});

test("wrong argument types are TypeErrors before the storage is even opened", async () => {
  await LocalTaskCache.close();
  await assert.rejects(LocalTaskCache.get("t", 1 as never, inputs, []), /cacheVersion/);
  await assert.rejects(LocalTaskCache.get("t", "v1", {} as never, []), /inputLiteralMap/);
  await assert.rejects(LocalTaskCache.set("t", "v1", inputs, [], "x" as never), /value must be/);
  await assert.rejects(LocalTaskCache.set("t", "v1", inputs, [1] as never, outputs), /\[0\]/);
  assert.equal(LocalTaskCache.initialized, false, "no storage was opened");
});

test("a second Node process sees the first one's entries", async () => {
  await LocalTaskCache.set("t", "v1", inputs, [], outputs);
  await LocalTaskCache.close();
  const child = spawnSync(process.execPath, ["--import", "tsx", worker, "get"], {
    encoding: "utf8",
    env: { ...process.env, LOCAL_TASK_CACHE_DIR: directory },
  });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), "hit done");
  const writer = spawnSync(process.execPath, ["--import", "tsx", worker, "set"], {
    encoding: "utf8",
    env: { ...process.env, LOCAL_TASK_CACHE_DIR: directory },
  });
  assert.equal(writer.status, 0, writer.stderr);
  const fromChild = await LocalTaskCache.get("t", "v1", literalMap({ a: integer(2n) }), []);
  assert.ok(
    fromChild && equals(LiteralMapSchema, fromChild, literalMap({ o0: string("from child") })),
  );
});
