/**
 * The `local-task-cache` command line tool, end to end on real temporary directories: as a
 * child process (Node, and once Deno) and in-process through `main()`.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { EntryInfo } from "../../src/adapter.ts";
import { FsAdapter } from "../../src/adapters/fs.ts";
import { type CliIo, main } from "../../src/cli/main.ts";
import { formatBytes } from "../../src/cli/format.ts";
import { calculateCacheKey } from "../../src/keys/key.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import { integer, literalMap, string } from "../support/literals.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "src", "cli", "main.ts");
const DENO = join(ROOT, "node_modules", "deno", "deno");
const run = promisify(execFile);

/** An entry as `list --json` prints it. */
interface ListedEntry extends EntryInfo {
  createdAtIso: string;
  lastReadAtIso: string;
}

/** A fresh temporary directory, removed when the test ends. */
async function tempDir(t: TestContext): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-cli-"));
  t.after(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function inputs(n: number) {
  return literalMap({ n: integer(BigInt(n)) });
}

/** Outputs of `bytes` characters of text: entries of (about) the same size. */
function outputs(bytes = 100) {
  return literalMap({ o0: string("x".repeat(bytes)) });
}

/** Stores entries `0 .. count - 1` of `taskName` at `version`; resolves to their keys. */
async function populate(
  directory: string,
  taskName: string,
  version: string,
  count: number,
  first = 0,
): Promise<string[]> {
  const cache = new TaskCache(new FsAdapter({ directory }));
  try {
    const keys: string[] = [];
    for (let n = first; n < first + count; n++) {
      await cache.set(taskName, version, inputs(n), [], outputs());
      keys.push(calculateCacheKey(taskName, version, inputs(n)));
    }
    return keys;
  } finally {
    await cache.close();
  }
}

/** Reads entry `n` of `taskName` at `version` (a hit records the read time). */
async function read(directory: string, taskName: string, version: string, n: number) {
  const cache = new TaskCache(new FsAdapter({ directory }));
  try {
    assert.ok(await cache.get(taskName, version, inputs(n)), `entry ${n} of ${taskName} hits`);
  } finally {
    await cache.close();
  }
}

/** Runs `main` in-process, collecting what it writes. */
async function cli(argv: string[], io: Partial<CliIo> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    isTTY: false,
    ...io,
  });
  return { code, stdout, stderr };
}

async function listed(directory: string): Promise<ListedEntry[]> {
  const { code, stdout, stderr } = await cli(["--dir", directory, "list", "--json"]);
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout);
}

/** Runs the CLI as a child process under Node; a non-zero exit status resolves too. */
async function child(args: string[], options: { uid?: number; gid?: number } = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", CLI, ...args], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, LOCAL_TASK_CACHE_DIR: "" },
      ...options,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw error;
    return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

test("list --json in a child process: every entry, ISO dates, most recently read first", async (t) => {
  const directory = await tempDir(t);
  const keys = [
    ...await populate(directory, "alpha", "v1", 2),
    ...await populate(directory, "beta", "v2", 1),
  ];
  const { stdout, stderr } = await run(
    process.execPath,
    ["--import", "tsx", CLI, "--dir", directory, "list", "--json"],
    { cwd: ROOT, encoding: "utf8" },
  );
  assert.equal(stderr, "");
  const entries: ListedEntry[] = JSON.parse(stdout);
  assert.deepEqual(entries.map((entry) => entry.key).sort(), [...keys].sort());
  for (const entry of entries) {
    assert.equal(entry.taskName, entry.key.startsWith("alpha-") ? "alpha" : "beta");
    assert.equal(entry.cacheVersion, entry.taskName === "alpha" ? "v1" : "v2");
    assert.ok(entry.size > 100, "the stored outputs' size");
    assert.equal(entry.createdAtIso, new Date(entry.createdAt).toISOString());
    assert.equal(entry.lastReadAtIso, new Date(entry.lastReadAt).toISOString());
    assert.ok(Math.abs(entry.createdAt - Date.now()) < 60_000);
    // Whole milliseconds, though the file system keeps finer modification times.
    assert.ok(Number.isInteger(entry.createdAt), `createdAt ${entry.createdAt}`);
    assert.ok(Number.isInteger(entry.lastReadAt), `lastReadAt ${entry.lastReadAt}`);
  }
  for (let i = 1; i < entries.length; i++) {
    assert.ok(entries[i - 1]!.lastReadAt >= entries[i]!.lastReadAt, "sorted by lastReadAt desc");
  }
  // Options before the command work too.
  assert.deepEqual(await listed(directory), entries);
});

test("list: a table with ages and short keys; --task and --cache-version filter", async (t) => {
  const directory = await tempDir(t);
  const [alphaKey] = await populate(directory, "alpha", "v1", 2);
  await populate(directory, "beta", "v2", 1);
  const { code, stdout, stderr } = await cli(["list", "--dir", directory]);
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "");
  const lines = stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /^TASK\s+VERSION\s+SIZE\s+CREATED\s+LAST READ\s+KEY$/);
  assert.equal(lines.length, 5, "a heading, 3 entries, a summary");
  assert.match(stdout, /alpha\s+v1\s+\d+ B\s+just now\s+just now\s+[0-9a-f]{12}\n/);
  assert.ok(stdout.includes(alphaKey!.split("-")[2]!.slice(0, 12)), "the key's hash, shortened");
  assert.match(lines[4]!, new RegExp(`^3 entries, \\d+ B in ${directory}$`));

  const alpha = await cli(["--dir", directory, "list", "--task", "alpha", "--json"]);
  const alphaEntries: ListedEntry[] = JSON.parse(alpha.stdout);
  assert.deepEqual(alphaEntries.map((entry) => entry.taskName), ["alpha", "alpha"]);
  const v2 = JSON.parse(
    (await cli(["--dir", directory, "list", "--cache-version=v2", "--json"]))
      .stdout,
  ) as ListedEntry[];
  assert.deepEqual(v2.map((entry) => entry.taskName), ["beta"]);
  const none = await cli(["--dir", directory, "list", "--task", "gamma"]);
  assert.equal(none.stdout, `No entries of task "gamma" in ${directory}\n`);
});

test("stats: counts and bytes, in all and by task; text and JSON", async (t) => {
  const directory = await tempDir(t);
  await populate(directory, "alpha", "v1", 3);
  await populate(directory, "beta", "v1", 1);
  const entries = await listed(directory);
  const bytes = entries.reduce((sum, entry) => sum + entry.size, 0);
  const taskBytes = (name: string) =>
    entries.filter((entry) => entry.taskName === name).reduce((sum, entry) => sum + entry.size, 0);

  const json = await cli(["--dir", directory, "--json", "stats"]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), {
    directory,
    entries: 4,
    bytes,
    tasks: [
      { taskName: "alpha", entries: 3, bytes: taskBytes("alpha") },
      { taskName: "beta", entries: 1, bytes: taskBytes("beta") },
    ],
  });
  const text = await cli(["--dir", directory, "stats"]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /Entries:\s+4\n/);
  assert.match(
    text.stdout,
    new RegExp(`Total size:\\s+${formatBytes(bytes)} \\(${bytes} bytes\\)`),
  );
  assert.match(text.stdout, /TASK\s+ENTRIES\s+SIZE\n/);
  assert.match(text.stdout, new RegExp(`alpha\\s+3\\s+${formatBytes(taskBytes("alpha"))}\n`));
  assert.match(text.stdout, new RegExp(`beta\\s+1\\s+${formatBytes(taskBytes("beta"))}\n`));
});

test("the directory defaults to LOCAL_TASK_CACHE_DIR", async (t) => {
  const directory = await tempDir(t);
  await populate(directory, "alpha", "v1", 1);
  const { code, stdout } = await cli(["stats", "--json"], {
    env: { LOCAL_TASK_CACHE_DIR: directory },
  });
  assert.equal(code, 0);
  assert.equal(JSON.parse(stdout).directory, directory);
  assert.equal(JSON.parse(stdout).entries, 1);
});

test("a directory that does not exist is an empty cache, and is not created", async (t) => {
  const directory = join(await tempDir(t), "not", "there");
  const list = await cli(["--dir", directory, "list"]);
  assert.deepEqual(list, { code: 0, stdout: `No entries in ${directory}\n`, stderr: "" });
  assert.deepEqual(JSON.parse((await cli(["--dir", directory, "list", "--json"])).stdout), []);
  const stats = await cli(["--dir", directory, "stats", "--json"]);
  assert.deepEqual(JSON.parse(stats.stdout), { directory, entries: 0, bytes: 0, tasks: [] });
  assert.match((await cli(["--dir", directory, "stats"])).stdout, /Entries:\s+0\n/);
  const prune = await cli(["--dir", directory, "prune", "--max-size", "0", "--json"]);
  assert.deepEqual(JSON.parse(prune.stdout), {
    removed: 0,
    removedBytes: 0,
    remaining: 0,
    remainingBytes: 0,
  });
  const clear = await cli(["--dir", directory, "clear", "--json"]);
  assert.deepEqual(JSON.parse(clear.stdout), { removed: 0, removedBytes: 0 });
  assert.equal(existsSync(directory), false);
});

test("clear --task removes only that task's entries; clear alone removes them all", async (t) => {
  const directory = await tempDir(t);
  await populate(directory, "alpha", "v1", 3);
  const beta = await populate(directory, "beta", "v1", 2);
  const before = await listed(directory);
  const alphaBytes = before.filter((entry) => entry.taskName === "alpha")
    .reduce((sum, entry) => sum + entry.size, 0);

  const cleared = await cli(["--dir", directory, "clear", "--task", "alpha"]);
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.equal(
    cleared.stdout,
    `Removed 3 entries of task "alpha" (${formatBytes(alphaBytes)}) from ${directory}\n`,
  );
  assert.deepEqual((await listed(directory)).map((entry) => entry.key).sort(), beta.sort());

  await populate(directory, "alpha", "v2", 1);
  const json = await cli([
    "--dir",
    directory,
    "clear",
    "--task",
    "alpha",
    "--cache-version",
    "v1",
    "--json",
  ]);
  assert.deepEqual(JSON.parse(json.stdout), { removed: 0, removedBytes: 0 }, "none left at v1");
  assert.equal((await listed(directory)).length, 3);

  const all = await cli(["--dir", directory, "clear"]);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^Removed 3 entries \(\d+ B\) from /);
  assert.deepEqual(await listed(directory), []);
  assert.ok(existsSync(directory), "the directory stays");
});

test("prune --max-size removes the least recently read entries first", async (t) => {
  const directory = await tempDir(t);
  const [a, b, c] = await populate(directory, "t", "v1", 3);
  // Reads are recorded to within a second: wait longer than that between them.
  await sleep(1100);
  await read(directory, "t", "v1", 2); // c
  await sleep(1100);
  await read(directory, "t", "v1", 0); // a
  const entries = await listed(directory);
  assert.deepEqual(entries.map((entry) => entry.key), [a, c, b], "list: last read first");
  const size = (key: string) => entries.find((entry) => entry.key === key)!.size;

  const first = await cli([
    "--dir",
    directory,
    "prune",
    "--max-size",
    String(size(a!) + size(c!)),
    "--json",
  ]);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout), {
    removed: 1,
    removedBytes: size(b!),
    remaining: 2,
    remainingBytes: size(a!) + size(c!),
  });
  assert.deepEqual((await listed(directory)).map((entry) => entry.key), [a, c]);

  const second = await cli(["--dir", directory, "prune", "--max-size", `${size(a!)}B`]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /^Removed 1 entry \(\d+ B\); 1 entry remains \(\d+ B\) in /);
  assert.deepEqual((await listed(directory)).map((entry) => entry.key), [a]);
});

test("prune --older-than removes only the entries created longer ago", async (t) => {
  const directory = await tempDir(t);
  await populate(directory, "t", "v1", 2);
  await sleep(1500);
  const young = await populate(directory, "t", "v1", 2, 10);
  const { code, stdout, stderr } = await cli(["--dir", directory, "prune", "--older-than=1s"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^Removed 2 entries \(\d+ B\); 2 entries remain \(\d+ B\) in /);
  assert.deepEqual((await listed(directory)).map((entry) => entry.key).sort(), young.sort());
  const none = await cli(["--dir", directory, "prune", "--older-than", "1h", "--json"]);
  assert.equal(JSON.parse(none.stdout).removed, 0);
});

test("a progress bar on stderr only when it is a terminal and not --json", async (t) => {
  const directory = await tempDir(t);
  const bar = /\r[a-z]+ \[[#.]{30}\] \d+\/\d+/;
  await populate(directory, "t", "v1", 40);
  const quiet = await cli(["--dir", directory, "prune", "--max-size", "1MiB"], { isTTY: false });
  assert.equal(quiet.stderr, "");

  const json = await cli(["--dir", directory, "prune", "--max-size", "0", "--json"], {
    isTTY: true,
  });
  assert.equal(json.stderr, "", "no bar with --json");
  assert.equal(JSON.parse(json.stdout).removed, 40);

  await populate(directory, "t", "v1", 40);
  const pruned = await cli(["--dir", directory, "prune", "--max-size", "0"], { isTTY: true });
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stderr, bar);
  assert.match(pruned.stderr, /\[#{30}\] 40\/40/, "the bar reaches the end");
  assert.ok(pruned.stderr.endsWith("\r"), "and is erased");
  assert.ok(!pruned.stdout.includes("\r"), "stdout has no bar");

  await populate(directory, "t", "v1", 40);
  await populate(directory, "u", "v1", 1);
  const cleared = await cli(["--dir", directory, "clear", "--task", "t"], { isTTY: true });
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.match(cleared.stderr, /\rclearing \[#{30}\] 40\/40/);
  const untty = await cli(["--dir", directory, "clear", "--task", "u"], { isTTY: false });
  assert.deepEqual([untty.code, untty.stderr], [0, ""]);
});

test("bad arguments: one line on stderr naming the problem, exit status 2", async (t) => {
  const directory = await tempDir(t);
  const cases: [string[], RegExp][] = [
    [[], /no command given/],
    [["frob"], /unknown command "frob"/],
    [["list", "--bogus"], /unknown option --bogus/],
    [["-x", "list"], /unknown option -x/],
    [["list", "--task"], /option --task needs a value/],
    [["list", "--task", "--json"], /option --task needs a value/],
    [["list", "--dir"], /option --dir needs a value/],
    [["list", "--dir="], /option --dir needs a non-empty path/],
    [["list", "--task", "a", "--task", "b"], /--task is given more than once/],
    [["list", "--json=yes"], /--json takes no value/],
    [["list", "extra"], /unexpected argument "extra" after list/],
    [["stats", "--task", "a"], /option --task does not apply to stats/],
    [["list", "--older-than", "1d"], /option --older-than does not apply to list/],
    [["prune"], /prune needs --older-than or --max-size/],
    [["prune", "--older-than", "soon"], /bad duration for --older-than: "soon"/],
    [["prune", "--older-than", "-5s"], /option --older-than needs a value/],
    [["prune", "--older-than", "5M"], /bad duration/],
    [["prune", "--max-size", "12XB"], /bad size for --max-size: "12XB"/],
    [["prune", "--max-size", "1e3"], /bad size/],
  ];
  for (const [argv, problem] of cases) {
    const dir = argv.some((arg) => arg.startsWith("--dir")) ? [] : ["--dir", directory];
    const { code, stdout, stderr } = await cli([...dir, ...argv]);
    const what = JSON.stringify(argv);
    assert.equal(code, 2, what);
    assert.equal(stdout, "", what);
    assert.match(stderr, problem, what);
    assert.match(stderr, /^local-task-cache: [^\n]*; run local-task-cache --help\n$/, what);
  }
  const spawned = await child(["--dir", directory, "prune", "--max-size", "lots"]);
  assert.equal(spawned.code, 2);
  assert.match(spawned.stderr, /bad size for --max-size: "lots"/);
});

test("--help lists every command and option with examples; --version", async () => {
  const help = await cli(["--help"]);
  assert.equal(help.code, 0);
  assert.equal(help.stderr, "");
  for (
    const word of [
      "list",
      "stats",
      "clear",
      "prune",
      "--task",
      "--cache-version",
      "--older-than",
      "--max-size",
      "--dir",
      "--json",
      "--help",
      "--version",
      "LOCAL_TASK_CACHE_DIR",
      "KiB",
      "Examples:",
    ]
  ) {
    assert.ok(help.stdout.includes(word), `the help mentions ${word}`);
  }
  assert.equal((await cli(["prune", "-h"])).stdout, help.stdout, "-h anywhere, even on errors");
  assert.equal((await cli(["frob", "--help"])).code, 0);
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  assert.deepEqual(await cli(["--version"]), {
    code: 0,
    stdout: `local-task-cache ${version}\n`,
    stderr: "",
  });
});

test("storage failures: exit status 1 with the CacheError code", async (t) => {
  const root = await tempDir(t);
  const file = join(root, "a-file");
  await writeFile(file, "not a directory");
  for (const command of [["list"], ["stats"], ["clear"], ["prune", "--max-size", "0"]]) {
    const { code, stdout, stderr } = await cli(["--dir", file, ...command]);
    assert.equal(code, 1, `${command[0]}: ${stderr}`);
    assert.equal(stdout, "");
    assert.match(stderr, /^local-task-cache: NOT_A_DIRECTORY: .+\n$/);
  }
  const below = await child(["--dir", join(file, "below"), "clear", "--task", "t"]);
  assert.equal(below.code, 1);
  assert.match(below.stderr, /NOT_A_DIRECTORY/);
});

test("a read-only directory: clear and prune fail with PERMISSION_DENIED, exit status 1", async (t) => {
  const root = await tempDir(t);
  const directory = join(root, "cache");
  await populate(directory, "t", "v1", 2);
  // Readable by anyone (the entry files are 0600), writable by nobody.
  for (const name of await readdir(directory)) await chmod(join(directory, name), 0o644);
  await chmod(root, 0o755);
  await chmod(directory, 0o555);
  try {
    // Root ignores modes: run the tool as nobody then.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    let result;
    try {
      result = await child(["--dir", directory, "clear"], asUser);
    } catch (error) {
      if (process.env.CI) throw error;
      t.skip(`cannot run a process as nobody: ${String(error)}`);
      return;
    }
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^local-task-cache: PERMISSION_DENIED: .+\n$/);
    const listing = await child(["--dir", directory, "list", "--json"], asUser);
    assert.equal(listing.code, 0, `reading still works: ${listing.stderr}`);
    assert.equal(JSON.parse(listing.stdout).length, 2, "nothing was removed");
    const pruned = await child(["--dir", directory, "prune", "--max-size", "0"], asUser);
    assert.equal(pruned.code, 1);
    assert.match(pruned.stderr, /PERMISSION_DENIED/);
  } finally {
    await chmod(directory, 0o700);
  }
});

test("Deno runs the same tool: stats --json equals Node's", async (t) => {
  if (!existsSync(DENO)) {
    if (process.env.CI) assert.fail(`no Deno binary at ${DENO}: CI must install it (npm ci)`);
    t.skip("no Deno binary in node_modules/deno");
    return;
  }
  const directory = await tempDir(t);
  await populate(directory, "alpha", "v1", 2);
  await populate(directory, "beta", "v1", 1);
  const node = await child(["--dir", directory, "stats", "--json"]);
  assert.equal(node.code, 0, node.stderr);
  const deno = spawnSync(
    DENO,
    [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "src/cli/main.ts",
      "--dir",
      directory,
      "stats",
      "--json",
    ],
    { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
  );
  assert.equal(deno.status, 0, deno.stderr);
  assert.equal(deno.stdout, node.stdout);
  assert.equal(JSON.parse(deno.stdout).entries, 3);
  const bad = spawnSync(DENO, ["run", "--allow-read", "--allow-env", "src/cli/main.ts", "frob"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  assert.equal(bad.status, 2, bad.stderr);
});

test("control characters in task names and versions are escaped in text output", async (t) => {
  const directory = await tempDir(t);
  const task = "evil\x1b[2J\x1b]0;title\x07\r\nFAKE LINE\u202e\\";
  const version = "v\x1b[31m1\x85";
  await populate(directory, task, version, 1);
  const shownTask = "evil\\x1b[2J\\x1b]0;title\\x07\\r\\nFAKE LINE\\u202e\\\\";
  const shownVersion = "v\\x1b[31m1\\x85";
  const outputs = [
    await cli(["--dir", directory, "list"]),
    await cli(["--dir", directory, "stats"]),
    await cli(["--dir", directory, "list", "--task", task]),
    await cli(["--dir", directory, "clear", "--task", task, "--cache-version", version]),
  ];
  for (const { code, stdout, stderr } of outputs) {
    assert.equal(code, 0, stderr);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/, "no control character");
    assert.ok(stdout.includes(shownTask), stdout);
  }
  assert.ok(outputs[0]!.stdout.includes(shownVersion));
  assert.equal(outputs[0]!.stdout.split("\n").length, 4, "a heading, a row, a total");
  assert.match(outputs[3]!.stdout, /^Removed 1 entry of task "/);
  // JSON keeps the exact strings (escaped the JSON way).
  await populate(directory, task, version, 1);
  const [entry] = await listed(directory);
  assert.equal(entry!.taskName, task);
  assert.equal(entry!.cacheVersion, version);
});

test("list | head -1 ends quietly with status 0", async (t) => {
  const directory = await tempDir(t);
  // Rows of 2000 characters: far more than a pipe holds, so the writer meets a closed pipe.
  await populate(directory, "t".repeat(2000), "v1", 100);
  const quoted = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  for (const runtime of [`${quoted(process.execPath)} --import tsx`, `${quoted(DENO)} run -A`]) {
    const result = spawnSync("bash", [
      "-c",
      `set -o pipefail; ${runtime} ${quoted(CLI)} --dir ${quoted(directory)} list | head -1`,
    ], { cwd: ROOT, encoding: "utf8" });
    assert.equal(result.stderr, "", `${runtime}: nothing on stderr`);
    assert.equal(result.status, 0, runtime);
    assert.match(result.stdout, /^TASK +VERSION +SIZE/);
  }
});

test("a directory shared on purpose needs --shared; otherwise UNSAFE_DIRECTORY and the fix", async (t) => {
  const directory = join(await tempDir(t), "team");
  await populate(directory, "alpha", "v1", 1);
  await chmod(directory, 0o770);
  const refused = await cli(["--dir", directory, "list"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /UNSAFE_DIRECTORY: .*chmod 700 .*--shared/);
  const shared = await cli(["--dir", directory, "--shared", "list", "--json"]);
  assert.equal(shared.code, 0, shared.stderr);
  assert.equal(JSON.parse(shared.stdout).length, 1);
});

test("directories and FIFOs where entry, temporary or lease files go: list, stats, clear work", async (t) => {
  const directory = await tempDir(t);
  await populate(directory, "alpha", "v1", 2);
  const [entry] = (await readdir(directory)).filter((name) => name.endsWith(".ltc"));
  const squatters = [`.tmp-${"0".repeat(32)}`, `${"1".repeat(64)}.ltc`, `${"2".repeat(64)}.lease`];
  for (const name of squatters) {
    await mkdir(join(directory, name));
    await writeFile(join(directory, name, "inside"), "not ours");
  }
  execFileSync("mkfifo", [join(directory, `${"3".repeat(64)}.ltc`)]);
  execFileSync("mkfifo", [join(directory, `.tmp-${"4".repeat(32)}`)]);
  for (const command of [["list", "--json"], ["stats", "--json"], ["clear", "--task", "alpha"]]) {
    const result = await child(["--dir", directory, ...command]);
    assert.equal(result.code, 0, `${command[0]}: ${result.stderr}`);
    if (command[0] !== "clear") assert.match(result.stdout, /alpha|"entries": 2/);
  }
  const clear = await child(["--dir", directory, "clear"]);
  assert.equal(clear.code, 0, clear.stderr);
  assert.deepEqual((await readdir(directory)).sort(), squatters.sort(), `${entry} and FIFOs gone`);
});

test("LOCAL_TASK_CACHE_DIR: a relative path is made absolute once; ~ is the home directory", async (t) => {
  const home = await tempDir(t);
  const stats = async (env: Record<string, string>) => {
    const { code, stdout, stderr } = await cli(["stats", "--json"], { env });
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout).directory;
  };
  assert.equal(await stats({ LOCAL_TASK_CACHE_DIR: "rel/cache" }), resolve("rel/cache"));
  assert.equal(await stats({ LOCAL_TASK_CACHE_DIR: "~/c", HOME: home }), join(home, "c"));
  assert.equal(await stats({ LOCAL_TASK_CACHE_DIR: "~", HOME: home }), home);
  const other = await cli(["stats"], { env: { LOCAL_TASK_CACHE_DIR: "~root/c" } });
  assert.equal(other.code, 1);
  assert.match(other.stderr, /only ~ \(your home directory\) is expanded/);
});
