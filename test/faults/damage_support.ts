/**
 * What part 4 (stored bytes damaged) needs in every runtime (Node, Deno, a page): the entries
 * it stores, how a read is judged against the original, random bytes and random values.
 *
 * @module
 */
import type { EntryInfo } from "../../src/adapter.ts";
import { toBinaryDeterministic } from "../../src/keys/deterministic.ts";
import type { TaskCache } from "../../src/core/task_cache.ts";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import type { Random } from "../support/arbitrary.ts";
import { literalMap, string } from "../support/literals.ts";
import { describeError as describe, inputsFor, KiB, MiB, outputsFor } from "./workload.ts";

/** One stored entry: its task, version, inputs and outputs, and the outputs' stored bytes. */
export interface DamageEntry {
  taskName: string;
  version: string;
  inputs: LiteralMap;
  outputs: LiteralMap;
  bytes: Uint8Array;
}

/**
 * The entries damaged: values of 0 bytes (an empty LiteralMap), small, around Deno KV's inline
 * limit and chunk size, large, and (with `large`) over FsAdapter's 4 MiB synchronous limit; a
 * task name long enough to make keys hashed in Deno KV and file headers longer than 4 KiB.
 */
export function damageEntries(sizes: readonly number[]): DamageEntry[] {
  const entries: DamageEntry[] = [];
  const add = (taskName: string, version: string, key: number, outputs: LiteralMap) => {
    entries.push({
      taskName,
      version,
      inputs: inputsFor(key),
      outputs,
      bytes: toBinaryDeterministic(LiteralMapSchema, outputs, "outputs"),
    });
  };
  add("faults.damage", "1", 0, literalMap());
  add("faults.damage", "1", 1, literalMap({ s: string("a short value") }));
  sizes.forEach((size, i) => {
    add("faults.damage", "1", 10 + i, outputsFor(10 + i, 1, i, () => size));
  });
  add(
    `faults.damage.${"long-name-".repeat(300)}`,
    "v".repeat(200),
    2,
    outputsFor(2, 1, 99, () => 5000),
  );
  return entries;
}

/** Value sizes: small ones, both sides of 60 KiB and 63 KiB, and larger. */
export const DAMAGE_SIZES = [12, 100, 4000, 60 * KiB - 40, 60 * KiB + 100, 63 * KiB + 7, 200_000];
/** And one past FsAdapter's synchronous limit. */
export const LARGE_SIZE = 4 * MiB + 123;

/** The outcome of a read of a damaged entry: "miss", "exact", or what is wrong. */
export async function judgeRead(
  cache: TaskCache,
  entry: DamageEntry,
): Promise<{ outcome: "miss" | "exact" } | { problem: string }> {
  let got: LiteralMap | undefined;
  try {
    got = await cache.get(entry.taskName, entry.version, entry.inputs);
  } catch (error) {
    return { problem: `get threw ${describe(error)}` };
  }
  if (got === undefined) return { outcome: "miss" };
  let bytes: Uint8Array;
  try {
    bytes = toBinaryDeterministic(LiteralMapSchema, got, "read");
  } catch (error) {
    return { problem: `the value read cannot be encoded: ${describe(error)}` };
  }
  if (equalBytes(bytes, entry.bytes)) return { outcome: "exact" };
  return {
    problem: `a wrong value: ${bytes.length} bytes (${hex(bytes.subarray(0, 24))}) instead of ` +
      `the ${entry.bytes.length} stored`,
  };
}

/** What is wrong with the listing (a throw, or an entry of the wrong shape), or `undefined`. */
export async function judgeEntries(cache: TaskCache): Promise<string | undefined> {
  let entries: EntryInfo[];
  try {
    entries = await cache.entries();
  } catch (error) {
    return `entries() threw ${describe(error)}`;
  }
  for (const entry of entries) {
    const problem = entryInfoProblem(entry);
    if (problem !== undefined) return `entries() listed ${problem}`;
  }
  try {
    const stats = await cache.stats();
    if (!Number.isFinite(stats.bytes) || !Number.isInteger(stats.entries)) {
      return `stats() gave ${JSON.stringify(stats)}`;
    }
  } catch (error) {
    return `stats() threw ${describe(error)}`;
  }
  return undefined;
}

/** What is wrong with one listed entry's fields, or `undefined`. */
export function entryInfoProblem(entry: EntryInfo): string | undefined {
  const wrong: string[] = [];
  if (typeof entry.key !== "string") wrong.push(`key ${typeof entry.key}`);
  if (typeof entry.taskName !== "string") wrong.push(`taskName ${typeof entry.taskName}`);
  if (typeof entry.cacheVersion !== "string") {
    wrong.push(`cacheVersion ${typeof entry.cacheVersion}`);
  }
  for (const field of ["size", "createdAt", "lastReadAt"] as const) {
    const value = entry[field] as unknown;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      wrong.push(`${field} ${typeof value === "number" ? value : typeof value}`);
    }
  }
  return wrong.length === 0 ? undefined : `an entry with ${wrong.join(", ")}`;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function hex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export { describeError as describe } from "./workload.ts";

/** `length` random bytes. */
export function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = random.below(256);
  return bytes;
}

/** A random length, biased to small ones and to lengths near `near`. */
export function randomLength(random: Random, near: number): number {
  switch (random.below(4)) {
    case 0:
      return random.below(16);
    case 1:
      return random.below(256);
    case 2:
      return Math.max(0, near - 8 + random.below(17));
    default:
      return random.below(Math.max(1, 2 * near));
  }
}

/**
 * A random structured-cloneable value (what Deno KV and IndexedDB store): primitives, bytes,
 * arrays, plain objects, with `extra` fields mixed in (the record shapes an adapter expects).
 */
export function randomValue(
  random: Random,
  extra: Record<string, unknown>[] = [],
  depth = 0,
): unknown {
  switch (random.below(depth > 2 ? 8 : 11)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.pick([0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, -0, random.below(1e9)]);
    case 3:
      return random.pick(["", "x", "\u0000", "k", "a".repeat(random.below(100))]);
    case 4:
      return random.pick([0n, -1n, 2n ** 64n, BigInt(random.below(1e9))]);
    case 5:
    case 6:
      return randomBytes(random, randomLength(random, 64));
    case 7:
      return randomBytes(random, randomLength(random, 64)).buffer;
    case 8:
      return Array.from({ length: random.below(4) }, () => randomValue(random, extra, depth + 1));
    default: {
      const base = extra.length > 0 && random.chance(0.6) ? { ...random.pick(extra) } : {};
      const object: Record<string, unknown> = base;
      for (let i = random.below(4); i > 0; i--) {
        const name = random.pick(["k", "v", "g", "n", "l", "c", "t", "s", "r", "e", "o", "x"]);
        object[name] = randomValue(random, extra, depth + 1);
      }
      return object;
    }
  }
}
