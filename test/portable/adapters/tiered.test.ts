/**
 * TieredAdapter: the conformance suite with memory in front of Redis and files in front of Redis
 * (a real redis-server started by this file, real directories), then what tiering adds: fills on
 * far hits, a far store that fails (its server killed) never failing the near one, leases from
 * the far store.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FsAdapter } from "../../../src/adapters/fs.ts";
import { MemoryAdapter } from "../../../src/adapters/memory.ts";
import { RedisAdapter } from "../../../src/adapters/redis.ts";
import { TieredAdapter, type TierErrorEvent } from "../../../src/adapters/tiered.ts";
import type { GetOptions } from "../../../src/adapter.ts";
import { CacheError } from "../../../src/errors.ts";
import { adapterConformance, listEntries, patternBytes } from "../../conformance/adapter_suite.ts";
import { startRedis } from "../../support/redis_server.ts";

const server = await startRedis(["--proto-max-bulk-len", "200mb"]);
const directories: string[] = [];
test.after(async () => {
  await server.stop();
  await Promise.all(directories.map((d) => rm(d, { recursive: true, force: true })));
});

let opened = 0;
function redis(url = server.url): RedisAdapter {
  return new RedisAdapter({ url }, { prefix: `tiered-${++opened}:` });
}
async function directory(): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), "ltc-tiered-"));
  directories.push(path);
  return path;
}

adapterConformance(test, {
  open: () => Promise.resolve(new TieredAdapter([new MemoryAdapter(), redis()])),
  largestValue: 100 * 1024 * 1024,
});
adapterConformance((name, fn) => test(`files in front of Redis: ${name}`, fn), {
  open: async () => new TieredAdapter([new FsAdapter({ directory: await directory() }), redis()]),
  largestValue: 100 * 1024 * 1024,
});

test("a far hit fills the near store with the lookup's task and version", async () => {
  const far = redis();
  const writer = new TieredAdapter([new MemoryAdapter(), far]);
  const near = new MemoryAdapter();
  const reader = new TieredAdapter([near, redis()]);
  try {
    const shared = new RedisAdapter({ url: server.url }, { prefix: far.prefix });
    const reading = new TieredAdapter([near, shared]);
    await writer.set("k", patternBytes(50, 1), { taskName: "t", cacheVersion: "1" });
    assert.equal(await near.get("k"), undefined, "not in the reader's near store yet");
    const expect = { taskName: "t", cacheVersion: "1" };
    assert.deepEqual(await reading.get("k", { expect } as GetOptions), patternBytes(50, 1));
    assert.deepEqual(await near.get("k"), patternBytes(50, 1), "copied into the near store");
    const [info] = await listEntries(near);
    assert.equal(info?.taskName, "t");
    assert.equal(info?.cacheVersion, "1");
    await shared.close();
  } finally {
    await Promise.all([writer.close(), reader.close()]);
  }
});

test("a far store whose server is killed never fails the near one; it recovers", async () => {
  const own = server;
  const tiered = new TieredAdapter([new MemoryAdapter(), redis(own.url)]);
  const events: TierErrorEvent[] = [];
  tiered.on("error", (event) => events.push(event));
  try {
    await tiered.set("before", patternBytes(10, 1), { taskName: "t", cacheVersion: "1" });
    await own.kill();
    await tiered.set("during", patternBytes(10, 2), { taskName: "t", cacheVersion: "1" });
    assert.deepEqual(await tiered.get("during"), patternBytes(10, 2), "the near copy serves");
    assert.deepEqual(await tiered.get("before"), patternBytes(10, 1));
    assert.equal(await tiered.get("missing"), undefined, "a far failure is a miss");
    assert.ok(await tiered.delete("during"), "delete works on the near store");
    const listed = await listEntries(tiered);
    assert.deepEqual(listed.map((e) => e.key), ["before"], "the near store lists alone");
    assert.ok(events.length >= 4, `the far failures are reported: ${events.length}`);
    for (const event of events) {
      assert.equal(event.tier, "far");
      assert.ok(event.error instanceof CacheError && event.error.code === "UNAVAILABLE");
    }
    assert.deepEqual(
      [...new Set(events.map((e) => e.operation))].sort(),
      ["delete", "entries", "get", "set"],
    );
    await own.restart();
    for (let i = 0; i < 100 && !(await farReady(tiered)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const before = events.length;
    await tiered.set("after", patternBytes(10, 3));
    assert.deepEqual(await tiered.far.get("after"), patternBytes(10, 3), "the far store is back");
    assert.equal(events.length, before, "no failure once the server is back");
  } finally {
    await tiered.close();
  }
});

async function farReady(tiered: TieredAdapter): Promise<boolean> {
  try {
    await tiered.far.get("probe");
    return true;
  } catch {
    return false;
  }
}

test("leases come from the far store: two tiered adapters over one server exclude", async () => {
  const far = redis();
  const a = new TieredAdapter([new MemoryAdapter(), far]);
  const b = new TieredAdapter([
    new MemoryAdapter(),
    new RedisAdapter({ url: server.url }, { prefix: far.prefix }),
  ]);
  try {
    const lease = await a.acquireLease!("task", 5000);
    assert.ok(lease !== undefined);
    assert.equal(await b.acquireLease!("task", 5000), undefined, "the other process waits");
    await lease.release();
    const next = await b.acquireLease!("task", 5000);
    assert.ok(next !== undefined, "released: the other takes it");
    await next.release();
    const memoryOnly = new TieredAdapter([new MemoryAdapter(), new MemoryAdapter()]);
    assert.equal(memoryOnly.acquireLease, undefined, "no leases where neither tier has them");
    await memoryOnly.close();
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test("GetOptions.expect reaches the far store: another task's entry is a miss, not filled", async () => {
  const far = redis();
  const near = new MemoryAdapter();
  const tiered = new TieredAdapter([near, far]);
  try {
    await far.set("k", patternBytes(10), { taskName: "t", cacheVersion: "1" });
    const expect = { taskName: "other", cacheVersion: "1" };
    assert.equal(await tiered.get("k", { expect } as GetOptions), undefined);
    assert.equal(await near.get("k"), undefined, "nothing copied into the near store");
    assert.deepEqual(await far.get("k"), patternBytes(10), "the far entry stays");
  } finally {
    await tiered.close();
  }
});
