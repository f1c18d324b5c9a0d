/**
 * `npm run bench`: every comparison side by side in one run, as ratios. Prints the Markdown
 * report and writes it to `.bench/report.md`, with the figures in `.bench/report.json`.
 *
 * - Keys: `calculateCacheKey` as exported (native MD5 in Node) and with the portable MD5
 *   (test/bench/portable.ts), against flytekit's Python stack (test/bench/keys.py).
 * - Disk: `TaskCache` over `FsAdapter` against Python `diskcache` (flytekit's store,
 *   test/bench/store.py), `cacache` and `unstorage`'s fs driver, key computation included.
 *
 * Exits non-zero when a Python key differs from ours.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import cacache from "cacache";
import { createStorage } from "unstorage";
import fsDriver from "unstorage/drivers/fs";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { FsAdapter } from "../../src/adapters/fs.ts";
import { calculateCacheKey } from "../../src/key.ts";
import { TaskCache } from "../../src/task_cache.ts";
import { type DiskWorkload, diskWorkload, type KeyCase, keyCases } from "./inputs.ts";
import { base64, JsonLinesProcess, probePython, pythonScript } from "./python.ts";
import { formatMicros, median, roundTime, sig3 } from "./stats.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const started = performance.now();
const python = probePython();
const notes: string[] = [];
const mismatches: string[] = [];

function skipped(what: string, reason: string): void {
  const note = `SKIPPED: ${what}: ${reason}`;
  notes.push(note);
  console.error(note);
}

function mismatch(message: string): void {
  mismatches.push(message);
  console.error(`\n!!! KEY MISMATCH !!! ${message}\n`);
}

function progress(message: string): void {
  console.error(`[bench ${((performance.now() - started) / 1000).toFixed(0)} s] ${message}`);
}

if (python.keysSkipped !== undefined) skipped("keys vs flytekit (Python)", python.keysSkipped);
if (python.diskSkipped !== undefined) skipped("disk vs diskcache (Python)", python.diskSkipped);

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) =>
      l.startsWith("model name")
    );
    if (line !== undefined) return line.slice(line.indexOf(":") + 1).trim();
  } catch {
    // Not Linux: os.cpus() below.
  }
  return cpus()[0]?.model ?? "unknown";
}

const machine = {
  cpu: cpuModel(),
  cores: cpus().length,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  node: process.version,
  python: python.version,
  pythonModules: Object.entries(python.modules).map(([name, v]) => `${name} ${v}`).join(", "),
  date: new Date().toISOString(),
};

/** Their time over ours, 3 significant digits: above 1x, we are faster. */
function ratio(ours: number, theirs: number | undefined): string {
  return theirs === undefined ? "n/a" : `${sig3(theirs / ours)}x`;
}

/** `met` / `NOT met` for a ratio theirs/ours against a goal (`strict`: must exceed it). */
function verdict(ours: number, theirs: number | undefined, goal: number, strict = false): string {
  if (theirs === undefined) return "n/a (skipped)";
  const times = theirs / ours;
  return (strict ? times > goal : times >= goal) ? "met" : "**NOT met**";
}

// --- Keys ---------------------------------------------------------------------------------

interface KeyResult {
  case: string;
  key: string;
  oursUs: number;
  portableUs: number | undefined;
  pythonUs: number | undefined;
  pythonKey: string | undefined;
  goal: number | undefined;
}

const KEY_GOALS: Record<string, number> = { "(a)": 3, "(b)": 10 };
const KEY_ROUNDS = 15;

/** One timing round of one side: µs per call, and the key it computed. */
type KeySide = (c: KeyCase) => Promise<{ us: number; key: string | undefined }>;

async function benchKeys(): Promise<KeyResult[]> {
  const cases = keyCases();
  const sides: Record<string, KeySide> = {
    ours: (c) => {
      const call = () => calculateCacheKey(c.taskName, c.cacheVersion, c.inputs);
      return Promise.resolve({ us: roundTime(call, c.iterations), key: call() });
    },
  };
  const children: JsonLinesProcess[] = [];

  progress("keys: starting the portable-MD5 process (test/bench/portable.ts)");
  const portable = new JsonLinesProcess(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./portable.ts", import.meta.url))],
    "test/bench/portable.ts",
  );
  children.push(portable);
  sides["portable"] = (c) => portable.ask({ name: c.name, iterations: c.iterations });

  if (python.keysSkipped === undefined) {
    progress("keys: starting flytekit's Python stack (test/bench/keys.py)");
    const script = pythonScript("./keys.py");
    children.push(script);
    const pythonKeys = new Map<string, string>();
    for (const c of cases) {
      const { key } = await script.ask<{ key: string }>({
        load: {
          name: c.name,
          task: c.taskName,
          version: c.cacheVersion,
          inputs: base64(toBinary(LiteralMapSchema, c.inputs)),
        },
      });
      pythonKeys.set(c.name, key);
    }
    sides["python"] = async (c) => {
      const { us } = await script.ask<{ us: number }>({
        time: { name: c.name, iterations: c.pythonIterations },
      });
      return { us, key: pythonKeys.get(c.name) };
    };
  }

  const results: KeyResult[] = [];
  try {
    for (const c of cases) {
      progress(`keys ${c.name}: ${Object.keys(sides).join(", ")}, ${KEY_ROUNDS} rounds each`);
      const samples: Record<string, number[]> = {};
      const keys: Record<string, string | undefined> = {};
      for (let round = -1; round < KEY_ROUNDS; round++) {
        const names = Object.keys(sides);
        // The sides take turns within each round, in a rotating order, so that a change in
        // the machine's load does not favour one of them.
        for (let turn = 0; turn < names.length; turn++) {
          const name = names[(round + 1 + turn) % names.length]!;
          let reply;
          try {
            reply = await sides[name]!(c);
          } catch (error) {
            skipped(`keys, ${name}`, String(error));
            delete sides[name];
            break;
          }
          keys[name] = reply.key;
          if (round >= 0) (samples[name] ??= []).push(reply.us);
        }
      }
      const key = keys["ours"]!;
      const result: KeyResult = {
        case: c.name,
        key,
        oursUs: median(samples["ours"]!),
        portableUs: samples["portable"] && median(samples["portable"]),
        pythonUs: samples["python"] && median(samples["python"]),
        pythonKey: keys["python"],
        goal: KEY_GOALS[c.name.slice(0, 3)],
      };
      if (keys["portable"] !== undefined && keys["portable"] !== key) {
        mismatch(`${c.name}: portable-MD5 key ${keys["portable"]} differs from ours ${key}`);
      }
      if (result.pythonKey !== undefined && result.pythonKey !== key) {
        mismatch(`${c.name}: Python's key ${result.pythonKey}, ours ${key}`);
      }
      results.push(result);
    }
  } finally {
    for (const child of children) await child.close();
  }
  return results;
}

function keysTable(results: KeyResult[]): string {
  const rows = results.map((r) => [
    r.case,
    formatMicros(r.oursUs),
    r.portableUs === undefined ? "n/a" : formatMicros(r.portableUs),
    ratio(r.oursUs, r.portableUs),
    r.pythonUs === undefined ? "n/a" : formatMicros(r.pythonUs),
    ratio(r.oursUs, r.pythonUs),
    r.goal === undefined ? "-" : `≥ ${r.goal}x`,
    r.goal === undefined ? "-" : verdict(r.oursUs, r.pythonUs, r.goal),
    r.pythonKey === undefined ? "n/a" : r.pythonKey === r.key ? "equal" : "**MISMATCH**",
  ]);
  return table(
    [
      "case",
      "ours (as exported: native MD5)",
      "ours (portable MD5)",
      "portable / native",
      "flytekit (Python)",
      "Python / ours",
      "goal",
      "goal met?",
      "keys",
    ],
    rows,
  );
}

// --- Disk ---------------------------------------------------------------------------------

const TASK = "bench.task";
const VERSION = "1";
const ROUNDS = 7;

interface OpTimes {
  set: number;
  get: number;
}

/**
 * One store under test. A round sets every entry of `inputs` (the i-th with the i-th value),
 * then gets them all; it answers µs per set and per get, for each series it times (diskcache
 * times two: flytekit's path and the store alone).
 */
interface Contender {
  round(inputs: LiteralMap[], round: number): Promise<Record<string, OpTimes>>;
  close(): Promise<void>;
}

const SERIES = {
  ours: "ours: TaskCache + FsAdapter",
  diskcacheKeyed: "diskcache, flytekit path (key + store)",
  diskcachePlain: "diskcache, store only",
  cacache: "cacache",
  unstorage: "unstorage (fs)",
} as const;

const key = (inputs: LiteralMap) => calculateCacheKey(TASK, VERSION, inputs);

/** The Binary's bytes in an output read back, for the untimed check. */
function outputBytes(value: LiteralMap | undefined): Uint8Array | undefined {
  const literal = value?.literals["o0"]?.value;
  if (literal?.case !== "scalar" || literal.value.value.case !== "binary") return undefined;
  return literal.value.value.value.value;
}

/** A contender in this process: `set` and `get` as given, timed here. */
async function jsContender(
  series: string,
  w: DiskWorkload,
  open: (directory: string) => {
    set: (inputs: LiteralMap, value: LiteralMap) => Promise<unknown>;
    get: (inputs: LiteralMap) => Promise<LiteralMap | undefined>;
    close: () => Promise<unknown>;
  },
): Promise<Contender> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-bench-"));
  const store = open(directory);
  return {
    async round(inputs, round) {
      let t0 = performance.now();
      for (let i = 0; i < inputs.length; i++) await store.set(inputs[i]!, w.values[i]!);
      const set = ((performance.now() - t0) * 1000) / inputs.length;
      const results: (LiteralMap | undefined)[] = [];
      t0 = performance.now();
      for (let i = 0; i < inputs.length; i++) results.push(await store.get(inputs[i]!));
      const get = ((performance.now() - t0) * 1000) / inputs.length;
      // Checked outside the timing: every get found what its set stored.
      results.forEach((result, i) => {
        const bytes = outputBytes(result), stored = outputBytes(w.values[i])!;
        const same = (at: number) => bytes![at] === stored[at];
        if (bytes?.length !== w.size || !same(0) || !same(w.size >> 1) || !same(w.size - 1)) {
          throw new Error(`${series} ${w.label}: entry ${i} of round ${round} was not read back`);
        }
      });
      return { [series]: { set, get } };
    },
    async close() {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function ours(w: DiskWorkload): Promise<Contender> {
  return jsContender(SERIES.ours, w, (directory) => {
    const cache = new TaskCache(new FsAdapter({ directory }));
    return {
      set: (inputs, value) => cache.set(TASK, VERSION, inputs, [], value),
      get: (inputs) => cache.get(TASK, VERSION, inputs, []),
      close: () => cache.close(),
    };
  });
}

function withCacache(w: DiskWorkload): Promise<Contender> {
  return jsContender(SERIES.cacache, w, (directory) => ({
    set: (inputs, value) => cacache.put(directory, key(inputs), toBinary(LiteralMapSchema, value)),
    get: async (inputs) => {
      const { data } = await cacache.get(directory, key(inputs));
      return fromBinary(LiteralMapSchema, data);
    },
    close: () => Promise.resolve(),
  }));
}

function withUnstorage(w: DiskWorkload): Promise<Contender> {
  return jsContender(SERIES.unstorage, w, (base) => {
    const storage = createStorage({ driver: fsDriver({ base }) });
    return {
      set: (inputs, value) => storage.setItemRaw(key(inputs), toBinary(LiteralMapSchema, value)),
      get: async (inputs) => {
        const bytes = await storage.getItemRaw<Uint8Array>(key(inputs));
        return bytes === null ? undefined : fromBinary(LiteralMapSchema, bytes);
      },
      close: () => storage.dispose(),
    };
  });
}

/** flytekit's store in Python, on the same keys and protobuf bytes (test/bench/store.py). */
async function withDiskcache(w: DiskWorkload): Promise<Contender> {
  const dir = await mkdtemp(join(tmpdir(), "ltc-bench-"));
  const script = pythonScript("./store.py");
  await script.ask({
    open: {
      dir,
      task: TASK,
      version: VERSION,
      values: w.values.map((value) => base64(toBinary(LiteralMapSchema, value))),
    },
  });
  let reported = false;
  return {
    async round(inputs) {
      const ourKeys = inputs.map(key);
      const reply = await script.ask<{ keys: string[] } & Record<string, number>>({
        round: { inputs: inputs.map((i) => base64(toBinary(LiteralMapSchema, i))), keys: ourKeys },
      });
      const differ = ourKeys.findIndex((k, i) => reply.keys[i] !== k);
      if (differ !== -1 && !reported) {
        reported = true;
        mismatch(
          `diskcache ${w.label}: Python's key ${reply.keys[differ]} differs from ours ` +
            `${ourKeys[differ]}`,
        );
      }
      return {
        [SERIES.diskcacheKeyed]: { set: reply["set_keyed"]!, get: reply["get_keyed"]! },
        [SERIES.diskcachePlain]: { set: reply["set"]!, get: reply["get"]! },
      };
    },
    async close() {
      await script.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface DiskResult {
  label: string;
  entries: number;
  /** µs per op by series (see SERIES), the median over rounds. */
  times: Record<string, OpTimes>;
}

async function benchDisk(): Promise<DiskResult[]> {
  const workloads = [
    diskWorkload("1 KiB", 1024, 200, ROUNDS),
    diskWorkload("64 KiB", 64 * 1024, 100, ROUNDS),
    diskWorkload("1 MiB", 1024 * 1024, 50, ROUNDS),
  ];
  const results: DiskResult[] = [];
  for (const w of workloads) {
    progress(`disk ${w.label}: ${w.values.length} entries x ${ROUNDS + 1} rounds per store`);
    const contenders = [
      await ours(w),
      await withCacache(w),
      await withUnstorage(w),
      ...(python.diskSkipped === undefined ? [await withDiskcache(w)] : []),
    ];
    const samples: Record<string, { set: number[]; get: number[] }> = {};
    try {
      for (const [round, inputs] of w.rounds.entries()) {
        // The stores take turns within each round, in a rotating order, so that a change in
        // the machine's load or a position in the turn does not favour one of them.
        for (let turn = 0; turn < contenders.length; turn++) {
          const contender = contenders[(round + turn) % contenders.length]!;
          const times = await contender.round(inputs, round);
          if (round === 0) continue; // warm-up
          for (const [series, t] of Object.entries(times)) {
            const s = (samples[series] ??= { set: [], get: [] });
            s.set.push(t.set);
            s.get.push(t.get);
          }
        }
      }
    } finally {
      for (const contender of contenders) await contender.close();
    }
    const times: Record<string, OpTimes> = {};
    for (const [series, s] of Object.entries(samples)) {
      times[series] = { set: median(s.set), get: median(s.get) };
    }
    results.push({ label: w.label, entries: w.values.length, times });
  }
  return results;
}

const OPS = ["set", "get"] as const;
const OTHERS = [
  SERIES.diskcacheKeyed,
  SERIES.diskcachePlain,
  SERIES.cacache,
  SERIES.unstorage,
] as const;

function diskTable(results: DiskResult[]): string {
  const rows = results.flatMap((r) =>
    OPS.map((op) => {
      const ours = r.times[SERIES.ours]![op];
      return [
        `${r.label} (${r.entries}/round)`,
        op,
        formatMicros(ours),
        ...OTHERS.flatMap((series) => {
          const theirs = r.times[series]?.[op];
          return [theirs === undefined ? "n/a" : formatMicros(theirs), ratio(ours, theirs)];
        }),
      ];
    })
  );
  return table(
    ["output", "op", SERIES.ours, ...OTHERS.flatMap((series) => [series, "ratio"])],
    rows,
  );
}

function diskGoals(results: DiskResult[]): string {
  const columns = results.flatMap((r) => OPS.map((op) => ({ r, op })));
  const goal = (name: string, series: string, strict: boolean) => [
    name,
    ...columns.map(({ r, op }) => {
      const ours = r.times[SERIES.ours]![op], theirs = r.times[series]?.[op];
      return theirs === undefined
        ? "n/a (skipped)"
        : `${ratio(ours, theirs)} ${verdict(ours, theirs, 1, strict)}`;
    }),
  ];
  return table(["goal", ...columns.map(({ r, op }) => `${r.label} ${op}`)], [
    goal(
      "≥ 1x: at least as fast as diskcache, flytekit path (key + store: the fair comparison)",
      SERIES.diskcacheKeyed,
      false,
    ),
    goal(
      "≥ 1x: at least as fast as diskcache, store only (ours still includes the key)",
      SERIES.diskcachePlain,
      false,
    ),
    goal("> 1x: faster than cacache", SERIES.cacache, true),
    goal("> 1x: faster than unstorage (fs)", SERIES.unstorage, true),
  ]);
}

// --- Report -------------------------------------------------------------------------------

function table(columns: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(columns), line(columns.map(() => "---")), ...rows.map(line)].join("\n") + "\n";
}

function markdown(
  keys: KeyResult[],
  disk: DiskResult[],
  seconds: number,
  denoSection: string,
  browserSection: string,
): string {
  const m = machine;
  return `# local-task-cache benchmark

- CPU: ${m.cpu}, ${m.cores} cores, ${m.memory} RAM
- Node ${m.node}; Python ${m.python}${m.pythonModules ? ` (${m.pythonModules})` : ""}
- ${m.date}, whole run ${sig3(seconds)} s

Every figure is the median over repeated rounds (after a warm-up round), 3 significant digits.
A ratio is the other side's time divided by ours: above 1x, we are faster.

## Keys: \`calculateCacheKey\` vs flytekit's Python stack

Time per call, median of ${KEY_ROUNDS} rounds after a warm-up round; the three sides take turns
within each round. Ours: \`calculateCacheKey\` as exported (in Node, MD5 from
\`node:crypto\`), and the same function with \`#runtime\` pointed at the browser module, so its
MD5 is the portable \`@noble/hashes\` one (separate process). Python (/usr/bin/python3, the
generated classes of literals.proto and types.proto, compiled with protoc): recursive hash
placement, new LiteralMap, \`SerializeToString(deterministic=True)\`, \`joblib.hash\`, on the
parsed inputs (parsing not timed); both sides must give the same key.
Cases (test/bench/inputs.ts): (a) flytekit's stable-key example (an untyped dict of 1000 ints
as MessagePack, an int, a float, a bool); (b) 1000 integer inputs; (c) one 1 MiB Binary.

${keysTable(keys)}
Python's time for (c) depends on glibc's malloc: served from fresh \`mmap\`s, its 1 MiB buffers
cost page faults (about 10 ms a key on this VM); once the process has freed a large block, as
keys.py does while loading its inputs, glibc's dynamic mmap threshold rises above 1 MiB and
they come from the heap (about 2 ms). The figure above is the second, Python's favourable case,
as in a long-running flytekit process. On a shared machine all figures move with its load; the
sides take turns round by round so that the ratios stay comparable.

## Disk: set and get of one output, key computation included

µs per operation, median of ${ROUNDS} rounds after a warm-up round; each round sets new entries
(new inputs, so new keys, as a cache does after a miss), then gets them. Each store has its own
new temporary directory; the stores take turns within each round, in a rotating order.
The output is a LiteralMap holding one Binary of the size shown; the inputs a small LiteralMap
(an integer, a string, a float) varying per entry.

- ours: \`TaskCache.set\` / \`get\` over \`FsAdapter\` (key, deterministic protobuf bytes, the
  adapter's write; get parses the LiteralMap);
- cacache and unstorage (fs driver, \`setItemRaw\` / \`getItemRaw\`): the same work around the
  store: key by \`calculateCacheKey\`, value by \`toBinary\`, \`fromBinary\` on get;
- diskcache${
    python.modules["diskcache"] ? ` ${python.modules["diskcache"]}` : ""
  } (Python, flytekit's own store, \`diskcache.Cache(dir)\`): "flytekit path" is
  what flytekit's \`LocalTaskCache\` does: the key in Python, then \`SerializeToString()\` + \`cache.set\`, or \`cache.get\` + \`ParseFromString\`
  (flytekit's further conversion to its model classes is left out, to its advantage);
  "store only" times \`cache.set(key, bytes)\` / \`cache.get(key)\` alone, on our keys and bytes.

${diskTable(disk)}
### Disk goals

${diskGoals(disk)}
## Deno: DenoKvAdapter vs raw Deno.Kv and FsAdapter, in Deno

Time per operation in Deno (on KV files and a directory in the temporary directory), median of
7 rounds with the sides taking turns; ours includes the key and the LiteralMap's bytes, raw
\`Deno.Kv\` stores the same bytes under the same key string (only up to 64 KiB); the ratio is
the other side's time over ours.

${denoSection}
## Browser: IndexedDbAdapter vs idb-keyval and localforage, in Chromium

Time per operation in one Chromium page (Debian's, headless), median of 7 rounds with the sides
taking turns; ours is \`TaskCache\` over \`IndexedDbAdapter\` (key, LiteralMap bytes, parse on
get), idb-keyval and localforage store the same bytes under the same keys (key and bytes made
the same way, parsed on get). Goal: within 1.2x of idb-keyval.

${browserSection}
${
    notes.length + mismatches.length === 0
      ? ""
      : `## Notes\n\n${
        [...mismatches.map((m) => `**KEY MISMATCH**: ${m}`), ...notes].map((n) => `- ${n}`)
          .join("\n")
      }\n`
  }`;
}

/** The Deno benchmark (test/bench/deno.ts), run by the `deno` of node_modules: its Markdown. */
function benchDeno(): string {
  progress("deno: TaskCache over DenoKvAdapter vs raw Deno.Kv and FsAdapter (test/bench/deno.ts)");
  const deno = join(ROOT, "node_modules", ".bin", "deno");
  const result = spawnSync(deno, ["run", "-A", "--unstable-kv", "test/bench/deno.ts"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    skipped("Deno benchmark", `deno exited with ${result.status}: ${result.stderr.trim()}`);
    return "(not measured: see the notes)\n";
  }
  return result.stdout;
}

/** The browser benchmark (test/bench/browser.ts, in Chromium): its Markdown. */
function benchBrowser(): string {
  progress("browser: IndexedDbAdapter vs idb-keyval and localforage (test/bench/browser.ts)");
  const result = spawnSync(process.execPath, ["--import", "tsx", "test/bench/browser.ts"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    skipped("browser benchmark", `it exited with ${result.status}: ${result.stderr.trim()}`);
    return "(not measured: see the notes)\n";
  }
  return result.stdout;
}

const keys = await benchKeys();
const disk = await benchDisk();
const denoSection = benchDeno();
const browserSection = benchBrowser();
const seconds = (performance.now() - started) / 1000;
const out = join(ROOT, ".bench");
await mkdir(out, { recursive: true });
const text = markdown(keys, disk, seconds, denoSection, browserSection);
await writeFile(join(out, "report.md"), text);
await writeFile(
  join(out, "report.json"),
  JSON.stringify({ machine, seconds, keys, disk, notes, mismatches }, null, 2) + "\n",
);
console.log(text);
console.log(`Written to ${join(out, "report.md")} and ${join(out, "report.json")}.`);
if (mismatches.length > 0) {
  console.error(`\n!!! ${mismatches.length} KEY MISMATCH(ES): see above. Exiting with 1. !!!`);
  process.exitCode = 1;
}
