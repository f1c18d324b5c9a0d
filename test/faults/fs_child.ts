/**
 * A Node process of part 1 (test/faults/fs_multi.ts): a random mix of TaskCache operations on
 * one FsAdapter directory shared with other processes, until told to stop (or killed).
 *
 * `node --import tsx test/faults/fs_child.ts <directory> <writer> <seed> <keys>`
 *
 * Prints the line protocol of test/faults/churn.ts (one line each, written synchronously: a
 * killed process loses nothing it printed): `ready`; `begin` and `end` around sets of over
 * 64 KiB; `stats <json counters>` every 20 operations; `problem <text>` for a read that is not
 * exactly a value written for its key (or a task result that is not the task's); `error <text>`
 * for an operation that threw; `done <json counters>` after `stop` arrives on stdin.
 */
import { calculateCacheKey } from "../../src/key.ts";
import { FsAdapter } from "../../src/adapters/fs.ts";
import { cachedTask } from "../../src/task.ts";
import { TaskCache } from "../../src/task_cache.ts";
import { t } from "../../src/values.ts";
import {
  bump,
  type Counters,
  fsLength,
  inputsFor,
  outputsFor,
  outputsProblem,
  TASK,
  taskResult,
  VERSION,
  xorshift,
} from "./workload.ts";

const [directory, writerText, seedText, keysText] = process.argv.slice(2);
const writer = Number(writerText);
const keys = Number(keysText);
const random = xorshift(Number(seedText));
const cache = new TaskCache(new FsAdapter({ directory: directory! }), { maxSize: 24 * 1024 ** 2 });

const counters: Counters = {};
const print = (line: string) => process.stdout.write(`${line}\n`);
let stopping = false;
process.stdin.setEncoding("utf8").on("data", (text: string) => {
  if (text.includes("stop")) stopping = true;
});

const task = cachedTask({
  name: "faults.task",
  version: "1",
  inputs: { n: t.int },
  outputs: t.string,
  cache,
  leaseMs: 1000,
}, async ({ n }) => {
  bump(counters, "task.runs");
  await new Promise((resolve) => setTimeout(resolve, 10 + Math.floor(random() * 60)));
  return taskResult(n);
});

print("ready");
for (let seq = 0; !stopping; seq++) {
  // Let stdin and timers in: most operations complete synchronously.
  await new Promise((resolve) => setImmediate(resolve));
  const key = Math.floor(random() * keys);
  const choice = random();
  let kind = "";
  try {
    if (choice < 0.47) {
      kind = "get";
      const stored = await cache.get(TASK, VERSION, inputsFor(key));
      if (stored !== undefined) {
        bump(counters, "op.hit");
        const problem = outputsProblem(stored, key, fsLength);
        if (problem !== undefined) {
          print(`problem writer ${writer} op ${seq} key ${key}: ${problem}`);
        }
      }
    } else if (choice < 0.86) {
      kind = "set";
      // Large sets say when they start and end: the parent tells a kill mid-write.
      const large = fsLength(writer, seq) > 64 * 1024;
      const outputs = outputsFor(key, writer, seq, fsLength);
      if (large) print("begin");
      await cache.set(TASK, VERSION, inputsFor(key), [], outputs);
      if (large) print("end");
    } else if (choice < 0.93) {
      kind = "delete";
      await cache.adapter.delete(calculateCacheKey(TASK, VERSION, inputsFor(key)));
    } else if (choice < 0.955) {
      kind = "prune";
      await cache.prune({ maxSize: 256 * 1024 });
    } else if (choice < 0.96) {
      kind = "clear";
      await cache.clear();
    } else if (choice < 0.965) {
      kind = "deleteEntries";
      await cache.deleteEntries({ taskName: "faults.task" });
    } else {
      kind = "task";
      const n = key % 4;
      const result = await task({ n });
      if (result !== taskResult(n)) {
        print(`problem writer ${writer} op ${seq}: task(${n}) returned ${result.slice(0, 40)}`);
      }
    }
    bump(counters, `op.${kind}`);
  } catch (error) {
    bump(counters, "errors");
    print(`error writer ${writer} op ${seq} ${kind}: ${String(error).split("\n")[0]}`);
  }
  if (seq % 20 === 19) print(`stats ${JSON.stringify(counters)}`);
}
print(`done ${JSON.stringify(counters)}`);
process.exit(0);
