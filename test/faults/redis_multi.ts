/**
 * Part 7: several Node processes on ONE Redis server (RedisAdapter, test/faults/redis_child.ts),
 * each a random mix of TaskCache get, set (values up to 1.1 MiB), delete, prune, clear and a
 * cachedTask with single flight, with stamped values, on a server with a small `maxmemory` and
 * `allkeys-lru` (so that it evicts as it goes); the parent SIGKILLs random processes at random
 * moments and starts them again, and SIGKILLs the server itself and starts it again (empty) in
 * the middle. Failures while the server is down must be `UNAVAILABLE`, those of a server full
 * past what it can evict `NO_SPACE` (found here: clients' buffers count against `maxmemory`),
 * and nothing else may throw. Every read must be a miss or exactly a value written for its key. Afterwards: every
 * listed entry reads back at its listed size, only entries and leases are under the prefix, the
 * leases of killed holders expire, a clear leaves nothing, and the cache works.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "redis";
import { RedisAdapter } from "../../src/adapters/redis.ts";
import { toBinaryDeterministic } from "../../src/keys/deterministic.ts";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { TaskCache, taskCacheInternals } from "../../src/core/task_cache.ts";
import { REDIS_SERVER, type RedisServer, startRedis } from "../support/redis_server.ts";
import { checkRoundTrip, checkValuesLeft } from "./cache_checks.ts";
import { churnNodeProcesses } from "./churn.ts";
import { describeError, FAULTS, type Part, sleep } from "./common.ts";
import { kvLength } from "./workload.ts";

const CHILD = join(FAULTS, "redis_child.ts");
const PROCESSES = 3;
const KEYS = 10;
const PREFIX = "faults:";
/** What the churn leaves of the budget for stopping and checking. */
const RESERVE_MS = 8_000;
/** The longest lease of the workload's cached task (test/faults/workload.ts), in ms. */
const LEASE_MS = 1000;

export const redisMulti: Part = async (ctx) => {
  const installed = existsSync(REDIS_SERVER);
  if (
    !ctx.require(
      installed,
      "redis-server",
      `${REDIS_SERVER} is missing (apt-get install redis-server)`,
    )
  ) {
    return;
  }
  const server = await startRedis(["--maxmemory", "8mb", "--maxmemory-policy", "allkeys-lru"]);
  ctx.undoIfKilled("rm", server.directory);
  try {
    ctx.log(`${PROCESSES} processes on ${server.url}, killed at random; the server killed once`);
    const outage = serverOutage(ctx, server);
    const { writers } = await churnNodeProcesses(ctx, {
      processes: PROCESSES,
      reserveMs: RESERVE_MS,
      script: CHILD,
      args: (writer, seed) => [server.url, PREFIX, String(writer), String(seed), String(KEYS)],
    });
    await outage;
    await check(ctx, server, writers);
  } finally {
    await server.stop();
  }
};

/** SIGKILLs the server a third into the budget and starts it again a second later. */
async function serverOutage(ctx: Parameters<Part>[0], server: RedisServer): Promise<void> {
  await sleep(Math.max(0, (ctx.remaining() - RESERVE_MS) / 3));
  await server.kill("SIGKILL");
  ctx.count("fault.server-killed");
  await sleep(1000);
  await server.restart();
  ctx.count("fault.server-restarted");
}

/** What is left: exact values only, consistent listings, no stray keys, a working cache. */
async function check(
  ctx: Parameters<Part>[0],
  server: RedisServer,
  writers: Set<number>,
): Promise<void> {
  const cache = new TaskCache(new RedisAdapter({ url: server.url }, { prefix: PREFIX }), {
    maxSize: Infinity,
  });
  const raw = createClient({ url: server.url });
  raw.on("error", () => {});
  await raw.connect();
  try {
    await checkValuesLeft(ctx, cache, KEYS, kvLength, writers);
    try {
      const entries = await cache.entries();
      ctx.count("check.entries-listed", entries.length);
      for (const entry of entries) {
        const value = await taskCacheInternals().lookup(cache, entry.key, entry);
        if (value === undefined) continue; // evicted since it was listed
        const size = toBinaryDeterministic(LiteralMapSchema, value, "value").length;
        if (size !== entry.size) {
          ctx.violation("entry-metadata", `${entry.key}: listed ${entry.size} bytes, read ${size}`);
        }
      }
    } catch (error) {
      ctx.violation("entries-threw", describeError(error));
    }
    const names = await raw.keys("*");
    const strays = names.filter((name) => !/^faults:(entry2|lease):/.test(name));
    if (strays.length > 0) {
      ctx.violation("stray-keys", `keys outside the layout: ${strays.join(", ")}`);
    }
    await sleep(LEASE_MS + 200);
    const leases = await raw.keys(`${PREFIX}lease:*`);
    ctx.count("check.leases-left", leases.length);
    if (leases.length > 0) {
      ctx.violation("stray-keys", `leases outlive their time to live: ${leases.join(", ")}`);
    }
    const evicted = /evicted_keys:(\d+)/.exec(await raw.info("stats"))?.[1];
    ctx.count("check.evicted-by-the-server-after-restart", Number(evicted ?? 0));

    await cache.clear();
    const after = await raw.keys(`${PREFIX}entry2:*`);
    if (after.length > 0) ctx.violation("stray-keys", `after clear: ${after.length} entries`);
    await checkRoundTrip(ctx, cache, kvLength);
  } finally {
    await raw.close();
    await cache.close();
  }
}
