/**
 * Checks of what a churn left in a shared store, for the parts whose workload processes use a
 * `TaskCache` (test/faults/fs_multi.ts, test/faults/redis_multi.ts).
 *
 * @module
 */
import type { TaskCache } from "../../src/core/task_cache.ts";
import type { PartContext } from "./common.ts";
import { inputsFor, outputsFor, outputsProblem, TASK, VERSION } from "./workload.ts";

/** Every key's value is a miss or exactly one a writer that ran stored for it. */
export async function checkValuesLeft(
  ctx: PartContext,
  cache: TaskCache,
  keys: number,
  lengthOf: (writer: number, seq: number) => number,
  writers: Set<number>,
): Promise<void> {
  for (let key = 0; key < keys; key++) {
    const stored = await cache.get(TASK, VERSION, inputsFor(key));
    if (stored === undefined) continue;
    ctx.count("check.values-left");
    const problem = outputsProblem(stored, key, lengthOf, (writer) => writers.has(writer));
    if (problem !== undefined) {
      ctx.violation("inexact-read", `after the run, key ${key}: ${problem}`);
    }
  }
}

/** A set and a get after the run give the value back. */
export async function checkRoundTrip(
  ctx: PartContext,
  cache: TaskCache,
  lengthOf: (writer: number, seq: number) => number,
): Promise<void> {
  const outputs = outputsFor(0, 999_999, 1, lengthOf);
  await cache.set(TASK, VERSION, inputsFor(0), [], outputs);
  const back = await cache.get(TASK, VERSION, inputsFor(0));
  if (back === undefined || outputsProblem(back, 0, lengthOf) !== undefined) {
    ctx.violation("round-trip", "a set and get after the run did not give the value back");
  }
}
