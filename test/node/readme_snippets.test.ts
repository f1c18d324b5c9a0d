/**
 * Every ```ts snippet of README.md, as a user copies it: each is saved as its own file in an
 * empty ES module project (`"type": "module"`) where `local-task-cache` is this repository's
 * source, type-checked there with `tsc` (strict), and run with `node --import tsx` in its own
 * working directory, with its own home directory (so the default cache directories are there). A snippet that needs an
 * outside server says so on its first line, `// needs: redis-server`; the test starts one for
 * it and gives its address in the environment (see README, Tests).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { REDIS_SERVER, startRedis } from "../support/redis_server.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Snippet {
  /** The line of README.md where the code starts. */
  line: number;
  code: string;
  /** What its first line says it needs: `// needs: a, b`. */
  needs: string[];
}

/** The ```ts blocks of the README, in order. */
function readmeSnippets(): Snippet[] {
  const lines = readFileSync(join(ROOT, "README.md"), "utf8").split("\n");
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "```ts") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== "```") end++;
    const code = lines.slice(start, end).join("\n") + "\n";
    const needs = /^\/\/ needs: (.+)$/.exec(lines[start] ?? "")?.[1]?.split(/[\s,]+/) ?? [];
    snippets.push({ line: start + 1, code, needs: needs.filter((need) => need !== "") });
    i = end;
  }
  return snippets;
}

/** The package's exports as TypeScript paths to the sources (`./dist/src/x.d.ts` -> `src/x.ts`). */
function sourcePaths(): Record<string, string[]> {
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    name: string;
    exports: Record<string, string | { types?: string }>;
  };
  const paths: Record<string, string[]> = {
    "#runtime": [join(ROOT, "src", "runtime", "node.ts")],
  };
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    const types = typeof target === "string" ? undefined : target.types;
    if (types === undefined || !types.startsWith("./dist/src/")) continue;
    const source = join(ROOT, "src", types.slice("./dist/src/".length).replace(/\.d\.ts$/, ".ts"));
    paths[manifest.name + subpath.slice(1)] = [source];
  }
  return paths;
}

const project = mkdtempSync(join(tmpdir(), "ltc-snippets-"));
after(() => rmSync(project, { recursive: true, force: true }));

const snippets = readmeSnippets();
const file = (snippet: Snippet) => join(project, `line-${snippet.line}`, "snippet.ts");

writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module", private: true }));
symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
writeFileSync(
  join(project, "tsconfig.json"),
  JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2024", "DOM", "DOM.Iterable"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      allowImportingTsExtensions: true, // the sources import with `.ts`
      types: ["node"],
      paths: sourcePaths(),
    },
    include: ["line-*/snippet.ts"],
  }),
);
for (const snippet of snippets) {
  mkdirSync(join(project, `line-${snippet.line}`));
  writeFileSync(file(snippet), snippet.code);
}

/** Missing in CI: a failure; elsewhere a skip saying why. */
function unavailable(t: TestContext, reason: string): void {
  if (process.env.CI) assert.fail(`${reason} (CI must run this test)`);
  t.skip(reason);
}

/**
 * Starts what a snippet needs and resolves to the environment that points it there, or to
 * `undefined` when it is not installed (the test has then been skipped or failed).
 */
const NEEDS: Record<
  string,
  (t: TestContext) => Promise<Record<string, string> | undefined>
> = {
  "redis-server": async (t) => {
    if (!existsSync(REDIS_SERVER)) {
      unavailable(t, "redis-server is not installed (apt-get install redis-server)");
      return undefined;
    }
    const server = await startRedis();
    t.after(() => server.stop());
    return { REDIS_URL: server.url };
  },
};

test("README snippets type-check as written (strict, ES modules)", () => {
  assert.ok(snippets.length >= 5, `found ${snippets.length} ts snippets in README.md`);
  const result = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", project],
    { encoding: "utf8", cwd: project },
  );
  const report = result.stdout.replace(
    /line-(\d+)\/snippet\.ts\((\d+),/g,
    (_, line, at) => `README.md:${Number(line) + Number(at) - 1} (`,
  );
  assert.equal(result.status, 0, `tsc found errors in README snippets:\n${report}`);
});

for (const snippet of snippets) {
  test(
    `README snippet at line ${snippet.line} runs${
      snippet.needs.length > 0 ? ` (with ${snippet.needs.join(", ")})` : ""
    }`,
    async (t) => {
      const home = join(project, `line-${snippet.line}`, "home");
      mkdirSync(home);
      // Whatever a snippet keeps in the default places (the per-user cache directory,
      // flytekit's ~/.flyte) lands in its own directory, removed with the project.
      const env: Record<string, string | undefined> = {
        ...process.env,
        HOME: home,
        USERPROFILE: home,
        XDG_CACHE_HOME: undefined,
        LOCAL_TASK_CACHE_DIR: undefined,
        TSX_TSCONFIG_PATH: join(project, "tsconfig.json"),
      };
      for (const need of snippet.needs) {
        const start = NEEDS[need];
        assert.ok(
          start,
          `README.md:${snippet.line}: unknown need "${need}" (known: ${Object.keys(NEEDS)})`,
        );
        const given = await start(t);
        if (given === undefined) return;
        Object.assign(env, given);
      }
      const child = spawn(process.execPath, ["--import", "tsx", file(snippet)], {
        cwd: join(project, `line-${snippet.line}`),
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout!.setEncoding("utf8").on("data", (text: string) => (output += text));
      child.stderr!.setEncoding("utf8").on("data", (text: string) => (output += text));
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const [code, signal] = await once(child, "exit");
      clearTimeout(timer);
      assert.equal(
        signal,
        null,
        `README.md:${snippet.line}: still running after 60 s (left something open?):\n${output}`,
      );
      assert.equal(code, 0, `README.md:${snippet.line} failed:\n${output}`);
    },
  );
}
