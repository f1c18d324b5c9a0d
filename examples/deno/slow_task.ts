/// <reference lib="deno.ns" />
/**
 * A slow task run twice through LocalTaskCache in Deno: the first run misses and computes, the
 * second hits. With --unstable-kv the cache is Deno KV (a cache.kv file), without it files.
 *
 *   npx deno run --unstable-kv --allow-read --allow-write --allow-env examples/deno/slow_task.ts
 *
 * The cache lives in a fresh temporary directory so the example shows a miss every time; drop
 * the `directory` option to use the per-user cache directory (LOCAL_TASK_CACHE_DIR moves it).
 */
import { create } from "@bufbuild/protobuf";
import { LocalTaskCache } from "../../src/mod.ts";
import {
  type Literal,
  type LiteralMap,
  LiteralMapSchema,
  LiteralSchema,
} from "../../src/flyteidl.ts";

const TASK = "examples.slow_fibonacci_mod";
const VERSION = "v1";

function integer(value: bigint): Literal {
  return create(LiteralSchema, {
    value: {
      case: "scalar",
      value: { value: { case: "primitive", value: { value: { case: "integer", value } } } },
    },
  });
}

/** The task: slow on purpose. */
function fibonacciMod(n: number): bigint {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, (a + b) % 1_000_000_007n];
  return a;
}

async function cached(n: number): Promise<[bigint, "hit" | "miss"]> {
  const inputs = create(LiteralMapSchema, { literals: { n: integer(BigInt(n)) } });
  const stored: LiteralMap | undefined = await LocalTaskCache.get(TASK, VERSION, inputs, []);
  const value = stored?.literals.o0?.value;
  if (value?.case === "scalar" && value.value.value.case === "primitive") {
    const primitive = value.value.value.value.value;
    if (primitive.case === "integer") return [primitive.value, "hit"];
  }
  const result = fibonacciMod(n);
  const outputs = create(LiteralMapSchema, { literals: { o0: integer(result) } });
  await LocalTaskCache.set(TASK, VERSION, inputs, [], outputs);
  return [result, "miss"];
}

const directory = await Deno.makeTempDir({ prefix: "local-task-cache-deno-demo-" });
await LocalTaskCache.initialize({ directory });
const kv = typeof (Deno as { openKv?: unknown }).openKv === "function";
console.log(`cache: ${kv ? "Deno KV" : "files"} in ${directory}`);
for (const run of [1, 2]) {
  const started = performance.now();
  const [result, outcome] = await cached(10_000_000);
  const ms = (performance.now() - started).toFixed(1);
  console.log(`run ${run}: ${outcome.padEnd(4)} in ${ms.padStart(7)} ms -> ${result}`);
}
await LocalTaskCache.close();
await Deno.remove(directory, { recursive: true });
