/// <reference lib="deno.ns" />
/// <reference lib="deno.unstable" />
/**
 * The Deno benchmark: get and set of 1 KiB and 1 MiB outputs through `TaskCache` over
 * `DenoKvAdapter` (on a KV file; key computation included), side by side with raw `Deno.Kv`
 * set/get of the same bytes (1 KiB: raw KV refuses values over 64 KiB) and with `TaskCache` over
 * `FsAdapter` in Deno. The sides take turns in every round; medians of the rounds.
 *
 *   npx deno run -A --unstable-kv test/bench/deno.ts          (prints a Markdown table)
 *   npx deno run -A --unstable-kv test/bench/deno.ts --json   (the figures, for run.ts)
 */
import { toBinary } from "@bufbuild/protobuf";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { DenoKvAdapter } from "../../src/adapters/deno_kv.ts";
import { FsAdapter } from "../../src/adapters/fs.ts";
import { calculateCacheKey } from "../../src/key.ts";
import { TaskCache } from "../../src/task_cache.ts";
import { patternBytes } from "../conformance/adapter_suite.ts";
import { binary, integer, literalMap } from "../support/literals.ts";

const ROUNDS = 7;
const TASK = "bench.deno";

interface Side {
  name: string;
  set(round: number, i: number): Promise<unknown>;
  get(round: number, i: number): Promise<unknown>;
}

const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;

async function measure(label: string, size: number, count: number) {
  const directory = await Deno.makeTempDir({ prefix: "ltc-bench-deno-" });
  const values = Array.from(
    { length: count },
    (_, i) => literalMap({ o: binary(patternBytes(size, i + 1)) }),
  );
  const inputs = (round: number, i: number) =>
    literalMap({ n: integer(BigInt(i)), round: integer(BigInt(round)) });
  const kvCache = new TaskCache(new DenoKvAdapter({ path: `${directory}/cache.kv` }));
  const fsCache = new TaskCache(new FsAdapter({ directory: `${directory}/files` }));
  const raw = await Deno.openKv(`${directory}/raw.kv`);
  const sides: Side[] = [
    {
      name: "TaskCache + DenoKvAdapter",
      set: (r, i) => kvCache.set(TASK, "1", inputs(r, i), [], values[i]!),
      get: (r, i) => kvCache.get(TASK, "1", inputs(r, i), []),
    },
    {
      name: "TaskCache + FsAdapter",
      set: (r, i) => fsCache.set(TASK, "1", inputs(r, i), [], values[i]!),
      get: (r, i) => fsCache.get(TASK, "1", inputs(r, i), []),
    },
  ];
  if (size <= 60 * 1024) {
    // Raw KV: the same key string and the same protobuf bytes, no cache around them.
    sides.push({
      name: "raw Deno.Kv",
      set: (r, i) =>
        raw.set(
          ["raw", calculateCacheKey(TASK, "1", inputs(r, i))],
          toBinary(LiteralMapSchema, values[i]!),
        ),
      get: (r, i) => raw.get(["raw", calculateCacheKey(TASK, "1", inputs(r, i))]),
    });
  }
  const times = new Map(
    sides.map((side) => [side.name, { set: [] as number[], get: [] as number[] }]),
  );
  for (let round = 0; round <= ROUNDS; round++) {
    for (
      const side of [...sides.slice(round % sides.length), ...sides.slice(0, round % sides.length)]
    ) {
      let started = performance.now();
      for (let i = 0; i < count; i++) await side.set(round, i);
      const set = ((performance.now() - started) * 1000) / count;
      started = performance.now();
      for (let i = 0; i < count; i++) {
        if ((await side.get(round, i)) === undefined) throw new Error(`${side.name}: a miss`);
      }
      const get = ((performance.now() - started) * 1000) / count;
      if (round > 0) {
        times.get(side.name)!.set.push(set);
        times.get(side.name)!.get.push(get);
      }
    }
  }
  await kvCache.close();
  raw.close();
  await Deno.remove(directory, { recursive: true });
  return {
    label,
    sides: Object.fromEntries(
      [...times].map(([name, t]) => [name, { set: median(t.set), get: median(t.get) }]),
    ),
  };
}

const results = [await measure("1 KiB", 1024, 200), await measure("1 MiB", 1024 * 1024, 30)];
if (Deno.args.includes("--json")) {
  console.log(JSON.stringify(results));
} else {
  const us = (value: number) =>
    value >= 1000 ? `${(value / 1000).toPrecision(3)} ms` : `${value.toPrecision(3)} µs`;
  console.log(
    "| output | op | TaskCache + DenoKvAdapter | raw Deno.Kv | ratio | TaskCache + FsAdapter | ratio |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const { label, sides } of results) {
    for (const op of ["set", "get"] as const) {
      const ours = sides["TaskCache + DenoKvAdapter"]![op];
      const raw = sides["raw Deno.Kv"]?.[op];
      const fs = sides["TaskCache + FsAdapter"]![op];
      console.log(
        `| ${label} | ${op} | ${us(ours)} | ${
          raw === undefined ? "n/a (over 64 KiB)" : us(raw)
        } | ${raw === undefined ? "" : `${(raw / ours).toPrecision(3)}x`} | ${us(fs)} | ${
          (fs / ours).toPrecision(3)
        }x |`,
      );
    }
  }
  const small = results[0]!.sides;
  const goal = (op: "set" | "get") => {
    const times = small["TaskCache + DenoKvAdapter"]![op] / small["raw Deno.Kv"]![op];
    return `${op} ${times.toPrecision(3)}x raw (${times <= 1.2 ? "met" : "NOT met"})`;
  };
  console.log(`\nGoal, at 1 KiB within 1.2x of raw Deno KV: ${goal("set")}, ${goal("get")}.`);
}
