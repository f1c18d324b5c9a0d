/**
 * The disk benchmark: `TaskCache` over `FsAdapter` against Python `diskcache` (flytekit's store,
 * bench/store.py), `cacache` and `unstorage`'s fs driver, for 1 KiB, 64 KiB and 1 MiB
 * outputs, key computation included. The stores take turns of a tenth of a round's entries.
 *
 * @module
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import cacache from "cacache";
import { createStorage } from "unstorage";
import fsDriver from "unstorage/drivers/fs";
import { type LiteralMap, LiteralMapSchema } from "../gen/flyteidl/core/literals_pb.ts";
import { FsAdapter } from "../src/adapters/fs.ts";
import { calculateCacheKey } from "../src/keys/key.ts";
import { TaskCache } from "../src/core/task_cache.ts";
import { type DiskWorkload, diskWorkload } from "./inputs.ts";
import { base64, pythonScript, type PythonStack } from "./python.ts";
import { type Goal, metText, mismatch, progress, ratio, table } from "./report.ts";
import { formatMicros, median, sig3 } from "./stats.ts";

const TASK = "bench.task";
const VERSION = "1";
export const DISK_ROUNDS = 7;
/** Turns per round: each contender sets and gets a tenth of a round's entries at a time. */
const TURNS_PER_ROUND = 10;

export interface OpTimes {
  set: number;
  get: number;
}

/**
 * One store under test. A turn sets every entry of `inputs` (the i-th with value `offset` + i
 * of the workload), then gets them all; it answers µs per set and per get, for each series it
 * times (diskcache times two: flytekit's path and the store alone).
 */
export interface Contender {
  round(inputs: LiteralMap[], round: number, offset: number): Promise<Record<string, OpTimes>>;
  close(): Promise<void>;
}

export const SERIES = {
  ours: "ours: TaskCache + FsAdapter",
  diskcacheKeyed: "diskcache, flytekit path (key + store)",
  diskcachePlain: "diskcache, store only",
  cacache: "cacache",
  unstorage: "unstorage (fs)",
  floor: "floor: writeFileSync + renameSync / readFileSync",
} as const;

const key = (inputs: LiteralMap) => calculateCacheKey(TASK, VERSION, inputs);

/** The Binary's bytes in an output read back, for the untimed check. */
function outputBytes(value: LiteralMap | undefined): Uint8Array | undefined {
  const literal = value?.literals["o0"]?.value;
  if (literal?.case !== "scalar" || literal.value.value.case !== "binary") return undefined;
  return literal.value.value.value.value;
}

/** A contender in this process: `set` and `get` as given, timed here. */
export async function jsContender(
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
    async round(inputs, round, offset) {
      let t0 = performance.now();
      for (let i = 0; i < inputs.length; i++) await store.set(inputs[i]!, w.values[offset + i]!);
      const set = ((performance.now() - t0) * 1000) / inputs.length;
      const results: (LiteralMap | undefined)[] = [];
      t0 = performance.now();
      for (let i = 0; i < inputs.length; i++) results.push(await store.get(inputs[i]!));
      const get = ((performance.now() - t0) * 1000) / inputs.length;
      // Checked outside the timing: every get found what its set stored.
      results.forEach((result, i) => {
        const bytes = outputBytes(result), stored = outputBytes(w.values[offset + i])!;
        const same = (at: number) => bytes![at] === stored[at];
        if (bytes?.length !== w.size || !same(0) || !same(w.size >> 1) || !same(w.size - 1)) {
          throw new Error(
            `${series} ${w.label}: entry ${offset + i} of round ${round} was not read back`,
          );
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

/**
 * The floor of one file per entry: the same key and bytes (as for cacache), written with one
 * `writeFileSync` to a temporary name and a `renameSync` into place (as every atomic writer
 * must), read with one `readFileSync`.
 */
export function floor(w: DiskWorkload): Promise<Contender> {
  let temporary = 0;
  return jsContender(SERIES.floor, w, (directory) => ({
    set: (inputs, value) => {
      const path = join(directory, `${temporary++}.tmp`);
      writeFileSync(path, toBinary(LiteralMapSchema, value));
      renameSync(path, join(directory, key(inputs)));
      return Promise.resolve();
    },
    get: (inputs) =>
      Promise.resolve(fromBinary(LiteralMapSchema, readFileSync(join(directory, key(inputs))))),
    close: () => Promise.resolve(),
  }));
}

/** flytekit's store in Python, on the same keys and protobuf bytes (bench/store.py). */
export async function withDiskcache(w: DiskWorkload): Promise<Contender> {
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
    async round(inputs, _round, offset) {
      const ourKeys = inputs.map(key);
      const reply = await script.ask<{ keys: string[] } & Record<string, number>>({
        round: {
          inputs: inputs.map((i) => base64(toBinary(LiteralMapSchema, i))),
          keys: ourKeys,
          offset,
        },
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

export interface DiskResult {
  label: string;
  entries: number;
  /** µs per op by series (see SERIES), the median over rounds. */
  times: Record<string, OpTimes>;
}

export async function benchDisk(python: PythonStack): Promise<DiskResult[]> {
  const workloads = [
    diskWorkload("1 KiB", 1024, 200, DISK_ROUNDS),
    diskWorkload("64 KiB", 64 * 1024, 100, DISK_ROUNDS),
    diskWorkload("1 MiB", 1024 * 1024, 50, DISK_ROUNDS),
  ];
  const results: DiskResult[] = [];
  for (const w of workloads) {
    progress(`disk ${w.label}: ${w.values.length} entries x ${DISK_ROUNDS + 1} rounds per store`);
    const contenders = [
      await ours(w),
      await floor(w),
      await withCacache(w),
      await withUnstorage(w),
      ...(python.diskSkipped === undefined ? [await withDiskcache(w)] : []),
    ];
    results.push({
      label: w.label,
      entries: w.values.length,
      times: await timeTurns(w, contenders),
    });
  }
  return results;
}

/**
 * Runs every round of `w` on the contenders, in short turns (closing them at the end): each
 * round's entries go a tenth at a time, each contender setting and getting that tenth in turn,
 * in an order rotating from turn to turn, so that a drift in the machine's load (a disk's
 * write-back, memory handed back to the system) falls on every store alike. Answers the median
 * over the rounds of each series' µs per set and get, the first round left out as a warm-up.
 */
export async function timeTurns(
  w: DiskWorkload,
  contenders: Contender[],
): Promise<Record<string, OpTimes>> {
  const samples: Record<string, { set: number[]; get: number[] }> = {};
  const turn = Math.max(1, Math.round(w.values.length / TURNS_PER_ROUND));
  let turns = 0;
  try {
    for (const [round, inputs] of w.rounds.entries()) {
      const sums: Record<string, OpTimes> = {};
      for (let offset = 0; offset < inputs.length; offset += turn) {
        const part = inputs.slice(offset, offset + turn);
        for (let i = 0; i < contenders.length; i++) {
          const contender = contenders[(turns + i) % contenders.length]!;
          for (const [series, t] of Object.entries(await contender.round(part, round, offset))) {
            const sum = (sums[series] ??= { set: 0, get: 0 });
            sum.set += t.set * part.length;
            sum.get += t.get * part.length;
          }
        }
        turns++;
      }
      if (round === 0) continue; // warm-up
      for (const [series, sum] of Object.entries(sums)) {
        const s = (samples[series] ??= { set: [], get: [] });
        s.set.push(sum.set / inputs.length);
        s.get.push(sum.get / inputs.length);
      }
    }
  } finally {
    for (const contender of contenders) await contender.close();
  }
  const times: Record<string, OpTimes> = {};
  for (const [series, s] of Object.entries(samples)) {
    times[series] = { set: median(s.set), get: median(s.get) };
  }
  return times;
}

const OPS = ["set", "get"] as const;
const OTHERS = [
  SERIES.floor,
  SERIES.diskcacheKeyed,
  SERIES.diskcachePlain,
  SERIES.cacache,
  SERIES.unstorage,
] as const;

/**
 * The table of `results`: µs per op of `ours` and of each of `others`, with their time over
 * ours (by default the disk part's sides; the flytekit part names its own).
 */
export function diskTable(
  results: DiskResult[],
  ours: string = SERIES.ours,
  others: readonly string[] = OTHERS,
): string {
  const rows = results.flatMap((r) =>
    OPS.map((op) => {
      const mine = r.times[ours]![op];
      return [
        `${r.label} (${r.entries}/round)`,
        op,
        formatMicros(mine),
        ...others.flatMap((series) => {
          const theirs = r.times[series]?.[op];
          return [theirs === undefined ? "n/a" : formatMicros(theirs), ratio(mine, theirs)];
        }),
      ];
    })
  );
  return table(["output", "op", ours, ...others.flatMap((series) => [series, "ratio"])], rows);
}

const DISK_GOALS = [
  {
    name: "≥ 0.833x: within 1.2x of the floor (one writeFileSync + renameSync, one readFileSync)",
    short: "1 KiB: within 1.2x of the floor of one file per entry (writeFileSync + renameSync, " +
      "readFileSync)",
    series: SERIES.floor,
    strict: false,
    summary: true,
    atLeast: 1 / 1.2,
    only: "1 KiB",
  },
  {
    name: "≥ 1x: at least as fast as diskcache, flytekit path (key + store: the fair comparison)",
    short: "at least as fast as diskcache on flytekit's path (key + store), ≥ 1x",
    series: SERIES.diskcacheKeyed,
    strict: false,
    summary: true,
  },
  {
    name: "≥ 1x: at least as fast as diskcache, store only (ours still includes the key)",
    short: "at least as fast as diskcache, store only",
    series: SERIES.diskcachePlain,
    strict: false,
    summary: false,
  },
  {
    name: "> 1x: faster than cacache",
    short: "faster than cacache, > 1x",
    series: SERIES.cacache,
    strict: true,
    summary: true,
  },
  {
    name: "> 1x: faster than unstorage (fs)",
    short: "faster than unstorage (fs), > 1x",
    series: SERIES.unstorage,
    strict: true,
    summary: true,
  },
] as const;

type DiskGoal = (typeof DISK_GOALS)[number] & { atLeast?: number; only?: string };

/**
 * Whether ours meets a goal against `series` (their time / ours ≥ `atLeast`, 1 by default, or
 * above it if strict); `undefined` when not measured, `null` where the goal does not apply.
 */
function meets(r: DiskResult, op: "set" | "get", goal: DiskGoal) {
  if (goal.only !== undefined && goal.only !== r.label) return null;
  const ours = r.times[SERIES.ours]![op], theirs = r.times[goal.series]?.[op];
  if (theirs === undefined) return undefined;
  const times = theirs / ours, atLeast = goal.atLeast ?? 1;
  return { times, met: goal.strict ? times > atLeast : times >= atLeast };
}

export function diskGoalsTable(results: DiskResult[]): string {
  const columns = results.flatMap((r) => OPS.map((op) => ({ r, op })));
  return table(
    ["goal", ...columns.map(({ r, op }) => `${r.label} ${op}`)],
    (DISK_GOALS as readonly DiskGoal[]).map((goal) => [
      goal.name,
      ...columns.map(({ r, op }) => {
        const verdict = meets(r, op, goal);
        if (verdict === null) return "";
        return verdict === undefined
          ? "n/a (skipped)"
          : `${sig3(verdict.times)}x ${metText(verdict.met)}`;
      }),
    ]),
  );
}

/** The goals of the summary: one per store, over every size and op. */
export function diskGoals(results: DiskResult[]): Goal[] {
  return (DISK_GOALS as readonly DiskGoal[]).filter((goal) => goal.summary).map((goal) => {
    const verdicts = results.flatMap((r) =>
      OPS.map((op) => ({ where: `${r.label} ${op}`, v: meets(r, op, goal) }))
    ).filter(({ v }) => v !== null);
    if (verdicts.some(({ v }) => v === undefined)) {
      return {
        area: "Disk (Node)",
        goal: goal.short,
        measured: "n/a",
        met: undefined,
        margin: undefined,
      };
    }
    const missed = verdicts.filter(({ v }) => !v!.met).map(({ where }) => where);
    return {
      area: "Disk (Node)",
      goal: goal.short,
      measured: verdicts.map(({ where, v }) => `${where} ${sig3(v!.times)}x`).join(", ") +
        (missed.length === 0 ? "" : `; missed: ${missed.join(", ")}`),
      met: missed.length === 0,
      // The worst of the sizes and ops.
      margin: Math.min(...verdicts.map(({ v }) => v!.times / (goal.atLeast ?? 1))),
      strict: goal.strict,
    };
  });
}
