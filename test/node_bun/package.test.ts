/**
 * The package as users get it: `npm pack`, installed into an empty project, imported from Node
 * ESM and type-checked from TypeScript; publint and arethetypeswrong find nothing.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = (name: string) => join(root, "node_modules", ".bin", name);
let work: string;
let tarball: string;
let project: string;

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  assert.equal(
    result.status,
    0,
    `${command} ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

before(() => {
  work = mkdtempSync(join(tmpdir(), "ltc-pack-"));
  run("npm", ["pack", "--silent", "--pack-destination", work], root);
  const packed = readdirSync(work).find((name) => name.endsWith(".tgz"));
  assert.ok(packed, "npm pack made a tarball");
  tarball = join(work, packed);
  project = join(work, "project");
  execFileSync("mkdir", ["-p", project]);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], project);
});

after(() => rmSync(work, { recursive: true, force: true }));

test("imports from Node ESM: the entry, the flyteidl subpath and the fs adapter work", () => {
  writeFileSync(
    join(project, "check.mjs"),
    `
import { create } from "@bufbuild/protobuf";
import { calculateCacheKey, TaskCache } from "local-task-cache";
import { LiteralMapSchema } from "local-task-cache/flyteidl";
import { FsAdapter } from "local-task-cache/adapters/fs";
import { MemoryAdapter } from "local-task-cache/adapters/memory";
import { DenoKvAdapter } from "local-task-cache/adapters/deno-kv";
import * as main from "local-task-cache";
// The Flyte IDL schemas are on their own subpath, not on the main entry.
console.log(LiteralMapSchema.typeName, "LiteralMapSchema" in main);
const inputs = create(LiteralMapSchema);
console.log(calculateCacheKey("t.produce_dc", "1", inputs));
// In the project's directory, which the test removes (not left behind in the temporary one).
const cache = new TaskCache(new FsAdapter({ directory: "consumer-cache" }));
await cache.set("t", "1", inputs, [], inputs);
console.log(
  (await cache.get("t", "1", inputs)) !== undefined,
  new MemoryAdapter() !== undefined,
  typeof DenoKvAdapter === "function",
);
await cache.close();
`,
  );
  const out = run(process.execPath, ["check.mjs"], project);
  assert.equal(
    out,
    "flyteidl.core.LiteralMap false\nt.produce_dc-1-ea65cfadb0079394a8be1f4aa1e96e2b\n" +
      "true true true\n",
  );
});

test("types resolve from TypeScript (nodenext)", () => {
  writeFileSync(
    join(project, "check.ts"),
    `
import { create } from "@bufbuild/protobuf";
import { type CacheAdapter, cachedTask, calculateCacheKey, LocalTaskCache, t } from "local-task-cache";
import { type LiteralMap, LiteralMapSchema } from "local-task-cache/flyteidl";
import { FsAdapter } from "local-task-cache/adapters/fs";
// @ts-expect-error the Flyte IDL schemas are on local-task-cache/flyteidl, not the main entry
import { LiteralSchema } from "local-task-cache";
void LiteralSchema;
const inputs: LiteralMap = create(LiteralMapSchema);
const key: string = calculateCacheKey("t", "1", inputs);
const adapter: CacheAdapter = new FsAdapter({ directory: "/tmp/x" });
// @ts-expect-error the cache version must be a string
calculateCacheKey("t", 1, inputs);
void LocalTaskCache.initialize({ adapter });
// Cached tasks are typed end to end: inputs and outputs keep their types.
const add = cachedTask({
  name: "add",
  version: "1",
  inputs: { a: t.int, names: t.list(t.string), when: t.datetime },
  outputs: { sum: t.int, at: t.datetime },
}, ({ a, names, when }) => ({ sum: a + names.length, at: when }));
const result: Promise<{ sum: number; at: Date }> = add({ a: 1, names: ["x"], when: new Date() });
// @ts-expect-error a string is not an int
void add({ a: "1", names: [], when: new Date() });
// @ts-expect-error an input is missing
void add({ a: 1, names: [] });
const single = cachedTask({ name: "s", version: "1", inputs: {}, outputs: t.float }, () => 1.5);
const one: Promise<number> = single({});
// @ts-expect-error the task must return its declared outputs
cachedTask({ name: "b", version: "1", inputs: {}, outputs: { sum: t.int } }, () => ({ sum: "x" }));
const none: Promise<void> = cachedTask({ name: "n", version: "1", inputs: {} }, () => {})({});
export { key, none, one, result };
`,
  );
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: [],
      },
      files: ["check.ts"],
    }),
  );
  run(bin("tsc"), ["-p", "tsconfig.json"], project);
});

test("a browser bundle of the entry has no node: module and no Node global", () => {
  writeFileSync(
    join(project, "browser.mjs"),
    `
import { create } from "@bufbuild/protobuf";
import { cachedTask, calculateCacheKey, LocalTaskCache, t } from "local-task-cache";
import { LiteralMapSchema } from "local-task-cache/flyteidl";
import { IndexedDbAdapter } from "local-task-cache/adapters/indexeddb";
import { MemoryAdapter } from "local-task-cache/adapters/memory";
await LocalTaskCache.initialize({ adapter: new MemoryAdapter() });
globalThis.task = cachedTask({ name: "b", version: "1", inputs: { n: t.int } }, () => {});
globalThis.key = calculateCacheKey("t.produce_dc", "1", create(LiteralMapSchema));
globalThis.adapter = typeof IndexedDbAdapter;
`,
  );
  const bundle = join(project, "bundle.js");
  run(bin("esbuild"), [
    "browser.mjs",
    "--bundle",
    "--platform=browser",
    "--format=esm",
    `--outfile=${bundle}`,
    "--log-level=warning",
  ], project);
  // protobuf-es reads process.env.BUF_BIGINT_DISABLE behind `typeof process` checks: not a use.
  // The doc comments esbuild keeps are not code (their examples import node:assert).
  const code = readFileSync(bundle, "utf8").replace(/^.*BUF_BIGINT_DISABLE.*$/m, "")
    .replace(/\/\*\*[\s\S]*?\*\//g, "");
  assert.doesNotMatch(code, /\bnode:|from "(crypto|fs|os|path)"/, "no Node module in the bundle");
  assert.doesNotMatch(code, /\b(process|Buffer|Deno)\.\w/, "no Node or Deno global in the bundle");
  assert.match(code, /@noble\/hashes|md5/i, "the portable MD5 is in the bundle");
  // The bundle runs without Node's globals and gives flytekit's key.
  const out = run(process.execPath, [
    "--input-type=module",
    "-e",
    `delete globalThis.process; delete globalThis.Buffer; await import(${
      JSON.stringify(bundle)
    }); console.log(globalThis.key, globalThis.adapter);`,
  ], project);
  assert.equal(out, "t.produce_dc-1-ea65cfadb0079394a8be1f4aa1e96e2b function\n");
});

test("publint reports nothing", () => {
  const out = run(bin("publint"), ["run", "--strict", tarball], root);
  assert.doesNotMatch(out, /warning|error|suggestion/i, out);
});

test("arethetypeswrong reports nothing (ESM-only package)", () => {
  run(bin("attw"), ["--profile", "esm-only", "--format", "table-flipped", tarball], root);
});

test("the installed bin: local-task-cache --help, and stats of a directory", () => {
  const help = run("npx", ["--no-install", "local-task-cache", "--help"], project);
  assert.match(help, /Usage:\s+local-task-cache \[options\] <command>/);
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  assert.equal(
    run("npx", ["--no-install", "local-task-cache", "--version"], project),
    `local-task-cache ${version}\n`,
  );
  const directory = mkdtempSync(join(tmpdir(), "ltc-bin-"));
  try {
    const stats = JSON.parse(
      run(
        "npx",
        ["--no-install", "local-task-cache", "--dir", directory, "stats", "--json"],
        project,
      ),
    );
    assert.equal(stats.entries, 0);
    assert.equal(stats.directory, directory);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
