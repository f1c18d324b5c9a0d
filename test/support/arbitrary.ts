/**
 * Random LiteralMaps from a seed, covering every kind of literal flytekit can key on: nested
 * collections and maps, hashes and metadata, every scalar kind, offloaded metadata, literal
 * types (inside unions, offloaded metadata and structured dataset columns), and the edge values
 * where encoders disagree: int64 extremes, -0.0, infinities, NaN, out-of-range enum values,
 * negative timestamps and durations, empty and default-valued oneof members and messages, map
 * keys whose UTF-8 order differs from their UTF-16 or JavaScript object order (integer-like,
 * empty, U+E000..U+FFFF against astral, `__proto__`), bytes of 0, 1, 255, 256 and > 64 KiB, and
 * optionally fields unknown to the schema.
 *
 * Strings are always well formed (no lone surrogates: those are refused by design).
 *
 * @module
 */
import {
  create,
  type JsonObject,
  type JsonValue,
  type Message,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  type Literal,
  LiteralCollectionSchema,
  type LiteralMap,
  LiteralMapSchema,
  LiteralOffloadedMetadataSchema,
  LiteralSchema,
  type Primitive,
  PrimitiveSchema,
  type Scalar,
  ScalarSchema,
} from "../../gen/flyteidl/core/literals_pb.ts";
import {
  BlobType_BlobDimensionality,
  type LiteralType,
  LiteralTypeSchema,
  SchemaType_SchemaColumn_SchemaColumnType,
  SimpleType,
  type StructuredDatasetType,
  StructuredDatasetTypeSchema,
} from "../../gen/flyteidl/core/types_pb.ts";
import { setEntry } from "../../src/internal/entries.ts";

/** The mulberry32 generator: a function of a 32-bit seed giving floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A seeded pseudo-random generator (mulberry32): the same seed, the same sequence. */
export class Random {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.#next();
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** The items in a random order (a copy). */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = items.slice();
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }
}

/** How {@link arbitraryLiteralMap} generates. */
export interface ArbitraryOptions {
  /** At most this many inputs (default 8). */
  maxInputs?: number;
  /** How deep collections, maps and unions nest (default 3). */
  maxDepth?: number;
  /** The chance that a binary value is over 64 KiB (default 0.05). */
  largeBinaryChance?: number;
  /**
   * The chance that a message (a literal, a scalar, a literal type, a timestamp...) carries
   * fields unknown to the schema, as from a newer flyteidl (default 0: none). protobuf-es holds
   * them in `$unknown`; `google.protobuf.Struct` values cannot carry them (protobuf-es holds
   * those as plain JSON).
   */
  unknownFieldChance?: number;
  /**
   * Also inputs flytekit cannot key (default false: every map generated has a key): a
   * `Scalar.error`, and datetimes and durations out of the range of Python's `datetime` and
   * `timedelta` (any int64 seconds).
   */
  unkeyable?: boolean;
}

interface Context {
  random: Random;
  maxDepth: number;
  largeBinaryChance: number;
  unkeyable: boolean;
}

/** A random int64 in [min, max]. */
function randomBetween(random: Random, min: bigint, max: bigint): bigint {
  const span = max - min + 1n;
  const r = (BigInt(random.below(2 ** 32)) << 32n) | BigInt(random.below(2 ** 32));
  return min + (r % span);
}

/** Sets an entry as an own property (also `__proto__`), as protobuf-es's parser does. */
export { setEntry };

/**
 * Map keys where encoders go wrong: integer-like (JavaScript lists those first, in numeric
 * order), empty, U+E000..U+FFFF against astral characters (UTF-16 order differs from UTF-8
 * order), and names that are special on JavaScript objects.
 */
export const TRICKY_KEYS: readonly string[] = [
  "0",
  "1",
  "10",
  "9",
  "-1",
  "01",
  "4294967294",
  "4294967295",
  "9007199254740993",
  "1.5",
  "",
  " ",
  "a",
  "B",
  "é",
  "日本",
  "\uE000",
  "\uFFFF",
  "\uFF21",
  "\uFFFD",
  "😀",
  "\u{1F600}a",
  "𝄞",
  "\u{10FFFF}",
  "a😀",
  "a\uFFFD",
  "a\uE000",
  "\u0000",
  "key with spaces",
  "constructor",
  "toString",
  "__proto__",
];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const STRINGS: readonly string[] = [
  "",
  "a",
  "hello",
  "ünïcödé",
  "😀 astral",
  "\u0000nul",
  "\uFEFFbom",
  "x".repeat(300),
];

/** A well-formed random string: 1-, 2-, 3-byte UTF-8 (either side of the surrogates), 4-byte. */
export function randomString(random: Random): string {
  if (random.chance(0.5)) return random.pick(STRINGS);
  const length = random.below(12);
  let text = "";
  for (let i = 0; i < length; i++) {
    const range = random.pick(
      [
        [0x00, 0x7f],
        [0x20, 0x7e],
        [0x80, 0x7ff],
        [0x800, 0xd7ff],
        [0xe000, 0xffff],
        [0x10000, 0x10ffff],
      ] as const,
    );
    text += String.fromCodePoint(range[0] + random.below(range[1] - range[0] + 1));
  }
  return text;
}

function randomKey(random: Random): string {
  return random.chance(0.6) ? random.pick(TRICKY_KEYS) : randomString(random);
}

function randomInt64(random: Random): bigint {
  switch (random.below(5)) {
    case 0:
      return random.pick([0n, 1n, -1n, INT64_MIN, INT64_MAX, INT64_MIN + 1n, INT64_MAX - 1n]);
    case 1:
      return BigInt(random.below(256) - 128);
    case 2:
      return BigInt(Math.floor((random.next() - 0.5) * 2 ** 53));
    default:
      return BigInt.asIntN(64, BigInt(random.below(2 ** 32)) << BigInt(random.below(33)));
  }
}

/**
 * Doubles from all 64 bits at random: subnormals, huge exponents, now and then a NaN payload.
 * NaNs are made quiet: V8 may quiet a signalling NaN whenever it stores one (it does in Deno's
 * optimized code), so one could change between the two sides of a comparison.
 */
function randomBitsDouble(random: Random): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, random.below(2 ** 32));
  view.setUint32(4, random.below(2 ** 32));
  if ((view.getUint32(0) & 0x7ff00000) === 0x7ff00000) {
    view.setUint32(0, view.getUint32(0) | 0x00080000);
  }
  return view.getFloat64(0);
}

function randomDouble(random: Random): number {
  switch (random.below(4)) {
    case 0:
    case 1:
      return random.pick([
        0,
        -0,
        1,
        -1,
        0.1,
        3.14,
        1e300,
        -1e-300,
        5e-324,
        -5e-324,
        Number.MAX_VALUE,
        Number.MIN_VALUE,
        2 ** 53 + 2,
        Infinity,
        -Infinity,
        NaN,
      ]);
    case 2:
      return randomBitsDouble(random);
    default:
      return (random.next() - 0.5) * 10 ** random.below(20);
  }
}

function randomBytes(context: Context): Uint8Array {
  const random = context.random;
  const length = random.chance(context.largeBinaryChance)
    ? 65_536 + random.below(10_000)
    : random.pick([0, 0, 1, 1, 2, 127, 128, 255, 255, 256, 256, 257, 1000]);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = random.below(256);
  return bytes;
}

function randomJson(random: Random, depth: number): JsonValue {
  switch (random.below(depth > 2 ? 4 : 6)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.4)
        ? random.pick([0, -0, 1.5, -2, 1e21, 2 ** 64, Infinity, -Infinity, NaN, 5e-324])
        : (random.next() - 0.5) * 10 ** random.below(12);
    case 2:
      return randomString(random);
    case 3:
      return random.chance(0.5);
    case 4:
      return Array.from({ length: random.below(4) }, () => randomJson(random, depth + 1));
    default:
      return randomStruct(random, depth + 1);
  }
}

/** A google.protobuf.Struct as protobuf-es holds it: nested values, lists, nulls, any keys. */
export function randomStruct(random: Random, depth = 0): JsonObject {
  const struct: JsonObject = {};
  for (let i = random.below(5); i > 0; i--) {
    setEntry(struct, randomKey(random), randomJson(random, depth));
  }
  return struct;
}

/** An enum value: mostly named, now and then unnamed or negative (proto3 keeps those). */
function randomEnum(random: Random, values: object): number {
  if (random.chance(0.1)) return random.pick([-1, 42, 2 ** 31 - 1, -(2 ** 31)]);
  return random.pick(Object.values(values).filter(isNumber));
}

function isNumber(value: unknown): value is number {
  return typeof value === "number";
}

function randomStructuredDatasetType(random: Random, depth: number): StructuredDatasetType {
  return create(StructuredDatasetTypeSchema, {
    format: random.pick(["", "parquet", "csv", randomString(random)]),
    externalSchemaType: random.pick(["", "arrow"]),
    externalSchemaBytes: random.chance(0.3)
      ? Uint8Array.from({ length: random.below(40) }, () => random.below(256))
      : new Uint8Array(0),
    columns: Array.from({ length: random.below(3) }, () => ({
      name: randomString(random),
      literalType: random.chance(0.7) ? randomLiteralType(random, depth + 1) : undefined,
    })),
  });
}

/**
 * A random LiteralType: every case of its `type` oneof (simple, schema, collection_type,
 * map_value_type, blob, enum_type, structured_dataset_type, union_type) or none, with
 * `metadata`, `annotation` and `structure` now and then.
 */
export function randomLiteralType(random: Random, depth = 0): LiteralType {
  const type: MessageInitShape<typeof LiteralTypeSchema> = {};
  const leaf = depth > 2;
  switch (random.below(leaf ? 5 : 9)) {
    case 0:
      type.type = { case: "simple", value: randomEnum(random, SimpleType) };
      break;
    case 1:
      type.type = {
        case: "blob",
        value: {
          format: random.pick(["", "csv", randomString(random)]),
          dimensionality: randomEnum(random, BlobType_BlobDimensionality),
        },
      };
      break;
    case 2:
      type.type = {
        case: "enumType",
        value: { values: Array.from({ length: random.below(3) }, () => randomString(random)) },
      };
      break;
    case 3:
      type.type = {
        case: "schema",
        value: {
          columns: Array.from({ length: random.below(3) }, () => ({
            name: randomString(random),
            type: randomEnum(random, SchemaType_SchemaColumn_SchemaColumnType),
          })),
        },
      };
      break;
    case 4:
      // No type at all: an empty LiteralType is a valid message too.
      break;
    case 5:
      type.type = { case: "collectionType", value: randomLiteralType(random, depth + 1) };
      break;
    case 6:
      type.type = { case: "mapValueType", value: randomLiteralType(random, depth + 1) };
      break;
    case 7:
      type.type = {
        case: "structuredDatasetType",
        value: randomStructuredDatasetType(random, depth),
      };
      break;
    default:
      type.type = {
        case: "unionType",
        value: {
          variants: Array.from(
            { length: random.below(3) },
            () => randomLiteralType(random, depth + 1),
          ),
        },
      };
  }
  if (random.chance(0.3)) type.metadata = randomStruct(random, 1);
  if (random.chance(0.2)) type.annotation = { annotations: randomStruct(random, 1) };
  if (random.chance(0.2)) {
    const dataclassType: Record<string, LiteralType> = {};
    if (random.chance(0.5) && depth < 2) {
      for (let i = 1 + random.below(3); i > 0; i--) {
        setEntry(dataclassType, randomKey(random), randomLiteralType(random, depth + 1));
      }
    }
    type.structure = { tag: randomString(random), dataclassType };
  }
  return create(LiteralTypeSchema, type);
}

function randomPrimitive(random: Random, unkeyable: boolean): Primitive {
  const primitive = create(PrimitiveSchema);
  switch (random.below(7)) {
    case 0:
      primitive.value = { case: "integer", value: randomInt64(random) };
      break;
    case 1:
      primitive.value = { case: "floatValue", value: randomDouble(random) };
      break;
    case 2:
      primitive.value = { case: "stringValue", value: randomString(random) };
      break;
    case 3:
      primitive.value = { case: "boolean", value: random.chance(0.5) };
      break;
    case 4:
      primitive.value = {
        case: "datetime",
        value: create(TimestampSchema, {
          seconds: random.pick([
            0n,
            -1n,
            1_700_000_000n,
            unkeyable ? -62135596800n : -62135596799n,
            253402300799n,
            unkeyable ? randomInt64(random) : randomBetween(random, -62135596799n, 253402300798n),
          ]),
          nanos: random.pick([0, 1, 999_999_999, 500_000_000, -1, -999_999_999]),
        }),
      };
      break;
    case 5:
      primitive.value = {
        case: "duration",
        value: create(DurationSchema, {
          seconds: random.pick([
            0n,
            1n,
            -1n,
            315576000000n,
            -315576000000n,
            unkeyable
              ? randomInt64(random)
              : randomBetween(random, -86399999913599n, 86399999999998n),
          ]),
          nanos: random.pick([0, 1, -1, 999_999_999, -999_999_999, 2 ** 31 - 1, -(2 ** 31)]),
        }),
      };
      break;
    default:
      // No value: an empty Primitive.
  }
  return primitive;
}

function randomScalar(context: Context, depth: number): Scalar {
  const random = context.random;
  const scalar: MessageInitShape<typeof ScalarSchema> = {};
  // Primitives (case 0) come up four times as often as each other kind; 10 is an empty Scalar.
  const which = random.below(14);
  switch (which >= 11 ? 0 : which) {
    case 0:
      scalar.value = { case: "primitive", value: randomPrimitive(random, context.unkeyable) };
      break;
    case 1:
      scalar.value = {
        case: "blob",
        value: {
          uri: randomString(random),
          metadata: random.chance(0.8)
            ? {
              type: random.chance(0.9)
                ? {
                  format: random.pick(["", "csv", "parquet", randomString(random)]),
                  dimensionality: randomEnum(random, BlobType_BlobDimensionality),
                }
                : undefined,
            }
            : undefined,
        },
      };
      break;
    case 2:
      scalar.value = {
        case: "binary",
        value: {
          value: randomBytes(context),
          tag: random.pick(["", "msgpack", randomString(random)]),
        },
      };
      break;
    case 3:
      scalar.value = {
        case: "schema",
        value: {
          uri: randomString(random),
          type: random.chance(0.9)
            ? {
              columns: Array.from({ length: random.below(4) }, () => ({
                name: randomString(random),
                type: randomEnum(random, SchemaType_SchemaColumn_SchemaColumnType),
              })),
            }
            : undefined,
        },
      };
      break;
    case 4:
      scalar.value = { case: "noneType", value: {} };
      break;
    case 5:
      if (!context.unkeyable) {
        scalar.value = { case: "noneType", value: {} };
        break;
      }
      scalar.value = {
        case: "error",
        value: { failedNodeId: randomString(random), message: randomString(random) },
      };
      break;
    case 6:
      scalar.value = { case: "generic", value: randomStruct(random) };
      break;
    case 7:
      scalar.value = {
        case: "structuredDataset",
        value: {
          uri: randomString(random),
          metadata: random.chance(0.8)
            ? {
              structuredDatasetType: random.chance(0.9)
                ? randomStructuredDatasetType(random, 1)
                : undefined,
            }
            : undefined,
        },
      };
      break;
    case 8:
    case 9:
      scalar.value = {
        case: "union",
        value: {
          value: depth < context.maxDepth && random.chance(0.9)
            ? randomLiteral(context, depth + 1)
            : undefined,
          type: random.chance(0.8) ? randomLiteralType(random) : undefined,
        },
      };
      break;
    default:
      // No value: an empty Scalar.
  }
  return create(ScalarSchema, scalar);
}

function randomLiteral(context: Context, depth: number): Literal {
  const random = context.random;
  const literal = create(LiteralSchema);
  // Plain objects assigned to a message's fields are not messages: every value below is one.
  const nests = depth < context.maxDepth;
  const kind = random.below(nests ? 11 : 8);
  if (kind < 6) literal.value = { case: "scalar", value: randomScalar(context, depth) };
  else if (kind === 6) {
    literal.value = {
      case: "offloadedMetadata",
      value: create(LiteralOffloadedMetadataSchema, {
        uri: randomString(random),
        sizeBytes: random.pick([0n, 1n, UINT64_MAX, 2n ** 63n, 123456789n]),
        inferredType: random.chance(0.7) ? randomLiteralType(random) : undefined,
      }),
    };
  } else if (kind === 7) {
    // No value at all: an empty Literal (with a hash and metadata now and then, below).
  } else if (kind < 10) {
    literal.value = {
      case: "collection",
      value: create(LiteralCollectionSchema, {
        literals: Array.from({ length: random.below(4) }, () => randomLiteral(context, depth + 1)),
      }),
    };
  } else {
    const map = create(LiteralMapSchema);
    for (let i = random.below(random.chance(0.1) ? 20 : 4); i > 0; i--) {
      setEntry(map.literals, randomKey(random), randomLiteral(context, depth + 1));
    }
    literal.value = { case: "map", value: map };
  }
  if (random.chance(0.15)) literal.hash = random.chance(0.9) ? randomString(random) || "h" : "";
  if (random.chance(0.2)) {
    for (let i = 1 + random.below(3); i > 0; i--) {
      setEntry(literal.metadata, randomKey(random), randomString(random));
    }
  }
  return literal;
}

function contextOf(random: Random, options: ArbitraryOptions): Context {
  return {
    random,
    maxDepth: options.maxDepth ?? 3,
    largeBinaryChance: options.largeBinaryChance ?? 0.05,
    unkeyable: options.unkeyable ?? false,
  };
}

/** A random Literal, nested at most `options.maxDepth` deep. */
export function arbitraryLiteral(random: Random, options: ArbitraryOptions = {}): Literal {
  const literal = randomLiteral(contextOf(random, options), 0);
  if (options.unknownFieldChance) addUnknownFields(literal, random, options.unknownFieldChance);
  return literal;
}

/** A random input LiteralMap of up to `options.maxInputs` inputs (see {@link ArbitraryOptions}). */
export function arbitraryLiteralMap(random: Random, options: ArbitraryOptions = {}): LiteralMap {
  const context = contextOf(random, options);
  const inputs = create(LiteralMapSchema);
  for (let i = random.below((options.maxInputs ?? 8) + 1); i > 0; i--) {
    setEntry(inputs.literals, randomKey(random), randomLiteral(context, 0));
  }
  if (options.unknownFieldChance) addUnknownFields(inputs, random, options.unknownFieldChance);
  return inputs;
}

/** An unknown field as protobuf-es holds it after parsing: `data` is what follows the tag. */
export interface UnknownField {
  no: number;
  wireType: WireType;
  data: Uint8Array;
}

/**
 * Unknown fields of one message: field numbers no flyteidl message uses (1000 and up), of every
 * wire type but groups.
 */
export function randomUnknownFields(random: Random): UnknownField[] {
  return Array.from({ length: 1 + random.below(3) }, () => {
    const no = 1000 + random.below(3) * 1000 + random.below(3);
    const writer = new BinaryWriter();
    switch (random.below(4)) {
      case 0:
        writer.uint64(random.pick([0n, 1n, 300n, UINT64_MAX]));
        return { no, wireType: WireType.Varint, data: writer.finish() };
      case 1:
        writer.fixed64(BigInt(random.below(2 ** 32)) << 20n);
        return { no, wireType: WireType.Bit64, data: writer.finish() };
      case 2:
        writer.fixed32(random.below(2 ** 32));
        return { no, wireType: WireType.Bit32, data: writer.finish() };
      default:
        writer.string(randomString(random));
        return { no, wireType: WireType.LengthDelimited, data: writer.finish() };
    }
  });
}

/** Adds fields unknown to the schema to messages at random, anywhere in `root`. */
function addUnknownFields(root: Message, random: Random, chance: number): void {
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== "object" || value instanceof Uint8Array) return;
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    const record = value as Record<string, unknown>;
    if (typeof record.$typeName === "string" && random.chance(chance)) {
      (record as Message).$unknown = randomUnknownFields(random);
    }
    for (const name of Object.keys(record)) {
      if (name !== "$unknown") visit(record[name]);
    }
  };
  visit(root);
}

/**
 * The same message with every map (at every depth, Struct fields and metadata included) built
 * again in a random insertion order: equal content, different object key order where JS allows
 * it (integer-like keys come first whatever the order).
 */
export function reordered<T>(value: T, random: Random): T {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((item) => reordered(item, random)) as T;
  const source = value as Record<string, unknown>;
  const isMessage = typeof source.$typeName === "string";
  const names = isMessage ? Object.keys(source) : random.shuffle(Object.keys(source));
  const copy: Record<string, unknown> = Object.create(Object.getPrototypeOf(source));
  for (const name of names) {
    setEntry(copy, name, name === "$typeName" ? source[name] : reordered(source[name], random));
  }
  return copy as T;
}

/** What a corpus of generated inputs holds: oneof cases by message, and edge cases. */
export function coverage(values: unknown[]): Set<string> {
  const seen = new Set<string>();
  const visit = (value: unknown, typeName: string): void => {
    if (typeof value === "number") {
      if (Number.isNaN(value)) seen.add("NaN");
      if (Object.is(value, -0)) seen.add("-0");
      if (value === Infinity || value === -Infinity) seen.add("Infinity");
      return;
    }
    if (typeof value === "bigint") {
      if (value === -(2n ** 63n) || value === 2n ** 63n - 1n) seen.add("int64 extreme");
      return;
    }
    if (value === null || typeof value !== "object") return;
    if (value instanceof Uint8Array) {
      if (value.length > 65_536) seen.add("bytes > 64 KiB");
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item) => visit(item, typeName));
      return;
    }
    const record = value as Record<string, unknown>;
    const name = typeof record.$typeName === "string" ? record.$typeName : typeName;
    if (record.$unknown !== undefined) seen.add("unknown fields");
    if (typeof record.case === "string") seen.add(`${name}.${record.case}`);
    if (name === "flyteidl.core.Literal" && record.hash) seen.add("hash");
    for (const key of Object.keys(record)) {
      if (key === "__proto__") seen.add("key __proto__");
      if (/[\uE000-\uFFFF]/.test(key)) seen.add("key in U+E000..U+FFFF");
      if (/[\uD800-\uDBFF]/.test(key)) seen.add("key above U+FFFF");
      if (/^(0|[1-9]\d*)$/.test(key)) seen.add("integer-like key");
      if (key === "") seen.add("empty key");
      if (key !== "$typeName" && key !== "$unknown") visit(record[key], name);
    }
  };
  values.forEach((value) => visit(value, ""));
  return seen;
}

const oneofCases = (typeName: string, names: string) =>
  names.split(" ").map((n) => `${typeName}.${n}`);

/** What a corpus for the key tests must hold, as {@link coverage} names it. */
export const COVERAGE_CASES: readonly string[] = [
  ...oneofCases("flyteidl.core.Literal", "scalar collection map offloadedMetadata"),
  ...oneofCases(
    "flyteidl.core.Scalar",
    "primitive blob binary schema noneType error generic structuredDataset union",
  ),
  ...oneofCases(
    "flyteidl.core.Primitive",
    "integer floatValue stringValue boolean datetime duration",
  ),
  ...oneofCases(
    "flyteidl.core.LiteralType",
    "simple schema collectionType mapValueType blob enumType structuredDatasetType unionType",
  ),
  "hash",
  "unknown fields",
  "NaN",
  "-0",
  "Infinity",
  "int64 extreme",
  "bytes > 64 KiB",
  "key __proto__",
  "key in U+E000..U+FFFF",
  "key above U+FFFF",
  "integer-like key",
  "empty key",
];
