/**
 * `npm test`: every check and every engine, as independent jobs run side by side.
 *
 *   node --import tsx scripts/test.ts [--only name,name]
 *
 * Each job is a script of package.json run by npm, with its output kept in
 * test-results/logs/<job>.log: lint, typecheck, the Node suite under the Node that runs npm and
 * under Node 22 and 24 (.engines/, installed by scripts/install-engines.sh), Deno, Bun, the
 * browser tests once per engine (Chromium, Firefox, WebKit: `LTC_BROWSERS`), and the fault
 * suite. The test scripts name folders, never files (test/portable/ and test/compat/ in every
 * runtime, test/node/, test/node_bun/ and test/deno/ in theirs), so a new test file runs in each
 * lane it belongs to. Jobs run in lanes, up to `LTC_TEST_JOBS` (default 2, one a core here) lanes
 * at once, the longest lane first. Lanes share no state (each job uses its own temporary
 * directories, browser profiles and ports); the Node suites and Bun's are one lane, one after
 * another, because each packs the package (test/node_bun/package.test.ts), which rebuilds dist/
 * in the tree. A failing job prints its output under its name; the summary names
 * every job that failed, and the exit status is 1 if any did. A Node version that is not
 * installed is a failure under CI and a skip (with the reason) elsewhere.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LOGS = join(ROOT, "test-results", "logs");

interface Job {
  name: string;
  /** The package.json script. */
  script: string;
  env?: Record<string, string>;
  /** A file the job needs, and how to get it. */
  needs?: [path: string, remedy: string];
}

const engineNode = (major: number): Job => ({
  name: `Node ${major}`,
  script: `test:node${major}`,
  needs: [`.engines/node${major}/node_modules/.bin/node`, "run scripts/install-engines.sh"],
});

/** The lanes of jobs, the longest first: the jobs of a lane run one after another. */
const LANES: Job[][] = [
  [
    { name: `Node ${process.versions.node.split(".")[0]}`, script: "test:node" },
    engineNode(22),
    engineNode(24),
    { name: "Bun", script: "test:bun" },
  ],
  [{ name: "fault suite", script: "test:faults" }],
  [{ name: "lint", script: "lint" }],
  [{ name: "typecheck", script: "typecheck" }],
  [{ name: "Deno", script: "test:deno" }],
  ...[["Chromium", "chromium"], ["Firefox", "firefox"], ["WebKit", "webkit"]].map((
    [name, engine],
  ) => [{ name: name!, script: "test:browser", env: { LTC_BROWSERS: engine! } }]),
];
const JOBS = LANES.flat();

interface Outcome {
  job: Job;
  status: "passed" | "FAILED" | "skipped";
  seconds: number;
  detail?: string;
}

const fileName = (job: Job) => `${job.name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}.log`;

function run(job: Job): Promise<Outcome> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  if (job.needs !== undefined && !existsSync(join(ROOT, job.needs[0]))) {
    const detail = `${job.needs[0]} is missing: ${job.needs[1]}`;
    return Promise.resolve({
      job,
      status: process.env.CI ? "FAILED" : "skipped",
      seconds: 0,
      detail,
    });
  }
  console.log(`[test] ${job.name}: npm run ${job.script} started`);
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "--silent", job.script], {
      cwd: ROOT,
      env: { ...process.env, ...job.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", (error) => chunks.push(Buffer.from(`\n${error.stack ?? error}\n`)));
    child.on("close", async (code, signal) => {
      const log = join(LOGS, fileName(job));
      await writeFile(log, Buffer.concat(chunks));
      const ok = code === 0;
      const outcome: Outcome = {
        job,
        status: ok ? "passed" : "FAILED",
        seconds: seconds(),
        ...(ok ? {} : { detail: `exit ${code ?? signal}; log: ${log}` }),
      };
      console.log(`[test] ${job.name}: ${outcome.status} in ${outcome.seconds.toFixed(0)} s`);
      if (!ok) {
        const bar = "=".repeat(30);
        console.log(`${bar} ${job.name} FAILED: its output ${bar}`);
        console.log(await readFile(log, "utf8"));
        console.log(`${bar} end of ${job.name}'s output ${bar}`);
      }
      resolve(outcome);
    });
  });
}

const onlyIndex = process.argv.indexOf("--only");
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1]?.split(",") : undefined;
const jobs = only ? JOBS.filter((job) => only.includes(job.name)) : JOBS;
const lanes = LANES.map((lane) => lane.filter((job) => jobs.includes(job)))
  .filter((lane) => lane.length > 0);
if (only && jobs.length !== only.length) {
  console.error(`--only: the jobs are ${JOBS.map((job) => job.name).join(", ")}`);
  process.exit(2);
}
const parallel = Number(process.env.LTC_TEST_JOBS ?? 2);
if (!Number.isSafeInteger(parallel) || parallel < 1) {
  console.error(`LTC_TEST_JOBS must be a positive integer, got ${process.env.LTC_TEST_JOBS}`);
  process.exit(2);
}

await rm(LOGS, { recursive: true, force: true });
await mkdir(LOGS, { recursive: true });
const started = Date.now();
const outcomes: Outcome[] = [];
await Promise.all(
  Array.from({ length: Math.min(parallel, lanes.length) }, async () => {
    for (let lane = lanes.shift(); lane !== undefined; lane = lanes.shift()) {
      for (const job of lane) outcomes.push(await run(job));
    }
  }),
);

console.log(`\n[test] ${jobs.length} jobs in ${((Date.now() - started) / 1000).toFixed(0)} s:`);
for (const job of jobs) {
  const outcome = outcomes.find((o) => o.job === job)!;
  console.log(
    `  ${job.name.padEnd(12)} ${outcome.status.padEnd(8)} ${
      outcome.seconds.toFixed(0).padStart(4)
    } s${outcome.detail ? `  ${outcome.detail}` : ""}`,
  );
}
const failed = outcomes.filter((outcome) => outcome.status === "FAILED");
const tests = await countTests(outcomes);
console.log(`\ntests: ${tests.passed} passed, ${tests.failed} failed`);
if (failed.length > 0) {
  console.log(`\n[test] FAILED: ${failed.map((outcome) => outcome.job.name).join(", ")}`);
  process.exitCode = 1;
}

/**
 * The tests counted in the jobs' logs, from each runner's closing lines: node:test's `# pass N`
 * and `# fail N`, Deno's `ok | N passed | M failed`, Bun's ` N pass` and ` N fail`, and the
 * fault suite's parts (`parts: N passed, M failed`). A failed job without a count of its own
 * counts as one failure.
 */
async function countTests(outcomes: Outcome[]): Promise<{ passed: number; failed: number }> {
  let passed = 0;
  let failed = 0;
  for (const outcome of outcomes) {
    if (outcome.status === "skipped") continue;
    const log = await readFile(join(LOGS, fileName(outcome.job)), "utf8").catch(() => "");
    const sum = (pattern: RegExp) =>
      [...log.matchAll(pattern)].reduce((total, match) => total + Number(match[1]), 0);
    const jobPassed = sum(/^# pass (\d+)$/gm) + sum(/\| (\d+) passed \|/g) +
      sum(/^ *(\d+) pass$/gm) + sum(/^parts: (\d+) passed/gm);
    const jobFailed = sum(/^# fail (\d+)$/gm) + sum(/\| (\d+) failed/g) + sum(/^ *(\d+) fail$/gm) +
      sum(/^parts: \d+ passed, (\d+) failed/gm);
    passed += jobPassed;
    failed += jobFailed > 0 || outcome.status === "passed" ? jobFailed : 1;
  }
  return { passed, failed };
}
