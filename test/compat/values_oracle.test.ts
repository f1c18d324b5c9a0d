/**
 * JS values against Python values on the reference stack (test/compat/values_oracle.py):
 * the same values, converted to literals by src/values/values.ts and by flytekit's rules in Python
 * (Python protobuf, msgpack, joblib), must give the same keys and the same literals, and
 * t.msgpack must write exactly the bytes of Python's `msgpack.packb(v, use_bin_type=True)`.
 * Python's bytes must decode back to the JS values. Hundreds of values come from fixed seeds.
 * Runs in Node and in Deno; CI installs the Debian packages, and there a missing package is a
 * failure, never a skip.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, test, type TestContext } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { toBinaryDeterministic } from "../../src/keys/deterministic.ts";
import { calculateCacheKey } from "../../src/keys/key.ts";
import { decodeMsgpack, encodeMsgpack } from "../../src/values/msgpack.ts";
import {
  ConversionError,
  fromLiteralMap,
  t,
  toLiteralMap,
  type ValueSchema,
  type ValueType,
} from "../../src/values/values.ts";
import { Random, randomString, setEntry, TRICKY_KEYS } from "../support/arbitrary.ts";
import { oracleAvailability, PYTHON, requireOracle } from "./oracle.ts";

const SCRIPT = fileURLToPath(new URL("./values_oracle.py", import.meta.url));

// ---------------------------------------------------------------------------------------------
// The Python process

/** A Python value as tagged JSON (see values_oracle.py). */
type Tagged =
  | { int: string }
  | { float: string }
  | { str: string }
  | { bool: boolean }
  | { none: true }
  | { bytes: string }
  | { list: Tagged[] }
  | { dict: [Tagged, Tagged][] }
  | { datetime_ms: string }
  | { timedelta_ms: string };

/** A literal as flytekit builds it from a Python value (see values_oracle.py). */
type Node =
  | { kind: string; value: Tagged; hash?: string }
  | { kind: "list"; items: Node[]; hash?: string }
  | { kind: "map"; entries: [string, Node][]; hash?: string };

interface Reply {
  bytes?: string;
  key?: string;
  literals?: string;
  error?: string;
}

/** values_oracle.py, answering pipelined requests in order. */
class ValuesOracle {
  readonly #child: ChildProcess;
  readonly #waiting: ((reply: Reply) => void)[] = [];
  #stderr = "";
  #exited: string | undefined;

  constructor() {
    this.#child = spawn(PYTHON, [SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        reply = { error: `not JSON: ${line.slice(0, 200)}` };
      }
      this.#waiting.shift()?.(reply);
    });
    this.#child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    this.#child.stdin!.on("error", () => {});
    this.#child.on("error", (error) => this.#fail(`did not start: ${error.message}`));
    this.#child.on("exit", (code, signal) => {
      this.#fail(`values_oracle.py exited (${signal ?? code}): ${this.#stderr.trim()}`);
    });
  }

  #fail(reason: string): void {
    this.#exited ??= reason;
    for (const resolve of this.#waiting.splice(0)) resolve({ error: this.#exited });
  }

  ask(request: Record<string, unknown>): Promise<Reply> {
    if (this.#exited !== undefined) return Promise.resolve({ error: this.#exited });
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin!.write(JSON.stringify(request) + "\n");
    });
  }

  /** Python's `msgpack.packb(value, use_bin_type=True)`, or its error. */
  async pack(value: Tagged): Promise<Uint8Array | { error: string }> {
    const reply = await this.ask({ op: "pack", value });
    if (typeof reply.bytes !== "string") return { error: String(reply.error) };
    return new Uint8Array(Buffer.from(reply.bytes, "base64"));
  }

  async close(): Promise<void> {
    if (this.#exited !== undefined) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.stdin!.end();
    await exited;
  }
}

const availability = oracleAvailability();
let oracle: ValuesOracle | undefined;

before(() => {
  if (availability.ok) oracle = new ValuesOracle();
});
after(() => oracle?.close());

/** The oracle, or a skip outside CI / a failure in CI when the reference stack is missing. */
function reference(ctx: TestContext): ValuesOracle | undefined {
  return requireOracle(ctx, availability, oracle);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

// ---------------------------------------------------------------------------------------------
// JS values as Python values: the rules of t.msgpack, stated independently of the encoder

/** How a JS number goes to Python: "-0", "nan", "inf" spelled out for float(). */
function floatText(x: number): string {
  if (Object.is(x, -0)) return "-0";
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return String(x);
}

/** The Python value of a JS value, as t.msgpack documents it. */
function tagged(value: unknown): Tagged {
  if (value === null) return { none: true };
  switch (typeof value) {
    case "boolean":
      return { bool: value };
    case "number":
      return Number.isSafeInteger(value) && !Object.is(value, -0)
        ? { int: String(value) }
        : { float: floatText(value) };
    case "bigint":
      return { int: String(value) };
    case "string":
      return { str: value };
  }
  if (value instanceof Uint8Array) return { bytes: base64(value) };
  if (Array.isArray(value)) return { list: value.map(tagged) };
  if (value instanceof Map) {
    return { dict: [...value].map(([key, item]) => [tagged(key), tagged(item)]) };
  }
  const object = value as Record<string, unknown>;
  return { dict: Object.keys(object).map((key) => [{ str: key }, tagged(object[key])]) };
}

/** What decodeMsgpack gives for the bytes of `value`. */
function decoded(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value >= -(2n ** 53n) && value < 2n ** 53n ? Number(value) : value;
  }
  if (Array.isArray(value)) return value.map(decoded);
  if (value instanceof Map) {
    const entries = [...value].map(([key, item]) => [decoded(key), decoded(item)] as const);
    if (entries.some(([key]) => typeof key !== "string")) return new Map(entries);
    const object: Record<string, unknown> = {};
    for (const [key, item] of entries) setEntry(object, key as string, item);
    return object;
  }
  if (typeof value === "object" && value !== null && !(value instanceof Uint8Array)) {
    const object: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      setEntry(object, key, decoded((value as Record<string, unknown>)[key]));
    }
    return object;
  }
  return value;
}

/** Whether the decoded value writes the same bytes again (no string-keyed Map out of order). */
function reencodes(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(reencodes);
  if (value instanceof Map) {
    const keys = [...value.keys()];
    if (keys.every((key) => typeof key === "string")) {
      const object: Record<string, unknown> = {};
      for (const key of keys) setEntry(object, key as string, 0);
      if (Object.keys(object).join("\0") !== keys.join("\0")) return false;
    }
    return [...value.values()].every(reencodes);
  }
  if (typeof value === "object" && value !== null && !(value instanceof Uint8Array)) {
    return Object.values(value).every(reencodes);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Values

const INT_BOUNDARIES: readonly (number | bigint)[] = [
  0,
  1,
  31,
  32,
  127,
  128,
  255,
  256,
  65535,
  65536,
  2 ** 32 - 1,
  2 ** 32,
  -1,
  -31,
  -32,
  -33,
  -127,
  -128,
  -129,
  -32767,
  -32768,
  -32769,
  -(2 ** 31) + 1,
  -(2 ** 31),
  -(2 ** 31) - 1,
  2 ** 53 - 1,
  -(2 ** 53 - 1),
  2n ** 53n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
  -(2n ** 63n),
  -(2n ** 53n) - 1n,
  0n,
  -1n,
  127n,
  128n,
  -33n,
  2n ** 32n,
  -(2n ** 31n) - 1n,
];

const FLOATS: readonly number[] = [
  0.5,
  -0,
  NaN,
  Infinity,
  -Infinity,
  5e-324,
  -5e-324,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  2 ** 53,
  2 ** 64,
  -(2 ** 63),
  1e300,
  0.1,
  -1.5,
  Number.EPSILON,
];

/** A string of exactly `bytes` UTF-8 bytes, made of characters of `width` bytes. */
function stringOfBytes(bytes: number, width: 1 | 2 | 3 | 4): string {
  const char = ["x", "é", "日", "😀"][width - 1]!;
  return char.repeat(Math.floor(bytes / width)) + "x".repeat(bytes % width);
}

const STRING_LENGTHS = [0, 1, 31, 32, 33, 255, 256, 65535, 65536] as const;
const SIZES = [0, 1, 15, 16, 17] as const;

function randomInt(random: Random): number | bigint {
  switch (random.below(4)) {
    case 0:
      return random.pick(INT_BOUNDARIES);
    case 1:
      return random.below(300) - 150;
    case 2: {
      const magnitude = 2 ** random.below(54);
      return Math.min(Number.MAX_SAFE_INTEGER, Math.floor(random.next() * magnitude)) *
        (random.chance(0.5) ? -1 : 1);
    }
    default: {
      // Beyond 2^53: up to 2^64 - 1, down to -2^63.
      const bits = BigInt(random.below(2 ** 30)) << 34n | BigInt(random.below(2 ** 30)) << 4n;
      return random.chance(0.5) ? bits : -(bits >> 1n);
    }
  }
}

function randomFloat(random: Random): number {
  switch (random.below(3)) {
    case 0:
      return random.pick(FLOATS);
    case 1:
      return (random.next() - 0.5) * 10 ** (random.below(40) - 20);
    default: {
      // Any bit pattern: subnormals, huge exponents, NaN payloads.
      const view = new DataView(new ArrayBuffer(8));
      view.setUint32(0, random.below(2 ** 32));
      view.setUint32(4, random.below(2 ** 32));
      return view.getFloat64(0);
    }
  }
}

function randomText(random: Random): string {
  if (random.chance(0.15)) {
    return stringOfBytes(
      random.pick(STRING_LENGTHS.filter((n) => n < 1000)),
      random.pick([1, 2, 3, 4] as const),
    );
  }
  return random.chance(0.3) ? random.pick(TRICKY_KEYS) : randomString(random);
}

function randomBytes(random: Random): Uint8Array {
  const length = random.chance(0.2) ? random.pick([0, 255, 256]) : random.below(40);
  return Uint8Array.from({ length }, () => random.below(256));
}

/** A value for t.msgpack: every JSON-like kind, nested. */
function randomMsgpack(random: Random, depth = 0): unknown {
  const container = depth < 4 && random.chance(depth === 0 ? 0.8 : 0.35);
  if (!container) {
    switch (random.below(7)) {
      case 0:
        return randomInt(random);
      case 1:
        return randomFloat(random);
      case 2:
      case 3:
        return randomText(random);
      case 4:
        return random.chance(0.5);
      case 5:
        return null;
      default:
        return randomBytes(random);
    }
  }
  const size = random.chance(0.3) ? random.pick(SIZES) : random.below(6);
  switch (random.below(4)) {
    case 0:
    case 1:
      return Array.from({ length: size }, () => randomMsgpack(random, depth + 1));
    case 2: {
      const object: Record<string, unknown> = {};
      for (let i = 0; i < size; i++) {
        setEntry(object, randomText(random), randomMsgpack(random, depth + 1));
      }
      return object;
    }
    default: {
      // A Map: string keys in any order (integer-like ones too), or keys of several types.
      const map = new Map<unknown, unknown>();
      const mixed = random.chance(0.4);
      const seen = new Set<string>();
      for (let i = 0; i < size; i++) {
        let key: unknown = randomText(random);
        if (mixed) {
          key = random.pick([
            key,
            randomInt(random),
            random.next() * 100 + 0.5,
            null,
          ]);
        }
        // Keys equal in Python (1, 1n) would be one entry there: keep them distinct.
        const identity = typeof key === "string" ? `s${key}` : `v${String(key)}`;
        if (seen.has(identity)) continue;
        seen.add(identity);
        map.set(key, randomMsgpack(random, depth + 1));
      }
      return map;
    }
  }
}

/** A value and the literal flytekit makes of the corresponding Python value. */
interface Sample {
  value: unknown;
  node: Node;
}

/** A value type, with a generator of its values. */
interface Gen {
  type: ValueType<unknown>;
  sample(random: Random): Sample;
}

const DATETIME_MIN_MS = -62135596800000;
const DATETIME_MAX_MS = 253402300799999;

function randomDuration(random: Random): number {
  switch (random.below(6)) {
    case 0:
      return random.below(2_000_000) - 1_000_000;
    case 1: // whole microseconds
      return (random.below(2_000_000_000) - 1_000_000_000) / 1000;
    case 2: // half a microsecond: rounded half to even
      return (random.below(20_000) - 10_000 + 0.5) / 1000;
    case 3:
      return (random.next() - 0.5) * 10 ** random.below(17);
    case 4:
      return random.pick([0, -0, 0.0005, 0.0015, -0.0005, -0.0015, 1e-7, 8.64e16 - 1e6, -8.6e16]);
    default:
      return (random.next() - 0.5) * 10 ** (random.below(10) - 6);
  }
}

const SCALARS: Record<string, Gen> = {
  int: {
    type: t.int,
    sample(random) {
      const n = random.chance(0.5) ? random.below(2000) - 1000 : randomSafe(random);
      return { value: n, node: { kind: "int", value: { int: String(n) } } };
    },
  },
  bigint: {
    type: t.bigint,
    sample(random) {
      let n = randomInt(random);
      if (typeof n === "bigint" && n >= 2n ** 63n) n = 2n ** 63n - 1n;
      return { value: n, node: { kind: "int", value: { int: String(n) } } };
    },
  },
  float: {
    type: t.float,
    sample(random) {
      const x = randomFloat(random);
      return { value: x, node: { kind: "float", value: { float: floatText(x) } } };
    },
  },
  string: {
    type: t.string,
    sample(random) {
      const s = randomText(random);
      return { value: s, node: { kind: "str", value: { str: s } } };
    },
  },
  boolean: {
    type: t.boolean,
    sample(random) {
      const b = random.chance(0.5);
      return { value: b, node: { kind: "bool", value: { bool: b } } };
    },
  },
  datetime: {
    type: t.datetime,
    sample(random) {
      const ms = random.chance(0.2)
        ? random.pick([0, -1, -999, -1000, -1001, DATETIME_MIN_MS, DATETIME_MAX_MS])
        : DATETIME_MIN_MS + Math.floor(random.next() * (DATETIME_MAX_MS - DATETIME_MIN_MS));
      return {
        value: new Date(ms),
        node: { kind: "datetime", value: { datetime_ms: String(ms) } },
      };
    },
  },
  duration: {
    type: t.duration,
    sample(random) {
      const ms = randomDuration(random);
      return { value: ms, node: { kind: "timedelta", value: { timedelta_ms: floatText(ms) } } };
    },
  },
  none: {
    type: t.none,
    sample(random) {
      return {
        value: random.chance(0.5) ? null : undefined,
        node: { kind: "none", value: { none: true } },
      };
    },
  },
  msgpack: {
    type: t.msgpack,
    sample(random) {
      const value = randomMsgpack(random);
      return { value, node: { kind: "msgpack", value: tagged(value) } };
    },
  },
};

/** A random value type: a scalar, or a list, map or hashed type of another, nested. */
function randomGen(random: Random, depth = 0): Gen {
  const kind = random.pick([
    ...Object.keys(SCALARS),
    ...(depth < 3 ? ["list", "list", "map", "map", "hashed"] : []),
  ]);
  switch (kind) {
    case "list": {
      const item = randomGen(random, depth + 1);
      return {
        type: t.list(item.type),
        sample(random) {
          const length = random.chance(0.1) ? 0 : random.below(5);
          const items = Array.from({ length }, () => item.sample(random));
          return {
            value: items.map((s) => s.value),
            node: { kind: "list", items: items.map((s) => s.node) },
          };
        },
      };
    }
    case "map": {
      const item = randomGen(random, depth + 1);
      return {
        type: t.map(item.type),
        sample(random) {
          const asMap = random.chance(0.3);
          const value: Record<string, unknown> | Map<string, unknown> = asMap ? new Map() : {};
          const entries: [string, Node][] = [];
          const length = random.below(5);
          for (let i = 0; i < length; i++) {
            const name = randomText(random);
            if (entries.some(([seen]) => seen === name)) continue;
            const s = item.sample(random);
            if (value instanceof Map) value.set(name, s.value);
            else setEntry(value, name, s.value);
            entries.push([name, s.node]);
          }
          return { value, node: { kind: "map", entries } };
        },
      };
    }
    case "hashed": {
      const inner = randomGen(random, depth + 1);
      // A hash of part of the value: different values may share it, as with a real HashMethod.
      const prefix = randomText(random);
      const hash = (value: unknown) => `${prefix}#${describe(value).length % 7}`;
      return {
        type: t.hashed(inner.type, hash),
        sample(random) {
          const s = inner.sample(random);
          return { value: s.value, node: { ...s.node, hash: hash(s.value) } };
        },
      };
    }
    default:
      return SCALARS[kind]!;
  }
}

function randomSafe(random: Random): number {
  const n = randomInt(random);
  return typeof n === "number" ? n : Number(BigInt.asIntN(53, n) / 2n);
}

// ---------------------------------------------------------------------------------------------
// MessagePack bytes

/** Values at every boundary of the format. */
function boundaryValues(): unknown[] {
  const values: unknown[] = [...INT_BOUNDARIES, ...FLOATS];
  for (const length of STRING_LENGTHS) {
    for (const width of [1, 2, 3, 4] as const) values.push(stringOfBytes(length, width));
  }
  for (const length of [0, 1, 255, 256, 65535, 65536]) {
    values.push(Uint8Array.from({ length }, (_, i) => i & 0xff));
  }
  for (const size of [...SIZES, 65535, 65536]) {
    values.push(Array.from({ length: size }, (_, i) => i));
    const object: Record<string, number> = {};
    for (let i = 0; i < size; i++) object[`k${i}`] = i;
    values.push(object);
  }
  values.push(
    null,
    true,
    false,
    "",
    [],
    {},
    new Map(),
    JSON.parse('{"__proto__": {"__proto__": [1]}, "b": 1, "10": 2, "9": 3}'),
    new Map<unknown, unknown>([["b", 1], ["10", 2], ["9", 3], ["", 4]]),
    new Map<unknown, unknown>([[1, "int"], [-1n, "bigint"], [1.5, "float"], [null, "none"]]),
    new Map<unknown, unknown>([[true, "bool"], [false, 0]]),
    { "😀": 1, "\uFFFF": 2, "\uE000": 3, "\u0000": [null] },
    Object.assign(Object.create(null), { a: 1 }),
    [[[[[]]]], [{ a: [{ b: [] }] }]],
    "\uFEFF",
    nest(511),
  );
  return values;
}

function nest(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
  return value;
}

/** Our bytes, Python's bytes and the decoding of Python's bytes, for each value. */
async function compareMsgpack(oracle: ValuesOracle, values: readonly unknown[]): Promise<number> {
  const replies = await Promise.all(values.map((value) => oracle.pack(tagged(value))));
  let refusedByBoth = 0;
  values.forEach((value, i) => {
    const python = replies[i]!;
    const what = `value ${i}: ${describe(value)}`;
    if (!(python instanceof Uint8Array)) {
      assert.throws(() => encodeMsgpack(value), ConversionError, `${what}: ${python.error}`);
      refusedByBoth++;
      return;
    }
    const ours = encodeMsgpack(value);
    if (hex(ours) !== hex(python)) {
      assert.fail(
        `${what}: bytes differ\n  ours:   ${hex(ours).slice(0, 300)}\n  python: ${
          hex(python).slice(0, 300)
        }`,
      );
    }
    const back = decodeMsgpack(python);
    assert.deepStrictEqual(back, decoded(value), `${what}: decoding Python's bytes`);
    if (reencodes(value)) {
      assert.equal(hex(encodeMsgpack(back)), hex(python), `${what}: re-encoded`);
    }
  });
  return values.length - refusedByBoth;
}

function describe(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_, v) => typeof v === "bigint" ? `${v}n` : v);
    return text === undefined ? String(value) : text.slice(0, 120);
  } catch {
    return String(value);
  }
}

test("t.msgpack bytes equal msgpack.packb at every boundary", async (ctx) => {
  const oracle = reference(ctx);
  if (!oracle) return;
  assert.ok(await compareMsgpack(oracle, boundaryValues()) > 100);
});

test("t.msgpack bytes equal msgpack.packb for 500 random values", async (ctx) => {
  const oracle = reference(ctx);
  if (!oracle) return;
  const random = new Random(0x5eed_0001);
  const values = Array.from({ length: 500 }, () => randomMsgpack(random));
  assert.equal(await compareMsgpack(oracle, values), 500);
});

test("what Python's msgpack.packb refuses, encodeMsgpack refuses", async (ctx) => {
  const oracle = reference(ctx);
  if (!oracle) return;
  const refused: [unknown, Tagged][] = [
    ["a\uD800", { str: "a\uD800" }],
    [{ "\uDC00": 1 }, { dict: [[{ str: "\uDC00" }, { int: "1" }]] }],
    [2n ** 64n, { int: String(2n ** 64n) }],
    [-(2n ** 63n) - 1n, { int: String(-(2n ** 63n) - 1n) }],
    [nest(512), tagged(nest(512))],
  ];
  for (const [value, python] of refused) {
    const reply = await oracle.pack(python);
    assert.ok(!(reply instanceof Uint8Array), `Python packed ${describe(value)}`);
    assert.throws(() => encodeMsgpack(value), ConversionError, describe(value));
  }
});

// ---------------------------------------------------------------------------------------------
// Keys and literals

interface KeyRequest {
  task: string;
  version: string;
  ignore: string[];
  schema: ValueSchema;
  values: Record<string, unknown>;
  nodes: [string, Node][];
}

function randomRequest(random: Random): KeyRequest {
  const schema: Record<string, ValueType<unknown>> = {};
  const values: Record<string, unknown> = {};
  const nodes: [string, Node][] = [];
  const count = random.below(6);
  for (let i = 0; i < count; i++) {
    const name = random.chance(0.5) ? randomText(random) : `in${i}`;
    if (Object.hasOwn(schema, name)) continue;
    const gen = randomGen(random);
    const { value, node } = gen.sample(random);
    setEntry(schema, name, gen.type);
    setEntry(values, name, value);
    nodes.push([name, node]);
  }
  const ignore = nodes.filter(() => random.chance(0.1)).map(([name]) => name);
  return {
    task: randomText(random),
    version: String(random.below(10)),
    ignore,
    schema,
    values,
    nodes,
  };
}

async function compareKeys(oracle: ValuesOracle, requests: readonly KeyRequest[]): Promise<void> {
  const replies = await Promise.all(
    requests.map((r) =>
      oracle.ask({ op: "key", task: r.task, version: r.version, ignore: r.ignore, inputs: r.nodes })
    ),
  );
  requests.forEach((request, i) => {
    const reply = replies[i]!;
    const what = `request ${i} (${
      request.nodes.map(([name, node]) => `${name}: ${describe(node)}`).join(", ")
    })`;
    if (typeof reply.key !== "string" || typeof reply.literals !== "string") {
      assert.fail(`${what}: Python failed: ${reply.error}`);
    }
    const ours = toLiteralMap(request.schema, request.values as never);
    assert.equal(
      calculateCacheKey(request.task, request.version, ours, request.ignore),
      reply.key,
      what,
    );
    // The same literals, hash and all (not only what the key keeps).
    const python = fromBinary(LiteralMapSchema, Buffer.from(reply.literals, "base64"));
    assert.equal(
      hex(toBinaryDeterministic(LiteralMapSchema, ours)),
      hex(toBinaryDeterministic(LiteralMapSchema, python)),
      `${what}: literals`,
    );
    // Python's literals read back as ours do.
    assert.deepStrictEqual(
      fromLiteralMap(request.schema, python),
      fromLiteralMap(request.schema, ours),
      `${what}: read back`,
    );
  });
}

test("keys of values equal flytekit's for 400 random input maps", async (ctx) => {
  const oracle = reference(ctx);
  if (!oracle) return;
  const random = new Random(0x5eed_0002);
  await compareKeys(oracle, Array.from({ length: 400 }, () => randomRequest(random)));
});

test("keys of every type at its edges equal flytekit's", async (ctx) => {
  const oracle = reference(ctx);
  if (!oracle) return;
  const one = (type: ValueType<unknown>, value: unknown, node: Node): KeyRequest => ({
    task: "edge",
    version: "1",
    ignore: [],
    schema: { x: type },
    values: { x: value },
    nodes: [["x", node]],
  });
  const requests: KeyRequest[] = [
    {
      task: "my_task",
      version: "v1",
      ignore: [],
      schema: { a: t.int, b: t.string },
      values: { a: 1, b: "hello" },
      nodes: [["a", { kind: "int", value: { int: "1" } }], ["b", {
        kind: "str",
        value: { str: "hello" },
      }]],
    },
  ];
  for (const n of [0, -0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
    requests.push(one(t.int, n, { kind: "int", value: { int: String(n) } }));
  }
  for (const n of [0n, 2n ** 63n - 1n, -(2n ** 63n)]) {
    requests.push(one(t.bigint, n, { kind: "int", value: { int: String(n) } }));
  }
  for (const x of FLOATS) {
    requests.push(one(t.float, x, { kind: "float", value: { float: floatText(x) } }));
  }
  for (
    const ms of [0, -1, -999, -1000, -1001, 1, DATETIME_MIN_MS, DATETIME_MAX_MS, 1704164645678]
  ) {
    requests.push(
      one(t.datetime, new Date(ms), { kind: "datetime", value: { datetime_ms: String(ms) } }),
    );
  }
  for (
    const ms of [
      0,
      -0,
      1,
      -1,
      0.001,
      -0.001,
      0.0005,
      0.0015,
      0.0025,
      -0.0005,
      -0.0015,
      1e-7,
      999.9995,
      -1.5,
      86_400_000 * 999_999_999,
      -86_400_000 * 999_999_999,
      0.1 + 0.2,
      1 / 3,
    ]
  ) {
    requests.push(
      one(t.duration, ms, { kind: "timedelta", value: { timedelta_ms: floatText(ms) } }),
    );
  }
  for (const s of ["", "\u0000", "\uFEFF", stringOfBytes(65536, 4), ...TRICKY_KEYS]) {
    requests.push(one(t.string, s, { kind: "str", value: { str: s } }));
  }
  requests.push(one(t.none, undefined, { kind: "none", value: { none: true } }));
  requests.push(one(t.list(t.int), [], { kind: "list", items: [] }));
  requests.push(one(t.map(t.int), {}, { kind: "map", entries: [] }));
  requests.push(
    one(t.hashed(t.map(t.int), () => "h"), { a: 1 }, {
      kind: "map",
      entries: [["a", { kind: "int", value: { int: "1" } }]],
      hash: "h",
    }),
  );
  for (const value of boundaryValues().slice(0, 60)) {
    requests.push(one(t.msgpack, value, { kind: "msgpack", value: tagged(value) }));
  }
  await compareKeys(oracle, requests);
});
