/**
 * `npm run lint:docs`: the documentation checks, both run even when the first fails.
 *
 * - `deno test --doc` over `src/`: every code block of the JSDoc of `src/` type-checked and run
 *   (its examples must assert, and leave nothing behind);
 * - `deno doc --lint` over every public entry (`exports` of deno.json, and `src/flyteidl.ts`):
 *   each exported symbol and its public members documented, no private type in a public one.
 *
 * The exit status is 1 if either failed.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DENO = join(ROOT, "node_modules", ".bin", "deno");

const manifest = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as {
  exports: Record<string, string>;
};
const entries = [...new Set([...Object.values(manifest.exports), "./src/flyteidl.ts"])];

const checks: [name: string, args: string[]][] = [
  ["deno test --doc", ["test", "--doc", "-A", "--unstable-kv", "src/"]],
  ["deno doc --lint", ["doc", "--lint", ...entries]],
];
const failed: string[] = [];
for (const [name, args] of checks) {
  console.log(`[lint:docs] ${name}`);
  const result = spawnSync(DENO, args, { cwd: ROOT, stdio: "inherit" });
  if (result.status !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.log(`[lint:docs] FAILED: ${failed.join(", ")}`);
  process.exitCode = 1;
} else console.log("[lint:docs] passed");
