/**
 * The mixed workload of part 3 in a page or a dedicated worker: test/support/stamped.ts's
 * `mixedWorkload` (random gets and sets of shared keys, every read checked) run through a
 * TaskCache over IndexedDbAdapter, with deletes, prunes and clears mixed into the sets.
 *
 * @module
 */
import { IndexedDbAdapter } from "../../src/adapters/indexeddb.ts";
import { calculateCacheKey } from "../../src/keys/key.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import { binary, literalMap } from "../support/literals.ts";
import { type MixedReport, mixedWorkload } from "../support/stamped.ts";
import {
  browserLength,
  bump,
  type Counters,
  inputsFor,
  outputsFor,
  TASK,
  VERSION,
  xorshift,
} from "./workload.ts";

export const DATABASE = "faults-shared";

/** What one writer of the mixed workload did and saw. */
export interface WriterReport extends MixedReport {
  writer: number;
  counters: Counters;
  errors: string[];
}

/** The key number of a workload key (`key-<n>`). */
const numberOf = (key: string) => Number(key.slice(4));

/**
 * `ops` random operations of `writer` on `keys` shared keys: `mixedWorkload`'s gets and sets
 * through TaskCache, plus (before some sets) a delete of another key, a prune down to 1 MiB or,
 * rarely, a clear.
 */
export async function runWriter(
  writer: number,
  ops: number,
  keys: number,
  seed: number,
): Promise<WriterReport> {
  const cache = new TaskCache(new IndexedDbAdapter({ databaseName: DATABASE }), {
    maxSize: 64 * 1024 * 1024,
  });
  const random = xorshift(seed ^ 0x5bd1e995);
  const counters: Counters = {};
  const errors: string[] = [];
  const guard = async <T>(kind: string, work: () => Promise<T>): Promise<T | undefined> => {
    bump(counters, `op.${kind}`);
    try {
      return await work();
    } catch (error) {
      errors.push(`writer ${writer} ${kind}: ${String(error)}`);
      return undefined;
    }
  };
  const shim = {
    get: (key: string) =>
      guard("get", async () => {
        const map = await cache.get(TASK, VERSION, inputsFor(numberOf(key)));
        if (map === undefined) return undefined;
        bump(counters, "op.hit");
        const literal = map.literals.v;
        // Anything but a plain binary output is reported by mixedWorkload as not bytes.
        return literal?.value.case === "scalar" && literal.value.value.value.case === "binary" &&
            Object.keys(map.literals).length === 1
          ? literal.value.value.value.value.value
          : "not the stored shape";
      }),
    set: async (key: string, value: Uint8Array) => {
      const choice = random();
      if (choice < 0.05) {
        const other = Math.floor(random() * keys);
        await guard(
          "delete",
          () => cache.adapter.delete(calculateCacheKey(TASK, VERSION, inputsFor(other))),
        );
      } else if (choice < 0.065) {
        await guard("prune", () => cache.prune({ maxSize: 1024 * 1024 }));
      } else if (choice < 0.07) {
        await guard("clear", () => cache.clear());
      }
      await guard(
        "set",
        () =>
          cache.set(TASK, VERSION, inputsFor(numberOf(key)), [], literalMap({ v: binary(value) })),
      );
    },
  };
  const report = await mixedWorkload(shim, { writer, ops, keys, seed, lengthOf: browserLength });
  await cache.close();
  return { ...report, writer, counters, errors };
}

/**
 * Sets of large values to random keys, `parallel` at a time, until the page or worker dies;
 * `progress` hears "begin" and "end" of each.
 */
export function storm(
  writer: number,
  keys: number,
  seed: number,
  parallel: number,
  progress: (event: "begin" | "end" | "error", detail?: string) => void,
): void {
  const cache = new TaskCache(new IndexedDbAdapter({ databaseName: DATABASE }), {
    maxSize: Infinity,
  });
  const random = xorshift(seed);
  let seq = 0;
  const loop = async () => {
    for (;;) {
      const key = Math.floor(random() * keys);
      const mine = seq++;
      progress("begin");
      try {
        await cache.set(
          TASK,
          VERSION,
          inputsFor(key),
          [],
          outputsFor(key, writer, mine, browserLength),
        );
        progress("end");
      } catch (error) {
        progress("error", String(error));
      }
    }
  };
  for (let i = 0; i < parallel; i++) void loop();
}
