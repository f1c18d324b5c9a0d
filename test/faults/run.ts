/**
 * The fault suite: `node --import tsx test/faults/run.ts [--only part,part]`.
 *
 * Runs each part (test/faults/part.ts) in a process of its own with a time budget and a hard
 * timeout (a part past it is killed, with everything it started, and reported as a hang), then
 * prints what each part did and found. Exits 1 on any violation (or a part that is missing a
 * required component under CI), 0 otherwise. The base seed is printed first; `FAULTS_SEED`
 * overrides it, so that a failure reproduces.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  cleanUpAfter,
  clip,
  deriveSeed,
  descendants,
  FAULTS,
  LISTED_PER_KIND,
  type PartResult,
  ROOT,
  sleep,
  type Violation,
  violationCount,
} from "./common.ts";

const DEFAULT_SEED = 20_240_917;
/** The whole suite's limit: parts that would end past it are cut short or not started. */
const SUITE_LIMIT_MS = 340_000;

interface PartPlan {
  name: string;
  title: string;
  /** The part's own budget for its main activity. */
  budgetMs: number;
  /** Past this the part is killed and reported as a hang. */
  hardMs: number;
}

const PLAN: PartPlan[] = [
  {
    name: "fs-processes",
    title: "1. FsAdapter: Node processes on one directory, SIGKILLed at random",
    budgetMs: 30_000,
    hardMs: 75_000,
  },
  {
    name: "kv-processes",
    title: "2. DenoKvAdapter: Deno processes on one KV file, SIGKILLed at random",
    budgetMs: 32_000,
    hardMs: 80_000,
  },
  {
    name: "browser-tabs",
    title: "3. IndexedDbAdapter: tabs and workers on one database, tabs closed mid-write, in " +
      "Chromium, Firefox and WebKit",
    budgetMs: 54_000,
    hardMs: 150_000,
  },
  {
    name: "damaged-bytes",
    title: "4. Stored bytes damaged: files, Deno KV records, IndexedDB records (three engines)",
    budgetMs: 30_000,
    hardMs: 110_000,
  },
  {
    name: "disk-full-readonly",
    title: "5. A full disk and a read-only file system (tmpfs)",
    budgetMs: 10_000,
    hardMs: 40_000,
  },
  {
    name: "fuzz",
    title: "6. Fuzz: keys and value conversions on random and malformed inputs",
    budgetMs: 25_000,
    hardMs: 60_000,
  },
  {
    name: "diskcache-processes",
    title:
      "7. DiskcacheAdapter: Python diskcache and Node processes on one flytekit cache, SIGKILLed",
    budgetMs: 25_000,
    hardMs: 70_000,
  },
  {
    name: "redis-processes",
    title: "8. RedisAdapter: Node processes on one Redis, SIGKILLed at random, the server too",
    budgetMs: 20_000,
    hardMs: 60_000,
  },
];

const GROUP_TITLES: Record<string, string> = {
  process: "processes",
  op: "operations",
  fault: "injected faults",
  fuzz: "fuzz cases",
  check: "checks",
  task: "cached task",
  browser: "browser",
  result: "outcomes",
};

const suiteStarted = Date.now();
const seedText = process.env.FAULTS_SEED;
const baseSeed = seedText === undefined || seedText === "" ? DEFAULT_SEED : Number(seedText);
if (!Number.isSafeInteger(baseSeed)) {
  console.error(`FAULTS_SEED must be an integer, got ${JSON.stringify(seedText)}`);
  process.exit(2);
}
const onlyIndex = process.argv.indexOf("--only");
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1]?.split(",") : undefined;
const plan = only ? PLAN.filter((part) => only.includes(part.name)) : PLAN;
if (only && plan.length !== only.length) {
  console.error(`--only: known parts are ${PLAN.map((part) => part.name).join(", ")}`);
  process.exit(2);
}

console.log(
  `local-task-cache fault suite: base seed ${baseSeed} ` +
    `(FAULTS_SEED=${baseSeed} reproduces; FAULTS_SEED=<n> for another)` +
    `${process.env.CI ? "; CI: missing components fail" : ""}`,
);
console.log(`parts: ${plan.map((part) => part.name).join(", ")}`);

const scratch = await mkdtemp(join(tmpdir(), "ltc-faults-run-"));
const results: PartResult[] = [];
for (const part of plan) {
  const seed = deriveSeed(baseSeed, part.name);
  const left = SUITE_LIMIT_MS - (Date.now() - suiteStarted);
  if (left < 15_000) {
    results.push(failedResult(part, seed, 0, [{
      kind: "suite-out-of-time",
      detail: `not started: ${Math.round(left / 1000)} s of the suite's time left`,
    }]));
    continue;
  }
  const hardMs = Math.min(part.hardMs, left - 5_000);
  const budgetMs = Math.min(part.budgetMs, Math.max(5_000, hardMs - 30_000));
  console.log(`\n=== ${part.title}`);
  console.log(
    `    part ${part.name}, seed ${seed}, budget ${budgetMs / 1000} s, ` +
      `hard timeout ${Math.round(hardMs / 1000)} s`,
  );
  results.push(await runPart(part, seed, budgetMs, hardMs));
  const last = results[results.length - 1]!;
  console.log(
    `=== ${part.name}: ${last.status.toUpperCase()} in ${(last.durationMs / 1000).toFixed(1)} s, ` +
      `${violationCount(last.violations)} violation(s)`,
  );
}
await rm(scratch, { recursive: true, force: true });

const suiteMs = Date.now() - suiteStarted;
printSummary(results, suiteMs);
const failed = results.filter((result) => result.status === "failed");
const skipped = results.reduce((sum, result) => sum + result.skipped.length, 0);
console.log(
  `\nRESULT: ${failed.length === 0 ? "PASS" : "FAIL"}` +
    `${skipped > 0 ? ` (${skipped} component(s) SKIPPED: see above)` : ""}: ` +
    `${results.length} part(s), ` +
    `${
      results.reduce((sum, result) => sum + violationCount(result.violations), 0)
    } violation(s), ` +
    `${(suiteMs / 1000).toFixed(1)} s, base seed ${baseSeed}`,
);
console.log(`parts: ${results.length - failed.length} passed, ${failed.length} failed`);
if (failed.length > 0) {
  console.log(
    `again: FAULTS_SEED=${baseSeed} node --import tsx test/faults/run.ts --only ` +
      failed.map((result) => result.part).join(","),
  );
}
process.exit(failed.length === 0 ? 0 : 1);

async function runPart(
  part: PartPlan,
  seed: number,
  budgetMs: number,
  hardMs: number,
): Promise<PartResult> {
  const resultFile = join(scratch, `${part.name}.json`);
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(FAULTS, "part.ts"),
      part.name,
      String(seed),
      String(budgetMs),
      resultFile,
    ],
    { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] },
  );
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
    child.on("error", () => resolve({ code: -1, signal: null }));
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), hardMs);
  });
  const outcome = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    // Everything the part started (children, Chromium, Deno), then the part itself.
    const spawned = child.pid === undefined ? [] : descendants(child.pid);
    for (const pid of spawned.reverse()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    child.kill("SIGKILL");
    await Promise.race([exited, sleep(5_000)]);
    const undone = cleanUpAfter(`${resultFile}.undo`);
    if (undone.length > 0) console.log(`    undone after the kill: ${undone.join(", ")}`);
    return failedResult(part, seed, Date.now() - started, [{
      kind: "hang",
      detail: `the part did not finish within its hard timeout of ${hardMs / 1000} s: ` +
        `killed with ${spawned.length} process(es) it had started`,
    }]);
  }
  try {
    return JSON.parse(await readFile(resultFile, "utf8")) as PartResult;
  } catch {
    cleanUpAfter(`${resultFile}.undo`);
    return failedResult(part, seed, Date.now() - started, [{
      kind: "part-died",
      detail: `the part's process exited (${
        outcome.code ?? outcome.signal
      }) without writing its result`,
    }]);
  }
}

function failedResult(
  part: PartPlan,
  seed: number,
  durationMs: number,
  violations: PartResult["violations"],
): PartResult {
  return {
    part: part.name,
    seed,
    status: "failed",
    durationMs,
    counters: {},
    violations,
    skipped: [],
    notes: [],
  };
}

/** Counters grouped by their prefix (`op.get` is `get` in group `op`). */
function grouped(counters: Record<string, number>): Map<string, [string, number][]> {
  const groups = new Map<string, [string, number][]>();
  for (const [name, value] of Object.entries(counters)) {
    const dot = name.indexOf(".");
    const [group, item] = dot < 0 ? ["process", name] : [name.slice(0, dot), name.slice(dot + 1)];
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)!.push([item, value]);
  }
  return groups;
}

function printSummary(results: PartResult[], suiteMs: number): void {
  console.log(`\n${"=".repeat(100)}`);
  console.log(
    `FAULT SUITE SUMMARY: base seed ${baseSeed}, ${(suiteMs / 1000).toFixed(1)} s in all`,
  );
  console.log("=".repeat(100));
  const width = Math.max(...results.map((result) => result.part.length), 4);
  console.log(`${"part".padEnd(width)}  status   time     violations  skipped`);
  for (const result of results) {
    console.log(
      `${result.part.padEnd(width)}  ${result.status.toUpperCase().padEnd(7)}  ` +
        `${`${(result.durationMs / 1000).toFixed(1)} s`.padEnd(7)}  ` +
        `${String(violationCount(result.violations)).padEnd(10)}  ` +
        `${result.skipped.length === 0 ? "-" : result.skipped.length}`,
    );
  }
  for (const result of results) {
    console.log(
      `\n${result.part} (seed ${result.seed}): ${result.status.toUpperCase()}, ` +
        `${(result.durationMs / 1000).toFixed(1)} s`,
    );
    for (const [group, items] of grouped(result.counters)) {
      const text = items.map(([item, value]) => `${item} ${value}`).join(", ");
      console.log(`  ${(GROUP_TITLES[group] ?? group).padEnd(16)} ${text}`);
    }
    for (const reason of result.skipped) console.log(`  SKIPPED          ${reason}`);
    for (const note of result.notes) console.log(`  note             ${note}`);
    if (result.violations.length === 0) {
      console.log("  violations       none");
      continue;
    }
    const byKind = new Map<string, Violation[]>();
    for (const violation of result.violations) {
      if (!byKind.has(violation.kind)) byKind.set(violation.kind, []);
      byKind.get(violation.kind)!.push(violation);
    }
    for (const [kind, violations] of byKind) {
      console.log(`  VIOLATIONS       ${kind}: ${violationCount(violations)}`);
      for (const violation of violations.slice(0, 5)) {
        const times = (violation.count ?? 1) > 1 ? `${violation.count} x ` : "";
        console.log(`    - ${times}${clip(violation.detail, 600)}`);
      }
      if (violations.length > 5) {
        console.log(
          `    ... and ${violationCount(violations.slice(5))} more (the first ` +
            `${LISTED_PER_KIND} of a kind are in the part's log above)`,
        );
      }
    }
  }
}
