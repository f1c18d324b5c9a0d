/// <reference lib="deno.ns" />
/**
 * A three-task pipeline in Deno (tokenize -> count -> top words), each task cached with
 * `cachedTask`, run twice: the first run computes, the second comes from the cache. With
 * `--unstable-kv` the cache is Deno KV (`cache.kv` in the directory), without it files:
 *
 *   npx deno run --unstable-kv --allow-read --allow-write --allow-env examples/deno/pipeline.ts
 *
 * The cache directory is the per-user cache directory (`~/.cache/local-task-cache` on Linux,
 * or `LOCAL_TASK_CACHE_DIR`), or the first argument; not a fixed path of the shared temporary
 * directory, where another user could plant results. Run it again: both runs hit.
 */
import { defaultCacheDirectory } from "../../src/adapters/fs.ts";
import { cachedTask, LocalTaskCache, t } from "../../src/mod.ts";

const directory = Deno.args[0] ?? defaultCacheDirectory();
await LocalTaskCache.initialize({ directory });
const cache = await LocalTaskCache.taskCache();
const outcomes: string[] = [];
cache.on("hit", (event) => outcomes.push(`${event.taskName}: hit`));
cache.on("miss", (event) => outcomes.push(`${event.taskName}: miss`));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Task 1: split a text into lowercase words (slow on purpose). */
const tokenize = cachedTask({
  name: "examples.deno.tokenize",
  version: "1",
  inputs: { text: t.string },
  outputs: t.list(t.string),
}, async ({ text }) => {
  await sleep(600);
  return text.toLowerCase().match(/\p{L}+/gu) ?? [];
});

/** Task 2: how often each word occurs: a typed map of integers. */
const count = cachedTask({
  name: "examples.deno.count",
  version: "1",
  inputs: { words: t.list(t.string) },
  outputs: t.map(t.int),
}, async ({ words }) => {
  await sleep(300);
  const counts: Record<string, number> = {};
  for (const word of words) counts[word] = (counts[word] ?? 0) + 1;
  return counts;
});

/** Task 3: the most frequent words, with the options as an untyped (MessagePack) object. */
const top = cachedTask({
  name: "examples.deno.top",
  version: "1",
  inputs: { counts: t.map(t.int), options: t.msgpack },
  outputs: { words: t.list(t.string), distinct: t.int },
}, async ({ counts, options }) => {
  await sleep(300);
  const { n } = options as { n: number };
  const words = Object.keys(counts).sort((a, b) => counts[b]! - counts[a]! || (a < b ? -1 : 1));
  return { words: words.slice(0, n), distinct: words.length };
});

const text = "It was the best of times, it was the worst of times, it was the age of wisdom, " +
  "it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity";

for (const run of ["first", "second"]) {
  outcomes.length = 0;
  const started = performance.now();
  const counts = await count({ words: await tokenize({ text }) });
  const result = await top({ counts, options: { n: 3 } });
  console.log(
    `${run} run: ${(performance.now() - started).toFixed(1)} ms (${outcomes.join(", ")})`,
  );
  console.log(`  top words: ${result.words.join(", ")} (of ${result.distinct})`);
}
const stats = await cache.stats();
console.log(`cache in ${directory}: ${stats.entries} entries, ${stats.bytes} bytes`);
await LocalTaskCache.close();
