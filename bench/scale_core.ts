/**
 * The cache at scale, the side that runs in each adapter's own process (Node:
 * `bench/scale.ts --serve <adapter>`; Deno: `bench/deno.ts --scale-server`), driven
 * by bench/scale.ts, which explains the method. Runtime-neutral: only
 * `performance.now()`, `TaskCache` and adapters.
 *
 * The process holds one cache per size (each its own adapter: a directory, a KV file, a Map),
 * made on first use by `open(size)`. One request per line, one answer per line (JSON), times
 * in µs; `size` names the cache:
 *
 *   { "op": "warm", "size": n, "count": c }  c sets, gets and deletes of throwaway entries -> {}
 *   { "op": "fill", "size": n }              sets its entries 0 to n - 1, through one long-lived
 *                                            TaskCache -> { "mean", "slowest" } per set
 *   { "op": "first", "size": n }             the first set of a new TaskCache (it counts the
 *                                            entries), then the entry is deleted -> { "us" }
 *   { "op": "set", "size": n, "from": i, "count": c }
 *                                            sets c new entries (probes i...) -> { "us" } per set
 *   { "op": "get", "size": n, "picks": [i, ...] }
 *                                            gets these entries of the fill -> { "us" } per get
 *   { "op": "unset", "size": n, "from": i, "count": c }
 *                                            deletes those probes (untimed) -> {}
 *
 * @module
 */
import type { LiteralMap } from "../gen/flyteidl/core/literals_pb.ts";
import type { CacheAdapter } from "../src/adapter.ts";
import { calculateCacheKey } from "../src/keys/key.ts";
import { TaskCache } from "../src/core/task_cache.ts";
import { patternBytes } from "../test/conformance/adapter_suite.ts";
import { binary, integer, literalMap } from "../test/support/literals.ts";

/** One adapter at one size; times in µs. */
export interface ScalePoint {
  entries: number;
  /** Per set of a new entry, median over the rounds. */
  set: number;
  /** Per set in the slowest round (a recount during the rounds would land there). */
  setSlowestRound: number;
  /** Per get of a stored entry, median over the rounds. */
  get: number;
  /** Per set during the fill up to this size (its mean, everything included). */
  fillSet: number;
  /** The slowest single set of that fill. */
  fillSlowest: number;
  /** The first set of a new `TaskCache` over the entries (it lists them to count them). */
  firstSet: number;
}

export type ScaleRequest =
  | { op: "warm"; size: number; count: number }
  | { op: "fill" | "first"; size: number }
  | { op: "set" | "unset"; size: number; from: number; count: number }
  | { op: "get"; size: number; picks: number[] };

const TASK = "bench.scale";
const VERSION = "1";

const fillInputs = (i: number): LiteralMap => literalMap({ n: integer(BigInt(i)) });
const probeInputs = (size: number, i: number): LiteralMap =>
  literalMap({ probe: integer(BigInt(i)), size: integer(BigInt(size)) });

/** One size's cache. */
interface Sized {
  adapter: CacheAdapter;
  /** The TaskCache that fills (a long-lived one: it recounts at most once a minute). */
  filler: TaskCache;
  /** The TaskCache of the rounds: a new one after the fill (see `first`). */
  cache: TaskCache;
  filled: number;
}

/** One adapter's caches, one per size, answering the requests above. */
export class ScaleServer {
  readonly #open: (size: number) => CacheAdapter;
  readonly #sizes = new Map<number, Sized>();
  readonly #value = literalMap({ o: binary(patternBytes(1024, 1)) });

  constructor(open: (size: number) => CacheAdapter) {
    this.#open = open;
  }

  #at(size: number): Sized {
    let sized = this.#sizes.get(size);
    if (sized === undefined) {
      const adapter = this.#open(size);
      const filler = new TaskCache(adapter);
      sized = { adapter, filler, cache: filler, filled: 0 };
      this.#sizes.set(size, sized);
    }
    return sized;
  }

  #unset(sized: Sized, size: number, i: number): Promise<boolean> {
    return sized.adapter.delete(calculateCacheKey(TASK, VERSION, probeInputs(size, i)));
  }

  async handle(request: ScaleRequest): Promise<Record<string, number>> {
    const { size } = request;
    const sized = this.#at(size);
    switch (request.op) {
      case "warm": {
        for (let i = 0; i < request.count; i++) {
          await sized.filler.set(TASK, VERSION, probeInputs(-1, i), [], this.#value);
          await sized.filler.get(TASK, VERSION, probeInputs(-1, i));
          await this.#unset(sized, -1, i);
        }
        return {};
      }
      case "fill": {
        let slowest = 0;
        const count = Math.max(1, size - sized.filled);
        const started = performance.now();
        for (; sized.filled < size; sized.filled++) {
          const t0 = performance.now();
          await sized.filler.set(TASK, VERSION, fillInputs(sized.filled), [], this.#value);
          slowest = Math.max(slowest, performance.now() - t0);
        }
        return { mean: ((performance.now() - started) * 1000) / count, slowest: slowest * 1000 };
      }
      case "first": {
        sized.cache = new TaskCache(sized.adapter);
        const t0 = performance.now();
        await sized.cache.set(TASK, VERSION, probeInputs(size, -1), [], this.#value);
        const us = (performance.now() - t0) * 1000;
        await this.#unset(sized, size, -1);
        return { us };
      }
      case "set": {
        const { from, count } = request;
        const t0 = performance.now();
        for (let i = from; i < from + count; i++) {
          await sized.cache.set(TASK, VERSION, probeInputs(size, i), [], this.#value);
        }
        return { us: ((performance.now() - t0) * 1000) / count };
      }
      case "get": {
        const t0 = performance.now();
        for (const i of request.picks) {
          if ((await sized.cache.get(TASK, VERSION, fillInputs(i))) === undefined) {
            throw new Error(`scale: entry ${i} of ${sized.filled} was not found`);
          }
        }
        return { us: ((performance.now() - t0) * 1000) / request.picks.length };
      }
      case "unset": {
        for (let i = request.from; i < request.from + request.count; i++) {
          await this.#unset(sized, size, i);
        }
        return {};
      }
    }
  }

  /** Closes every adapter. */
  async close(): Promise<void> {
    for (const sized of this.#sizes.values()) await sized.adapter.close();
  }
}
