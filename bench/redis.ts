/**
 * The Redis benchmark, on a redis-server started for it (test/support/redis_server.ts, loopback,
 * persistence off):
 *
 * - `TaskCache` over `RedisAdapter` against the bare client (node-redis `SET`/`GET`) of the same
 *   bytes (the LiteralMap's) under the same key string, for 1 KiB and 1 MiB outputs; ours
 *   includes the key and the LiteralMap's bytes (and their parse on a get). Goal: within 1.3x.
 * - A hit of `TaskCache` over `TieredAdapter` (a near store in front of Redis) against a hit of
 *   `TaskCache` over the near store alone, for memory and for a directory in front. Goal: within
 *   1.2x.
 *
 * The sides take turns within each round; figures are medians of the rounds.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient, RESP_TYPES } from "redis";
import { LiteralMapSchema } from "../gen/flyteidl/core/literals_pb.ts";
import { FsAdapter } from "../src/adapters/fs.ts";
import { MemoryAdapter } from "../src/adapters/memory.ts";
import { RedisAdapter } from "../src/adapters/redis.ts";
import { TieredAdapter } from "../src/adapters/tiered.ts";
import type { CacheAdapter } from "../src/adapter.ts";
import { calculateCacheKey } from "../src/keys/key.ts";
import { TaskCache } from "../src/core/task_cache.ts";
import { encodeOutputs } from "../src/core/stored_value.ts";
import { totalLength } from "../src/internal/slices.ts";
import { patternBytes } from "../test/conformance/adapter_suite.ts";
import { binary, integer, literalMap } from "../test/support/literals.ts";
import { startRedis } from "../test/support/redis_server.ts";
import { type Goal, metText, progress, table } from "./report.ts";
import { formatMicros, median, sig3 } from "./stats.ts";

const TASK = "bench.redis";
const VERSION = "1";
/**
 * Rounds of each comparison: in each, every side runs a short batch of operations, the sides
 * taking turns (in an order reversed every other round), so that a drift in the machine's load
 * (a shared VM, the server's own wake-ups) weighs on all sides alike; the figure is the median of
 * the rounds' times per operation.
 */
export const REDIS_ROUNDS = 60;
/** Ours over the bare client, at most. */
export const CLIENT_GOAL = 1.3;
/** Rounds run before the measured ones (not counted). */
const WARM_UP_ROUNDS = 3;
/** A tiered hit over a near store's hit, at most. */
export const TIER_GOAL = 1.2;

/** One comparison: µs per operation of ours and of the alternative, medians of the rounds. */
export interface RedisFigure {
  /** What is compared, e.g. `1 KiB set`. */
  label: string;
  /** Ours, µs per operation. */
  ours: number;
  /** The alternative, µs per operation. */
  other: number;
  /** `RedisAdapter` alone (the same bytes, no key or LiteralMap), µs per operation. */
  adapter?: number;
  /**
   * The floor: the bare client's command with the key and the LiteralMap's bytes (a set) or
   * their parse (a get), µs per operation.
   */
  floor?: number;
}

/** What the Redis part measured. */
export interface RedisResult {
  /** `redis-server --version`'s version. */
  server: string;
  /** Through `TaskCache` over `RedisAdapter` vs the bare client. */
  client: RedisFigure[];
  /** A tiered hit (ours) vs a hit on the near store alone (other). */
  tiers: RedisFigure[];
}

/** µs per call of each side, the sides taking turns within each round; medians. */
async function sideBySide(
  sides: (() => Promise<unknown>)[],
  iterations: number,
): Promise<number[]> {
  const samples: number[][] = sides.map(() => []);
  for (let round = -WARM_UP_ROUNDS; round < REDIS_ROUNDS; round++) {
    const order = round % 2 === 0 ? sides.map((_, i) => i) : sides.map((_, i) => i).reverse();
    for (const i of order) {
      const started = performance.now();
      for (let n = 0; n < iterations; n++) await sides[i]!();
      if (round >= 0) samples[i]!.push(((performance.now() - started) * 1000) / iterations);
    }
  }
  return samples.map(median);
}

/** Measures both comparisons on a server of its own. */
export async function benchRedis(): Promise<RedisResult> {
  progress("redis: TaskCache + RedisAdapter vs the bare client; tiered hits (bench/redis.ts)");
  const server = await startRedis();
  const directory = await mkdtemp(join(tmpdir(), "ltc-bench-redis-"));
  const client = createClient({ url: server.url });
  client.on("error", () => {});
  await client.connect();
  const bytesClient = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const closing: { close(): Promise<void> }[] = [];
  const cacheOver = (adapter: CacheAdapter) => {
    const cache = new TaskCache(adapter);
    closing.push(cache);
    return cache;
  };
  const redis = (prefix: string) => new RedisAdapter({ url: server.url }, { prefix });
  try {
    const inputs = literalMap({ n: integer(1n) });
    const key = calculateCacheKey(TASK, VERSION, inputs);
    const adapter = redis("bench-adapter:");
    closing.push(adapter);
    const ours = cacheOver(redis("bench:"));
    const result: RedisResult = {
      server: /redis_version:(\S+)/.exec(await client.info("server").then(String))?.[1] ??
        "unknown",
      client: [],
      tiers: [],
    };
    for (
      const [size, label, iterations] of [[1024, "1 KiB", 40], [1024 ** 2, "1 MiB", 4]] as const
    ) {
      const outputs = literalMap({ o0: binary(patternBytes(size, 3)) });
      const bytes = Buffer.from(toBinary(LiteralMapSchema, outputs));
      const metadata = { taskName: TASK, cacheVersion: VERSION };
      let scratch = Buffer.alloc(0);
      const [oursSet, bareSet, adapterSet, floorSet] = await sideBySide([
        () => ours.set(TASK, VERSION, inputs, [], outputs),
        () => client.set(`bare:${key}`, bytes),
        () => adapter.set(key, bytes, metadata),
        // The floor of a set: the bare client's SET with the key and the LiteralMap's bytes (as
        // ours makes them: a large binary a piece of its own, joined in memory kept from the
        // last set).
        () => {
          const name = `bare:${calculateCacheKey(TASK, VERSION, inputs)}`;
          const pieces = encodeOutputs(outputs);
          if (pieces.length === 1) return client.set(name, asBuffer(pieces[0]!));
          const size = totalLength(pieces);
          if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(size);
          let at = 0;
          for (const piece of pieces) at += (scratch.set(piece, at), piece.length);
          return client.set(name, scratch.subarray(0, size));
        },
      ], iterations);
      const hit = (value: unknown) => {
        if (value === undefined || value === null) throw new Error("bench: a miss");
      };
      const [oursGet, bareGet, adapterGet, floorGet] = await sideBySide([
        async () => hit(await ours.get(TASK, VERSION, inputs)),
        async () => hit(await bytesClient.get(`bare:${key}`)),
        async () => hit(await adapter.get(key)),
        // The floor of a get: the bare client's GET with the key and the parse.
        async () => {
          const name = `bare:${calculateCacheKey(TASK, VERSION, inputs)}`;
          const bytes = await bytesClient.get(name);
          hit(bytes === null ? null : fromBinary(LiteralMapSchema, bytes));
        },
      ], iterations);
      result.client.push(
        {
          label: `${label} set`,
          ours: oursSet!,
          other: bareSet!,
          adapter: adapterSet!,
          floor: floorSet!,
        },
        {
          label: `${label} get`,
          ours: oursGet!,
          other: bareGet!,
          adapter: adapterGet!,
          floor: floorGet!,
        },
      );
    }

    const outputs = literalMap({ o0: binary(patternBytes(1024, 4)) });
    const nears: [string, () => CacheAdapter][] = [
      ["MemoryAdapter", () => new MemoryAdapter()],
      ["FsAdapter", () => new FsAdapter({ directory: join(directory, String(closing.length)) })],
    ];
    for (const [name, near] of nears) {
      const alone = cacheOver(near());
      const tiered = cacheOver(new TieredAdapter([near(), redis(`bench-${name}:`)]));
      await alone.set(TASK, VERSION, inputs, [], outputs);
      await tiered.set(TASK, VERSION, inputs, [], outputs);
      const [tieredHit, nearHit] = await sideBySide([
        () => tiered.get(TASK, VERSION, inputs),
        () => alone.get(TASK, VERSION, inputs),
      ], 200);
      result.tiers.push({
        label: `1 KiB hit, ${name} in front`,
        ours: tieredHit!,
        other: nearHit!,
      });
    }
    return result;
  } finally {
    for (const cache of closing) await cache.close();
    await client.close();
    await server.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

/** A view of `bytes` as a Buffer (node-redis takes strings and Buffers), without a copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function figureTable(figures: RedisFigure[], ours: string, other: string, goal: number): string {
  const adapter = figures.some((f) => f.adapter !== undefined);
  const floor = figures.some((f) => f.floor !== undefined);
  const pair = (value: number | undefined, base: number) =>
    value === undefined ? ["-", "-"] : [formatMicros(value), `${sig3(value / base)}x`];
  return table(
    [
      "operation",
      ours,
      other,
      `${ours} / ${other}`,
      `goal ≤ ${goal}x`,
      ...(adapter ? ["RedisAdapter alone", `alone / ${other}`] : []),
      ...(floor ? ["floor: bare command + key + bytes or parse", `floor / ${other}`] : []),
    ],
    figures.map((f) => [
      f.label,
      formatMicros(f.ours),
      formatMicros(f.other),
      `${sig3(f.ours / f.other)}x`,
      metText(f.ours / f.other <= goal),
      ...(adapter ? pair(f.adapter, f.other) : []),
      ...(floor ? pair(f.floor, f.other) : []),
    ]),
  );
}

/** The report's section. */
export function redisSection(r: RedisResult | undefined, notMeasured: string): string {
  return `## Redis: RedisAdapter vs the bare client, tiered hits

Time per operation on a redis-server on the loopback (${
    r === undefined ? "" : `version ${r.server}, `
  }started for the run, persistence off), median of ${REDIS_ROUNDS} rounds of a short batch of operations each, the sides
taking turns within each round (bench/redis.ts). Ours is \`TaskCache\` over \`RedisAdapter\` (the key, the
LiteralMap's bytes and their parse, one \`SET\` per set, one \`GET\` per get); the bare
client is node-redis' \`SET\` and \`GET\` of the same bytes under the same key string. Goal:
within ${CLIENT_GOAL}x. "RedisAdapter alone" stores and reads the same bytes through the adapter
without \`TaskCache\` (no key, no LiteralMap): the adapter's own share. The floor is the bare
client's command with the work no cache can skip: the key, and for a set the LiteralMap's bytes
(made as ours makes them, a large binary joined in memory kept from the last set), for a get
their parse (\`fromBinary\`, as ours).

${r === undefined ? notMeasured : figureTable(r.client, "ours", "bare client", CLIENT_GOAL)}
A hit through \`TieredAdapter\` (the near store in front of Redis) against a hit on the near store
alone, both through \`TaskCache\`. Goal: within ${TIER_GOAL}x.

${r === undefined ? notMeasured : figureTable(r.tiers, "tiered", "near alone", TIER_GOAL)}`;
}

/** The goals of the summary. */
export function redisGoals(r: RedisResult): Goal[] {
  const goal = (goal: string, figures: RedisFigure[], limit: number): Goal => {
    const missed = figures.filter((f) => f.ours / f.other > limit).map((f) => f.label);
    return {
      area: "Redis (Node)",
      goal,
      measured: figures.map((f) => `${f.label} ${sig3(f.ours / f.other)}x`).join(", ") +
        (missed.length === 0 ? "" : `; missed: ${missed.join(", ")}`),
      met: missed.length === 0,
      margin: Math.min(...figures.map((f) => limit / (f.ours / f.other))),
    };
  };
  return [
    goal(`TaskCache + RedisAdapter / bare client ≤ ${CLIENT_GOAL}x`, r.client, CLIENT_GOAL),
    goal(`tiered hit / near store's hit ≤ ${TIER_GOAL}x`, r.tiers, TIER_GOAL),
  ];
}
