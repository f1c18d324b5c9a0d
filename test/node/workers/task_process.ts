/**
 * A process calling one cached task on shared storage, for the single flight tests:
 * `task_process.ts <directory | kv:<Deno KV file> | redis:<prefix>|<url>> <log file> <run ms> [mode] [wait timeout ms]`.
 * The task appends its pid to the log file and takes `run ms`; mode `hold` makes the process
 * take the task's lease and hang while alive (its lease renewed; to be killed), as a holder that
 * crashes or hangs does; mode `sync` makes the task body synchronous (it holds the event loop for
 * `run ms`). Prints the task's result as JSON, then `timeout` if the call stopped waiting for
 * another holder.
 */
import { appendFileSync } from "node:fs";
import process from "node:process";
import { DenoKvAdapter } from "../../../src/adapters/deno_kv.ts";
import { FsAdapter } from "../../../src/adapters/fs.ts";
import { RedisAdapter } from "../../../src/adapters/redis.ts";
import { cachedTask } from "../../../src/core/task.ts";
import { TaskCache } from "../../../src/core/task_cache.ts";
import { t } from "../../../src/values/values.ts";

const [store, log, runMs, mode, waitTimeoutMs] = process.argv.slice(2);
const [prefix, url] = store!.slice("redis:".length).split("|");
const adapter = store!.startsWith("kv:")
  ? new DenoKvAdapter({ path: store!.slice(3) })
  : store!.startsWith("redis:")
  ? new RedisAdapter({ url: url! }, { prefix: prefix! })
  : new FsAdapter({ directory: store! });
const cache = new TaskCache(adapter);
let timedOut = false;
cache.on("timeout", () => (timedOut = true));
const options = {
  name: "test.slow_square",
  version: "1",
  inputs: { n: t.int },
  outputs: t.int,
  cache,
  leaseMs: 3000,
  waitTimeoutMs: waitTimeoutMs === undefined ? undefined : Number(waitTimeoutMs),
};
const square = mode === "sync"
  ? cachedTask(options, ({ n }) => {
    appendFileSync(log!, `${process.pid}\n`);
    const until = Date.now() + Number(runMs);
    while (Date.now() < until) {
      // Busy: no timer runs meanwhile.
    }
    return n * n;
  })
  : cachedTask(options, async ({ n }) => {
    appendFileSync(log!, `${process.pid}\n`);
    if (mode === "hold") await new Promise(() => {}); // never returns: killed while holding
    await new Promise((resolve) => setTimeout(resolve, Number(runMs)));
    return n * n;
  });
console.log(JSON.stringify(await square({ n: 12 })));
if (timedOut) console.log("timeout");
await adapter.close();
