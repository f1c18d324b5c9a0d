/**
 * A three-task pipeline (load -> clean -> summarize), each task cached with `cachedTask`, run
 * twice: the first run computes every task, the second gets every result from the cache. Run it
 * with `npm run demo`; run it again and both runs hit, since the cache is on disk.
 *
 * The cache is in the per-user cache directory, as for any program (`~/.cache/local-task-cache`
 * on Linux, or `LOCAL_TASK_CACHE_DIR`), or in the directory given as the first argument; not in
 * a fixed path of the shared temporary directory, where another user could plant results.
 * Inspect it with `npm run cli -- list` (`--dir <directory>` for another one).
 */
import process from "node:process";
import { cachedTask, LocalTaskCache, t } from "local-task-cache";
import { defaultCacheDirectory } from "local-task-cache/adapters/fs";

const directory = process.argv[2] ?? defaultCacheDirectory();
await LocalTaskCache.initialize({ directory });
const cache = await LocalTaskCache.taskCache();
const outcomes: string[] = [];
cache.on("hit", (event) => outcomes.push(`${event.taskName}: hit`));
cache.on("miss", (event) => outcomes.push(`${event.taskName}: miss`));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Task 1: "download" a table of readings (slow, like a real download). */
const load = cachedTask({
  name: "examples.pipeline.load",
  version: "1",
  inputs: { source: t.string, rows: t.int },
  outputs: t.list(t.float),
}, async ({ source, rows }) => {
  await sleep(800);
  let seed = [...source].reduce((sum, c) => sum + c.charCodeAt(0), 0);
  return Array.from({ length: rows }, () => {
    seed = (seed * 16807) % 2147483647;
    return seed % 1000 === 0 ? Number.NaN : (seed % 10_000) / 100;
  });
});

/** Task 2: drop missing readings and readings above a limit; `run_id` is not part of the key. */
const clean = cachedTask({
  name: "examples.pipeline.clean",
  version: "1",
  inputs: { readings: t.list(t.float), limit: t.float, run_id: t.string },
  outputs: { kept: t.list(t.float), dropped: t.int },
  ignoreInputs: ["run_id"],
}, async ({ readings, limit }) => {
  await sleep(400);
  const kept = readings.filter((x) => !Number.isNaN(x) && x <= limit);
  return { kept, dropped: readings.length - kept.length };
});

/** Task 3: summary statistics, and the settings they were made with (an untyped object). */
const summarize = cachedTask({
  name: "examples.pipeline.summarize",
  version: "1",
  inputs: { values: t.list(t.float), settings: t.msgpack },
  outputs: { mean: t.float, max: t.float, count: t.int, at: t.datetime },
}, async ({ values }) => {
  await sleep(400);
  return {
    mean: values.reduce((sum, x) => sum + x, 0) / values.length,
    max: Math.max(...values),
    count: values.length,
    at: new Date(),
  };
});

async function pipeline(runId: string) {
  const readings = await load({ source: "sensor-7", rows: 5000 });
  const { kept, dropped } = await clean({ readings, limit: 95, run_id: runId });
  const summary = await summarize({ values: kept, settings: { limit: 95, source: "sensor-7" } });
  return { dropped, ...summary };
}

for (const run of ["first", "second"]) {
  outcomes.length = 0;
  const started = performance.now();
  const result = await pipeline(`${run}-${Date.now()}`);
  const ms = performance.now() - started;
  console.log(`${run} run: ${ms.toFixed(1)} ms (${outcomes.join(", ")})`);
  console.log(
    `  mean ${result.mean.toFixed(3)}, max ${result.max}, ${result.count} kept, ` +
      `${result.dropped} dropped, computed at ${result.at.toISOString()}`,
  );
}
const stats = await cache.stats();
console.log(
  `cache ${directory}: ${stats.entries} entries, ${stats.bytes} bytes; ` +
    `this process: ${stats.hits} hits, ${stats.misses} misses`,
);
console.log(
  `inspect it: npm run cli -- ${process.argv[2] === undefined ? "" : `--dir ${directory} `}list`,
);
await LocalTaskCache.close();
