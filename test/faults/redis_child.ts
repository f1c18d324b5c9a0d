/**
 * A Node process of the Redis part (test/faults/redis_multi.ts): a random mix of TaskCache
 * operations on one Redis server shared with other processes (and restarted under them), until
 * told to stop (or killed). A failure because the server is down (`UNAVAILABLE`), or full past
 * what it can evict (`NO_SPACE`: clients' buffers of large values count against its small
 * `maxmemory` and cannot be evicted), is expected and counted; any other is reported.
 *
 * `node --import tsx test/faults/redis_child.ts <url> <prefix> <writer> <seed> <keys>`
 *
 * Prints the line protocol of test/faults/churn.ts (see test/faults/fs_child.ts).
 */
import { RedisAdapter } from "../../src/adapters/redis.ts";
import { CacheError } from "../../src/errors.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import { kvLength, xorshift } from "./workload.ts";
import { churnUntilStopped } from "./node_child.ts";

const [url, prefix, writerText, seedText, keysText] = process.argv.slice(2);
const writer = Number(writerText);
const random = xorshift(Number(seedText));
const cache = new TaskCache(new RedisAdapter({ url: url! }, { prefix: prefix! }), {
  maxSize: 24 * 1024 ** 2,
});

await churnUntilStopped({
  cache,
  writer,
  keys: Number(keysText),
  random,
  lengthOf: kvLength,
  largeFrom: 256 * 1024,
  pruneTo: 8 * 1024 * 1024,
  statsEvery: 20,
  pause: () => new Promise((resolve) => setTimeout(resolve, 1)),
  expected: (error) =>
    !(error instanceof CacheError)
      ? undefined
      : error.code === "UNAVAILABLE"
      ? "op.server-down"
      : error.code === "NO_SPACE"
      ? "op.server-full"
      : undefined,
});
