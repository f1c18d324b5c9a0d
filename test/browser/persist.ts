/** A page for the persistence and two-page tests: LocalTaskCache and a shared-key workload. */
import { IndexedDbAdapter } from "../../src/adapters/indexeddb.ts";
import { LocalTaskCache } from "../../src/core/local_task_cache.ts";
import { cachedTask } from "../../src/core/task.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import { t } from "../../src/values/values.ts";
import { integer, literalMap, string } from "../support/literals.ts";
import { mixedWorkload } from "../support/stamped.ts";

const inputs = literalMap({ n: integer(42n) });
const length = (writer: number, seq: number) => 16 + ((writer * 7919 + seq * 104729) % 200_000);

async function persist(action: string): Promise<string> {
  if (action === "set") {
    await LocalTaskCache.set("persist.task", "1", inputs, [], literalMap({ o: string("kept") }));
    return "stored";
  }
  return (await LocalTaskCache.get("persist.task", "1", inputs, [])) === undefined ? "miss" : "hit";
}

/** 300 random gets and sets of 5 keys shared with another page, checking every read. */
async function mixed(writer: number) {
  const adapter = new IndexedDbAdapter({ databaseName: "two-pages" });
  const report = await mixedWorkload(adapter, {
    writer,
    ops: 300,
    keys: 5,
    seed: writer * 7919,
    lengthOf: length,
  });
  await adapter.close();
  return report;
}

/**
 * A slow cached task shared by the pages of the origin: its runs are counted in localStorage,
 * which every page sees; returns how many runs there were and the result.
 */
async function flight(): Promise<string> {
  const task = cachedTask({
    name: "pages.flight",
    version: "1",
    inputs: {},
    outputs: t.int,
    cache: new TaskCache(new IndexedDbAdapter({ databaseName: "flight" })),
  }, async () => {
    localStorage.setItem("runs", String(Number(localStorage.getItem("runs") ?? 0) + 1));
    await new Promise((resolve) => setTimeout(resolve, 500));
    return 42;
  });
  const result = await task({});
  return `ran ${localStorage.getItem("runs")} time: ${result}`;
}

Object.assign(globalThis, { persist, mixed, flight, ready: true });

/** For the upgrade test: an adapter kept open in this page, and a raw upgrade from another. */
let kept: IndexedDbAdapter | undefined;
async function keepOpen(name: string): Promise<string> {
  kept = new IndexedDbAdapter({ databaseName: name });
  await kept.set("k", Uint8Array.of(1, 2, 3));
  return "open";
}
async function keptGet(): Promise<number[] | undefined> {
  const value = await kept!.get("k");
  return value && [...value];
}
function rawUpgrade(name: string, version: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => request.result.createObjectStore(`added-in-${version}`);
    request.onblocked = () => resolve("blocked");
    request.onsuccess = () => {
      request.result.close();
      resolve(`upgraded to ${request.result.version}`);
    };
    request.onerror = () => reject(request.error);
  });
}

/** For the quota test: sets that must fail with NO_SPACE, and what is left afterwards. */
async function quota(name: string): Promise<string[]> {
  const adapter = new IndexedDbAdapter({ databaseName: name });
  const seen: string[] = [];
  await adapter.set("small", Uint8Array.of(7));
  try {
    // Random bytes: Chromium compresses what it stores, so a run of ones would fit anywhere.
    const huge = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < huge.length; i += 65536) {
      crypto.getRandomValues(huge.subarray(i, i + 65536));
    }
    await adapter.set("huge", huge);
    seen.push("stored");
  } catch (error) {
    seen.push(`${(error as { name?: string }).name}:${(error as { code?: string }).code}`);
  }
  const small = await adapter.get("small");
  seen.push(
    `small=${small ? [...small].join() : "gone"}`,
    `huge=${await adapter.get("huge") ? "there" : "absent"}`,
  );
  await adapter.close();
  return seen;
}

Object.assign(globalThis, { keepOpen, keptGet, rawUpgrade, quota });
