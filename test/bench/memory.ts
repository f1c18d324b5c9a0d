/**
 * Peak memory of storing and reading a 100 MiB output through `TaskCache` over `FsAdapter` (a
 * LiteralMap holding one 100 MiB Binary), side by side with raw `fs.writeFileSync` /
 * `readFileSync` of the same 100 MiB of bytes (the floor), each phase in a child process of its
 * own:
 *
 *   node --import tsx --expose-gc test/bench/memory.ts --child <ours|raw> <set|get> <path>
 *
 * The child builds what it needs (the output, for a set), warms the code path up on a small
 * value, collects garbage, then resets the peak resident set size (`5` written to
 * /proc/self/clear_refs, Linux >= 4.0) and reads the baseline (VmRSS of /proc/self/status),
 * runs the one operation and reads the peak (VmHWM). It answers one JSON line: baseline and
 * peak in KiB, the operation's time. Elsewhere than Linux the peak is
 * `process.resourceUsage().maxRSS`, which cannot be reset (an earlier peak may hide the
 * operation's).
 *
 * The parent (`benchMemory`, for test/bench/run.ts) runs each side and phase `REPEATS` times,
 * taking turns, and keeps the median of peak minus baseline.
 *
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsAdapter } from "../../src/adapters/fs.ts";
import { TaskCache } from "../../src/task_cache.ts";
import { patternBytes } from "../conformance/adapter_suite.ts";
import { binary, integer, literalMap } from "../support/literals.ts";
import { progress, ROOT, table } from "./report.ts";
import { formatMicros, median, sig3 } from "./stats.ts";

export const OUTPUT_MIB = 100;
const OUTPUT = OUTPUT_MIB * 1024 * 1024;
const REPEATS = 3;
const TASK = "bench.memory";
const VERSION = "1";

type Side = "ours" | "raw";
type Phase = "set" | "get";

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

async function child(side: Side, phase: Phase, path: string): Promise<ChildReply> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("memory.ts --child: run it with node --expose-gc");
  const cache = side === "ours" ? new TaskCache(new FsAdapter({ directory: path })) : undefined;
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

export interface MemoryResult {
  outputMiB: number;
  repeats: number;
  method: string;
  /** side -> phase -> figure. */
  figures: Record<Side, Record<Phase, MemoryFigure>>;
}

export const MEMORY_SIDES: Record<Side, string> = {
  ours: "TaskCache + FsAdapter",
  raw: "raw fs.writeFileSync / readFileSync (the floor)",
};

function runChild(side: Side, phase: Phase, path: string): ChildReply {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "--expose-gc", "test/bench/memory.ts", "--child", side, phase, path],
    { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  if (result.status !== 0) {
    throw new Error(`memory.ts --child ${side} ${phase} exited with ${result.status}`);
  }
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as ChildReply;
}

export async function benchMemory(): Promise<MemoryResult> {
  const replies: Record<string, ChildReply[]> = {};
  let method = "";
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const directory = await mkdtemp(join(tmpdir(), "ltc-bench-memory-"));
    try {
      for (const phase of ["set", "get"] as const) {
        const sides: Side[] = repeat % 2 === 0 ? ["ours", "raw"] : ["raw", "ours"];
        for (const side of sides) {
          progress(`memory: ${side} ${phase} of ${OUTPUT_MIB} MiB (${repeat + 1}/${REPEATS})`);
          const reply = runChild(side, phase, directory);
          method = reply.method;
          (replies[`${side} ${phase}`] ??= []).push(reply);
        }
        // The written files go to disk before the reads, outside any measurement.
        execFileSync("sync");
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }
  const figure = (side: Side, phase: Phase): MemoryFigure => {
    const runs = replies[`${side} ${phase}`]!;
    const samples = runs.map((r) => (r.peakKiB - r.baselineKiB) / 1024);
    return {
      deltaMiB: median(samples),
      baselineMiB: median(runs.map((r) => r.baselineKiB / 1024)),
      ms: median(runs.map((r) => r.ms)),
      samples,
    };
  };
  return {
    outputMiB: OUTPUT_MIB,
    repeats: REPEATS,
    method,
    figures: {
      ours: { set: figure("ours", "set"), get: figure("ours", "get") },
      raw: { set: figure("raw", "set"), get: figure("raw", "get") },
    },
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

const main = process.argv[1] !== undefined && import.meta.filename === process.argv[1];
if (main && process.argv[2] === "--child") {
  const [, , , side, phase, path] = process.argv;
  process.stdout.write(JSON.stringify(await child(side as Side, phase as Phase, path!)) + "\n");
} else if (main) {
  console.log(memoryTable(await benchMemory()));
}
