/**
 * `npm run bench:diskcache`: the flytekit cache part of the benchmark (bench/flytekit.ts) alone,
 * its table printed: `TaskCache` over `DiskcacheAdapter` against Python's diskcache on
 * flytekit's path and alone, and this runtime's floor of one file per entry.
 *
 * Needs a runtime whose SQLite writes diskcache's database (Node >= 22.13, Deno, Bun):
 * `npm run bench:diskcache` runs it on the engines' Node 22. With `--json`, it prints the
 * figures as JSON instead (for `npm run bench`, which runs in Node 20).
 *
 * @module
 */
import process from "node:process";
import { flytekitTable, measureFlytekit } from "./flytekit.ts";
import { probePython } from "./python.ts";
import { mismatches } from "./report.ts";

const python = probePython();
if (python.diskSkipped !== undefined) {
  console.error(`bench:diskcache needs Python's diskcache: ${python.diskSkipped}`);
  process.exit(1);
}
const result = await measureFlytekit(python);
if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ ...result, mismatches }));
} else {
  console.log(`\nflytekit's cache directory, µs per operation, Python ${python.version}:\n`);
  console.log(flytekitTable(result));
  if (mismatches.length > 0) process.exitCode = 1;
}
