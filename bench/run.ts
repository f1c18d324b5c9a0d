/**
 * `npm run bench`: every comparison side by side in one run, as ratios, written as one report:
 * `bench/report.md` (Markdown tables, also printed), `bench/report.json` (the raw figures) and
 * `bench/report.svg` (a chart), each figure the median of repeated rounds.
 *
 * - Keys (bench/keys.ts): `calculateCacheKey` in Node (native and portable MD5), Deno and
 *   Chromium against flytekit's Python stack, keys checked equal; and at scale, 1 to 100,000
 *   integer inputs, in Node and Python.
 * - MD5 (bench/md5.ts): the portable MD5 against `@noble/hashes`' and `node:crypto`'s, in
 *   Node and Chromium.
 * - Disk (bench/disk.ts): `TaskCache` over `FsAdapter` against Python `diskcache`
 *   (flytekit's store), `cacache` and `unstorage`'s fs driver, key computation included.
 * - flytekit's cache (bench/flytekit.ts, in the engines' Node 22): `TaskCache` over
 *   `DiskcacheAdapter` against Python `diskcache` on flytekit's path.
 * - Scale (bench/scale.ts): get and set as the cache grows from 100 to 100,000 entries.
 * - Memory (bench/memory.ts): peak RSS of storing and reading a 100 MiB output.
 * - Deno (bench/deno.ts): `DenoKvAdapter` against raw `Deno.Kv` and `FsAdapter`, and
 *   `DenoKvAdapter` at scale.
 * - Browser (bench/browser.ts): `IndexedDbAdapter` against idb-keyval and localforage in
 *   Chromium; the bundle's size.
 * - Redis (bench/redis.ts): `TaskCache` over `RedisAdapter` against the bare client;
 *   `TieredAdapter` hits against the near store's.
 *
 * Options:
 *
 *   --out DIR            where to write the report (default: bench/ at the repository's root;
 *                        or the environment variable BENCH_OUT)
 *   --only a,b,...       only these parts (keys, md5, keyscale, disk, flytekit, scale, memory, deno,
 *                        browser, redis),
 *                        for development; the report notes the others as not measured
 *   --render FILE        measure nothing: write the report again from a report.json (after a
 *                        change to the Markdown or the chart)
 *
 * Written to bench/ (the default), the report also goes into README.md's benchmark summary,
 * between its markers (bench/readme.ts), so that the README and the report agree.
 *   --deno-scale-max N   the largest size of DenoKvAdapter at scale (default 100000; or
 *                        BENCH_DENO_SCALE_MAX; 0 to leave it out)
 *
 * Progress goes to stderr. Exits with 1 when a key differs from Node's, or a part failed.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { isAbsolute, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { benchBrowser, browserGoals } from "./browser.ts";
import { reportChart } from "./chart.ts";
import { benchDeno, denoGoals } from "./deno_report.ts";
import { benchDisk, diskGoals } from "./disk.ts";
import { benchFlytekit, flytekitGoals } from "./flytekit.ts";
import { benchKeys, benchKeyScale, keyScaleGoals, keysGoals } from "./keys.ts";
import { markdown } from "./markdown.ts";
import { benchMd5, md5Goals } from "./md5.ts";
import { benchMemory, memoryGoals } from "./memory.ts";
import { withSummary } from "./readme.ts";
import { probePython } from "./python.ts";
import {
  type BenchReport,
  DENO,
  elapsed,
  machine,
  mismatch,
  mismatches,
  notes,
  progress,
  ROOT,
  skipped,
} from "./report.ts";
import { benchRedis, redisGoals } from "./redis.ts";
import { benchScale, scaleGoals } from "./scale.ts";

const PARTS = [
  "keys",
  "md5",
  "keyscale",
  "disk",
  "flytekit",
  "scale",
  "memory",
  "deno",
  "browser",
  "redis",
] as const;
type Part = (typeof PARTS)[number];

const { values: options } = parseArgs({
  options: {
    out: { type: "string" },
    only: { type: "string" },
    "deno-scale-max": { type: "string" },
    render: { type: "string" },
  },
});
const outOption = options.out ?? process.env["BENCH_OUT"] ?? "bench";
const out = isAbsolute(outOption) ? outOption : join(process.cwd(), outOption);
const only = options.only?.split(",").map((part) => part.trim()) ?? [...PARTS];
for (const part of only) {
  if (!(PARTS as readonly string[]).includes(part)) {
    throw new Error(`run.ts: --only: no part ${part} (parts: ${PARTS.join(", ")})`);
  }
}
const denoScaleMax = Number(
  options["deno-scale-max"] ?? process.env["BENCH_DENO_SCALE_MAX"] ?? 100_000,
);

let failed = false;

/** Runs one part, unless left out by --only; a failure is noted and the run goes on. */
async function part<T>(name: Part, run: () => Promise<T>): Promise<T | undefined> {
  if (!only.includes(name)) {
    skipped(`part ${name}`, "left out by --only");
    return undefined;
  }
  try {
    return await run();
  } catch (error) {
    failed = true;
    skipped(`part ${name}`, `it failed: ${error instanceof Error ? error.stack : String(error)}`);
    return undefined;
  }
}

/** Every part measured, in the order of the report. */
async function measure(): Promise<BenchReport> {
  const python = probePython();
  if (python.keysSkipped !== undefined) skipped("keys vs flytekit (Python)", python.keysSkipped);
  if (python.diskSkipped !== undefined) skipped("disk vs diskcache (Python)", python.diskSkipped);
  return {
    machine: machine(python),
    seconds: 0,
    keys: await part("keys", () => benchKeys(python)),
    md5: await part("md5", benchMd5),
    keyScale: await part("keyscale", () => benchKeyScale(python)),
    disk: await part("disk", () => benchDisk(python)),
    flytekit: await part("flytekit", async () => {
      const { mismatches: found, ...result } = await benchFlytekit();
      for (const message of found) mismatch(message);
      return result;
    }),
    scale: await part("scale", () => benchScale(denoScaleMax)),
    memory: await part("memory", benchMemory),
    deno: await part("deno", benchDeno),
    browser: await part("browser", () => {
      progress("browser: IndexedDbAdapter vs idb-keyval and localforage (bench/browser.ts)");
      return benchBrowser();
    }),
    redis: await part("redis", benchRedis),
    goals: [],
    notes,
    mismatches,
  };
}

const report: BenchReport = options.render === undefined
  ? await measure()
  : JSON.parse(await readFile(options.render, "utf8"));
report.goals = [
  ...(report.keys === undefined ? [] : keysGoals(report.keys)),
  ...(report.md5 === undefined ? [] : md5Goals(report.md5)),
  ...(report.keyScale === undefined ? [] : keyScaleGoals(report.keyScale)),
  ...(report.disk === undefined ? [] : diskGoals(report.disk)),
  ...(report.flytekit === undefined ? [] : flytekitGoals(report.flytekit)),
  ...(report.scale === undefined ? [] : scaleGoals(report.scale)),
  ...(report.memory === undefined ? [] : memoryGoals(report.memory)),
  ...(report.deno === undefined ? [] : denoGoals(report.deno)),
  ...(report.browser === undefined ? [] : browserGoals(report.browser)),
  ...(report.redis === undefined ? [] : redisGoals(report.redis)),
];
if (options.render === undefined) {
  report.seconds = elapsed();
  report.machine.load.end = loadavg()[0]!;
}

await mkdir(out, { recursive: true });
const text = markdown(report);
await writeFile(join(out, "report.md"), text);
await writeFile(join(out, "report.json"), JSON.stringify(report, null, 2) + "\n");
await writeFile(join(out, "report.svg"), reportChart(report));
const shown = relative(ROOT, out) || ".";
const files = ["report.md", "report.json", "report.svg"].map((name) => join(out, name));
if (out === join(ROOT, "bench")) {
  // The README's summary comes from the same figures (bench/readme.ts).
  const readme = join(ROOT, "README.md");
  await writeFile(readme, withSummary(await readFile(readme, "utf8"), report));
  files.push(readme);
}
if (!shown.startsWith("..")) {
  // In the repository, the report is kept in the form \`deno fmt --check\` (npm run lint) wants.
  const formatted = spawnSync(DENO, ["fmt", "--quiet", ...files], { cwd: ROOT, stdio: "inherit" });
  if (formatted.status !== 0) {
    console.error(`deno fmt of the report exited with ${formatted.status}`);
  }
}
console.log(text);
console.error(
  `Written to ${shown}/report.md, report.json and report.svg in ${report.seconds.toFixed(0)} s.`,
);
if (mismatches.length > 0) {
  console.error(`\n!!! ${mismatches.length} KEY MISMATCH(ES): see above. Exiting with 1. !!!`);
  process.exitCode = 1;
}
if (failed) {
  console.error("\n!!! A part of the benchmark failed: see the notes. Exiting with 1. !!!");
  process.exitCode = 1;
}
