/**
 * Random LiteralMaps from a seed, covering every kind of literal flytekit can key on: nested
 * collections and maps, hashes and metadata, every scalar kind, offloaded metadata, literal
 * types, and the edge values where encoders disagree (int64 extremes, -0.0, infinities, NaN,
 * keys whose UTF-8 order differs from their UTF-16 order, bytes of 0, 255, 256 and > 64 KiB).
 *
 * @module
 */
import { create, type JsonObject, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  type Literal,
  LiteralCollectionSchema,
  type LiteralMap,
  LiteralMapSchema,
  LiteralOffloadedMetadataSchema,
  LiteralSchema,
  type Scalar,
  ScalarSchema,
} from "../../gen/flyteidl/core/literals_pb.ts";
import {
  BlobType_BlobDimensionality,
  type LiteralType,
  LiteralTypeSchema,
  type SchemaType_SchemaColumn_SchemaColumnType,
  SimpleType,
} from "../../gen/flyteidl/core/types_pb.ts";

/** A seeded pseudo-random generator (mulberry32): the same seed, the same sequence. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
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

/** Map keys where encoders go wrong: integer-like, empty, and above U+FFFF vs U+E000..U+FFFF. */
export const TRICKY_KEYS: readonly string[] = [
  "0",
  "1",
  "10",
  "9",
  "-1",
  "01",
  "4294967295",
  "",
  " ",
  "a",
  "B",
  "é",
  "日本",
  "\uE000",
  "\uFFFF",
  "\uFF21",
  "😀",
  "𝄞",
  "a😀",
  "a\uFFFD",
  "key with spaces",
  "constructor",
];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const STRINGS: readonly string[] = [
  "",
  "a",
  "hello",
  "ünïcödé",
  "😀 astral",
  "\u0000nul",
  "x".repeat(300),
];

function randomString(random: Random): string {
  if (random.chance(0.5)) return random.pick(STRINGS);
  const length = random.below(12);
  let text = "";
  for (let i = 0; i < length; i++) {
    const range = random.pick(
      [
        [0x20, 0x7e],
        [0xa0, 0x7ff],
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

function randomDouble(random: Random): number {
  return random.chance(0.5)
    ? random.pick([0, -0, 1, -1, 0.1, 3.14, 1e300, -1e-300, 5e-324, Infinity, -Infinity, NaN])
    : (random.next() - 0.5) * 10 ** random.below(20);
}

function randomBytes(random: Random): Uint8Array {
  const length = random.chance(0.05)
    ? 65_536 + random.below(10_000)
    : random.pick([0, 1, 2, 127, 128, 255, 256, 257, 1000]);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = random.below(256);
  return bytes;
}

function randomJson(random: Random, depth: number): JsonValue {
  switch (random.below(depth > 2 ? 4 : 6)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.3) ? random.pick([0, -0, 1.5, -2, 1e21]) : random.next() * 1000;
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

function randomStruct(random: Random, depth: number): JsonObject {
  const struct: JsonObject = {};
  for (let i = random.below(5); i > 0; i--) struct[randomKey(random)] = randomJson(random, depth);
  return struct;
}

function randomLiteralType(random: Random, depth: number): LiteralType {
  const type: MessageInitShape<typeof LiteralTypeSchema> = {};
  switch (random.below(depth > 1 ? 3 : 6)) {
    case 0:
      type.type = {
        case: "simple",
        value: random.pick(Object.values(SimpleType).filter(isNumber)),
      };
      break;
    case 1:
      type.type = {
        case: "blob",
        value: { format: randomString(random), dimensionality: random.below(2) },
      };
      break;
    case 2:
      type.type = {
        case: "enumType",
        value: { values: Array.from({ length: random.below(3) }, () => randomString(random)) },
      };
      break;
    case 3:
      type.type = { case: "collectionType", value: randomLiteralType(random, depth + 1) };
      break;
    case 4:
      type.type = { case: "mapValueType", value: randomLiteralType(random, depth + 1) };
      break;
    default:
      type.type = {
        case: "unionType",
        value: {
          variants: Array.from(
            { length: 1 + random.below(2) },
            () => randomLiteralType(random, depth + 1),
          ),
        },
      };
  }
  if (random.chance(0.3)) type.metadata = randomStruct(random, 2);
  if (random.chance(0.2)) type.annotation = { annotations: randomStruct(random, 2) };
  if (random.chance(0.2)) {
    type.structure = {
      tag: randomString(random),
      dataclassType: random.chance(0.5) && depth < 2
        ? { [randomKey(random)]: randomLiteralType(random, depth + 1) }
        : {},
    };
  }
  return create(LiteralTypeSchema, type);
}

function isNumber(value: unknown): value is number {
  return typeof value === "number";
}

function randomScalar(random: Random, depth: number): Scalar {
  const scalar: MessageInitShape<typeof ScalarSchema> = {};
  // Primitives (case 0) come up four times as often as each other kind.
  const which = random.below(12);
  switch (which >= 9 ? 0 : which) {
    case 0: {
      const kind = random.below(6);
      const value = kind === 0
        ? { case: "integer" as const, value: randomInt64(random) }
        : kind === 1
        ? { case: "floatValue" as const, value: randomDouble(random) }
        : kind === 2
        ? { case: "stringValue" as const, value: randomString(random) }
        : kind === 3
        ? { case: "boolean" as const, value: random.chance(0.5) }
        : kind === 4
        ? {
          case: "datetime" as const,
          value: create(TimestampSchema, {
            seconds: random.pick([0n, -1n, 1_700_000_000n, -62135596800n, 253402300799n]),
            nanos: random.pick([0, 1, 999_999_999, 500_000_000]),
          }),
        }
        : {
          case: "duration" as const,
          value: create(DurationSchema, {
            seconds: random.pick([0n, 1n, -1n, 315576000000n, -315576000000n]),
            nanos: random.pick([0, 1, -1, 999_999_999, -999_999_999]),
          }),
        };
      scalar.value = { case: "primitive", value: { value } };
      break;
    }
    case 1:
      scalar.value = {
        case: "blob",
        value: {
          uri: randomString(random),
          metadata: random.chance(0.8)
            ? {
              type: {
                format: random.pick(["", "csv", "parquet", randomString(random)]),
                dimensionality: random.pick([
                  BlobType_BlobDimensionality.SINGLE,
                  BlobType_BlobDimensionality.MULTIPART,
                ]),
              },
            }
            : undefined,
        },
      };
      break;
    case 2:
      scalar.value = {
        case: "binary",
        value: {
          value: randomBytes(random),
          tag: random.pick(["", "msgpack", randomString(random)]),
        },
      };
      break;
    case 3:
      scalar.value = {
        case: "schema",
        value: {
          uri: randomString(random),
          type: {
            columns: Array.from({ length: random.below(4) }, () => ({
              name: randomString(random),
              type: random.below(6) as SchemaType_SchemaColumn_SchemaColumnType,
            })),
          },
        },
      };
      break;
    case 4:
      scalar.value = { case: "noneType", value: {} };
      break;
    case 5:
      scalar.value = {
        case: "error",
        value: { failedNodeId: randomString(random), message: randomString(random) },
      };
      break;
    case 6:
      scalar.value = { case: "generic", value: randomStruct(random, 0) };
      break;
    case 7:
      scalar.value = {
        case: "structuredDataset",
        value: {
          uri: randomString(random),
          metadata: random.chance(0.8)
            ? {
              structuredDatasetType: {
                format: random.pick(["", "parquet", randomString(random)]),
                externalSchemaType: random.pick(["", "arrow"]),
                externalSchemaBytes: random.chance(0.3) ? randomBytes(random) : new Uint8Array(0),
                columns: Array.from({ length: random.below(3) }, () => ({
                  name: randomString(random),
                  literalType: random.chance(0.7) ? randomLiteralType(random, 1) : undefined,
                })),
              },
            }
            : undefined,
        },
      };
      break;
    default:
      scalar.value = {
        case: "union",
        value: {
          value: depth < 3 ? randomLiteral(random, depth + 1) : undefined,
          type: random.chance(0.8) ? randomLiteralType(random, 0) : undefined,
        },
      };
  }
  return create(ScalarSchema, scalar);
}

/** A random Literal; `depth` bounds the nesting. */
export function randomLiteral(random: Random, depth = 0): Literal {
  const literal = create(LiteralSchema);
  // Plain objects assigned to a message's fields are not messages: every value below is one.
  const kind = random.below(depth < 3 ? 10 : 7);
  if (kind < 6) literal.value = { case: "scalar", value: randomScalar(random, depth) };
  else if (kind === 6) {
    literal.value = {
      case: "offloadedMetadata",
      value: create(LiteralOffloadedMetadataSchema, {
        uri: randomString(random),
        sizeBytes: random.pick([0n, 1n, 2n ** 64n - 1n, 123456789n]),
        inferredType: random.chance(0.7) ? randomLiteralType(random, 0) : undefined,
      }),
    };
  } else if (kind < 9) {
    literal.value = {
      case: "collection",
      value: create(LiteralCollectionSchema, {
        literals: Array.from({ length: random.below(4) }, () => randomLiteral(random, depth + 1)),
      }),
    };
  } else {
    const literals: Record<string, Literal> = {};
    for (let i = random.below(4); i > 0; i--) {
      literals[randomKey(random)] = randomLiteral(random, depth + 1);
    }
    literal.value = { case: "map", value: create(LiteralMapSchema, { literals }) };
  }
  if (random.chance(0.15)) literal.hash = random.chance(0.9) ? randomString(random) || "h" : "";
  if (random.chance(0.2)) {
    for (let i = 1 + random.below(3); i > 0; i--) {
      literal.metadata[randomKey(random)] = randomString(random);
    }
  }
  return literal;
}

/** A random input LiteralMap of up to `maxInputs` inputs. */
export function arbitraryLiteralMap(random: Random, maxInputs = 8): LiteralMap {
  const inputs = create(LiteralMapSchema);
  for (let i = random.below(maxInputs + 1); i > 0; i--) {
    inputs.literals[randomKey(random)] = randomLiteral(random);
  }
  return inputs;
}

/**
 * The same message with every map (at every depth, Struct fields included) built again in a
 * random insertion order: equal content, different object key order where JS allows it.
 */
export function reordered<T>(value: T, random: Random): T {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((item) => reordered(item, random)) as T;
  const source = value as Record<string, unknown>;
  const isMap = !("$typeName" in source);
  const names = isMap ? random.shuffle(Object.keys(source)) : Object.keys(source);
  const copy: Record<string, unknown> = isMap ? {} : Object.create(Object.getPrototypeOf(source));
  for (const name of names) {
    copy[name] = name === "$typeName" ? source[name] : reordered(source[name], random);
  }
  return copy as T;
}
