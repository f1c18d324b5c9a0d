/// <reference lib="deno.ns" />
/// <reference lib="deno.unstable" />
/**
 * Part 4's Deno KV damage, in Deno: entries stored through TaskCache over DenoKvAdapter on a KV
 * file, then their records (heads, chunks, metadata, read times) replaced with random values by
 * raw `kv.set`, chunks deleted, added or taken from another entry. Every get (through a cache
 * without expiry, and one with, which reads the metadata too) must be a miss or the exact
 * original; `entries()` and `stats()` must not throw nor list malformed entries.
 *
 * `deno run -A --unstable-kv test/faults/deno/kv_damage.ts <kv file> <seed> <budget ms>`
 *
 * Prints one JSON line: `{ counters, violations }`.
 */
import { DenoKvAdapter } from "../../../src/adapters/deno_kv.ts";
import { TaskCache } from "../../../src/core/task_cache.ts";
import { Random } from "../../support/arbitrary.ts";
import {
  DAMAGE_SIZES,
  damageEntries,
  type DamageEntry,
  judgeEntries,
  judgeRead,
  randomBytes,
  randomLength,
  randomValue,
} from "../damage_support.ts";
import { bump, type Counters, MiB, ViolationLog } from "../workload.ts";

const [path, seedText, budgetText] = Deno.args;
const random = new Random(Number(seedText));
const until = Date.now() + Number(budgetText);
const PREFIX = "local-task-cache";

const counters: Counters = {};
const log = new ViolationLog();
const violation = log.add;

const kv = await Deno.openKv(path!);
const cache = new TaskCache(new DenoKvAdapter({ kv }), { maxSize: Infinity });
const aged = new TaskCache(new DenoKvAdapter({ kv }), { maxSize: Infinity, maxAge: 86_400_000 });

interface Stored {
  entry: DamageEntry;
  records: { key: Deno.KvKey; value: unknown }[];
}

async function all(): Promise<{ key: Deno.KvKey; value: unknown }[]> {
  const records = [];
  for await (const record of kv.list({ prefix: [PREFIX] })) records.push(record);
  return records;
}

const keyText = (key: Deno.KvKey) =>
  JSON.stringify(key, (_, value) => typeof value === "bigint" ? `${value}n` : value);

// Each entry's records: what its set added to the database.
const stored: Stored[] = [];
for (const entry of damageEntries([...DAMAGE_SIZES, MiB + 5])) {
  const before = new Set((await all()).map((record) => keyText(record.key)));
  await cache.set(entry.taskName, entry.version, entry.inputs, [], entry.outputs);
  const records = (await all()).filter((record) => !before.has(keyText(record.key)));
  stored.push({ entry, records });
}

/** The id parts of an entry's records (after the prefix and the record type). */
const idOf = (key: Deno.KvKey) => keyText(key.slice(2, 4));
const part = (stored: Stored, type: string) => stored.records.filter((r) => r.key[1] === type);

async function restore(target: Stored): Promise<void> {
  const id = idOf(target.records[0]!.key);
  const atomic = kv.atomic();
  for (const record of await all()) if (idOf(record.key) === id) atomic.delete(record.key);
  await atomic.commit();
  for (const record of target.records) await kv.set(record.key, record.value);
}

const KINDS = [
  "head-bytes",
  "head-value",
  "head-foreign",
  "chunk-bytes",
  "chunk-flip",
  "chunk-value",
  "chunk-delete",
  "chunk-extra",
  "chunk-foreign",
  "meta-value",
  "read-value",
];

async function damage(target: Stored, kind: string): Promise<string> {
  const head = part(target, "h")[0]!;
  const chunks = part(target, "c");
  const meta = part(target, "m")[0];
  const read = part(target, "r")[0];
  const others = stored.filter((other) => other !== target);
  const shapes = [head.value, meta?.value].filter((value) => typeof value === "object") as Record<
    string,
    unknown
  >[];
  const chunk = chunks.length > 0 ? random.pick(chunks) : undefined;
  switch (kind) {
    case "head-bytes": {
      const bytes = randomBytes(random, randomLength(random, 64));
      await kv.set(head.key, bytes);
      return `head replaced with ${bytes.length} random bytes`;
    }
    case "head-value": {
      const value = randomValue(random, shapes);
      await kv.set(head.key, value);
      return `head replaced with ${describeValue(value)}`;
    }
    case "head-foreign": {
      await kv.set(head.key, random.pick(others).records.find((r) => r.key[1] === "h")!.value);
      return "head replaced with another entry's head";
    }
    case "chunk-bytes": {
      // Deno KV takes values of up to 64 KiB.
      const length = Math.min(65_000, randomLength(random, (chunk!.value as Uint8Array).length));
      const bytes = randomBytes(random, length);
      await kv.set(chunk!.key, bytes);
      return `chunk ${String(chunk!.key.at(-1))} replaced with ${bytes.length} random bytes`;
    }
    case "chunk-flip": {
      const bytes = (chunk!.value as Uint8Array).slice();
      const at = random.below(bytes.length);
      bytes[at]! ^= 1 << random.below(8);
      await kv.set(chunk!.key, bytes);
      return `chunk ${String(chunk!.key.at(-1))}: a bit flipped at ${at}`;
    }
    case "chunk-value": {
      const value = randomValue(random);
      await kv.set(chunk!.key, value);
      return `chunk ${String(chunk!.key.at(-1))} replaced with ${describeValue(value)}`;
    }
    case "chunk-delete":
      await kv.delete(chunk!.key);
      return `chunk ${String(chunk!.key.at(-1))} deleted`;
    case "chunk-extra": {
      const key = [...chunk!.key.slice(0, -1), chunks.length + random.below(2)];
      await kv.set(key, randomBytes(random, randomLength(random, 1000)));
      return `an extra chunk ${String(key.at(-1))}`;
    }
    case "chunk-foreign": {
      const other = stored.filter((s) => s !== target && part(s, "c").length > 0);
      const foreign = random.pick(part(random.pick(other), "c"));
      await kv.set(chunk!.key, foreign.value);
      return `chunk ${String(chunk!.key.at(-1))} replaced with another entry's chunk`;
    }
    case "meta-value": {
      const value = randomValue(random, shapes);
      await kv.set(meta!.key, value);
      return `metadata replaced with ${describeValue(value)}`;
    }
    default: {
      const value = randomValue(random);
      await kv.set(read!.key, value);
      return `read time replaced with ${describeValue(value)}`;
    }
  }
}

function describeValue(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (value instanceof ArrayBuffer) return `an ArrayBuffer of ${value.byteLength}`;
  try {
    return JSON.stringify(value, (_, v) => {
      if (typeof v === "bigint") return `${v}n`;
      if (v instanceof Uint8Array) return `<${v.length} bytes>`;
      if (v instanceof ArrayBuffer) return `<ArrayBuffer ${v.byteLength}>`;
      if (typeof v === "number" && !Number.isFinite(v)) return String(v);
      return v;
    }).slice(0, 200);
  } catch {
    return String(value);
  }
}

let rounds = 0;
while (Date.now() < until) {
  rounds++;
  const target = random.pick(stored);
  const chunked = part(target, "c").length > 0;
  const kinds = KINDS.filter((kind) => chunked || !kind.startsWith("chunk"));
  const kind = random.pick(kinds);
  const what = await damage(target, kind);
  bump(counters, `fault.kv-${kind}`);
  const size = target.entry.bytes.length;
  for (const [name, reader] of [["cache", cache], ["cache with maxAge", aged]] as const) {
    bump(counters, "op.get");
    const judged = await judgeRead(reader, target.entry);
    if ("problem" in judged) {
      violation("kv-wrong-read", `${what}, ${size}-byte entry, ${name}: ${judged.problem}`);
    } else bump(counters, `result.kv-${judged.outcome}`);
    if (kind.startsWith("meta") || kind.startsWith("read") || random.chance(0.2)) {
      bump(counters, "op.entries");
      const problem = await judgeEntries(reader);
      if (problem !== undefined) violation("kv-listing", `${what}: ${problem}`);
    }
  }
  await restore(target);
}
bump(counters, "fault.kv-rounds", rounds);
for (const target of stored) {
  const judged = await judgeRead(cache, target.entry);
  if (!("outcome" in judged) || judged.outcome !== "exact") {
    violation("kv-wrong-read", `a restored entry does not read back: ${JSON.stringify(judged)}`);
  }
}
await cache.close();
await aged.close();
kv.close();
const print = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text + "\n"));
print(JSON.stringify({ counters, violations: log.report() }));
