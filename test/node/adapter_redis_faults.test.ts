/**
 * RedisAdapter when the server misbehaves, against a real redis-server started by this file: a
 * server that is not there, one SIGKILLed and restarted in the middle of a run of cached tasks,
 * one out of memory without an eviction policy, and one evicting with allkeys-lru past a small
 * maxmemory. Tasks always return their results; failures are typed; nothing torn is read.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { createClient } from "redis";
import { RedisAdapter, type RedisClientLike } from "../../src/adapters/redis.ts";
import { CacheError } from "../../src/errors.ts";
import { cachedTask } from "../../src/core/task.ts";
import type { CacheEvent } from "../../src/core/events.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import { t } from "../../src/values/values.ts";
import { listEntries, patternBytes } from "../conformance/adapter_suite.ts";
import { startRedis } from "../support/redis_server.ts";

const server = await startRedis();
test.after(() => server.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A hang fails the test instead of stalling the run. */
const BOUNDED = { timeout: 60_000 };

async function rawClient() {
  const client = createClient({ url: server.url });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/**
 * Runs `fn` with an adapter on a server limited to `maxmemory` under `policy`; then lifts the
 * limit and empties the server.
 */
async function withMemoryLimit(
  maxmemory: string,
  policy: string,
  fn: (adapter: RedisAdapter, raw: Awaited<ReturnType<typeof rawClient>>) => Promise<void>,
): Promise<void> {
  const raw = await rawClient();
  const adapter = new RedisAdapter({ url: server.url }, { prefix: `${policy}:` });
  try {
    await raw.configSet({ "maxmemory": maxmemory, "maxmemory-policy": policy });
    await fn(adapter, raw);
  } finally {
    await raw.configSet({ "maxmemory": "0", "maxmemory-policy": "noeviction" });
    await raw.flushAll();
    await adapter.close();
    await raw.close();
  }
}

function isCode(code: string) {
  return (error: unknown) => error instanceof CacheError && error.code === code;
}

/** A loopback port nobody listens on. */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A task that squares and counts its runs, over `cache`. */
function squareTask(cache: TaskCache) {
  const runs = { count: 0 };
  const task = cachedTask(
    { name: "test.redis_square", version: "1", inputs: { n: t.int }, outputs: t.int, cache },
    async ({ n }) => {
      runs.count++;
      await sleep(1);
      return n * n;
    },
  );
  return { task, runs };
}

test(
  "a server that is not there: every operation is UNAVAILABLE; tasks still run",
  BOUNDED,
  async () => {
    const adapter = new RedisAdapter({ url: `redis://127.0.0.1:${await deadPort()}` });
    const cache = new TaskCache(adapter);
    const errors: CacheEvent[] = [];
    cache.on("error", (event) => errors.push(event));
    try {
      await assert.rejects(adapter.get("k"), isCode("UNAVAILABLE"));
      await assert.rejects(adapter.set("k", patternBytes(3)), isCode("UNAVAILABLE"));
      await assert.rejects(adapter.delete("k"), isCode("UNAVAILABLE"));
      await assert.rejects(adapter.clear(), isCode("UNAVAILABLE"));
      await assert.rejects(listEntries(adapter), isCode("UNAVAILABLE"));
      await assert.rejects(adapter.acquireLease("k", 1000), isCode("UNAVAILABLE"));
      const error = await adapter.get("k").catch((e) => e);
      assert.match(error.message, /unreachable.*check that it runs.*still run/s);
      const { task, runs } = squareTask(cache);
      assert.equal(await task({ n: 7 }), 49);
      assert.equal(await task({ n: 7 }), 49);
      assert.equal(runs.count, 2, "nothing is cached, every call runs");
      assert.ok(errors.length >= 4, "the get and set failures are reported");
      for (const event of errors) assert.ok(isCode("UNAVAILABLE")(event.error));
    } finally {
      await cache.close();
    }
  },
);

test(
  "a client the program owns that is disconnected: UNAVAILABLE at once, not queued",
  BOUNDED,
  async () => {
    const client = createClient({ url: server.url });
    client.on("error", () => {});
    const adapter = new RedisAdapter({ client: client as unknown as RedisClientLike });
    await assert.rejects(adapter.get("k"), isCode("UNAVAILABLE"));
    await client.connect();
    await adapter.set("k", patternBytes(3));
    assert.deepEqual(await adapter.get("k"), patternBytes(3));
    await adapter.delete("k");
    await adapter.close();
    await client.close();
  },
);

test(
  "a server that stops answering: UNAVAILABLE after the command timeout, then back",
  BOUNDED,
  async () => {
    const adapter = new RedisAdapter({ url: server.url }, {
      prefix: "hung:",
      commandTimeoutMs: 300,
    });
    try {
      await adapter.set("k", patternBytes(10));
      server.pause(true);
      try {
        await assert.rejects(adapter.get("k"), isCode("UNAVAILABLE"));
        await assert.rejects(adapter.set("k", patternBytes(20)), isCode("UNAVAILABLE"));
        const cache = new TaskCache(adapter);
        const { task } = squareTask(cache);
        assert.equal(await task({ n: 9 }), 81, "a task still returns");
      } finally {
        server.pause(false);
      }
      for (let i = 0; i < 100; i++) {
        if ((await adapter.get("k").catch(() => "failed")) !== "failed") break;
        await sleep(50);
      }
      await adapter.set("k", patternBytes(30));
      assert.deepEqual(
        await adapter.get("k"),
        patternBytes(30),
        "it works once the server answers",
      );
    } finally {
      await adapter.close();
    }
  },
);

test(
  "the server SIGKILLed and restarted mid-run: typed errors, every task returns, the cache works after",
  BOUNDED,
  async () => {
    const cache = new TaskCache(new RedisAdapter({ url: server.url }, { prefix: "restart:" }));
    const errors: CacheEvent[] = [];
    cache.on("error", (event) => errors.push(event));
    const { task, runs } = squareTask(cache);
    let stop = false;
    const results: [number, number][] = [];
    const workers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const n = (w * 7 + i) % 20;
        results.push([n, await task({ n })]);
      }
    });
    await sleep(300);
    await server.kill("SIGKILL");
    const during = results.length;
    await sleep(1000);
    const down = results.length;
    await server.restart();
    // Until the client has reconnected, and a while after.
    const reconnected =
      async () => (await cache.adapter.get("probe").then(() => true, () => false));
    while (!(await reconnected())) await sleep(50);
    await sleep(300);
    stop = true;
    await Promise.all(workers);
    try {
      assert.ok(down > during, "tasks went on while the server was down");
      for (const [n, result] of results) assert.equal(result, n * n, `square of ${n}`);
      assert.ok(errors.length > 0, "the outage was reported");
      for (const event of errors) {
        assert.ok(isCode("UNAVAILABLE")(event.error), `typed: ${event.error}`);
      }
      const before = runs.count;
      assert.equal(await task({ n: 123 }), 15129);
      assert.equal(await task({ n: 123 }), 15129);
      assert.equal(runs.count, before + 1, "after the restart the cache hits again");
    } finally {
      await cache.close();
    }
  },
);

test(
  "maxmemory without an eviction policy: NO_SPACE, the task still returns",
  BOUNDED,
  async () => {
    await withMemoryLimit("2mb", "noeviction", async (adapter) => {
      let failure: unknown;
      for (let i = 0; i < 100 && failure === undefined; i++) {
        failure = await adapter.set(`k${i}`, patternBytes(64 * 1024, i)).then(
          () => undefined,
          (e) => e,
        );
      }
      assert.ok(isCode("NO_SPACE")(failure), `a full server is NO_SPACE: ${failure}`);
      assert.match((failure as Error).message, /maxmemory-policy allkeys-lru/);
      const cache = new TaskCache(adapter);
      const { task } = squareTask(cache);
      assert.equal(await task({ n: 5 }), 25);
    });
  },
);

test(
  "allkeys-lru past a small maxmemory: every read is a miss or the exact value",
  BOUNDED,
  async () => {
    await withMemoryLimit("4mb", "allkeys-lru", async (adapter, raw) => {
      const sizes = [100, 10_000, 64 * 1024, 300 * 1024];
      const written = new Map<string, Uint8Array>();
      for (let i = 0; i < 300; i++) {
        const key = `k${i % 120}`;
        const value = patternBytes(sizes[i % sizes.length]!, i + 1);
        await adapter.set(key, value, { taskName: "t", cacheVersion: "1" });
        written.set(key, value);
        if (i % 10 === 0) await adapter.get(`k${(i * 7) % 120}`);
      }
      const stats = await raw.info("stats");
      assert.match(stats, /evicted_keys:[1-9]/, "the server evicted entries");
      let hits = 0;
      let misses = 0;
      for (const [key, value] of written) {
        const read = await adapter.get(key);
        if (read === undefined) misses++;
        else {
          hits++;
          assert.deepEqual(read, value, `${key}: exactly the last value written`);
        }
      }
      assert.ok(hits > 0 && misses > 0, `some of each: ${hits} hits, ${misses} misses`);
      for (const entry of await listEntries(adapter)) {
        assert.equal(entry.size, written.get(entry.key)!.length, `${entry.key}: listed size`);
      }
    });
  },
);
