/// <reference lib="deno.ns" />
/// <reference lib="deno.unstable" />
/**
 * The Deno processes of part 2 (test/faults/kv_multi.ts), on one Deno KV file.
 *
 * `deno run -A --unstable-kv test/faults/deno/kv_child.ts work <kv file> <writer> <seed> <keys>`:
 * a random mix of TaskCache get, set (inline and chunked values up to 1.1 MiB), delete, prune
 * (a small maxSize), clear and a cachedTask with single flight, until `stop` arrives on stdin
 * (or it is killed); the line protocol of test/faults/churn.ts.
 *
 * `deno run -A --unstable-kv test/faults/deno/kv_child.ts check <kv file> <writers> <keys>`: after
 * the run, checks what is left and prints one JSON line `{ counters, violations }`:
 * every value a miss or exact (of a writer in the comma-separated `writers`); heads and their
 * metadata paired, no read time without its head, every head's chunks complete; chunks no head
 * points at (of killed writers) counted, then gone after the next write of their key; nothing
 * under the prefix after a clear; a set and get round-trip; and a set landing in the middle of
 * a clear (made to, through a KV that runs it there) leaves its entry whole or gone.
 */
import { DenoKvAdapter } from "../../../src/adapters/deno_kv.ts";
import { TaskCache } from "../../../src/core/task_cache.ts";
import {
  bump,
  churn,
  type Counters,
  inputsFor,
  kvLength,
  outputsFor,
  outputsProblem,
  TASK,
  VERSION,
  xorshift,
} from "../workload.ts";

const PREFIX = "local-task-cache";
const encoder = new TextEncoder();
const print = (line: string) => Deno.stdout.writeSync(encoder.encode(`${line}\n`));
const [mode, path, ...rest] = Deno.args;

async function work(writer: number, seed: number, keys: number): Promise<void> {
  const random = xorshift(seed);
  const cache = new TaskCache(new DenoKvAdapter({ path: path! }), { maxSize: 16 * 1024 ** 2 });
  const counters: Counters = {};
  let stopping = false;
  (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of Deno.stdin.readable) {
      if (decoder.decode(chunk).includes("stop")) stopping = true;
    }
    stopping = true;
  })();
  print("ready");
  await churn({
    cache,
    writer,
    keys,
    random,
    lengthOf: kvLength,
    largeFrom: 60 * 1024,
    pruneTo: 512 * 1024,
    statsEvery: 10,
    pause: () => new Promise((resolve) => setTimeout(resolve, 0)),
    stopping: () => stopping,
    print,
    counters,
  });
  await cache.close();
  print(`done ${JSON.stringify(counters)}`);
  Deno.exit(0);
}

interface Layout {
  heads: Map<string, { key: Deno.KvKey; value: unknown }>;
  metas: Set<string>;
  reads: Set<string>;
  leases: number;
  /** Chunk indices by id, then generation. */
  chunks: Map<string, Map<string, number[]>>;
  total: number;
}

const idText = (key: Deno.KvKey) => JSON.stringify(key.slice(2, 4));

async function layout(kv: Deno.Kv): Promise<Layout> {
  const found: Layout = {
    heads: new Map(),
    metas: new Set(),
    reads: new Set(),
    leases: 0,
    chunks: new Map(),
    total: 0,
  };
  for await (const record of kv.list({ prefix: [PREFIX] })) {
    // The clear epoch (`[prefix, "e"]`) and the running total of the values' sizes (`"u"`,
    // `"us"`) are bookkeeping that stays: not an entry's records.
    if (record.key.length === 2 && ["e", "u", "us"].includes(String(record.key[1]))) continue;
    found.total++;
    const id = idText(record.key);
    switch (record.key[1]) {
      case "h":
        found.heads.set(id, { key: record.key, value: record.value });
        break;
      case "m":
        found.metas.add(id);
        break;
      case "r":
        found.reads.add(id);
        break;
      case "l":
        found.leases++;
        break;
      case "c": {
        const generation = String(record.key[4]);
        if (!found.chunks.has(id)) found.chunks.set(id, new Map());
        const generations = found.chunks.get(id)!;
        if (!generations.has(generation)) generations.set(generation, []);
        generations.get(generation)!.push(Number(record.key[5]));
        break;
      }
    }
  }
  return found;
}

/** Chunk generations no head points at, by id. */
function orphans(found: Layout): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const [id, generations] of found.chunks) {
    const head = found.heads.get(id)?.value as { g?: unknown } | undefined;
    const live = typeof head === "object" && head !== null && !(head instanceof Uint8Array)
      ? head.g
      : undefined;
    const dead = [...generations.keys()].filter((generation) => generation !== live);
    if (dead.length > 0) result.set(id, dead);
  }
  return result;
}

async function check(writers: number[], keys: number): Promise<void> {
  const known = new Set(writers);
  const counters: Counters = {};
  const violations: { kind: string; detail: string }[] = [];
  const violation = (kind: string, detail: string) => violations.push({ kind, detail });
  const kv = await Deno.openKv(path!);
  const cache = new TaskCache(new DenoKvAdapter({ kv }), { maxSize: Infinity });

  for (let key = 0; key < keys; key++) {
    try {
      const stored = await cache.get(TASK, VERSION, inputsFor(key));
      if (stored === undefined) continue;
      bump(counters, "check.values-left");
      const problem = outputsProblem(stored, key, kvLength, (writer) => known.has(writer));
      if (problem !== undefined) violation("inexact-read", `after the run, key ${key}: ${problem}`);
    } catch (error) {
      violation("operation-threw", `after the run, key ${key}: ${String(error)}`);
    }
  }

  const found = await layout(kv);
  bump(counters, "check.records", found.total);
  bump(counters, "check.leases-left", found.leases);
  for (const id of found.heads.keys()) {
    if (!found.metas.has(id)) violation("kv-layout", `a head without metadata: ${id}`);
  }
  for (const id of found.metas) {
    if (!found.heads.has(id)) violation("kv-layout", `metadata without a head: ${id}`);
  }
  for (const id of found.reads) {
    if (!found.heads.has(id)) violation("kv-layout", `a read time without a head: ${id}`);
  }
  for (const [id, head] of found.heads) {
    const value = head.value as { g?: string; n?: number };
    if (value instanceof Uint8Array || value.g === undefined) continue;
    const indices = found.chunks.get(id)?.get(value.g) ?? [];
    if (indices.length !== value.n || indices.some((index, i) => index !== i)) {
      violation("kv-layout", `${id}: the head's ${value.n} chunks, ${indices.length} found`);
    }
  }
  const dead = orphans(found);
  let deadChunks = 0;
  for (const [id, generations] of dead) {
    for (const generation of generations) {
      deadChunks += found.chunks.get(id)!.get(generation)!.length;
    }
  }
  bump(counters, "check.orphaned-generations", [...dead.values()].flat().length);
  bump(counters, "check.orphaned-chunks", deadChunks);

  // The next write of each key with orphaned chunks removes them.
  for (const id of dead.keys()) {
    const [kind, key] = JSON.parse(id) as [string, string];
    if (kind !== "k") {
      violation("kv-layout", `orphaned chunks under a hashed id ${id}: no key to write`);
      continue;
    }
    await cache.adapter.set(key, new Uint8Array(10), { taskName: "next-write", cacheVersion: "1" });
    bump(counters, "check.next-writes");
  }
  const after = orphans(await layout(kv));
  if (after.size > 0) {
    violation("kv-orphans", `chunks left after the next write: ${[...after.keys()].join(", ")}`);
  }

  await cache.clear();
  const cleared = await layout(kv);
  if (cleared.total > 0) {
    violation("kv-orphans", `${cleared.total} records under the prefix after clear`);
  }
  const outputs = outputsFor(0, 999_999, 3, kvLength);
  await cache.set(TASK, VERSION, inputsFor(0), [], outputs);
  const back = await cache.get(TASK, VERSION, inputsFor(0));
  if (back === undefined || outputsProblem(back, 0, kvLength) !== undefined) {
    violation("round-trip", "a set and get after the run did not give the value back");
  }
  await cache.close();
  kv.close();
  await clearRace(counters, violation);
  print(JSON.stringify({ counters, violations }));
}

/**
 * A set by another writer that lands while `clear()` is under way (between its passes over the
 * heads, metadata, read times, chunks and leases, made to happen there by a KV that runs the
 * set when `clear` comes to list a part): afterwards the entry must be whole (read back and
 * listed) or gone, not half of it.
 */
async function clearRace(
  counters: Counters,
  violation: (kind: string, detail: string) => void,
): Promise<void> {
  for (const part of ["m", "r", "c", "l"]) {
    for (const size of [100, 100_000]) {
      bump(counters, "check.clear-races");
      const kv = await Deno.openKv(":memory:");
      const other = new DenoKvAdapter({ kv });
      let injected = false;
      const clearing = new DenoKvAdapter({
        kv: new Proxy(kv, {
          get(target, name) {
            if (name !== "list") {
              const value = Reflect.get(target, name);
              return typeof value === "function" ? value.bind(target) : value;
            }
            return (selector: { prefix: Deno.KvKey }, options?: Deno.KvListOptions) =>
              (async function* () {
                if (selector.prefix[1] === part && !injected) {
                  injected = true;
                  await other.set("y", new Uint8Array(size).fill(7), {
                    taskName: "t",
                    cacheVersion: "1",
                  });
                }
                yield* target.list(selector, options);
              })();
          },
        }) as unknown as Deno.Kv,
      });
      await clearing.clear();
      const records: string[] = [];
      for await (const record of kv.list({ prefix: [PREFIX] })) records.push(String(record.key[1]));
      const listed: string[] = [];
      for await (const entry of other.entries()) listed.push(entry.key);
      const value = await other.get("y");
      const whole = value?.length === size && listed.includes("y");
      if (!(records.length === 0 || whole)) {
        violation(
          "kv-clear-race",
          `a ${size}-byte set landing while clear() is at "${part}": records left ` +
            `[${records.join(",")}], get ${
              value === undefined ? "misses" : `${value.length} bytes`
            }, ` +
            `entries() ${listed.includes("y") ? "lists it" : "does not list it"}`,
        );
      }
      kv.close();
    }
  }
}

if (mode === "work") await work(Number(rest[0]), Number(rest[1]), Number(rest[2]));
else if (mode === "check") await check(rest[0]!.split(",").map(Number), Number(rest[1]));
else throw new Error(`kv_child: unknown mode ${mode}`);
