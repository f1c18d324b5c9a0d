/**
 * `npm run bench`: every comparison side by side in one run, as ratios. Writes
 * `.bench/report.md` and `.bench/report.json` and prints the Markdown.
 *
 * - Keys: `calculateCacheKey` against flytekit's Python stack (test/compat/oracle.py).
 * - Disk: `TaskCache` over `FsAdapter` against Python `diskcache` (flytekit's store,
 *   test/bench/store.py), `cacache` and `unstorage`'s fs driver, key computation included.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import cacache from "cacache";
import { createStorage } from "unstorage";
import fsDriver from "unstorage/drivers/fs";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { FsAdapter } from "../../src/adapters/fs.ts";
import { calculateCacheKey } from "../../src/key.ts";
import { TaskCache } from "../../src/task_cache.ts";
import { Oracle, oracleAvailability, PYTHON } from "../compat/oracle.ts";
import { patternBytes } from "../conformance/adapter_suite.ts";
import { binary, integer, literalMap, string } from "../support/literals.ts";
import { keyCases } from "./inputs.ts";
import { formatMicros, median, timePerCall } from "./stats.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const python = oracleAvailability();
const notes: string[] = [];
if (!python.ok) notes.push(`Python comparisons skipped: ${python.reason}`);

interface Row {
  [column: string]: string | number;
}
const report: { machine: Record<string, string>; keys: Row[]; disk: Row[]; notes: string[] } = {
  machine: machine(),
  keys: [],
  disk: [],
  notes,
};

function machine(): Record<string, string> {
  return {
    cpu: `${cpus()[0]?.model ?? "unknown"} (${cpus().length} cores)`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
  };
}

/** `3.4x` with a verdict against a goal (a ratio theirs/ours that must be reached). */
function ratio(ours: number, theirs: number | undefined, goal?: number): string {
  if (theirs === undefined) return "n/a";
  const times = theirs / ours;
  const text = `${times.toPrecision(3)}x`;
  if (goal === undefined) return text;
  return `${text} (goal ${goal}x: ${times >= goal ? "met" : "NOT met"})`;
}

// --- Keys ---------------------------------------------------------------------------------

async function benchKeys(): Promise<void> {
  const goals: Record<string, number> = { "(a)": 3, "(b)": 10 };
  const oracle = python.ok ? new Oracle() : undefined;
  try {
    for (const c of keyCases()) {
      const ours = await timePerCall(
        () => calculateCacheKey(c.taskName, c.cacheVersion, c.inputs),
        { iterations: c.iterations },
      );
      const key = calculateCacheKey(c.taskName, c.cacheVersion, c.inputs);
      let theirs: number | undefined;
      if (oracle !== undefined) {
        const reply = await oracle.ask(
          { task: c.taskName, version: c.cacheVersion, inputs: c.inputs },
          { bench: Math.max(3, Math.ceil(c.iterations / 10)) },
        );
        if (reply.key !== key) {
          throw new Error(`${c.name}: Python's key ${reply.key ?? reply.error} is not ours ${key}`);
        }
        theirs = reply.seconds_per_call! * 1e6;
      }
      report.keys.push({
        case: c.name,
        ours: formatMicros(ours),
        "flytekit (Python)": theirs === undefined ? "n/a" : formatMicros(theirs),
        "ours vs Python": ratio(ours, theirs, goals[c.name.slice(0, 3)]),
      });
    }
  } finally {
    await oracle?.close();
  }
}

// --- Disk ---------------------------------------------------------------------------------

const TASK = "bench.task";
const VERSION = "1";

interface Workload {
  label: string;
  /** The inputs of each round (the first warms up): new keys every round. */
  rounds: LiteralMap[][];
  /** The output stored for the i-th inputs of a round. */
  values: LiteralMap[];
}

/**
 * `count` outputs of `size` bytes, stored under new keys in every round, as a cache sees them:
 * flytekit sets an entry after a miss, so a set almost always makes a new entry.
 */
function workload(label: string, size: number, count: number, rounds = 5): Workload {
  return {
    label,
    rounds: Array.from(
      { length: rounds + 1 },
      (_, round) =>
        Array.from(
          { length: count },
          (_, i) =>
            literalMap({ n: integer(BigInt(i)), round: integer(BigInt(round)), name: string("x") }),
        ),
    ),
    values: Array.from(
      { length: count },
      (_, i) => literalMap({ o0: binary(patternBytes(size, i + 1)) }),
    ),
  };
}

/** µs per set and per get: the median over rounds of (all sets) and (all gets). */
async function timeStore(
  w: Workload,
  set: (inputs: LiteralMap, value: LiteralMap) => Promise<unknown>,
  get: (inputs: LiteralMap) => Promise<LiteralMap | undefined>,
): Promise<{ set: number; get: number }> {
  const sets: number[] = [], gets: number[] = [];
  for (const [round, inputs] of w.rounds.entries()) {
    let started = performance.now();
    for (let i = 0; i < inputs.length; i++) await set(inputs[i]!, w.values[i]!);
    const setTime = ((performance.now() - started) * 1000) / inputs.length;
    started = performance.now();
    for (let i = 0; i < inputs.length; i++) {
      const value = await get(inputs[i]!);
      if (value === undefined) throw new Error(`${w.label}: a stored entry was not found`);
    }
    const getTime = ((performance.now() - started) * 1000) / inputs.length;
    if (round > 0) {
      sets.push(setTime);
      gets.push(getTime);
    }
  }
  return { set: median(sets), get: median(gets) };
}

const key = (inputs: LiteralMap) => calculateCacheKey(TASK, VERSION, inputs);

async function withDirectory<T>(run: (directory: string) => Promise<T>): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-bench-"));
  try {
    return await run(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function ours(w: Workload) {
  return withDirectory(async (directory) => {
    const cache = new TaskCache(new FsAdapter({ directory }));
    return await timeStore(
      w,
      (inputs, value) => cache.set(TASK, VERSION, inputs, [], value),
      (inputs) => cache.get(TASK, VERSION, inputs, []),
    );
  });
}

function withCacache(w: Workload) {
  return withDirectory((directory) =>
    timeStore(
      w,
      (inputs, value) => cacache.put(directory, key(inputs), toBinary(LiteralMapSchema, value)),
      async (inputs) => {
        const { data } = await cacache.get(directory, key(inputs));
        return fromBinary(LiteralMapSchema, data);
      },
    )
  );
}

function withUnstorage(w: Workload) {
  return withDirectory((base) => {
    const storage = createStorage({ driver: fsDriver({ base }) });
    return timeStore(
      w,
      (inputs, value) => storage.setItemRaw(key(inputs), toBinary(LiteralMapSchema, value)),
      async (inputs) => {
        const bytes = await storage.getItemRaw<Uint8Array>(key(inputs));
        return bytes === null ? undefined : fromBinary(LiteralMapSchema, bytes);
      },
    );
  });
}

interface DiskcacheTimes {
  keys: string[];
  set: number;
  get: number;
  set_keyed: number;
  get_keyed: number;
}

/** flytekit's store in Python, on the same keys and protobuf bytes. */
function withDiskcache(w: Workload): Promise<DiskcacheTimes> {
  return withDirectory(async (directory) => {
    const child = spawn(PYTHON, [join(ROOT, "test/bench/store.py")], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const line = new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`store.py exited with ${code}`)));
    });
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
    child.stdin.end(
      JSON.stringify({
        dir: directory,
        task: TASK,
        version: VERSION,
        rounds: w.rounds.map((inputs) => inputs.map((i) => b64(toBinary(LiteralMapSchema, i)))),
        values: w.values.map((value) => b64(toBinary(LiteralMapSchema, value))),
      }) + "\n",
    );
    const times = JSON.parse(await line) as DiskcacheTimes;
    const expected = w.rounds.flat().map(key);
    if (times.keys.join() !== expected.join()) throw new Error("diskcache: Python's keys differ");
    return times;
  });
}

async function benchDisk(): Promise<void> {
  const workloads = [
    workload("1 KiB", 1024, 300),
    workload("64 KiB", 64 * 1024, 100),
    workload("1 MiB", 1024 * 1024, 30),
  ];
  for (const w of workloads) {
    const mine = await ours(w);
    const others = {
      cacache: await withCacache(w),
      "unstorage (fs)": await withUnstorage(w),
    };
    const disk = python.ok ? await withDiskcache(w) : undefined;
    for (const op of ["set", "get"] as const) {
      const row: Row = {
        output: w.label,
        op,
        "TaskCache + FsAdapter": formatMicros(mine[op]),
      };
      if (disk !== undefined) {
        row["diskcache: key + store (flytekit)"] = `${formatMicros(disk[`${op}_keyed`])} (${
          ratio(mine[op], disk[`${op}_keyed`], 1)
        })`;
        row["diskcache: store only"] = `${formatMicros(disk[op])} (${ratio(mine[op], disk[op])})`;
      }
      for (const [name, times] of Object.entries(others)) {
        row[name] = `${formatMicros(times[op])} (${ratio(mine[op], times[op], 1)})`;
      }
      report.disk.push(row);
    }
  }
}

// --- Report -------------------------------------------------------------------------------

function table(rows: Row[]): string {
  if (rows.length === 0) return "(nothing measured)\n";
  const columns = Object.keys(rows[0]!);
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [
    line(columns),
    line(columns.map(() => "---")),
    ...rows.map((row) => line(columns.map((column) => row[column] ?? ""))),
  ].join("\n") + "\n";
}

function markdown(): string {
  const m = report.machine;
  return `# Benchmark report

Machine: ${m.cpu}, ${m.memory}, Node ${m.node}, ${m.date}. Each figure is the median of
repeated rounds; a ratio is the other side's time divided by ours (above 1x: we are faster).

## Keys: calculateCacheKey vs flytekit's Python stack

Python: generated classes (python3-protobuf, C++ backend), hash placement, new LiteralMap,
SerializeToString(deterministic=True), joblib.hash; the same inputs, the same keys.

${table(report.keys)}
## Disk: set and get of one output, key computation included

Ours: TaskCache (key, deterministic protobuf bytes, checksum, atomic file write; get parses the
LiteralMap) over FsAdapter. cacache and unstorage store the same protobuf bytes under the same
key and parse on get. diskcache (Python, flytekit's store) stores the same bytes under the same
keys; "key + store" includes flytekit's key computation in Python, as flytekit's cache does.

${table(report.disk)}
${notes.map((note) => `- ${note}`).join("\n")}
`;
}

await benchKeys();
await benchDisk();
const out = join(ROOT, ".bench");
await mkdir(out, { recursive: true });
const text = markdown();
await writeFile(join(out, "report.md"), text);
await writeFile(join(out, "report.json"), JSON.stringify(report, null, 2) + "\n");
console.log(text);
console.log(`written to ${join(out, "report.md")} and report.json`);
