/**
 * The page of parts 3 and 4 in each browser engine (bundled and served by
 * test/browser/harness.ts):
 *
 * - `mixedTab`: the mixed workload (test/faults/browser_support.ts) in this page and in
 *   dedicated workers it starts, all at once on one database;
 * - `startStorm`: large sets in flight from this page and (unless told not to) a worker, until
 *   the tab is closed;
 *   `stormSeen` counts the sets begun, ended and failed so far (the harness polls it);
 * - `pageErrors`: the page's uncaught errors and unhandled rejections so far;
 * - `verify`: in a fresh tab, every key reads as a miss or an exact stamped value, the
 *   `entries` and `meta` stores agree, the listing works, a set and get round-trip;
 * - `damageIdb`: part 4's IndexedDB damage (raw puts of random bytes and values).
 *
 * @module
 */
import { SEAL_BYTES } from "../../src/internal/checksum.ts";
import { IndexedDbAdapter } from "../../src/adapters/indexeddb.ts";
import { calculateCacheKey } from "../../src/keys/key.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import { Random } from "../support/arbitrary.ts";
import { DATABASE, runWriter, storm, type WriterReport } from "./browser_support.ts";
import {
  DAMAGE_SIZES,
  damageEntries,
  describe,
  judgeEntries,
  judgeRead,
  randomBytes,
  randomLength,
  randomValue,
} from "./damage_support.ts";
import {
  browserLength,
  bump,
  type Counters,
  inputsFor,
  MiB,
  outputsFor,
  outputsProblem,
  TASK,
  VERSION,
  ViolationLog,
} from "./workload.ts";

function startWorker(): Worker {
  return new Worker("/faults_worker.js", { type: "module" });
}

/** The mixed workload as `writer` here and as each of `workerWriters` in a worker of its own. */
async function mixedTab(options: {
  writer: number;
  workerWriters: number[];
  ops: number;
  keys: number;
  seed: number;
}): Promise<WriterReport[]> {
  const { writer, workerWriters, ops, keys, seed } = options;
  const inWorkers = workerWriters.map((workerWriter, i) =>
    new Promise<WriterReport>((resolve, reject) => {
      const worker = startWorker();
      worker.onmessage = (event: MessageEvent<WriterReport>) => {
        worker.terminate();
        resolve(event.data);
      };
      worker.onerror = (event) => reject(new Error(`worker ${workerWriter}: ${event.message}`));
      worker.postMessage({ run: "writer", writer: workerWriter, ops, keys, seed: seed + 1 + i });
    })
  );
  return await Promise.all([runWriter(writer, ops, keys, seed), ...inWorkers]);
}

/** What the storm has done so far, and the errors of its failed sets. */
const stormSeen = { begin: 0, end: 0, error: 0, errors: [] as string[] };

/** Large sets in flight from this page (`parallel` at once) and from a worker, until closed. */
function startStorm(options: {
  writer: number;
  workerWriter: number;
  keys: number;
  seed: number;
  worker: boolean;
}): string {
  const { writer, workerWriter, keys, seed } = options;
  const progress = (source: string) => (event: "begin" | "end" | "error", detail?: string) => {
    stormSeen[event]++;
    if (event === "error") stormSeen.errors.push(`${source}: ${detail}`);
  };
  storm(writer, keys, seed, 3, progress("page"));
  if (!options.worker) return "started";
  const worker = startWorker();
  worker.onmessage = (
    event: MessageEvent<{ event: "begin" | "end" | "error"; detail?: string }>,
  ) => progress("worker")(event.data.event, event.data.detail);
  worker.postMessage({ run: "storm", writer: workerWriter, keys, seed: seed + 1 });
  return "started";
}

const uncaught: string[] = [];
addEventListener("error", (event) => uncaught.push(`${event.message}`));
addEventListener("unhandledrejection", (event) => uncaught.push(`${event.reason}`));

/** Opens `name` at its current version without the adapter (for raw reads and puts). */
function openRaw(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error(`opening ${name} is blocked`));
  });
}

function requestOf<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Every record of a store, by key. */
async function readStore(db: IDBDatabase, store: string): Promise<Map<string, unknown>> {
  const transaction = db.transaction(store, "readonly");
  const [keys, values] = await Promise.all([
    requestOf(transaction.objectStore(store).getAllKeys()),
    requestOf(transaction.objectStore(store).getAll()),
  ]);
  return new Map(keys.map((key, i) => [String(key), values[i]]));
}

/** Puts (or, for `undefined`, deletes) records, in one transaction. */
async function writeRaw(
  db: IDBDatabase,
  store: string,
  records: [string, unknown][],
): Promise<void> {
  const transaction = db.transaction(store, "readwrite");
  for (const [key, value] of records) {
    if (value === undefined) transaction.objectStore(store).delete(key);
    else transaction.objectStore(store).put(value, key);
  }
  await new Promise<void>((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error("aborted"));
  });
}

/** The writer of the round trip that ends each check (its value may be read by the next). */
const CHECK_WRITER = 777_777;

/** What a fresh tab finds: every key a miss or exact; the stores agree; the cache works. */
async function verify(options: { keys: number; writers: number[] }) {
  // An earlier check's round trip is a writer too: a key no writer touched since still holds it.
  const known = new Set([...options.writers, CHECK_WRITER]);
  const cache = new TaskCache(new IndexedDbAdapter({ databaseName: DATABASE }), {
    maxSize: Infinity,
  });
  const problems: string[] = [];
  let hits = 0;
  for (let key = 0; key < options.keys; key++) {
    try {
      const map = await cache.get(TASK, VERSION, inputsFor(key));
      if (map === undefined) continue;
      hits++;
      const problem = outputsProblem(map, key, browserLength, (writer) => known.has(writer));
      if (problem !== undefined) problems.push(`key ${key}: ${problem}`);
    } catch (error) {
      problems.push(`key ${key}: get threw ${describe(error)}`);
    }
  }
  const db = await openRaw(DATABASE);
  const records = await readStore(db, "entries");
  const metas = await readStore(db, "meta");
  db.close();
  for (const [key, value] of records) {
    const meta = metas.get(key) as { s?: unknown } | undefined;
    // A record is the value and its seal.
    const size = value instanceof Uint8Array ? value.byteLength - SEAL_BYTES : -1;
    if (meta === undefined) problems.push(`a record without metadata: ${key}`);
    else if (meta.s !== size) {
      problems.push(`${key}: metadata says ${meta.s} bytes, record ${size}`);
    }
  }
  for (const key of metas.keys()) {
    if (!records.has(key)) problems.push(`metadata without a record: ${key}`);
  }
  const listing = await judgeEntries(cache);
  if (listing !== undefined) problems.push(listing);
  const outputs = outputsFor(0, CHECK_WRITER, 0, browserLength);
  try {
    await cache.set(TASK, VERSION, inputsFor(0), [], outputs);
    const back = await cache.get(TASK, VERSION, inputsFor(0));
    if (back === undefined || outputsProblem(back, 0, browserLength) !== undefined) {
      problems.push("a set and get in the fresh tab did not give the value back");
    }
  } catch (error) {
    problems.push(`the round trip threw ${describe(error)}`);
  }
  await cache.close();
  return { hits, records: records.size, problems };
}

const DAMAGE_KINDS = [
  "record-bytes",
  "record-buffer",
  "record-value",
  "record-foreign",
  "record-empty",
  "meta-value",
  "meta-delete",
];

/** Part 4 in IndexedDB: raw puts of random bytes and values over stored entries. */
async function damageIdb(options: { seed: number; budgetMs: number }) {
  const name = "faults-damage";
  const random = new Random(options.seed);
  const until = Date.now() + options.budgetMs;
  const counters: Counters = {};
  const log = new ViolationLog();
  const violation = log.add;
  const cache = new TaskCache(new IndexedDbAdapter({ databaseName: name }), { maxSize: Infinity });
  const aged = new TaskCache(new IndexedDbAdapter({ databaseName: name }), {
    maxSize: Infinity,
    maxAge: 86_400_000,
  });
  const entries = damageEntries([...DAMAGE_SIZES, MiB + 5]);
  for (const entry of entries) {
    await cache.set(entry.taskName, entry.version, entry.inputs, [], entry.outputs);
  }
  const keys = entries.map((entry) =>
    calculateCacheKey(entry.taskName, entry.version, entry.inputs)
  );
  const db = await openRaw(name);
  const records = await readStore(db, "entries");
  const metas = await readStore(db, "meta");
  let rounds = 0;
  while (Date.now() < until) {
    rounds++;
    const index = random.below(entries.length);
    const entry = entries[index]!;
    const key = keys[index]!;
    const kind = random.pick(DAMAGE_KINDS);
    let what: string;
    const original = records.get(key) as Uint8Array;
    switch (kind) {
      case "record-bytes": {
        const bytes = randomBytes(random, randomLength(random, Math.min(original.length, 4096)));
        await writeRaw(db, "entries", [[key, bytes]]);
        what = `record replaced with ${bytes.length} random bytes`;
        break;
      }
      case "record-buffer": {
        const bytes = randomBytes(random, randomLength(random, 64));
        await writeRaw(db, "entries", [[key, bytes.buffer]]);
        what = `record replaced with an ArrayBuffer of ${bytes.length} random bytes`;
        break;
      }
      case "record-value": {
        const value = randomValue(random);
        await writeRaw(db, "entries", [[key, value]]);
        what = `record replaced with a ${typeof value} ${
          value instanceof Uint8Array ? `of ${value.length} bytes` : ""
        }`;
        break;
      }
      case "record-foreign": {
        const other = keys[(index + 1 + random.below(keys.length - 1)) % keys.length]!;
        await writeRaw(db, "entries", [[key, records.get(other)]]);
        what = "record replaced with another entry's record";
        break;
      }
      case "record-empty":
        await writeRaw(db, "entries", [[key, new Uint8Array(0)]]);
        what = "record replaced with 0 bytes";
        break;
      case "meta-value": {
        const value = randomValue(random, [metas.get(key) as Record<string, unknown>]);
        await writeRaw(db, "meta", [[key, value]]);
        what = `metadata replaced with a ${typeof value}`;
        break;
      }
      default:
        await writeRaw(db, "meta", [[key, undefined]]);
        what = "metadata deleted";
    }
    bump(counters, `fault.idb-${kind}`);
    for (const [label, reader] of [["cache", cache], ["cache with maxAge", aged]] as const) {
      bump(counters, "op.get");
      const judged = await judgeRead(reader, entry);
      if ("problem" in judged) {
        violation(
          "idb-wrong-read",
          `${what}, ${entry.bytes.length}-byte entry, ${label}: ${judged.problem}`,
        );
      } else bump(counters, `result.idb-${judged.outcome}`);
      if (kind.startsWith("meta") || random.chance(0.2)) {
        bump(counters, "op.entries");
        const problem = await judgeEntries(reader);
        if (problem !== undefined) violation("idb-listing", `${what}: ${problem}`);
      }
    }
    await writeRaw(db, "entries", [[key, records.get(key)]]);
    await writeRaw(db, "meta", [[key, metas.get(key)]]);
  }
  bump(counters, "fault.idb-rounds", rounds);
  db.close();
  for (const entry of entries) {
    const judged = await judgeRead(cache, entry);
    if (!("outcome" in judged) || judged.outcome !== "exact") {
      violation("idb-wrong-read", `a restored entry does not read back: ${JSON.stringify(judged)}`);
    }
  }
  await cache.close();
  await aged.close();
  return { counters, violations: log.report() };
}

Object.assign(globalThis, {
  mixedTab,
  startStorm,
  stormSeen: () => stormSeen,
  pageErrors: () => uncaught,
  verify,
  damageIdb,
  ready: true,
});
