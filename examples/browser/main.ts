/**
 * The example notebook's code: one cell, a cached task that counts primes (stored in IndexedDB,
 * the browser default of LocalTaskCache), and a panel listing the stored entries with their
 * task, version, size and last read, with a clear button.
 */
import { cachedTask, type CacheEvent, LocalTaskCache, t } from "../../src/mod.ts";

/** The slow cell, as a cached task: a sieve, on purpose. */
const primesBelow = cachedTask({
  name: "notebook.primes_below",
  version: "1",
  inputs: { n: t.int },
  outputs: t.int,
}, ({ n }) => {
  const composite = new Uint8Array(n);
  let count = 0;
  for (let i = 2; i < n; i++) {
    if (composite[i]) continue;
    count++;
    for (let j = i * i; j < n; j += i) composite[j] = 1;
  }
  return count;
});

const $ = (id: string) => document.getElementById(id)!;
const cache = await LocalTaskCache.taskCache();
let lastLookup: CacheEvent["type"] = "miss";
cache.on("hit", () => void (lastLookup = "hit"));
cache.on("miss", () => void (lastLookup = "miss"));

async function listEntries() {
  const entries = await cache.entries();
  $("entries").replaceChildren(
    ...(entries.length === 0
      ? ["(none)"]
      : entries.map((entry) =>
        `${entry.key} (${entry.taskName} v${entry.cacheVersion}, ${entry.size} B, read ${
          new Date(entry.lastReadAt).toLocaleTimeString()
        })`
      )).map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }),
  );
}

async function runCell() {
  const n = Number(($("n") as HTMLInputElement).value);
  const started = performance.now();
  const result = await primesBelow({ n });
  const ms = performance.now() - started;
  const outcome = lastLookup;
  const line = document.createElement("div");
  line.innerHTML = `<span class="${outcome}">${outcome}</span> in ${
    ms.toFixed(1)
  } ms: ${result} primes below ${n}`;
  line.dataset.outcome = outcome;
  $("log").append(line);
  await listEntries();
}

$("run").addEventListener("click", () => void runCell());
$("clear").addEventListener("click", async () => {
  await LocalTaskCache.clear();
  await listEntries();
});
await listEntries();
document.body.dataset.ready = "true";
