/**
 * The page of the browser benchmark (bench/browser.ts): TaskCache over IndexedDbAdapter,
 * idb-keyval and localforage storing the same bytes under the same keys, taking turns
 * (`bench()`); and one timing round of `calculateCacheKey` on a case of bench/inputs.ts
 * (`keyRound(name, iterations)`: the key and µs per call), as the bundled library computes keys
 * in a browser (portable MD5), for the key comparison of bench/keys.ts.
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { md5 as nobleMd5 } from "@noble/hashes/legacy.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { createStore, get as kvGet, set as kvSet } from "idb-keyval";
import localforage from "localforage";
import { LiteralMapSchema } from "../gen/flyteidl/core/literals_pb.ts";
import { IndexedDbAdapter } from "../src/adapters/indexeddb.ts";
import { calculateCacheKey } from "../src/keys/key.ts";
import { md5Hex } from "../src/keys/md5.ts";
import { TaskCache } from "../src/core/task_cache.ts";
import { patternBytes } from "../test/conformance/adapter_suite.ts";
import { binary, integer, literalMap } from "../test/support/literals.ts";
import { keyCases } from "./inputs.ts";
import { inTurns, roundTime, type TurnSide } from "./stats.ts";

const TASK = "bench.browser";
const ROUNDS = 7;

async function measure(size: number, count: number) {
  const values = Array.from(
    { length: count },
    (_, i) => literalMap({ o: binary(patternBytes(size, i + 1)) }),
  );
  const inputs = (round: number, i: number) =>
    literalMap({
      n: integer(BigInt(i)),
      round: integer(BigInt(round)),
      size: integer(BigInt(size)),
    });
  const key = (round: number, i: number) => calculateCacheKey(TASK, "1", inputs(round, i));
  const ours = new TaskCache(new IndexedDbAdapter({ databaseName: `bench-ours-${size}` }));
  const keyval = createStore(`bench-keyval-${size}`, "entries");
  const forage = localforage.createInstance({ name: `bench-forage-${size}` });
  const sides: TurnSide[] = [
    {
      name: "TaskCache + IndexedDbAdapter",
      set: (r: number, i: number) => ours.set(TASK, "1", inputs(r, i), [], values[i]!),
      get: (r: number, i: number) => ours.get(TASK, "1", inputs(r, i), []),
    },
    {
      name: "idb-keyval",
      set: (r: number, i: number) =>
        kvSet(key(r, i), toBinary(LiteralMapSchema, values[i]!), keyval),
      get: async (r: number, i: number) => {
        const bytes = await kvGet<Uint8Array>(key(r, i), keyval);
        return bytes && fromBinary(LiteralMapSchema, bytes);
      },
    },
    {
      name: "localforage",
      set: (r: number, i: number) =>
        forage.setItem(key(r, i), toBinary(LiteralMapSchema, values[i]!)),
      get: async (r: number, i: number) => {
        const bytes = await forage.getItem<Uint8Array>(key(r, i));
        return bytes && fromBinary(LiteralMapSchema, bytes);
      },
    },
  ];
  // Long turns: Firefox and WebKit give performance.now() to the millisecond.
  const times = await inTurns(sides, { batch: count, rounds: ROUNDS, warmUp: 1 });
  await ours.close();
  return times;
}

async function bench() {
  return { "1 KiB": await measure(1024, 200), "1 MiB": await measure(1024 * 1024, 30) };
}

const cases = new Map(keyCases().map((c) => [c.name, c]));

/** One timing round of `calculateCacheKey` on the case `name`: its key, µs per call. */
function keyRound(name: string, iterations: number): { key: string; us: number } {
  const c = cases.get(name);
  if (c === undefined) throw new Error(`browser_page.ts: no key case ${JSON.stringify(name)}`);
  const call = () => calculateCacheKey(c.taskName, c.cacheVersion, c.inputs);
  const us = roundTime(call, iterations);
  return { key: call(), us };
}

const md5Inputs = new Map<number, Uint8Array>();

/**
 * One timing round of an MD5 (`ours`: src/keys/md5.ts, `noble`: @noble/hashes) on the bytes of
 * bench/md5.ts for `size`: µs per call, and the digest.
 */
function md5Round(impl: string, size: number, iterations: number): { us: number; digest: string } {
  let data = md5Inputs.get(size);
  if (data === undefined) md5Inputs.set(size, data = patternBytes(size, 7));
  const bytes = data;
  const hash = impl === "ours" ? () => md5Hex([bytes]) : () => bytesToHex(nobleMd5(bytes));
  return { us: roundTime(hash, iterations), digest: hash() };
}

Object.assign(globalThis, { bench, keyRound, md5Round, ready: true });
