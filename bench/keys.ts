/**
 * The key benchmarks: `calculateCacheKey` against flytekit's Python stack (bench/keys.py)
 * on the same inputs, with the keys checked equal.
 *
 * - `benchKeys`: the cases of bench/inputs.ts ((a) flytekit's stable-key example, (b) 1000
 *   integer inputs, (c) one 1 MiB Binary), timed in Node as exported (native MD5), in Node with
 *   the portable MD5 (bench/portable.ts), in Deno (bench/deno.ts --keys-server), in a
 *   Chromium page (bench/browser_page.ts) and in Python. Every side is a separate process
 *   (or this one) answering one timing round at a time; the sides take turns within each round,
 *   in a rotating order, so that a change in the machine's load does not favour one of them.
 * - `benchKeyScale`: time per call as the inputs grow from 1 to 100,000 integer literals, in
 *   Node and in Python, the same way.
 *
 * @module
 */
import { toBinary } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../gen/flyteidl/core/literals_pb.ts";
import { calculateCacheKey } from "../src/keys/key.ts";
import { type BenchPage, keyRoundInPage, openBenchPage } from "./browser.ts";
import { integerInputs, keyCases } from "./inputs.ts";
import { floorCall } from "./key_floor.ts";
import { base64, JsonLinesProcess, pythonScript, type PythonStack } from "./python.ts";
import {
  DENO,
  type Goal,
  metText,
  mismatch,
  progress,
  ratio,
  ROOT,
  skipped,
  table,
} from "./report.ts";
import { formatMicros, median, roundTime, sig3 } from "./stats.ts";

/** The sides of the key comparison, by id. */
export const KEY_SIDES = {
  node: "Node (as exported: native MD5)",
  portable: "Node (portable MD5)",
  deno: "Deno",
  chromium: "Chromium",
  firefox: "Firefox",
  webkit: "WebKit",
  python: "flytekit (Python)",
  floor: "floor (Node)",
  denoFloor: "floor (Deno)",
} as const;
export type KeySide = keyof typeof KEY_SIDES;

/** The runtimes of ours compared with Python, and the goals that apply. */
export const KEY_RUNTIMES = ["node", "deno", "chromium", "firefox", "webkit"] as const;
/** The browser engines among the sides, each running bench/browser_page.ts. */
const BROWSER_SIDES = ["chromium", "firefox", "webkit"] as const;
/** Python's time / ours, at least, by runtime and case (issue 16; other browsers: Chromium's). */
const BROWSER_GOALS = { "(a)": 3, "(b)": 15, "(c)": 1 };
export const KEY_GOALS: Record<(typeof KEY_RUNTIMES)[number], Record<string, number>> = {
  node: { "(a)": 5, "(b)": 25 },
  deno: { "(a)": 5, "(b)": 25 },
  chromium: BROWSER_GOALS,
  firefox: BROWSER_GOALS,
  webkit: BROWSER_GOALS,
};
export const KEY_ROUNDS = 15;

export interface KeyResult {
  case: string;
  /** Node's key. */
  key: string;
  /** µs per call by side, the median over the rounds (sides that ran). */
  us: Partial<Record<KeySide, number>>;
  /** The key each side computed. */
  keys: Partial<Record<KeySide, string>>;
  /** Node's goal (as `goals.node`). */
  goal: number | undefined;
  /** The goals by runtime, where one applies. */
  goals?: Partial<Record<(typeof KEY_RUNTIMES)[number], number>>;
}

/** The goal of `runtime` on `result`'s case (reports made before per-runtime goals: Node's). */
export function keyGoal(
  result: KeyResult,
  runtime: (typeof KEY_RUNTIMES)[number],
): number | undefined {
  return result.goals === undefined ? result.goal : result.goals[runtime];
}

/** One timing round of one side on a case: µs per call, and the key it computed. */
type Round = (name: string, iterations: number) => Promise<{ us: number; key: string }>;

interface Sides {
  rounds: Partial<Record<KeySide, Round>>;
  close(): Promise<void>;
}

/**
 * Interleaved rounds: one warm-up round then `rounds` rounds of every side, in a rotating order.
 * A side that fails is dropped (and noted). Answers µs medians and keys by side.
 */
async function interleave(
  what: string,
  sides: Partial<Record<KeySide, Round>>,
  name: string,
  iterations: (side: KeySide) => number,
  rounds: number,
): Promise<{ us: Partial<Record<KeySide, number>>; keys: Partial<Record<KeySide, string>> }> {
  const samples: Partial<Record<KeySide, number[]>> = {};
  const keys: Partial<Record<KeySide, string>> = {};
  for (let round = -1; round < rounds; round++) {
    const names = Object.keys(sides) as KeySide[];
    for (let turn = 0; turn < names.length; turn++) {
      const side = names[(round + 1 + turn) % names.length]!;
      let reply;
      try {
        reply = await sides[side]!(name, iterations(side));
      } catch (error) {
        skipped(`${what}, ${KEY_SIDES[side]}`, String(error));
        delete sides[side];
        continue;
      }
      keys[side] = reply.key;
      if (round >= 0) (samples[side] ??= []).push(reply.us);
    }
  }
  const us: Partial<Record<KeySide, number>> = {};
  for (const [side, values] of Object.entries(samples)) us[side as KeySide] = median(values);
  return { us, keys };
}

/** Loads `inputs` into keys.py under `name`: Python's key. */
function loadPython(
  script: JsonLinesProcess,
  name: string,
  task: string,
  version: string,
  inputs: LiteralMap,
): Promise<string> {
  return script.ask<{ key: string }>({
    load: { name, task, version, inputs: base64(toBinary(LiteralMapSchema, inputs)) },
  }).then((reply) => reply.key);
}

/** Starts the sides other than Node: each may be skipped (noted) if it does not start. */
async function startSides(python: PythonStack, want: KeySide[]): Promise<{
  sides: Sides;
  python: JsonLinesProcess | undefined;
}> {
  const rounds: Partial<Record<KeySide, Round>> = {};
  const children: JsonLinesProcess[] = [];
  const pages: BenchPage[] = [];
  let pythonProcess: JsonLinesProcess | undefined;
  const ask = (child: JsonLinesProcess, floor = false): Round => (name, iterations) =>
    child.ask<{ us: number; key: string }>({ name, iterations, ...(floor ? { floor } : {}) });
  if (want.includes("portable")) {
    progress("keys: starting the portable-MD5 process (bench/portable.ts)");
    const portable = new JsonLinesProcess(
      process.execPath,
      ["--import", "tsx", `${ROOT}bench/portable.ts`],
      "bench/portable.ts",
    );
    children.push(portable);
    rounds.portable = ask(portable);
  }
  if (want.includes("deno")) {
    progress("keys: starting Deno (bench/deno.ts --keys-server)");
    const deno = new JsonLinesProcess(
      DENO,
      ["run", "-A", "--unstable-kv", `${ROOT}bench/deno.ts`, "--keys-server"],
      "bench/deno.ts --keys-server",
      ROOT,
    );
    children.push(deno);
    rounds.deno = ask(deno);
    rounds.denoFloor = ask(deno, true);
  }
  for (const engine of BROWSER_SIDES.filter((side) => want.includes(side))) {
    progress(`keys: starting ${KEY_SIDES[engine]} (bench/browser_page.ts)`);
    try {
      const opened = await openBenchPage(engine);
      pages.push(opened);
      rounds[engine] = (name, iterations) => keyRoundInPage(opened.page, name, iterations);
    } catch (error) {
      skipped(`keys in ${KEY_SIDES[engine]}`, String(error).split("\n")[0]!);
    }
  }
  if (want.includes("python") && python.keysSkipped === undefined) {
    progress("keys: starting flytekit's Python stack (bench/keys.py)");
    pythonProcess = pythonScript("./keys.py");
    children.push(pythonProcess);
  }
  return {
    sides: {
      rounds,
      async close() {
        for (const child of children) await child.close();
        for (const page of pages) await page.close();
      },
    },
    python: pythonProcess,
  };
}

/** Checks every side's key against Node's. */
function checkKeys(what: string, node: string, keys: Partial<Record<KeySide, string>>): void {
  for (const [side, key] of Object.entries(keys)) {
    if (side === "floor" || side === "denoFloor") continue;
    if (key !== node) {
      mismatch(`${what}: ${KEY_SIDES[side as KeySide]}'s key ${key} differs from Node's ${node}`);
    }
  }
}

export async function benchKeys(python: PythonStack): Promise<KeyResult[]> {
  const cases = keyCases();
  const { sides, python: script } = await startSides(python, [
    "portable",
    "deno",
    ...BROWSER_SIDES,
    "python",
  ]);
  const results: KeyResult[] = [];
  try {
    const rounds = sides.rounds;
    rounds.node = (name) => {
      const c = cases.find((c) => c.name === name)!;
      const call = () => calculateCacheKey(c.taskName, c.cacheVersion, c.inputs);
      return Promise.resolve({ us: roundTime(call, c.iterations), key: call() });
    };
    const floors = new Map(cases.map((c) => [c.name, floorCall(c.inputs)]));
    rounds.floor = (name) => {
      const c = cases.find((c) => c.name === name)!;
      const call = floors.get(name)!;
      return Promise.resolve({ us: roundTime(call, c.iterations), key: call() });
    };
    if (script !== undefined) {
      const pythonKeys = new Map<string, string>();
      for (const c of cases) {
        pythonKeys.set(
          c.name,
          await loadPython(script, c.name, c.taskName, c.cacheVersion, c.inputs),
        );
      }
      rounds.python = async (name, iterations) => {
        const { us } = await script.ask<{ us: number }>({ time: { name, iterations } });
        return { us, key: pythonKeys.get(name)! };
      };
    }
    for (const c of cases) {
      progress(`keys ${c.name}: ${Object.keys(rounds).join(", ")}, ${KEY_ROUNDS} rounds each`);
      const { us, keys } = await interleave(
        `keys ${c.name}`,
        rounds,
        c.name,
        (side) => side === "python" ? c.pythonIterations : c.iterations,
        KEY_ROUNDS,
      );
      const key = keys.node!;
      checkKeys(c.name, key, keys);
      const goals = Object.fromEntries(
        KEY_RUNTIMES.flatMap((runtime) => {
          const goal = KEY_GOALS[runtime][c.name.slice(0, 3)];
          return goal === undefined ? [] : [[runtime, goal]];
        }),
      );
      results.push({ case: c.name, key, us, keys, goal: goals.node, goals });
    }
  } finally {
    await sides.close();
  }
  return results;
}

const fmt = (us: number | undefined) => us === undefined ? "n/a" : formatMicros(us);

export function keysTable(results: KeyResult[]): string {
  const rows = results.map((r) => {
    const py = r.us.python;
    const others = Object.keys(r.keys).filter((side) =>
      side !== "node" && side !== "floor" && side !== "denoFloor"
    );
    const differ = others.filter((side) => r.keys[side as KeySide] !== r.key);
    return [
      r.case,
      fmt(r.us.node),
      fmt(r.us.portable),
      fmt(r.us.deno),
      ...BROWSER_SIDES.map((side) => fmt(r.us[side])),
      fmt(py),
      ratio(r.us.node, py),
      ratio(r.us.deno, py),
      ...BROWSER_SIDES.map((side) => ratio(r.us[side], py)),
      KEY_RUNTIMES.map((runtime) => {
        const goal = keyGoal(r, runtime);
        return goal === undefined ? "-" : `${goal}x`;
      }).join(" / "),
      fmt(r.us.floor),
      r.us.floor === undefined || r.us.node === undefined
        ? "n/a"
        : `${sig3(r.us.node / r.us.floor)}x`,
      fmt(r.us.denoFloor),
      r.us.denoFloor === undefined || r.us.deno === undefined
        ? "n/a"
        : `${sig3(r.us.deno / r.us.denoFloor)}x`,
      r.us.denoFloor === undefined || py === undefined ? "n/a" : ratio(r.us.denoFloor, py),
      differ.length > 0 ? `**MISMATCH** (${differ.join(", ")})` : `all ${others.length + 1} equal`,
    ];
  });
  return table(
    [
      "case",
      KEY_SIDES.node,
      KEY_SIDES.portable,
      "Deno (native MD5)",
      ...BROWSER_SIDES.map((side) => `${KEY_SIDES[side]} (portable MD5)`),
      KEY_SIDES.python,
      "Python / Node",
      "Python / Deno",
      ...BROWSER_SIDES.map((side) => `Python / ${KEY_SIDES[side]}`),
      "goals (Node / Deno / Chromium / Firefox / WebKit)",
      "floor (Node: names listed and sorted, MD5 of the final bytes)",
      "Node / floor",
      "floor (Deno: the same, its node:crypto MD5)",
      "Deno / floor",
      "Python / Deno's floor (the most Deno can reach)",
      "keys",
    ],
    rows,
  );
}

export function keysGoals(results: KeyResult[]): Goal[] {
  const names: Record<(typeof KEY_RUNTIMES)[number], string> = {
    node: "Keys (Node)",
    deno: "Keys (Deno)",
    chromium: "Keys (Chromium)",
    firefox: "Keys (Firefox, Chromium's goals)",
    webkit: "Keys (WebKit, Chromium's goals)",
  };
  return KEY_RUNTIMES.flatMap((runtime) =>
    results.flatMap((r) => {
      const goal = keyGoal(r, runtime);
      if (goal === undefined) return [];
      const ours = r.us[runtime], py = r.us.python;
      const times = ours === undefined || py === undefined ? undefined : py / ours;
      return [{
        area: names[runtime],
        goal: `${r.case}: Python's time / ours ≥ ${goal}x`,
        measured: times === undefined ? "n/a" : `${fmt(ours)} vs ${fmt(py)}: ${sig3(times)}x`,
        met: times === undefined ? undefined : times >= goal,
        margin: times === undefined ? undefined : times / goal,
      }];
    })
  );
}

/** Goal verdicts by runtime, for the keys section. */
export function keysVerdicts(results: KeyResult[]): string {
  return table(
    ["runtime", ...results.map((r) => r.case)],
    KEY_RUNTIMES.map((runtime) => [
      KEY_SIDES[runtime],
      ...results.map((r) => {
        const goal = keyGoal(r, runtime);
        const ours = r.us[runtime], py = r.us.python;
        if (ours === undefined || py === undefined) return "n/a";
        return goal === undefined
          ? `${ratio(ours, py)} (no goal)`
          : `${ratio(ours, py)} (≥ ${goal}x: ${metText(py / ours >= goal)})`;
      }),
    ]),
  );
}

// --- Keys at scale ----------------------------------------------------------------------------

export const KEY_SCALE_SIZES = [1, 10, 100, 1_000, 10_000, 100_000];
const KEY_SCALE_ROUNDS = 9;
/** Linear: the cost per literal at 100,000 within this factor of the cost at 1,000. */
export const LINEAR = 1.3;
/** Calls per round: about 20 to 50 ms a round. */
const NODE_ITERATIONS: Record<number, number> = {
  1: 4000,
  10: 1500,
  100: 300,
  1_000: 40,
  10_000: 4,
  100_000: 1,
};
const PYTHON_ITERATIONS: Record<number, number> = {
  1: 1000,
  10: 300,
  100: 40,
  1_000: 5,
  10_000: 1,
  100_000: 1,
};

export interface KeyScalePoint {
  literals: number;
  /** µs per call, median. */
  node: number;
  /**
   * The floor that grows with the inputs, µs per call in Node: listing the input names and
   * reading each input's literal once (what any key code must do; absent from older reports).
   */
  floor?: number;
  python: number | undefined;
  key: string;
  pythonKey: string | undefined;
}

export async function benchKeyScale(python: PythonStack): Promise<KeyScalePoint[]> {
  const { sides, python: script } = await startSides(python, ["python"]);
  const points: KeyScalePoint[] = [];
  try {
    for (const n of KEY_SCALE_SIZES) {
      const inputs = integerInputs(n);
      const name = `scale ${n}`;
      const task = "t.scale";
      const rounds: Partial<Record<KeySide, Round>> = {
        node: (_, iterations) => {
          const call = () => calculateCacheKey(task, "1", inputs);
          return Promise.resolve({ us: roundTime(call, iterations), key: call() });
        },
        floor: (_, iterations) => {
          const call = () => readEveryInput(inputs);
          return Promise.resolve({ us: roundTime(call, iterations), key: call() });
        },
      };
      if (script !== undefined) {
        const key = await loadPython(script, name, task, "1", inputs);
        rounds.python = async (_, iterations) => {
          const { us } = await script.ask<{ us: number }>({ time: { name, iterations } });
          return { us, key };
        };
      }
      progress(`keys at scale: ${n} integer inputs, ${KEY_SCALE_ROUNDS} rounds`);
      const { us, keys } = await interleave(
        `keys at scale (${n})`,
        rounds,
        name,
        (side) => side === "python" ? PYTHON_ITERATIONS[n]! : NODE_ITERATIONS[n]!,
        KEY_SCALE_ROUNDS,
      );
      checkKeys(`${n} integer inputs`, keys.node!, keys);
      points.push({
        literals: n,
        node: us.node!,
        floor: us.floor,
        python: us.python,
        key: keys.node!,
        pythonKey: keys.python,
      });
    }
  } finally {
    await sides.close();
  }
  return points;
}

const count = (n: number) => n.toLocaleString("en-US");

/**
 * The keys at scale's floor: the input names listed, and each input's literal read (its value's
 * case and the integer in it), in the listed order, without sorting or writing anything.
 */
function readEveryInput(inputs: LiteralMap): string {
  const literals = inputs.literals;
  let seen = 0;
  for (const name of Object.keys(literals)) {
    const value = literals[name]!.value;
    if (value.case === "scalar" && value.value.value.case === "primitive") seen++;
  }
  return String(seen);
}

/** Cost per literal at 100,000 over the cost at 1,000. */
export function perLiteralGrowth(
  points: KeyScalePoint[],
  side: "node" | "python" | "floor",
): number {
  const at = (n: number) => {
    const p = points.find((p) => p.literals === n)!;
    return p[side]! / n;
  };
  return at(100_000) / at(1_000);
}

export function keyScaleTable(points: KeyScalePoint[]): string {
  const at1k = points.find((p) => p.literals === 1_000)!;
  return table(
    [
      "integer inputs",
      "Node: per call",
      "Node: per literal",
      "per literal / at 1,000",
      "Python: per call",
      "Python: per literal",
      "per literal / at 1,000",
      "Python / Node",
      "floor (Node: names listed, each literal read once): per literal",
      "per literal / at 1,000",
      "keys",
    ],
    points.map((p) => [
      count(p.literals),
      formatMicros(p.node),
      formatMicros(p.node / p.literals),
      `${sig3(p.node / p.literals / (at1k.node / 1_000))}x`,
      fmt(p.python),
      p.python === undefined ? "n/a" : formatMicros(p.python / p.literals),
      p.python === undefined || at1k.python === undefined
        ? "n/a"
        : `${sig3(p.python / p.literals / (at1k.python / 1_000))}x`,
      ratio(p.node, p.python),
      p.floor === undefined ? "n/a" : formatMicros(p.floor / p.literals),
      p.floor === undefined || at1k.floor === undefined
        ? "n/a"
        : `${sig3(p.floor / p.literals / (at1k.floor / 1_000))}x`,
      p.pythonKey === undefined ? "n/a" : p.pythonKey === p.key ? "equal" : "**MISMATCH**",
    ]),
  );
}

export function keyScaleGoals(points: KeyScalePoint[]): Goal[] {
  const times = perLiteralGrowth(points, "node");
  const floor = points.every((p) => p.floor !== undefined)
    ? `; the floor (names listed, each literal read once) ${
      sig3(perLiteralGrowth(points, "floor"))
    }x`
    : "";
  return [{
    area: "Keys at scale (Node)",
    goal: `linear: µs per literal at 100,000 inputs within ${LINEAR}x of at 1,000`,
    measured: `${sig3(times)}x${floor}`,
    met: times <= LINEAR,
    margin: LINEAR / times,
  }];
}
