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
import { FsAdapter } from "../../src/adapters/fs.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import { fsLength, xorshift } from "./workload.ts";
import { churnUntilStopped } from "./node_child.ts";

const [directory, writerText, seedText, keysText] = process.argv.slice(2);
const writer = Number(writerText);
const keys = Number(keysText);
const random = xorshift(Number(seedText));
const cache = new TaskCache(new FsAdapter({ directory: directory! }), { maxSize: 24 * 1024 ** 2 });

await churnUntilStopped({
  cache,
  writer,
  keys,
  random,
  lengthOf: fsLength,
  largeFrom: 64 * 1024,
  pruneTo: 256 * 1024,
  statsEvery: 20,
  // Let stdin and timers in: most operations complete synchronously.
  pause: () => new Promise((resolve) => setImmediate(resolve)),
});
