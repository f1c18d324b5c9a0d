/**
 * The cases of part 6, each a function of its number and the base seed (so one case reproduces
 * alone): random and malformed inputs through `calculateCacheKey` and through the value
 * conversions (`t.*` `toLiteral` / `fromLiteral`, `toLiteralMap` / `fromLiteralMap`,
 * `encodeMsgpack` / `decodeMsgpack`).
 *
 * A case may return or throw a `TypeError` (a `ConversionError` is one), a `RangeError` or a
 * `CacheError`; anything else thrown is a violation, and so is a broken property of what was
 * returned: a key that is not `<task>-<version>-<32 hex digits>` or differs on a second call,
 * a valid map refused, a literal that `toLiteral` made and `fromLiteral` refuses (or that does
 * not convert back to the same literal), MessagePack that `encodeMsgpack` wrote and
 * `decodeMsgpack` refuses (or that is not stable after one round trip).
 *
 * @module
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { toBinaryDeterministic } from "../../src/keys/deterministic.ts";
import { CacheError } from "../../src/errors.ts";
import { calculateCacheKey, recursiveHashPlacement } from "../../src/keys/key.ts";
import { decodeMsgpack, encodeMsgpack } from "../../src/values/msgpack.ts";
import {
  ConversionError,
  fromLiteralMap,
  t,
  toLiteralMap,
  type ValueSchema,
  type ValueType,
} from "../../src/values/values.ts";
import {
  type Literal,
  LiteralCollectionSchema,
  type LiteralMap,
  LiteralMapSchema,
  LiteralSchema,
  ScalarSchema,
} from "../../gen/flyteidl/core/literals_pb.ts";
import {
  arbitraryLiteral,
  arbitraryLiteralMap,
  Random,
  randomString,
} from "../support/arbitrary.ts";

/** What one case did: returned, threw an allowed error (its class), or broke something. */
export type Outcome =
  | {
    result:
      | "returned"
      | "TypeError"
      | "RangeError"
      | "RangeError-stack-overflow"
      | "ConversionError"
      | "CacheError";
  }
  | { violation: string };

/** A case: a name for reports, and what to run. */
export interface FuzzCase {
  kind: string;
  run(): Outcome;
}

/** The case kinds, in turn. */
export const KINDS = [
  "key-valid",
  "key-malformed",
  "key-arguments",
  "key-extreme",
  "value-to",
  "value-from",
  "literal-map",
  "msgpack-encode",
  "msgpack-decode",
] as const;

/** Case number `index` of the suite with `seed`. */
export function fuzzCase(seed: number, index: number): FuzzCase {
  const random = new Random((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const kind = KINDS[index % KINDS.length]!;
  return { kind, run: () => guarded(() => CASES[kind](random)) };
}

/** Runs `work`; sorts what it throws into allowed errors and violations. */
function guarded(work: () => Outcome): Outcome {
  try {
    return work();
  } catch (error) {
    return classify(error);
  }
}

function classify(error: unknown): Outcome {
  if (error instanceof ConversionError) return { result: "ConversionError" };
  if (error instanceof CacheError) return { result: "CacheError" };
  if (error instanceof TypeError) return checkMessage(error, "TypeError");
  if (error instanceof RangeError) return checkMessage(error, "RangeError");
  if (error instanceof Error) {
    return { violation: `threw ${error.name}: ${error.message.slice(0, 300)}` };
  }
  return { violation: `threw a non-Error ${typeof error}: ${String(error).slice(0, 100)}` };
}

function checkMessage(error: Error, name: "TypeError" | "RangeError"): Outcome {
  if (typeof error.message !== "string") return { violation: `${name} without a message` };
  // Deep nesting may exhaust the stack: a RangeError, allowed, but counted apart.
  if (name === "RangeError" && /call stack/i.test(error.message)) {
    return { result: "RangeError-stack-overflow" };
  }
  return { result: name };
}

const KEY = /^[^]*-[0-9a-f]{32}$/;

function keyOutcome(task: string, version: string, key: string, again: () => string): Outcome {
  if (typeof key !== "string" || !key.startsWith(`${task}-${version}-`) || !KEY.test(key)) {
    return { violation: `a malformed key: ${String(key).slice(0, 120)}` };
  }
  const second = again();
  if (second !== key) return { violation: `two calls gave two keys: ${key} and ${second}` };
  return { result: "returned" };
}

// ---------------------------------------------------------------------------------------------
// Malformed values

const LONE = ["\uD800", "a\uDC00b", "\uDBFF", "x\uD83D"];

/** A value that does not belong where it goes (for a field, an argument, a value). */
function junk(random: Random, depth = 0): unknown {
  switch (random.below(depth > 1 ? 20 : 24)) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return random.pick(["", "x", "hello", "__proto__", "constructor"]);
    case 3:
      return random.pick(LONE);
    case 4:
      return random.pick([0, -1, 1.5, NaN, Infinity, -Infinity, -0, 2 ** 53, 2 ** 64, 1e308]);
    case 5:
      return random.pick([
        0n,
        -1n,
        2n ** 63n,
        -(2n ** 63n) - 1n,
        2n ** 64n,
        2n ** 70n,
        -(2n ** 70n),
      ]);
    case 6:
      return random.chance(0.5);
    case 7:
      return Symbol("junk");
    case 8:
      return () => 1;
    case 9:
      return new Date(random.pick([0, -1e16, 8.64e15, NaN, Date.UTC(2024, 0, 1)]));
    case 10:
      return new Map<unknown, unknown>([["a", 1], [random.below(3), "b"]]);
    case 11:
      return new Set([1, 2]);
    case 12:
      return new Uint8Array(random.below(8));
    case 13:
      return "y".repeat(random.pick([1 << 16, 1 << 20]));
    case 14:
      return create(ScalarSchema);
    case 15:
      return create(LiteralSchema);
    case 16:
      return { $typeName: "flyteidl.core.Literal" };
    case 17:
      return { $typeName: "flyteidl.core.LiteralMap", literals: junk(random, depth + 1) };
    case 18:
      return new (class Custom {
        field = 1;
      })();
    case 19:
      return Object.create(null);
    case 20:
      return [junk(random, depth + 1), junk(random, depth + 1)];
    case 21:
      return { a: junk(random, depth + 1), [random.pick(["__proto__", "0", ""])]: 1 };
    case 22: {
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      return cyclic;
    }
    default: {
      const sparse: unknown[] = [];
      sparse[3] = 1;
      return sparse;
    }
  }
}

/** Every (object, property) pair inside `root`, messages and plain objects and arrays. */
function slots(root: unknown): [Record<string | number, unknown>, string | number][] {
  const found: [Record<string | number, unknown>, string | number][] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown) => {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    if (value instanceof Uint8Array) return;
    seen.add(value);
    const record = value as Record<string | number, unknown>;
    for (const name of Object.keys(record)) {
      if (name === "$typeName") continue;
      found.push([record, name]);
      visit(record[name]);
    }
  };
  visit(root);
  return found;
}

/** `root` with one to three places set to junk (or to `root`: a cycle); what was set where. */
function mutate(random: Random, root: object): string[] {
  const done: string[] = [];
  for (let i = 1 + random.below(3); i > 0; i--) {
    const places = slots(root);
    if (places.length === 0) break;
    const [owner, name] = random.pick(places);
    const value = random.chance(0.05) ? root : junk(random);
    owner[name] = value;
    done.push(`${String(name)} = ${value === root ? "a cycle" : describeJunk(value)}`);
  }
  return done;
}

function describeJunk(value: unknown): string {
  if (typeof value === "string") {
    return value.length > 20 ? `a string of ${value.length}` : JSON.stringify(value);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "symbol" || typeof value === "function") return typeof value;
  if (value === null || value === undefined) return String(value);
  const typeName = (value as { $typeName?: unknown }).$typeName;
  if (typeof typeName === "string") return `a ${typeName}`;
  return `a ${(value as object).constructor?.name ?? "null-prototype object"}`;
}

/** A collection (or map) literal nested `depth` deep around an integer. */
function nested(depth: number, asMap: boolean): Literal {
  let literal: Literal = create(LiteralSchema, {
    value: {
      case: "scalar",
      value: { value: { case: "primitive", value: { value: { case: "integer", value: 1n } } } },
    },
  });
  for (let i = 0; i < depth; i++) {
    literal = asMap
      ? create(LiteralSchema, {
        value: { case: "map", value: create(LiteralMapSchema, { literals: { x: literal } }) },
      })
      : create(LiteralSchema, {
        value: {
          case: "collection",
          value: create(LiteralCollectionSchema, { literals: [literal] }),
        },
      });
  }
  return literal;
}

// ---------------------------------------------------------------------------------------------
// Value types and values

/** A value type with how it was built (for values of it). */
interface TypeTree {
  // deno-lint-ignore no-explicit-any
  type: ValueType<any>;
  kind: string;
  inner?: TypeTree;
}

/** A random value type (nested lists and maps, hashes). */
function randomType(random: Random, depth = 0): TypeTree {
  const scalars = [
    t.int,
    t.bigint,
    t.float,
    t.string,
    t.boolean,
    t.datetime,
    t.duration,
    t.none,
    t.msgpack,
  ];
  const choice = random.below(depth > 2 ? 9 : 13);
  if (choice < 9) return { type: scalars[choice]!, kind: scalars[choice]!.name };
  const inner = randomType(random, depth + 1);
  if (choice < 11) return { type: t.list(inner.type), kind: "list", inner };
  if (choice < 12) return { type: t.map(inner.type), kind: "map", inner };
  const digest = `h-${random.below(1000)}`;
  return { type: t.hashed(inner.type, () => digest), kind: "hashed", inner };
}

/** A value of the type (mostly), or junk. */
function valueFor(random: Random, tree: TypeTree, depth = 0): unknown {
  if (random.chance(depth === 0 ? 0.25 : 0.05)) return junk(random);
  switch (tree.kind) {
    case "list":
      return Array.from(
        { length: random.below(4) },
        () => valueFor(random, tree.inner!, depth + 1),
      );
    case "map": {
      const record: Record<string, unknown> = {};
      for (let i = random.below(4); i > 0; i--) {
        Object.defineProperty(record, random.pick(["a", "b", "__proto__", "0", "", "\u{1F600}"]), {
          value: valueFor(random, tree.inner!, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return random.chance(0.3) ? new Map(Object.entries(record)) : record;
    }
    case "hashed":
      return valueFor(random, tree.inner!, depth);
    case "int":
      return random.pick([0, 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1), random.below(1e6)]);
    case "bigint":
      return random.pick([0n, 2n ** 63n - 1n, -(2n ** 63n), BigInt(random.below(1e6)), 5]);
    case "float":
      return random.pick([0.5, -0, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, 3]);
    case "string":
      return randomString(random);
    case "boolean":
      return random.chance(0.5);
    case "datetime":
      return new Date(
        random.pick([0, -62135596800000, 253402300799999, Date.UTC(2024, 1, 29, 1, 2, 3, 456)]),
      );
    case "duration":
      return random.pick([
        0,
        -1.5,
        0.0005,
        1e-7,
        86_400_000 * 999_999_999,
        123.456789,
        random.next() * 1e9 - 5e8,
      ]);
    case "none":
      return random.pick([null, undefined]);
    case "msgpack":
      return msgpackValue(random, 0);
    default:
      return junk(random);
  }
}

/** A random MessagePack-able value (JSON-like, bytes, bigints, Maps), sometimes with junk. */
function msgpackValue(random: Random, depth: number): unknown {
  switch (random.below(depth > 3 ? 7 : 10)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.pick([
        0,
        -1,
        127,
        128,
        -32,
        -33,
        255,
        256,
        65535,
        65536,
        2 ** 32,
        -(2 ** 31) - 1,
        2 ** 53 - 1,
        2 ** 53,
        1.5,
        -0,
        NaN,
        Infinity,
      ]);
    case 3:
      return random.pick([0n, 2n ** 64n - 1n, -(2n ** 63n), 2n ** 64n, -(2n ** 63n) - 1n]);
    case 4:
      return randomString(random);
    case 5:
      return new Uint8Array(random.pick([0, 1, 255, 256, 65536]));
    case 6:
      return random.chance(0.1) ? junk(random, 2) : random.pick(["", "x", 1, 2.5]);
    case 7:
      return Array.from({ length: random.below(5) }, () => msgpackValue(random, depth + 1));
    case 8: {
      const record: Record<string, unknown> = {};
      for (let i = random.below(5); i > 0; i--) {
        Object.defineProperty(record, random.pick(["a", "1", "__proto__", "", "k"]), {
          value: msgpackValue(random, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return record;
    }
    default:
      return new Map(
        Array.from(
          { length: random.below(4) },
          () => [random.pick(["a", 1, 2n, true, null, 1.5]), msgpackValue(random, depth + 1)],
        ),
      );
  }
}

/** A value nested `depth` deep in arrays (or objects). */
function deepValue(depth: number, asObject: boolean): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = asObject ? { a: value } : [value];
  return value;
}

/** A literal's bytes, maps sorted (so that key order and NaN compare as flytekit would). */
function deterministic(literal: Literal): Uint8Array {
  return toBinaryDeterministic(LiteralSchema, literal, "literal");
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

// ---------------------------------------------------------------------------------------------
// The cases

const CASES: Record<(typeof KINDS)[number], (random: Random) => Outcome> = {
  "key-valid": (random) => {
    const map = arbitraryLiteralMap(random, {
      maxInputs: random.below(12),
      maxDepth: 1 + random.below(4),
      largeBinaryChance: 0.01,
      unknownFieldChance: random.pick([0, 0, 0.1]),
    });
    const names = Object.keys(map.literals);
    const ignore = names.filter(() => random.chance(0.2));
    const task = random.pick(["t", "ml.train", "", "a-b-c", "\u{1F600}"]);
    const version = random.pick(["1", "", "v-2"]);
    let key: string;
    try {
      key = calculateCacheKey(task, version, map, ignore);
    } catch (error) {
      return { violation: `a valid map was refused: ${describeThrown(error)}` };
    }
    return keyOutcome(task, version, key, () => calculateCacheKey(task, version, map, ignore));
  },

  "key-malformed": (random) => {
    const map = arbitraryLiteralMap(random, { maxInputs: 1 + random.below(6), maxDepth: 3 });
    const mutations = mutate(random, map).join("; ");
    const key = calculateCacheKey("t", "1", map as LiteralMap, []);
    const outcome = keyOutcome(
      "t",
      "1",
      key,
      () => calculateCacheKey("t", "1", map as LiteralMap, []),
    );
    if ("violation" in outcome) return outcome;
    // A key is flytekit's hash of the message's protobuf bytes: a map that protobuf cannot
    // encode has no key (it must be refused), and one it can must key as its bytes do.
    // What flytekit serializes is the map after hash placement: the value of a literal with a
    // hash is dropped, junk in it included.
    let bytes: Uint8Array;
    try {
      const placed = create(LiteralMapSchema);
      for (const [name, literal] of Object.entries(map.literals)) {
        Object.defineProperty(placed.literals, name, {
          value: recursiveHashPlacement(literal),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      bytes = toBinary(LiteralMapSchema, placed);
    } catch (error) {
      return {
        violation: `keyed a map protobuf-es cannot encode (${mutations}): ${describeThrown(error)}`,
      };
    }
    const parsed = calculateCacheKey("t", "1", fromBinary(LiteralMapSchema, bytes), []);
    if (parsed !== key) {
      return {
        violation: `keyed a malformed map unlike its protobuf bytes (${mutations}): ${key}, ` +
          `its bytes ${parsed}`,
      };
    }
    return outcome;
  },

  "key-arguments": (random) => {
    const good = arbitraryLiteralMap(random, { maxInputs: 3, maxDepth: 2 });
    const args: unknown[] = ["t", "1", good, []];
    for (let i = 1 + random.below(2); i > 0; i--) {
      const at = random.below(4);
      args[at] = at === 3 && random.chance(0.5)
        ? [random.chance(0.5) ? "a" : junk(random), junk(random)]
        : junk(random);
    }
    const call = () =>
      (calculateCacheKey as (...args: unknown[]) => string)(args[0], args[1], args[2], args[3]);
    const key = call();
    return typeof args[0] === "string" && typeof args[1] === "string"
      ? keyOutcome(args[0], args[1], key, call)
      : { violation: `a key from a ${typeof args[0]} task name: ${String(key).slice(0, 80)}` };
  },

  "key-extreme": (random) => {
    const literals: Record<string, Literal> = {};
    switch (random.below(5)) {
      case 0:
        literals.deep = nested(random.pick([50, 500, 5_000, 50_000]), random.chance(0.5));
        break;
      case 1: {
        const value = random.pick(["z".repeat(4 << 20), LONE[0]!.repeat(3) + "z".repeat(1 << 16)]);
        literals.huge = create(LiteralSchema, {
          value: {
            case: "scalar",
            value: {
              value: { case: "primitive", value: { value: { case: "stringValue", value } } },
            },
          },
        });
        break;
      }
      case 2:
        for (let i = 0; i < 5_000; i++) literals[`input_${i}`] = nested(1, false);
        break;
      case 3:
        literals[random.pick(LONE)] = nested(0, false);
        break;
      default: {
        const literal = nested(2, false);
        const scalar = literal.value.value as unknown as { literals: Literal[] };
        scalar.literals.push(literal); // a cycle through a collection
        literals.cyclic = literal;
      }
    }
    const map = create(LiteralMapSchema, { literals });
    const key = calculateCacheKey("t", "1", map);
    return keyOutcome("t", "1", key, () => calculateCacheKey("t", "1", map));
  },

  "value-to": (random) => {
    const tree = randomType(random);
    const type = tree.type;
    const value = valueFor(random, tree);
    const literal = type.toLiteral(value, "inputs.x");
    // What toLiteral made, fromLiteral must read, and it must convert back to the same literal.
    let back: unknown;
    try {
      back = type.fromLiteral(literal, "inputs.x");
    } catch (error) {
      return {
        violation: `${type.name}: toLiteral made a literal fromLiteral refuses: ` +
          describeThrown(error),
      };
    }
    let again: Literal;
    try {
      again = type.toLiteral(back, "inputs.x");
    } catch (error) {
      return {
        violation: `${type.name}: the value read back does not convert again: ${
          describeThrown(error)
        }`,
      };
    }
    if (!bytesEqual(deterministic(literal), deterministic(again))) {
      return { violation: `${type.name}: the literal differs after a round trip` };
    }
    return { result: "returned" };
  },

  "value-from": (random) => {
    const tree = randomType(random);
    const type = tree.type;
    let literal: unknown;
    switch (random.below(4)) {
      case 0:
        literal = junk(random);
        break;
      case 1: {
        const made = arbitraryLiteral(random, { maxDepth: 2 });
        mutate(random, made);
        literal = made;
        break;
      }
      default:
        literal = random.chance(0.5)
          ? arbitraryLiteral(random, { maxDepth: 3 })
          : type.toLiteral(valueFor(random, tree), "x");
    }
    type.fromLiteral(literal as Literal, "outputs.o0");
    return { result: "returned" };
  },

  "literal-map": (random) => {
    const schema: Record<string, unknown> = {};
    const trees = new Map<string, TypeTree>();
    for (let i = random.below(4); i > 0; i--) {
      const name = random.pick(["a", "b", "__proto__", "0"]);
      const tree = randomType(random);
      if (random.chance(0.9)) trees.set(name, tree);
      Object.defineProperty(schema, name, {
        value: random.chance(0.9) ? tree.type : junk(random),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    const values: Record<string, unknown> = {};
    for (const name of Object.keys(schema)) {
      if (random.chance(0.9)) {
        const tree = trees.get(name);
        Object.defineProperty(values, name, {
          value: tree === undefined ? 1 : valueFor(random, tree),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    if (random.chance(0.1)) values.extra = 1;
    const target = random.chance(0.1) ? junk(random) : values;
    if (random.chance(0.5)) {
      const map = toLiteralMap(schema as ValueSchema, target as never);
      fromLiteralMap(schema as ValueSchema, map);
    } else {
      const map = random.chance(0.5)
        ? arbitraryLiteralMap(random, { maxInputs: 4, maxDepth: 2 })
        : junk(random);
      fromLiteralMap(schema as ValueSchema, map as LiteralMap);
    }
    return { result: "returned" };
  },

  "msgpack-encode": (random) => {
    const value = random.chance(0.1)
      ? deepValue(random.pick([300, 511, 512, 2_000, 100_000]), random.chance(0.5))
      : msgpackValue(random, 0);
    const first = encodeMsgpack(value);
    let decoded: unknown;
    try {
      decoded = decodeMsgpack(first);
    } catch (error) {
      return {
        violation: `encodeMsgpack wrote bytes decodeMsgpack refuses: ${describeThrown(error)}`,
      };
    }
    let second: Uint8Array, third: Uint8Array;
    try {
      second = encodeMsgpack(decoded);
      third = encodeMsgpack(decodeMsgpack(second));
    } catch (error) {
      return { violation: `a decoded value does not encode again: ${describeThrown(error)}` };
    }
    if (!bytesEqual(second, third)) {
      return { violation: "MessagePack bytes are not stable after a round trip" };
    }
    return { result: "returned" };
  },

  "msgpack-decode": (random) => {
    let bytes: Uint8Array;
    switch (random.below(5)) {
      case 0:
        bytes = Uint8Array.from({ length: random.below(48) }, () => random.below(256));
        break;
      case 1: {
        // Valid bytes, damaged: a flipped bit, a cut, a byte inserted.
        bytes = encodeMsgpack(msgpackValue(random, 0)).slice();
        if (bytes.length > 0 && random.chance(0.4)) {
          bytes[random.below(bytes.length)]! ^= 1 << random.below(8);
        } else if (random.chance(0.5)) bytes = bytes.subarray(0, random.below(bytes.length + 1));
        else {
          const at = random.below(bytes.length + 1);
          bytes = Uint8Array.from([
            ...bytes.subarray(0, at),
            random.below(256),
            ...bytes.subarray(at),
          ]);
        }
        break;
      }
      case 2: {
        // Headers claiming huge lengths.
        const header = random.pick([
          [0xdd, 0xff, 0xff, 0xff, 0xff],
          [0xdf, 0xff, 0xff, 0xff, 0xff],
          [0xdb, 0xff, 0xff, 0xff, 0xff],
          [0xc6, 0xff, 0xff, 0xff, 0xff],
          [0xdc, 0xff, 0xff],
          [0xde, 0xff, 0xff],
          [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01],
        ]);
        bytes = Uint8Array.from([...header, ...Array.from({ length: random.below(16) }, () => 0)]);
        break;
      }
      case 3: {
        // Deep nesting: arrays or maps, past the decoder's limit or not.
        const depth = random.pick([100, 1_024, 1_025, 5_000, 200_000]);
        const map = random.chance(0.5);
        bytes = new Uint8Array(map ? depth * 2 + 1 : depth + 1);
        for (let i = 0; i < depth; i++) {
          if (map) bytes.set([0x81, 0xa0], i * 2); // { "": ... }
          else bytes[i] = 0x91;
        }
        bytes[bytes.length - 1] = 0xc0;
        break;
      }
      default:
        // Extension types, the reserved byte, invalid UTF-8, odd map keys.
        bytes = Uint8Array.from(random.pick([
          [0xc1],
          [0xd4, 0x01, 0x02],
          [0xc7, 0x01, 0x05, 0x00],
          [0xa2, 0xc3, 0x28],
          [0xa1, 0xed],
          [0x81, 0x91, 0x01, 0x02],
          [0x81, 0xc4, 0x01, 0x00, 0x02],
          [0x82, 0xa1, 0x61, 0x01, 0xa1, 0x61, 0x02],
          [0x81, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0],
          [0xca, 0x7f, 0x80, 0x00, 0x01],
        ]));
    }
    const value = decodeMsgpack(bytes);
    // What decodes either encodes again or is refused with an allowed error.
    encodeMsgpack(value);
    return { result: "returned" };
  },
};

function describeThrown(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message.slice(0, 200)}`
    : `${typeof error} ${String(error)}`;
}
