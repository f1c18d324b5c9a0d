/**
 * `npm run lint:docs` (part of `npm run lint`): the documentation checks, both run even when the
 * first fails.
 *
 * - `deno test --doc` over `src/`: every code block of the JSDoc of `src/` type-checked and run
 *   (its examples must assert, and leave nothing behind);
 * - `deno doc --lint` over every public entry (`exports` of deno.json, and `src/flyteidl.ts`):
 *   each exported symbol and its public members documented, no private type in a public one.
 *   Two kinds of its findings are not ours to mend, and are counted apart, never hidden:
 *   findings in `gen/` (protobuf-es code generated from flyteidl's `.proto` files, documented
 *   as far as the `.proto` files are, and never edited by hand), and references to
 *   protobuf-es's own `Message` and `DescMessage` (the types of `@bufbuild/protobuf`, which
 *   users import from there, as for every protobuf-es message).
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

/** protobuf-es's types: public in `@bufbuild/protobuf`, not ours to re-export. */
const PROTOBUF_ES_TYPES = new Set(["Message", "DescMessage"]);

const manifest = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as {
  exports: Record<string, string>;
};
const entries = [...new Set([...Object.values(manifest.exports), "./src/flyteidl.ts"])];

const failed: string[] = [];

console.log("[lint:docs] deno test --doc src/");
const docTests = spawnSync(DENO, ["test", "--doc", "-A", "--unstable-kv", "src/"], {
  cwd: ROOT,
  stdio: "inherit",
});
if (docTests.status !== 0) failed.push("deno test --doc");

console.log(`[lint:docs] deno doc --lint ${entries.join(" ")}`);
const docLint = spawnSync(DENO, ["doc", "--lint", ...entries], {
  cwd: ROOT,
  encoding: "utf8",
  env: { ...process.env, NO_COLOR: "1" },
});
// Findings are blocks that start with "error[<rule>]: <message>" and name their place in the
// next "--> <file>:<line>:<column>" line.
const findings = `${docLint.stdout}\n${docLint.stderr}`.split(/\n(?=error\[)/)
  .filter((block) => block.startsWith("error["));
let generated = 0;
let protobufEs = 0;
const ours: string[] = [];
for (const block of findings) {
  const place = /-->\s*(\S+)/.exec(block)?.[1] ?? "";
  const privateType = /references private type '([^']+)'/.exec(block)?.[1];
  if (place.startsWith(join(ROOT, "gen") + "/")) generated++;
  else if (privateType !== undefined && PROTOBUF_ES_TYPES.has(privateType)) protobufEs++;
  else ours.push(block.split("\n").slice(0, 2).join("\n"));
}
for (const block of ours) console.log(block);
console.log(
  `[lint:docs] deno doc --lint: ${ours.length} finding(s) in our code; not ours to mend: ` +
    `${generated} in generated gen/ code, ${protobufEs} references to protobuf-es's types`,
);
if (ours.length > 0 || (docLint.status !== 0 && findings.length === 0)) {
  if (findings.length === 0) console.log(docLint.stderr);
  failed.push("deno doc --lint");
}

if (failed.length > 0) {
  console.log(`[lint:docs] FAILED: ${failed.join(", ")}`);
  process.exitCode = 1;
} else console.log("[lint:docs] passed");
