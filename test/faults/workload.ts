/**
 * The values of the fault suite's workloads, in any runtime (Node, Deno, a page, a worker):
 * stamped values (test/support/stamped.ts: key, writer and sequence number, then bytes that
 * follow from them) stored through `TaskCache` as the binary output `v` of the task
 * `faults.cache`, with the key number as its input `k`. A reader can tell an exact value some
 * writer stored for a key from anything else.
 *
 * @module
 */
import type { LiteralMap } from "../../gen/flyteidl/core/literals_pb.ts";
import { calculateCacheKey } from "../../src/keys/key.ts";
import { cachedTask } from "../../src/core/task.ts";
import type { TaskCache } from "../../src/core/task_cache.ts";
import { t } from "../../src/values/values.ts";
import { binary, integer, literalMap } from "../support/literals.ts";
import { stampedValue, stampProblem } from "../support/stamped.ts";

export const TASK = "faults.cache";
export const VERSION = "1";
export const KiB = 1024;
export const MiB = 1024 * 1024;

/** The inputs whose key holds key number `key`'s values. */
export function inputsFor(key: number): LiteralMap {
  return literalMap({ k: integer(BigInt(key)) });
}

/** The outputs writer `writer` stores at step `seq` for key number `key`. */
export function outputsFor(
  key: number,
  writer: number,
  seq: number,
  lengthOf: (writer: number, seq: number) => number,
): LiteralMap {
  return literalMap({ v: binary(stampedValue(key, writer, seq, lengthOf(writer, seq))) });
}

/**
 * What is wrong with `map` read for key number `key`, or `undefined` when it is exactly the
 * outputs some writer (one `knownWriter` accepts) stored for it.
 */
export function outputsProblem(
  map: LiteralMap,
  key: number,
  lengthOf: (writer: number, seq: number) => number,
  knownWriter: (writer: number) => boolean = () => true,
): string | undefined {
  const names = Object.keys(map.literals);
  if (names.length !== 1 || names[0] !== "v") return `literals ${JSON.stringify(names)}`;
  const literal = map.literals.v!;
  if (
    literal.hash !== "" || literal.metadata && Object.keys(literal.metadata).length > 0 ||
    literal.value.case !== "scalar" || literal.value.value.value.case !== "binary"
  ) {
    return `not a plain binary literal: ${literal.value.case}`;
  }
  const { value, tag } = literal.value.value.value.value;
  if (tag !== "") return `binary tag ${JSON.stringify(tag)}`;
  const problem = stampProblem(value, key, lengthOf);
  if (problem !== undefined) return problem;
  const writer = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(4);
  if (!knownWriter(writer)) return `written by writer ${writer}, who never ran`;
  return undefined;
}

/** What the cached task of the file workload returns for `n`: anyone can check a result. */
export function taskResult(n: number): string {
  return `result ${n}: ${"x".repeat(100 * n)}`;
}

/** A 32-bit mix of two numbers (for sizes that follow from writer and sequence). */
export function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

/**
 * Value sizes of the file workload: mostly small (synchronous writes), a fifth up to 256 KiB,
 * 3 in 100 over 4 MiB (asynchronous writes, the widest window for a kill).
 */
export function fsLength(writer: number, seq: number): number {
  const h = mix(writer, seq);
  const r = h % 100;
  const size = mix(h, 7);
  if (r < 75) return 16 + (size % (16 * KiB));
  if (r < 97) return 16 * KiB + (size % (240 * KiB));
  return 4 * MiB + (size % MiB);
}

/**
 * Value sizes of the Deno KV workload: inline ones (up to 60 KiB), chunked ones of 64 KiB to
 * 300 KiB (one commit of chunks), and one in 8 of 600 KiB to 1.1 MiB (two commits).
 */
export function kvLength(writer: number, seq: number): number {
  const h = mix(writer, seq);
  const r = h % 8;
  const size = mix(h, 11);
  if (r < 4) return 16 + (size % (8 * KiB));
  if (r < 7) return 64 * KiB + (size % (236 * KiB));
  return 600 * KiB + (size % (500 * KiB));
}

/** Value sizes in IndexedDB: up to 200 KB, one in 10 of 1 to 3 MiB. */
export function browserLength(writer: number, seq: number): number {
  const h = mix(writer, seq);
  const size = mix(h, 13);
  return h % 10 === 0 ? MiB + (size % (2 * MiB)) : 16 + (size % 200_000);
}

/** A tiny seeded generator (xorshift32) for code that cannot import Node-only helpers. */
export function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** Counters by kind, as children report them. */
export type Counters = Record<string, number>;

export function bump(counters: Counters, kind: string, n = 1): void {
  counters[kind] = (counters[kind] ?? 0) + n;
}

/** What {@link churn} needs from the process it runs in. */
export interface ChurnOptions {
  cache: TaskCache;
  writer: number;
  keys: number;
  random: () => number;
  /** The length of the value a writer stores at its `seq`th operation. */
  lengthOf: (writer: number, seq: number) => number;
  /** Sets of values longer than this print `begin` and `end` (to tell a kill mid-write). */
  largeFrom: number;
  /** What `prune` trims the cache to, in bytes. */
  pruneTo: number;
  /** Prints `stats` every this many operations. */
  statsEvery: number;
  /** Lets timers and input in between operations. */
  pause: () => Promise<void>;
  stopping: () => boolean;
  print: (line: string) => void;
  counters: Counters;
  /**
   * Names the counter of a failure the part expects (a server it restarts), which is counted
   * instead of reported as an error; `undefined` for any other failure.
   */
  expected?: (error: unknown) => string | undefined;
}

/**
 * The random mix of one churning process until it is told to stop: TaskCache get, set, delete,
 * prune, clear, deleteEntries, and a cached task with single flight; every read checked.
 */
export async function churn(options: ChurnOptions): Promise<void> {
  const { cache, writer, keys, random, lengthOf, print, counters } = options;
  const task = cachedTask({
    name: "faults.task",
    version: "1",
    inputs: { n: t.int },
    outputs: t.string,
    cache,
    leaseMs: 1000,
  }, async ({ n }) => {
    bump(counters, "task.runs");
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.floor(random() * 60)));
    return taskResult(n);
  });
  for (let seq = 0; !options.stopping(); seq++) {
    await options.pause();
    const key = Math.floor(random() * keys);
    const choice = random();
    let kind = "";
    try {
      if (choice < 0.46) {
        kind = "get";
        const stored = await cache.get(TASK, VERSION, inputsFor(key));
        if (stored !== undefined) {
          bump(counters, "op.hit");
          const problem = outputsProblem(stored, key, lengthOf);
          if (problem !== undefined) {
            print(`problem writer ${writer} op ${seq} key ${key}: ${problem}`);
          }
        }
      } else if (choice < 0.86) {
        kind = "set";
        const large = lengthOf(writer, seq) > options.largeFrom;
        const outputs = outputsFor(key, writer, seq, lengthOf);
        if (large) print("begin");
        await cache.set(TASK, VERSION, inputsFor(key), [], outputs);
        if (large) print("end");
      } else if (choice < 0.93) {
        kind = "delete";
        await cache.adapter.delete(calculateCacheKey(TASK, VERSION, inputsFor(key)));
      } else if (choice < 0.955) {
        kind = "prune";
        await cache.prune({ maxSize: options.pruneTo });
      } else if (choice < 0.96) {
        kind = "clear";
        await cache.clear();
      } else if (choice < 0.965) {
        kind = "deleteEntries";
        await cache.deleteEntries({ taskName: "faults.task" });
      } else {
        kind = "task";
        const n = key % 4;
        const result = await task({ n });
        if (result !== taskResult(n)) {
          print(`problem writer ${writer} op ${seq}: task(${n}) returned ${result.slice(0, 40)}`);
        }
      }
      bump(counters, `op.${kind}`);
    } catch (error) {
      const expected = options.expected?.(error);
      if (expected !== undefined) bump(counters, expected);
      else {
        bump(counters, "errors");
        print(`error writer ${writer} op ${seq} ${kind}: ${String(error).split("\n")[0]}`);
      }
    }
    if (seq % options.statsEvery === options.statsEvery - 1) {
      print(`stats ${JSON.stringify(counters)}`);
    }
  }
}

/** The first line of an error, for reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === "string" ? ` ${code}` : ""}: ${
      error.message.split("\n")[0]
    }`;
  }
  return `a thrown ${typeof error}: ${String(error)}`;
}

/** A fault report's violation, as checking processes and pages hand them back. */
export interface ReportedViolation {
  kind: string;
  detail: string;
  count?: number;
}

/** Violations as a checker finds them: every one counts; the first 20 of a kind are kept. */
export class ViolationLog {
  readonly #listed: ReportedViolation[] = [];
  readonly #seen = new Map<string, number>();

  /** Records a violation of `kind`. */
  readonly add = (kind: string, detail: string): void => {
    const count = (this.#seen.get(kind) ?? 0) + 1;
    this.#seen.set(kind, count);
    if (count <= 20) this.#listed.push({ kind, detail });
  };

  /** The violations kept, then one line per kind with how many more there were. */
  report(): ReportedViolation[] {
    const more = [...this.#seen].filter(([, count]) => count > 20).map(([kind, count]) => ({
      kind,
      detail: "more of this kind (not listed)",
      count: count - 20,
    }));
    return [...this.#listed, ...more];
  }
}
