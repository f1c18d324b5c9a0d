/**
 * A process (Node or Deno) calling one cached task on a shared Redis server, for the tests of
 * processes sharing a server: `redis_task_process.ts <url> <prefix> <log file> <run ms> [hold]`.
 * The task appends its pid to the log file and takes `run ms`; `hold` makes the process take the
 * task's lease and hang (to be killed). Prints the task's result as JSON.
 */
import { appendFileSync } from "node:fs";
import process from "node:process";
import { RedisAdapter } from "../../../src/adapters/redis.ts";
import { cachedTask } from "../../../src/task.ts";
import { TaskCache } from "../../../src/task_cache.ts";
import { t } from "../../../src/values.ts";

const [url, prefix, log, runMs, mode] = process.argv.slice(2);
const cache = new TaskCache(new RedisAdapter({ url: url! }, { prefix: prefix! }));
const square = cachedTask({
  name: "test.slow_square",
  version: "1",
  inputs: { n: t.int },
  outputs: t.int,
  cache,
  leaseMs: 3000,
}, async ({ n }) => {
  appendFileSync(log!, `${process.pid}\n`);
  if (mode === "hold") await new Promise(() => {}); // never returns: killed while holding
  await new Promise((resolve) => setTimeout(resolve, Number(runMs)));
  return n * n;
});
console.log(JSON.stringify(await square({ n: 12 })));
await cache.close();
