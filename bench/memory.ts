/**
 * Peak memory and time of storing and reading a 100 MiB output through `TaskCache` over
 * `FsAdapter` and `DenoKvAdapter` (a LiteralMap holding one 100 MiB Binary), in Node and in
 * Deno, side by side with raw `fs.writeFileSync` / `readFileSync` of the same 100 MiB of bytes
 * in the same runtime (the floor), each phase in a child process of its own:
 *
 *   node --import tsx --expose-gc bench/memory.ts --child <ours|raw> <set|get> <path> <fs|kv>
 *   deno run -A --unstable-kv --v8-flags=--expose-gc bench/memory.ts --child ...
 *
 * The child builds what it needs (the output, for a set), warms the code path up on a small
 * value, collects garbage, then resets the peak resident set size (`5` written to
 * /proc/self/clear_refs, Linux >= 4.0) and reads the baseline (VmRSS of /proc/self/status),
 * runs the one operation and reads the peak (VmHWM). It answers one JSON line: baseline and
 * peak in KiB, the operation's time. Elsewhere than Linux the peak is
 * `process.resourceUsage().maxRSS`, which cannot be reset (an earlier peak may hide the
 * operation's).
 *
 * The parent (`benchMemory`, for bench/run.ts) runs each side and phase `REPEATS` times,
 * taking turns, each after a `sync` (else the write-back of what the side before wrote slows
 * the next: a 100 MiB write took 30 ms or 300 ms by what ran before it), and keeps the median
 * of peak minus baseline, and of the time. `figures` holds
 * Node over files; `variants` every runtime and adapter.
 *
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CacheAdapter } from "../src/adapter.ts";
import { DenoKvAdapter, type KvLike } from "../src/adapters/deno_kv.ts";
import { FsAdapter } from "../src/adapters/fs.ts";
import { TaskCache } from "../src/core/task_cache.ts";
import { patternBytes } from "../test/conformance/adapter_suite.ts";
import { binary, integer, literalMap } from "../test/support/literals.ts";
import { DENO, type Goal, progress, ROOT, table } from "./report.ts";
import { formatMicros, median, sig3 } from "./stats.ts";

export const OUTPUT_MIB = 100;
const OUTPUT = OUTPUT_MIB * 1024 * 1024;
const REPEATS = 3;
const TASK = "bench.memory";
const VERSION = "1";

type Side = "ours" | "raw";
type Phase = "set" | "get";
type Runtime = "node" | "deno";
type Store = "fs" | "kv";
const RUNTIMES: readonly Runtime[] = ["node", "deno"];
const STORES: readonly Store[] = ["fs", "kv"];
const STORE_NAMES: Record<Store, string> = { fs: "FsAdapter", kv: "DenoKvAdapter" };
/** DenoKvAdapter's chunk size and chunks per commit, for raw Deno KV's floor. */
const KV_RECORD = 63 * 1024;
const KV_RECORDS_PER_COMMIT = 12;

interface ChildReply {
  baselineKiB: number;
  peakKiB: number;
  ms: number;
  method: string;
}

// --- The child -----------------------------------------------------------------------------

function status(field: string): number | undefined {
  try {
    const match = readFileSync("/proc/self/status", "utf8").match(
      new RegExp(`^${field}:\\s+(\\d+) kB`, "m"),
    );
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** Resets the peak RSS; `false` where that cannot be done. */
function resetPeak(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return status("VmHWM") !== undefined;
  } catch {
    return false;
  }
}

/** Deno's own KV in Deno; the npm client `@deno/kv` in Node. */
async function openKv(path: string): Promise<KvLike> {
  const deno = (globalThis as { Deno?: { openKv(path: string): Promise<KvLike> } }).Deno;
  return deno !== undefined
    ? await deno.openKv(path)
    : await (await import("@deno/kv")).openKv(path);
}

async function child(side: Side, phase: Phase, path: string, store: Store): Promise<ChildReply> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("memory.ts --child: run it with node --expose-gc");
  const kv = store === "kv"
    ? await openKv(join(path, side === "ours" ? "cache.kv" : "raw.kv"))
    : undefined;
  const adapter: CacheAdapter = kv === undefined
    ? new FsAdapter({ directory: join(path, "files") })
    : new DenoKvAdapter({ kv });
  const cache = side === "ours" ? new TaskCache(adapter) : undefined;
  const inputs = literalMap({ n: integer(1n) });
  const small = literalMap({ o: binary(patternBytes(1024, 2)) });
  let run: () => Promise<number>;
  if (side === "ours") {
    // Warm-up on a small entry: the code is compiled, the first store's count of the entries
    // is done.
    const warm = literalMap({ n: integer(0n) });
    await cache!.set(TASK, VERSION, warm, [], small);
    await cache!.get(TASK, VERSION, warm);
    if (phase === "set") {
      const value = literalMap({ o: binary(patternBytes(OUTPUT, 1)) });
      run = async () => {
        await cache!.set(TASK, VERSION, inputs, [], value);
        return OUTPUT;
      };
    } else {
      run = async () => {
        const value = await cache!.get(TASK, VERSION, inputs);
        const literal = value?.literals["o"]?.value;
        return literal?.case === "scalar" && literal.value.value.case === "binary"
          ? literal.value.value.value.value.length
          : 0;
      };
    }
  } else if (kv !== undefined) {
    // Deno KV's own floor for a large value: the same bytes as records of DenoKvAdapter's
    // chunk size, in commits of as many records, read back with a listing (each record's
    // buffer freed once copied, where it is its own, as the adapter does).
    await kv.atomic().set(["warm"], patternBytes(1024, 2)).commit();
    await kv.get(["warm"]);
    if (phase === "set") {
      const bytes = patternBytes(OUTPUT, 1);
      run = async () => {
        for (let first = 0; first * KV_RECORD < OUTPUT; first += KV_RECORDS_PER_COMMIT) {
          const operation = kv.atomic();
          for (let i = first; i < first + KV_RECORDS_PER_COMMIT && i * KV_RECORD < OUTPUT; i++) {
            operation.set(["raw", i], bytes.slice(i * KV_RECORD, (i + 1) * KV_RECORD));
          }
          await operation.commit();
        }
        return OUTPUT;
      };
    } else {
      run = async () => {
        const bytes = new Uint8Array(OUTPUT);
        let length = 0;
        for await (const { value } of kv.list<Uint8Array>({ prefix: ["raw"] }, { batchSize: 32 })) {
          bytes.set(value, length);
          length += value.length;
          // Freed at once where the record's buffer is its own (Deno), as DenoKvAdapter does.
          const buffer = value.buffer as ArrayBuffer & { transfer?: (n: number) => unknown };
          if (value.byteLength === buffer.byteLength) buffer.transfer?.(0);
        }
        return length;
      };
    }
  } else {
    const file = join(path, "raw.bin");
    writeFileSync(join(path, "warm.bin"), patternBytes(1024, 2));
    readFileSync(join(path, "warm.bin"));
    if (phase === "set") {
      const bytes = patternBytes(OUTPUT, 1);
      run = () => {
        writeFileSync(file, bytes);
        return Promise.resolve(bytes.length);
      };
    } else {
      run = () => Promise.resolve(readFileSync(file).length);
    }
  }
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  const reset = resetPeak();
  const baselineKiB = reset ? status("VmRSS")! : process.memoryUsage.rss() / 1024;
  const started = performance.now();
  const length = await run();
  const ms = performance.now() - started;
  const peakKiB = reset ? status("VmHWM")! : process.resourceUsage().maxRSS;
  if (length !== OUTPUT) {
    throw new Error(`memory.ts ${side} ${phase}: ${length} bytes, not ${OUTPUT}`);
  }
  await cache?.close();
  kv?.close();
  return {
    baselineKiB,
    peakKiB,
    ms,
    method: reset
      ? "VmHWM after resetting it (/proc/self/clear_refs) minus VmRSS before"
      : "process.resourceUsage().maxRSS minus the RSS before (not resettable)",
  };
}

// --- The parent ----------------------------------------------------------------------------

export interface MemoryFigure {
  /** Median peak minus baseline, MiB. */
  deltaMiB: number;
  /** Median baseline, MiB. */
  baselineMiB: number;
  /** Median time of the operation, ms. */
  ms: number;
  /** Every run's peak minus baseline, MiB. */
  samples: number[];
}

/** One runtime and adapter: side -> phase -> figure (`raw`: the same runtime's file floor). */
export interface MemoryVariant {
  runtime: Runtime;
  store: Store;
  figures: Record<Side, Record<Phase, MemoryFigure>>;
  /** Deno KV only: raw Deno KV records of the same bytes (the store's own floor). */
  storeFloor?: Record<Phase, MemoryFigure>;
}

export interface MemoryResult {
  outputMiB: number;
  repeats: number;
  method: string;
  /** side -> phase -> figure, in Node over files. */
  figures: Record<Side, Record<Phase, MemoryFigure>>;
  /** Every runtime and adapter (absent in reports from before they were measured). */
  variants?: MemoryVariant[];
}

export const MEMORY_SIDES: Record<Side, string> = {
  ours: "TaskCache + FsAdapter",
  raw: "raw fs.writeFileSync / readFileSync (the floor)",
};

function runChild(
  runtime: Runtime,
  side: Side,
  phase: Phase,
  path: string,
  store: Store,
): ChildReply {
  const args = ["bench/memory.ts", "--child", side, phase, path, store];
  const result = runtime === "node"
    ? spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", ...args], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    })
    : spawnSync(DENO, ["run", "-A", "--unstable-kv", "--v8-flags=--expose-gc", ...args], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
  if (result.status !== 0) {
    throw new Error(
      `memory.ts --child ${side} ${phase} ${store} in ${runtime} exited with ${result.status}`,
    );
  }
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as ChildReply;
}

export async function benchMemory(): Promise<MemoryResult> {
  const replies: Record<string, ChildReply[]> = {};
  let method = "";
  // Per runtime: ours over each adapter, and the raw floor once.
  const runs: [Side, Store][] = [["ours", "fs"], ["ours", "kv"], ["raw", "fs"], ["raw", "kv"]];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (const runtime of RUNTIMES) {
      const directory = await mkdtemp(join(tmpdir(), "ltc-bench-memory-"));
      try {
        for (const phase of ["set", "get"] as const) {
          const turn = repeat % 2 === 0 ? runs : [...runs].reverse();
          for (const [side, store] of turn) {
            const what = side === "raw"
              ? `raw ${store === "fs" ? "fs" : "Deno KV"}`
              : `ours (${STORE_NAMES[store]})`;
            progress(
              `memory: ${runtime} ${what} ${phase} of ${OUTPUT_MIB} MiB (${repeat + 1}/${REPEATS})`,
            );
            // What the previous side wrote goes to disk first, outside the measurement: else
            // its write-back throttles whichever side runs next (a 100 MiB write took 30 ms
            // or 300 ms by what ran before it).
            execFileSync("sync");
            const reply = runChild(runtime, side, phase, directory, store);
            method = reply.method;
            (replies[`${runtime} ${side} ${store} ${phase}`] ??= []).push(reply);
          }
        }
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    }
  }
  const figureOf = (runtime: Runtime, store: Store) => (side: Side, phase: Phase): MemoryFigure => {
    const runs = replies[`${runtime} ${side} ${store} ${phase}`]!;
    const samples = runs.map((r) => (r.peakKiB - r.baselineKiB) / 1024);
    return {
      deltaMiB: median(samples),
      baselineMiB: median(runs.map((r) => r.baselineKiB / 1024)),
      ms: median(runs.map((r) => r.ms)),
      samples,
    };
  };
  const variants = RUNTIMES.flatMap((runtime) =>
    STORES.map((store): MemoryVariant => {
      const figure = figureOf(runtime, store);
      // The file floor for every adapter; raw Deno KV records are the KV adapter's own.
      const files = figureOf(runtime, "fs");
      return {
        runtime,
        store,
        figures: {
          ours: { set: figure("ours", "set"), get: figure("ours", "get") },
          raw: { set: files("raw", "set"), get: files("raw", "get") },
        },
        ...(store === "kv"
          ? { storeFloor: { set: figure("raw", "set"), get: figure("raw", "get") } }
          : {}),
      };
    })
  );
  return {
    outputMiB: OUTPUT_MIB,
    repeats: REPEATS,
    method,
    figures: variants[0]!.figures,
    variants,
  };
}

const mib = (x: number) => `${sig3(x)} MiB`;
/** A multiple of the output's size: `3.00x`; below 0.005x, `0.00x`. */
export const multiple = (x: number) => Math.abs(x) < 0.005 ? "0.00x" : `${sig3(x)}x`;

export function memoryTable(result: MemoryResult): string {
  const { ours, raw } = result.figures;
  const rows = (["set", "get"] as const).map((phase) => [
    phase,
    mib(ours[phase].deltaMiB),
    multiple(ours[phase].deltaMiB / result.outputMiB),
    mib(raw[phase].deltaMiB),
    multiple(raw[phase].deltaMiB / result.outputMiB),
    mib(ours[phase].deltaMiB - raw[phase].deltaMiB),
    `${formatMicros(ours[phase].ms * 1000)} / ${formatMicros(raw[phase].ms * 1000)}`,
    ours[phase].samples.map((s) => sig3(s)).join(", ") + " / " +
    raw[phase].samples.map((s) => sig3(s)).join(", "),
  ]);
  return table(
    [
      "phase",
      `${MEMORY_SIDES.ours}: peak - baseline`,
      "x output",
      `${MEMORY_SIDES.raw}: peak - baseline`,
      "x output",
      "ours - floor",
      "time, ours / raw",
      "each run, MiB (ours / raw)",
    ],
    rows,
  );
}

/** Storing: time within this multiple of the raw write's (issue 16). */
const SET_TIME_GOAL = 2;
/** Storing: peak within this multiple of the output, the output itself included. */
const SET_PEAK_GOAL = 1.5;
/** Reading: peak within this multiple of the output (the output read is the floor), with 5% for noise. */
const GET_PEAK_GOAL = 1.05;

/** Every runtime and adapter: peaks as multiples of the output, times as ratios to raw fs. */
export function memoryVariantsTable(result: MemoryResult): string {
  const floor = (figure: MemoryFigure | undefined, ours: MemoryFigure) =>
    figure === undefined
      ? "-"
      : `${formatMicros(figure.ms * 1000)}, ${multiple(1 + figure.deltaMiB / result.outputMiB)}; ` +
        `ours ${multiple(ours.ms / figure.ms)} its time`;
  const rows = (result.variants ?? []).map((
    { runtime, store, figures: { ours, raw }, storeFloor },
  ) => [
    runtime === "node" ? "Node" : "Deno",
    STORE_NAMES[store],
    multiple(1 + ours.set.deltaMiB / result.outputMiB),
    `${formatMicros(ours.set.ms * 1000)} / ${formatMicros(raw.set.ms * 1000)}`,
    multiple(ours.set.ms / raw.set.ms),
    floor(storeFloor?.set, ours.set),
    multiple(ours.get.deltaMiB / result.outputMiB),
    `${formatMicros(ours.get.ms * 1000)} / ${formatMicros(raw.get.ms * 1000)}`,
    multiple(ours.get.ms / raw.get.ms),
    floor(storeFloor?.get, ours.get),
  ]);
  return table(
    [
      "runtime",
      "TaskCache over",
      "set: peak, x output (the output included)",
      "set: time, ours / raw writeFileSync",
      "ratio",
      "set: raw Deno KV records (time, peak)",
      "get: peak, x output",
      "get: time, ours / raw readFileSync",
      "ratio",
      "get: raw Deno KV records (time, peak)",
    ],
    rows,
  );
}

/** The goals of issue 16's "Big outputs", per runtime and adapter. */
export function memoryGoals(result: MemoryResult): Goal[] {
  return (result.variants ?? []).flatMap(({ runtime, store, figures: { ours, raw } }) => {
    const where = `${runtime === "node" ? "Node" : "Deno"}, ${STORE_NAMES[store]}`;
    const setTime = ours.set.ms / raw.set.ms;
    const setPeak = 1 + ours.set.deltaMiB / result.outputMiB;
    const getPeak = ours.get.deltaMiB / result.outputMiB;
    return [
      {
        area: "Big outputs",
        goal:
          `${where}: storing ${result.outputMiB} MiB, ours / raw writeFileSync <= ${SET_TIME_GOAL}x`,
        measured: multiple(setTime),
        met: setTime <= SET_TIME_GOAL,
        margin: SET_TIME_GOAL / setTime,
      },
      {
        area: "Big outputs",
        goal: `${where}: storing, peak <= ${SET_PEAK_GOAL}x the output (itself included)`,
        measured: multiple(setPeak),
        met: setPeak <= SET_PEAK_GOAL,
        margin: SET_PEAK_GOAL / setPeak,
      },
      {
        area: "Big outputs",
        goal: `${where}: reading, peak 1x the output (<= ${GET_PEAK_GOAL}x)`,
        measured: multiple(getPeak),
        met: getPeak <= GET_PEAK_GOAL,
        margin: GET_PEAK_GOAL / getPeak,
      },
    ];
  });
}

const main = process.argv[1] !== undefined && import.meta.filename === process.argv[1];
if (main && process.argv[2] === "--child") {
  const [, , , side, phase, path, store] = process.argv;
  const reply = await child(side as Side, phase as Phase, path!, store as Store);
  process.stdout.write(JSON.stringify(reply) + "\n");
} else if (main) {
  const result = await benchMemory();
  console.log(memoryTable(result) + "\n" + memoryVariantsTable(result));
  for (const g of memoryGoals(result)) {
    console.log(`${g.goal}: ${g.measured} (${g.met ? "met" : "NOT met"})`);
  }
}
