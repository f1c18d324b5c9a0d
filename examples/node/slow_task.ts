/**
 * A slow task run twice through LocalTaskCache: the first run misses and computes, the second
 * hits and returns at once. Run it with `npm run demo`.
 *
 * The cache lives in a fresh temporary directory so the demo shows a miss every time; drop the
 * `directory` option to use the per-user cache directory (LOCAL_TASK_CACHE_DIR moves it).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { calculateCacheKey, LocalTaskCache } from "local-task-cache";
import { type LiteralMap, LiteralMapSchema } from "local-task-cache/flyteidl";

const TASK = "examples.slow_sum_of_squares";
const VERSION = "v1";

function integerLiteral(value: bigint) {
  return {
    value: {
      case: "scalar" as const,
      value: {
        value: {
          case: "primitive" as const,
          value: { value: { case: "integer" as const, value } },
        },
      },
    },
  };
}

/** The task: deliberately slow arithmetic. */
function sumOfSquares(n: bigint): bigint {
  let total = 0n;
  for (let i = 0n; i < n; i++) total += i * i;
  return total;
}

/** Runs the task through the cache: look up, and on a miss compute and store. */
async function cachedSumOfSquares(n: bigint, runId: string): Promise<[bigint, "hit" | "miss"]> {
  const inputs = create(LiteralMapSchema, {
    literals: {
      n: integerLiteral(n),
      run_id: {
        value: {
          case: "scalar",
          value: {
            value: { case: "primitive", value: { value: { case: "stringValue", value: runId } } },
          },
        },
      },
    },
  });
  // run_id changes every run; it must not change the key, so the task ignores it.
  const ignore = ["run_id"];
  const cached = await LocalTaskCache.get(TASK, VERSION, inputs, ignore);
  if (cached !== undefined) return [readInteger(cached), "hit"];
  const result = sumOfSquares(n);
  await LocalTaskCache.set(
    TASK,
    VERSION,
    inputs,
    ignore,
    create(LiteralMapSchema, { literals: { o0: integerLiteral(result) } }),
  );
  return [result, "miss"];
}

function readInteger(outputs: LiteralMap): bigint {
  const literal = outputs.literals.o0?.value;
  if (literal?.case === "scalar" && literal.value.value.case === "primitive") {
    const primitive = literal.value.value.value.value;
    if (primitive.case === "integer") return primitive.value;
  }
  throw new Error("unexpected cached output");
}

const directory = await mkdtemp(join(tmpdir(), "local-task-cache-demo-"));
await LocalTaskCache.initialize({ directory });
console.log(`cache directory: ${directory}`);
console.log(
  `key for n=3000000: ${
    calculateCacheKey(
      TASK,
      VERSION,
      create(LiteralMapSchema, { literals: { n: integerLiteral(3_000_000n) } }),
    )
  }`,
);
for (const run of [1, 2]) {
  const started = performance.now();
  const [result, outcome] = await cachedSumOfSquares(3_000_000n, `run-${run}`);
  const ms = (performance.now() - started).toFixed(1);
  console.log(`run ${run}: ${outcome.padEnd(4)} in ${ms.padStart(7)} ms -> ${result}`);
}
await LocalTaskCache.close();
await rm(directory, { recursive: true, force: true });
