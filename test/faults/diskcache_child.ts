/**
 * A JavaScript process of part 7 (test/faults/diskcache_multi.ts): the file workload's random
 * mix of TaskCache operations (test/faults/workload.ts) on a DiskcacheAdapter directory shared
 * with other processes and with Python's diskcache, until told to stop (or killed). Runs in
 * Node >= 22.13 (`node:sqlite`), Deno or Bun.
 *
 * `<runtime> test/faults/diskcache_child.ts <directory> <writer> <seed> <keys> [once]`
 *
 * Prints the line protocol of test/faults/churn.ts. With `once`: stores writer `writer`'s
 * outputs of step 1 for key number 0, prints `done {}` and exits.
 */
import process from "node:process";
import { DiskcacheAdapter } from "../../src/adapters/diskcache.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import {
  churn,
  type Counters,
  fsLength,
  inputsFor,
  outputsFor,
  TASK,
  VERSION,
  xorshift,
} from "./workload.ts";

const [directory, writerText, seedText, keysText, once] = process.argv.slice(2);
const cache = new TaskCache(new DiskcacheAdapter({ directory: directory! }), {
  maxSize: 24 * 1024 ** 2,
});
const counters: Counters = {};
const print = (line: string) => process.stdout.write(`${line}\n`);
let stopping = false;
process.stdin.setEncoding("utf8").on("data", (text: string) => {
  if (text.includes("stop")) stopping = true;
});

if (once === "once") {
  const outputs = outputsFor(0, Number(writerText), 1, fsLength);
  await cache.set(TASK, VERSION, inputsFor(0), [], outputs);
  print("done {}");
  process.exit(0);
}
print("ready");
await churn({
  cache,
  writer: Number(writerText),
  keys: Number(keysText),
  random: xorshift(Number(seedText)),
  lengthOf: fsLength,
  largeFrom: 32 * 1024,
  pruneTo: 256 * 1024,
  statsEvery: 20,
  pause: () => new Promise((resolve) => setImmediate(resolve)),
  stopping: () => stopping,
  print,
  counters,
});
print(`done ${JSON.stringify(counters)}`);
process.exit(0);
