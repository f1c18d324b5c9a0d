/**
 * The flytekit cache part of `npm run bench` (issue 13): `TaskCache` over `DiskcacheAdapter`
 * against Python's diskcache on flytekit's path (`LocalTaskCache.set` / `get`: key + store,
 * bench/store.py) and diskcache alone, each on a directory of its own, for 1 KiB, 64 KiB and
 * 1 MiB outputs, key computation included on our side; beside them, in the same rounds, Node's
 * floor of one file per entry (`writeFileSync` + `renameSync`, `readFileSync`), which shows what
 * the runtime's own file calls and memory cost at each size. The stores take turns of a tenth
 * of each round's entries (bench/disk.ts `timeTurns`).
 *
 * `DiskcacheAdapter` writes diskcache's database only where the runtime's SQLite accepts its
 * schema (Node >= 22.13, Deno, Bun): `npm run bench` (Node 20) runs this part in the engines'
 * Node 22 (`bench/diskcache.ts --json`) and reads its figures back.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { DiskcacheAdapter } from "../src/adapters/diskcache.ts";
import { TaskCache } from "../src/core/task_cache.ts";
import {
  DISK_ROUNDS,
  type DiskResult,
  diskTable,
  floor,
  jsContender,
  SERIES,
  timeTurns,
  withDiskcache,
} from "./disk.ts";
import { diskWorkload } from "./inputs.ts";
import type { PythonStack } from "./python.ts";
import { type Goal, progress, ROOT } from "./report.ts";
import { sig3 } from "./stats.ts";

const TASK = "bench.task";
const VERSION = "1";
/** Our side. */
export const OURS = "ours: TaskCache + DiskcacheAdapter";
/** The other sides, in the table's order. */
const OTHERS = [SERIES.diskcacheKeyed, SERIES.diskcachePlain, SERIES.floor] as const;
/** The engines' Node 22 (scripts/install-engines.sh), whose `node:sqlite` writes diskcache's. */
const NODE22 = join(ROOT, ".engines", "node22", "node_modules", ".bin", "node");

/** What the part measured. */
export interface FlytekitResult {
  /** The runtime it ran in, e.g. `node v22.23.3`. */
  runtime: string;
  /** µs per op by series, per output size. */
  results: DiskResult[];
}

/** Measures in this runtime (one that can write diskcache's database). */
export async function measureFlytekit(python: PythonStack): Promise<FlytekitResult> {
  if (python.diskSkipped !== undefined) {
    throw new Error(`Python's diskcache is needed: ${python.diskSkipped}`);
  }
  const results: DiskResult[] = [];
  for (
    const w of [
      diskWorkload("1 KiB", 1024, 200, DISK_ROUNDS),
      diskWorkload("64 KiB", 64 * 1024, 100, DISK_ROUNDS),
      diskWorkload("1 MiB", 1024 * 1024, 50, DISK_ROUNDS),
    ]
  ) {
    progress(`flytekit ${w.label}: ${w.values.length} entries x ${DISK_ROUNDS + 1} rounds`);
    const ours = await jsContender(OURS, w, (directory) => {
      const cache = new TaskCache(new DiskcacheAdapter({ directory }));
      return {
        set: (inputs, value) => cache.set(TASK, VERSION, inputs, [], value),
        get: (inputs) => cache.get(TASK, VERSION, inputs, []),
        close: () => cache.close(),
      };
    });
    const times = await timeTurns(w, [ours, await withDiskcache(w), await floor(w)]);
    results.push({ label: w.label, entries: w.values.length, times });
  }
  return { runtime: `${process.release.name} ${process.version}`, results };
}

/**
 * Runs the part in the engines' Node 22 (`bench/diskcache.ts --json`), its progress on this
 * process's stderr; the key mismatches and notes it found join this run's.
 */
export function benchFlytekit(): Promise<FlytekitResult & { mismatches: string[] }> {
  progress("flytekit: TaskCache + DiskcacheAdapter vs Python's diskcache (bench/flytekit.ts)");
  if (!existsSync(NODE22)) {
    return Promise.reject(
      new Error(
        `${NODE22} is missing: run scripts/install-engines.sh (DiskcacheAdapter writes ` +
          "diskcache's database in Node >= 22.13)",
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(NODE22, ["--import", "tsx", "bench/diskcache.ts", "--json"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`bench/diskcache.ts exited with ${code}`));
      try {
        resolve(JSON.parse(out));
      } catch (error) {
        reject(new Error(`bench/diskcache.ts printed no report: ${error}`));
      }
    });
  });
}

/** The part's table: µs per op of each side, and their time over ours. */
export function flytekitTable(r: FlytekitResult): string {
  return diskTable(r.results, OURS, OTHERS);
}

/** The report's section. */
export function flytekitSection(r: FlytekitResult | undefined, notMeasured: string): string {
  return `## flytekit's cache directory: DiskcacheAdapter vs Python's diskcache

µs per operation${
    r === undefined ? "" : ` in ${r.runtime}`
  }, median of ${DISK_ROUNDS} rounds after a warm-up round, the stores taking
turns of a tenth of each round's entries, each on a new directory of its own (bench/flytekit.ts;
the workload and the turns are the disk part's). Ours is \`TaskCache\` over \`DiskcacheAdapter\` (key, deterministic protobuf
bytes, diskcache's row and, from 32 KiB, its value file; get parses the LiteralMap). diskcache is
flytekit's store in Python: "flytekit path" is what flytekit's \`LocalTaskCache\` does (the key in
Python, \`SerializeToString()\` + \`cache.set\`, or \`cache.get\` + \`ParseFromString\`); "store
only" times \`cache.set\` / \`cache.get\` alone on our keys and bytes. The floor is this runtime's
own file calls for one file per entry (\`writeFileSync\` + \`renameSync\`, \`readFileSync\`, with
the key and the bytes made as for the others). Goal (issue 13): at least as fast as diskcache on
flytekit's path, on every size and operation.

${r === undefined ? notMeasured : flytekitTable(r)}`;
}

/** The part's goal: at least as fast as diskcache on flytekit's path, on every one. */
export function flytekitGoals(r: FlytekitResult): Goal[] {
  const verdicts = r.results.flatMap((result) =>
    (["set", "get"] as const).map((op) => ({
      where: `${result.label} ${op}`,
      times: result.times[SERIES.diskcacheKeyed]![op] / result.times[OURS]![op],
    }))
  );
  const missed = verdicts.filter(({ times }) => times < 1).map(({ where }) => where);
  return [{
    area: `flytekit's cache (${r.runtime.replace(/^node v(\d+).*$/, "Node $1")})`,
    goal: "DiskcacheAdapter at least as fast as diskcache on flytekit's path (key + store), ≥ 1x",
    measured: verdicts.map(({ where, times }) => `${where} ${sig3(times)}x`).join(", ") +
      (missed.length === 0 ? "" : `; missed: ${missed.join(", ")}`),
    met: missed.length === 0,
    margin: Math.min(...verdicts.map(({ times }) => times)),
  }];
}
