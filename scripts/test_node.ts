/**
 * Node's test runner on folders: every `*.test.ts` under the folders given (at any depth),
 * found here because Node 20's `node --test` takes files only (globs came in Node 21), run by
 * the Node that runs this script, so a new test file is found without being listed anywhere.
 *
 *   node --import tsx scripts/test_node.ts [--node-option ...] <folder>...
 *
 * Arguments starting with `--` go to `node --test` (e.g. `--test-name-pattern=...`); the exit
 * status is the test runner's.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

/** The test files under `folder`, sorted. */
function testFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return testFiles(path);
      return entry.isFile() && entry.name.endsWith(".test.ts") ? [path] : [];
    });
}

const args = process.argv.slice(2);
const options = args.filter((arg) => arg.startsWith("--"));
const folders = args.filter((arg) => !arg.startsWith("--"));
const files = folders.flatMap(testFiles);
if (folders.length === 0 || files.length === 0) {
  console.error(
    `scripts/test_node.ts: no *.test.ts under ${folders.join(", ") || "(no folder given)"}`,
  );
  process.exit(2);
}
const child = spawn(process.execPath, ["--import", "tsx", "--test", ...options, ...files], {
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => child.kill(signal));
}
child.on("close", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
