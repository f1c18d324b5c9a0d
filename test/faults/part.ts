/**
 * Runs one part of the fault suite in a process of its own (so that the orchestrator can kill
 * it, and whatever it started, when it hangs), and writes its result as JSON.
 *
 * `node --import tsx test/faults/part.ts <part> <seed> <budget ms> <result file>`
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { describeError, type Part, PartContext, type PartResult } from "./common.ts";

/** The parts, by name, loaded on demand. */
export const PARTS: Record<string, () => Promise<Part>> = {
  "fs-processes": async () => (await import("./fs_multi.ts")).fsMulti,
  "kv-processes": async () => (await import("./kv_multi.ts")).kvMulti,
  "browser-tabs": async () => (await import("./browser_tabs.ts")).browserTabs,
  "damaged-bytes": async () => (await import("./damage.ts")).damage,
  "disk-full-readonly": async () => (await import("./disk.ts")).disk,
  "fuzz": async () => (await import("./fuzz.ts")).fuzz,
  "diskcache-processes": async () => (await import("./diskcache_multi.ts")).diskcacheMulti,
  "redis-processes": async () => (await import("./redis_multi.ts")).redisMulti,
};

/**
 * The fewest operations (counters `op.*` and `fuzz.cases`) a part must have done to pass: a part
 * that did (almost) no work checked nothing. Far below what a run does on a loaded machine.
 */
const MIN_OPERATIONS: Record<string, number> = {
  "fs-processes": 100,
  "kv-processes": 50,
  "browser-tabs": 20,
  "damaged-bytes": 20,
  "disk-full-readonly": 5,
  "fuzz": 500,
  "diskcache-processes": 50,
  "redis-processes": 50,
};

/** The operations counted in `counters`. */
function operationsIn(counters: Record<string, number>): number {
  return Object.entries(counters)
    .filter(([kind]) => kind.startsWith("op.") || kind === "fuzz.cases")
    .reduce((sum, [, n]) => sum + n, 0);
}

const [name, seedText, budgetText, resultFile] = process.argv.slice(2);
const context = new PartContext(
  name!,
  Number(seedText),
  Number(budgetText),
  `${resultFile}.undo`,
);
const started = performance.now();
// Whatever escapes a part (a rejection nobody handled, an exception in a callback) is a finding.
process.on("unhandledRejection", (reason) => {
  context.violation("unhandled-rejection", describeError(reason));
});
process.on("uncaughtException", (error) => {
  context.violation("uncaught-exception", describeError(error));
});
try {
  const load = PARTS[name!];
  if (load === undefined) throw new Error(`no part named ${name}`);
  await (await load())(context);
} catch (error) {
  context.violation(
    "part-crashed",
    `${describeError(error)}\n${error instanceof Error ? error.stack ?? "" : ""}`,
  );
}
const didSomething = Object.keys(context.counters).length > 0;
const minimum = MIN_OPERATIONS[name!] ?? 1;
const operations = operationsIn(context.counters);
if (context.skipped.length === 0 && operations < minimum) {
  context.violation(
    "too-little-work",
    `${operations} operations, at least ${minimum} expected: the part checked (almost) nothing`,
  );
}
const result: PartResult = {
  part: name!,
  seed: context.seed,
  status: context.violations.length > 0
    ? "failed"
    : context.skipped.length > 0 && !didSomething
    ? "skipped"
    : "passed",
  durationMs: performance.now() - started,
  counters: context.counters,
  violations: context.violations,
  skipped: context.skipped,
  notes: context.notes,
};
writeFileSync(resultFile!, JSON.stringify(result));
process.exit(0);
