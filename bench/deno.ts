/// <reference lib="deno.ns" />
/// <reference lib="deno.unstable" />
/**
 * The Deno benchmarks:
 *
 * - KV: get and set of 1 KiB and 1 MiB outputs through `TaskCache` over `DenoKvAdapter` (on a
 *   KV file; key computation included), side by side with raw `Deno.Kv` set/get of the same
 *   bytes (1 KiB: raw KV refuses values over 64 KiB) and with `TaskCache` over `FsAdapter` in
 *   Deno. The sides take turns of a few entries in every round (`inTurns`); medians of the
 *   rounds.
 * - Scale: with `--scale-server DIR`, `TaskCache` over `DenoKvAdapter` (`DIR/deno-<size>.kv`)
 *   answers the requests of bench/scale_core.ts on stdin, for bench/scale.ts.
 * - Keys: `calculateCacheKey` in Deno on the cases of bench/inputs.ts. With
 *   `--keys-server`, it answers timing rounds for bench/keys.ts instead (one JSON request
 *   per line on stdin, `{ "name": case, "iterations": n }`, with `"floor": true` for the
 *   case's floor; one answer per line on stdout,
 *   `{ "key": the case's key, "us": µs per call over one round of n calls }`).
 *
 *   npx deno run -A --unstable-kv bench/deno.ts          (prints Markdown)
 *   npx deno run -A --unstable-kv bench/deno.ts --json   (the KV figures, for run.ts)
 *   npx deno run -A --unstable-kv bench/deno.ts --keys-server
 *   npx deno run -A --unstable-kv bench/deno.ts --scale-server DIR
 */
import { toBinary } from "@bufbuild/protobuf";
import { LiteralMapSchema } from "../gen/flyteidl/core/literals_pb.ts";
import { DenoKvAdapter } from "../src/adapters/deno_kv.ts";
import { FsAdapter } from "../src/adapters/fs.ts";
import { calculateCacheKey } from "../src/keys/key.ts";
import { TaskCache } from "../src/core/task_cache.ts";
import { patternBytes } from "../test/conformance/adapter_suite.ts";
import { binary, integer, literalMap } from "../test/support/literals.ts";
import { keyCases } from "./inputs.ts";
import { floorCall } from "./key_floor.ts";
import { type ScaleRequest, ScaleServer } from "./scale_core.ts";
import { inTurns, median, roundTime, type TurnSide } from "./stats.ts";

const ROUNDS = 7;
const TASK = "bench.deno";
const DENO_KV = "TaskCache + DenoKvAdapter";

/** One output size: side -> µs per set and per get. */
export interface KvResult {
  label: string;
  sides: Record<string, { set: number; get: number }>;
}

const progress = (message: string) => console.error(`[deno] ${message}`);

async function measure(
  label: string,
  size: number,
  batch: number,
  rounds: number,
): Promise<KvResult> {
  progress(`KV ${label}: ${rounds} rounds of ${batch} entries per side, in turns`);
  const directory = await Deno.makeTempDir({ prefix: "ltc-bench-deno-" });
  const values = Array.from(
    { length: batch },
    (_, i) => literalMap({ o: binary(patternBytes(size, i + 1)) }),
  );
  const inputs = (round: number, i: number) =>
    literalMap({ n: integer(BigInt(i)), round: integer(BigInt(round)) });
  const kvCache = new TaskCache(new DenoKvAdapter({ path: `${directory}/cache.kv` }));
  const fsCache = new TaskCache(new FsAdapter({ directory: `${directory}/files` }));
  const raw = await Deno.openKv(`${directory}/raw.kv`);
  const sides: TurnSide[] = [
    {
      name: DENO_KV,
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
  const times = await inTurns(sides, { batch, rounds });
  await kvCache.close();
  await fsCache.close();
  raw.close();
  await Deno.remove(directory, { recursive: true });
  return { label, sides: times };
}

/** Each line of stdin, as it comes. */
async function* stdinLines(): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of Deno.stdin.readable) {
    pending += decoder.decode(chunk, { stream: true });
    let newline;
    while ((newline = pending.indexOf("\n")) !== -1) {
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
    }
  }
  if (pending !== "") yield pending;
}

/** Answers each JSON request line of stdin with one JSON line on stdout. */
async function serve(answer: (request: unknown) => Promise<unknown> | unknown): Promise<void> {
  const encoder = new TextEncoder();
  for await (const line of stdinLines()) {
    if (line.trim() === "") continue;
    const reply = await answer(JSON.parse(line));
    await Deno.stdout.write(encoder.encode(JSON.stringify(reply) + "\n"));
  }
}

/** The keys server for bench/keys.ts: one timing round per request. */
function keysServer(): Promise<void> {
  const cases = new Map(keyCases().map((c) => [c.name, c]));
  // Each case's floor made once (its bytes encoded and framed), not once per round.
  const floors = new Map([...cases].map(([name, c]) => [name, floorCall(c.inputs)]));
  return serve((request) => {
    const { name, iterations, floor } = request as {
      name: string;
      iterations: number;
      floor?: boolean;
    };
    const c = cases.get(name);
    if (c === undefined) throw new Error(`deno.ts: no key case ${JSON.stringify(name)}`);
    // With `floor`, the least work a key of the case needs (bench/key_floor.ts).
    const call = floor
      ? floors.get(name)!
      : () => calculateCacheKey(c.taskName, c.cacheVersion, c.inputs);
    const us = roundTime(call, iterations);
    return { key: call(), us };
  });
}

/** The scale server for bench/scale.ts: DenoKvAdapter on `directory`/deno-<size>.kv. */
async function scaleServer(directory: string): Promise<void> {
  const server = new ScaleServer((size) =>
    new DenoKvAdapter({ path: `${directory}/deno-${size}.kv` })
  );
  await serve((request) => server.handle(request as ScaleRequest));
  await server.close();
}

const us = (value: number) =>
  value >= 1000 ? `${(value / 1000).toPrecision(3)} ms` : `${value.toPrecision(3)} µs`;

function printMarkdown(kv: KvResult[]): void {
  console.log(
    "| output | op | TaskCache + DenoKvAdapter | raw Deno.Kv | raw / ours | TaskCache + FsAdapter | Fs / ours |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const { label, sides } of kv) {
    for (const op of ["set", "get"] as const) {
      const ours = sides[DENO_KV]![op];
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
  const small = kv[0]!.sides;
  const goal = (op: "set" | "get") => {
    const times = small[DENO_KV]![op] / small["raw Deno.Kv"]![op];
    return `${op} ${times.toPrecision(3)}x raw (${times <= 1.2 ? "met" : "NOT met"})`;
  };
  console.log(`\nGoal, at 1 KiB within 1.2x of raw Deno KV: ${goal("set")}, ${goal("get")}.\n`);
  console.log("\n| key case | µs per call in Deno |\n| --- | --- |");
  for (const c of keyCases()) {
    const call = () => calculateCacheKey(c.taskName, c.cacheVersion, c.inputs);
    const rounds = Array.from({ length: ROUNDS + 1 }, () => roundTime(call, c.iterations));
    console.log(`| ${c.name} | ${us(median(rounds.slice(1)))} |`);
  }
}

if (import.meta.main) {
  if (Deno.args.includes("--keys-server")) {
    await keysServer();
  } else if (Deno.args.includes("--scale-server")) {
    await scaleServer(Deno.args[Deno.args.indexOf("--scale-server") + 1]!);
  } else {
    const kv = [await measure("1 KiB", 1024, 10, 40), await measure("1 MiB", 1024 * 1024, 3, 20)];
    if (Deno.args.includes("--json")) console.log(JSON.stringify({ kv }));
    else printMarkdown(kv);
  }
}
