/**
 * The cache at scale: time per `set` and per `get` through `TaskCache` in caches of 100, 1,000,
 * 10,000 and 100,000 entries of 1 KiB outputs: over `FsAdapter` (a new directory per size) and
 * `MemoryAdapter` (the baseline) in Node, over `DenoKvAdapter` (a new KV file per size) in Deno.
 * Each adapter lives in a process of its own (bench/scale_core.ts answers there), so that
 * one's heap and garbage do not weigh on another's times; this module drives them:
 *
 * 1. Every cache is filled to its size (sequential sets through one long-lived `TaskCache`:
 *    the mean time per set and the slowest set are kept; a recount of the entries, which
 *    `TaskCache` does on its first store and then on a store once 60 s have passed, shows
 *    there), then the written files are flushed (`sync`).
 * 2. The first set of a new `TaskCache` over each cache, as a new process pays it: it lists the
 *    entries to count their size (the 1 GiB default `maxSize`).
 * 3. Rounds in which every size and every adapter take turns (in rotating orders, so that a
 *    change in the machine's load does not favour a size): `BATCH` sets of new entries (new
 *    keys, as after misses), then gets of up to `BATCH` distinct entries picked at random (the
 *    same for every adapter), then the new entries are deleted (untimed), so the size stays
 *    put. The gets of one cache start at least `READ_TIME_RESOLUTION_MS` (+ 50 ms) after its
 *    previous ones started, so every get is the first read of its entry in that time and
 *    updates its read time, at every size (as most hits of a task cache do). Medians of the
 *    rounds.
 *
 *   node --import tsx bench/scale.ts                       (all of it; prints Markdown)
 *   node --import tsx bench/scale.ts --serve fs|memory DIR (one adapter's process)
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { READ_TIME_RESOLUTION_MS } from "../src/adapter.ts";
import { FsAdapter } from "../src/adapters/fs.ts";
import { MemoryAdapter } from "../src/adapters/memory.ts";
import { JsonLinesProcess } from "./python.ts";
import { DENO, type Goal, progress, ROOT, skipped, table } from "./report.ts";
import { type ScalePoint, type ScaleRequest, ScaleServer } from "./scale_core.ts";
import { formatMicros, median, sig3 } from "./stats.ts";

export const SCALE_SIZES = [100, 1_000, 10_000, 100_000];
export const SCALE_ROUNDS = 15;
export const SCALE_BATCH = 200;
/** Flat: the time per op at the slowest size is within this factor of the time at the fastest. */
export const FLAT = 1.5;

export const FS = "TaskCache + FsAdapter (Node)";
export const MEMORY = "TaskCache + MemoryAdapter (Node)";
export const DENO_KV = "TaskCache + DenoKvAdapter (Deno)";

/** adapter -> points, one per size it reached. */
export type ScaleResult = Record<string, ScalePoint[]>;

interface Target {
  name: string;
  /** The largest size it grows to. */
  max: number;
  child: JsonLinesProcess;
  dispose(): Promise<void>;
}

const count = (n: number) => n.toLocaleString("en-US");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startTargets(denoMax: number): Promise<Target[]> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-bench-scale-"));
  const node = (adapter: string) =>
    new JsonLinesProcess(
      process.execPath,
      ["--import", "tsx", `${ROOT}bench/scale.ts`, "--serve", adapter, directory],
      `scale.ts --serve ${adapter}`,
    );
  const targets: Target[] = [FS, MEMORY].map((name) => {
    const child = node(name === FS ? "fs" : "memory");
    return { name, max: Infinity, child, dispose: () => child.close() };
  });
  if (denoMax >= SCALE_SIZES[0]!) {
    const child = new JsonLinesProcess(
      DENO,
      ["run", "-A", "--unstable-kv", `${ROOT}bench/deno.ts`, "--scale-server", directory],
      "deno.ts --scale-server",
      ROOT,
    );
    targets.push({ name: DENO_KV, max: denoMax, child, dispose: () => child.close() });
  }
  const last = targets.at(-1)!;
  const dispose = last.dispose;
  last.dispose = async () => {
    await dispose();
    await rm(directory, { recursive: true, force: true });
  };
  return targets;
}

/** Fills a cache of each size in each adapter, then measures them in turns: name -> points. */
export async function benchScale(denoMax: number): Promise<ScaleResult> {
  const targets = await startTargets(denoMax);
  const ask = (t: Target, request: ScaleRequest) => t.child.ask<Record<string, number>>(request);
  let seed = 0x2545f491;
  const random = (below: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % below;
  };
  /** Per adapter and size: what the fill and the first set took, and the rounds' samples. */
  const figures = new Map<string, {
    fill: Record<string, number>;
    first: number;
    set: number[];
    get: number[];
    lastGet: number;
  }>();
  const at = (t: Target, size: number) => figures.get(`${t.name} ${size}`)!;
  try {
    const live: Target[] = [];
    for (const target of targets) {
      try {
        progress(`scale ${target.name}: warming up`);
        await ask(target, { op: "warm", size: SCALE_SIZES[0]!, count: 10 * SCALE_BATCH });
        live.push(target);
      } catch (error) {
        skipped(`scale, ${target.name}`, String(error));
      }
    }
    const sizes = (t: Target) => SCALE_SIZES.filter((size) => size <= t.max);
    for (const target of live) {
      for (const size of sizes(target)) {
        progress(`scale ${target.name}: filling a cache of ${count(size)} entries`);
        const fill = await ask(target, { op: "fill", size });
        figures.set(`${target.name} ${size}`, {
          fill,
          first: 0,
          set: [],
          get: [],
          lastGet: -Infinity,
        });
      }
    }
    spawnSync("sync");
    for (const target of live) {
      for (const size of sizes(target)) {
        at(target, size).first = (await ask(target, { op: "first", size }))["us"]!;
      }
    }
    progress(
      `scale: ${SCALE_ROUNDS} rounds of ${SCALE_BATCH} sets and up to ${SCALE_BATCH} gets per ` +
        "adapter and size, taking turns",
    );
    let probes = 0;
    for (let round = -1; round < SCALE_ROUNDS; round++) {
      for (let s = 0; s < SCALE_SIZES.length; s++) {
        const size = SCALE_SIZES[(round + 1 + s) % SCALE_SIZES.length]!;
        const here = live.filter((t) => t.max >= size);
        const picks = new Set<number>();
        while (picks.size < Math.min(SCALE_BATCH, size)) picks.add(random(size));
        for (let turn = 0; turn < here.length; turn++) {
          const target = here[(round + 1 + turn) % here.length]!;
          const figure = at(target, size);
          const probe = { size, from: probes, count: SCALE_BATCH };
          const set = (await ask(target, { op: "set", ...probe }))["us"]!;
          const since = performance.now() - figure.lastGet;
          if (since < READ_TIME_RESOLUTION_MS + 50) {
            await sleep(READ_TIME_RESOLUTION_MS + 50 - since);
          }
          figure.lastGet = performance.now();
          const get = (await ask(target, { op: "get", size, picks: [...picks] }))["us"]!;
          await ask(target, { op: "unset", ...probe });
          if (round >= 0) {
            figure.set.push(set);
            figure.get.push(get);
          }
        }
        probes += SCALE_BATCH;
      }
    }
  } finally {
    for (const target of targets) await target.dispose();
  }
  const points: ScaleResult = {};
  for (const target of targets) {
    for (const size of SCALE_SIZES) {
      const figure = figures.get(`${target.name} ${size}`);
      if (figure === undefined || figure.set.length === 0) continue;
      (points[target.name] ??= []).push({
        entries: size,
        set: median(figure.set),
        setSlowestRound: Math.max(...figure.set),
        get: median(figure.get),
        fillSet: figure.fill["mean"]!,
        fillSlowest: figure.fill["slowest"]!,
        firstSet: figure.first,
      });
    }
  }
  return points;
}

/** How often a `TaskCache` without a running total recounts: at most once a minute. */
const RECOUNT_EVERY_US = 60e6;
/**
 * Goal: the first set of a new `TaskCache` (the size limit's first count), and the recount a
 * store pays at most once a minute after it (the first set less a set: none where the adapter
 * keeps a running total), at the largest size.
 */
export const FIRST_SET_GOAL_US = 50_000;

/**
 * A set's time with the size limit's recount folded in: the recount (what the first set of a
 * new `TaskCache` takes beyond a set) recurs at most once a minute, so sets back to back pay
 * it spread over a minute of sets. (Where the adapter keeps a running total, the first set is
 * a set like the others and this adds next to nothing.)
 */
export function setWithRecount(p: ScalePoint): number {
  return p.set + Math.max(0, p.firstSet - p.set) * (p.set / RECOUNT_EVERY_US);
}

/** The time per op of a point: `set` (with the recount folded in) or `get`. */
function timeOf(p: ScalePoint, op: "set" | "get"): number {
  return op === "set" ? setWithRecount(p) : p.get;
}

/**
 * The spread of an op's time across every size: the slowest over the fastest (the smallest
 * size's time alone is the noisiest of all; a spread compares them all).
 */
export function growth(points: ScalePoint[], op: "set" | "get"): number {
  const times = points.map((p) => timeOf(p, op));
  return Math.max(...times) / Math.min(...times);
}

/** Which sizes were the slowest and the fastest for an op. */
function extremes(points: ScalePoint[], op: "set" | "get"): { slow: ScalePoint; fast: ScalePoint } {
  const sorted = [...points].sort((a, b) => timeOf(a, op) - timeOf(b, op));
  return { fast: sorted[0]!, slow: sorted.at(-1)! };
}

/** One row per adapter and size. */
export function scaleTable(result: ScaleResult): string {
  const rows = Object.entries(result).flatMap(([name, points]) =>
    points.map((p) => [
      name,
      count(p.entries),
      formatMicros(p.set),
      formatMicros(setWithRecount(p)),
      `${sig3(setWithRecount(p) / setWithRecount(points[0]!))}x`,
      formatMicros(p.get),
      `${sig3(p.get / points[0]!.get)}x`,
      formatMicros(p.fillSet),
      formatMicros(p.fillSlowest),
      formatMicros(p.firstSet),
    ])
  );
  return table(
    [
      "adapter",
      "entries",
      "set",
      "set, recount folded in",
      "set / at 100",
      "get",
      "get / at 100",
      "fill: mean per set",
      "fill: slowest set",
      "first set of a new TaskCache",
    ],
    rows,
  );
}

/** One row per adapter: flat or not, across every size. */
export function flatTable(result: ScaleResult): string {
  const rows = Object.entries(result).map(([name, points]) => {
    const cells = (["set", "get"] as const).map((op) => {
      const g = growth(points, op), { slow, fast } = extremes(points, op);
      return `${sig3(g)}x (${count(slow.entries)} / ${count(fast.entries)}) ${
        g <= FLAT ? "flat" : "**NOT flat**"
      }`;
    });
    const first = points[0]!, last = points.at(-1)!;
    return [
      name,
      `${count(first.entries)} to ${count(last.entries)}`,
      ...cells,
      `${sig3(last.fillSet / first.fillSet)}x`,
      `${sig3(last.firstSet / first.firstSet)}x`,
    ];
  });
  return table(
    [
      "adapter",
      "entries",
      `set (recount folded in): slowest size / fastest (flat if ≤ ${FLAT}x)`,
      `get: slowest size / fastest (flat if ≤ ${FLAT}x)`,
      "fill: mean per set, largest / first",
      "first set of a new TaskCache, largest / first",
    ],
    rows,
  );
}

export function scaleGoals(result: ScaleResult): Goal[] {
  return Object.entries(result).flatMap(([name, points]) => {
    const last = points.at(-1)!, largest = count(last.entries);
    const flat = (["set", "get"] as const).map((op) => {
      const times = growth(points, op), { slow, fast } = extremes(points, op);
      return {
        area: "Scale",
        goal: `${name} ${op}${op === "set" ? " (recount folded in)" : ""}: flat, the slowest ` +
          `size within ${FLAT}x of the fastest, ${count(points[0]!.entries)} to ${largest} entries`,
        measured: `${formatMicros(timeOf(slow, op))} at ${count(slow.entries)} vs ${
          formatMicros(timeOf(fast, op))
        } at ${count(fast.entries)}: ${sig3(times)}x`,
        met: times <= FLAT,
        margin: FLAT / times,
      };
    });
    const limit = [
      ["the first set of a new TaskCache (the size limit's first count)", last.firstSet],
      [
        "the steady state, the recount a store pays once a minute (first set less a set)",
        Math.max(0, last.firstSet - last.set),
      ],
    ] as const;
    return [
      ...flat,
      ...limit.map(([what, us]) => ({
        area: "Size limit",
        goal: `${name} at ${largest} entries: ${what} under ${FIRST_SET_GOAL_US / 1000} ms`,
        measured: formatMicros(us),
        met: us < FIRST_SET_GOAL_US,
        margin: FIRST_SET_GOAL_US / Math.max(us, 1),
        strict: true,
      })),
    ];
  });
}

/** One adapter's process: answers the requests of bench/scale_core.ts on stdin. */
async function serve(adapter: string, directory: string): Promise<void> {
  const server = new ScaleServer((size) =>
    adapter === "fs"
      ? new FsAdapter({ directory: join(directory, `fs-${size}`) })
      : new MemoryAdapter()
  );
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === "") continue;
    const reply = await server.handle(JSON.parse(line) as ScaleRequest);
    process.stdout.write(JSON.stringify(reply) + "\n");
  }
  await server.close();
}

const main = process.argv[1] !== undefined && import.meta.filename === process.argv[1];
if (main && process.argv[2] === "--serve") {
  await serve(process.argv[3]!, process.argv[4]!);
} else if (main) {
  const result = await benchScale(Number(process.env["BENCH_DENO_SCALE_MAX"] ?? 100_000));
  console.log(scaleTable(result) + "\n" + flatTable(result));
}
