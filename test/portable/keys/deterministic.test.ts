import assert from "node:assert/strict";
import { test } from "node:test";
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { md5 } from "@noble/hashes/legacy.js";
import { bytesToHex as hex } from "@noble/hashes/utils.js";
import {
  BinarySchema,
  type Literal,
  LiteralMapSchema,
  LiteralSchema,
} from "../../../gen/flyteidl/core/literals_pb.ts";
import {
  toBinaryDeterministic,
  toBinaryDeterministicChunks,
} from "../../../src/keys/deterministic.ts";
import { pickleBytesHeader } from "../../../src/keys/joblib.ts";
import { calculateCacheKey } from "../../../src/keys/key.ts";
import { sortCodePoints } from "../../../src/keys/map_writer.ts";
import { binary, collection, integer, literalMap, map, string } from "../../support/literals.ts";

test("map keys sort by UTF-8 bytes: above U+FFFF after U+E000..U+FFFF", () => {
  const bytes = toBinaryDeterministic(
    LiteralMapSchema,
    literalMap({ "\u{1F600}": integer(1n), "\uFFFD": integer(2n) }),
  );
  // The entry for U+FFFD (ef bf bd) comes before U+1F600 (f0 9f 98 80).
  assert.ok(hex(bytes).indexOf("efbfbd") < hex(bytes).indexOf("f09f9880"));
  // Integer-like keys sort as strings: "10" < "9".
  const numeric = toBinaryDeterministic(
    LiteralMapSchema,
    literalMap({ "9": integer(1n), "10": integer(2n) }),
  );
  assert.ok(hex(numeric).indexOf("0a023130") < hex(numeric).indexOf("0a0139"));
});

test("names sort by UTF-8 bytes, a few of them or many, ASCII or not", () => {
  const encoder = new TextEncoder();
  const byBytes = (a: string, b: string) => {
    const x = encoder.encode(a), y = encoder.encode(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  };
  const alphabets = [["a", "b", "x", "1", "10"], [
    "a",
    "\u00e9",
    "\uE000",
    "\uFFFD",
    "\u{1F600}",
    "\u{10000}",
  ]];
  let seed = 7;
  const random = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  for (const alphabet of alphabets) {
    for (let size = 0; size <= 20; size++) {
      for (let round = 0; round < 5; round++) {
        const names = new Set<string>();
        while (names.size < size) {
          let name = "";
          for (let k = random(4); k >= 0; k--) name += alphabet[random(alphabet.length)];
          names.add(name);
        }
        const list = [...names];
        assert.deepEqual(sortCodePoints(list.slice()), list.slice().sort(byBytes), list.join(","));
      }
    }
  }
});

test("deterministic bytes parse back to the same message", () => {
  const inputs = literalMap({
    b: map({ "10": integer(-1n), "9": string("ü"), x: collection(integer(9223372036854775807n)) }),
    a: binary(new Uint8Array([0, 255, 1])),
  });
  const bytes = toBinaryDeterministic(LiteralMapSchema, inputs);
  const parsed = fromBinary(LiteralMapSchema, bytes);
  assert.ok(equals(LiteralMapSchema, parsed, inputs), "the bytes parse back to the same message");
  // Bytes for bytes, too: a message written again gives the same bytes.
  assert.equal(hex(toBinaryDeterministic(LiteralMapSchema, parsed)), hex(bytes));
  assert.equal(bytes.length, toBinary(LiteralMapSchema, inputs).length);
});

test("scalar literals (the encoder's shortcut) are written as protobuf writes them", () => {
  const scalar = (value: object) =>
    create(LiteralSchema, { value: { case: "scalar", value: { value } as never } });
  const primitive = (value: object) => scalar({ case: "primitive", value: { value } });
  const literals: Literal[] = [
    ...[0n, 1n, 127n, 128n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 53n + 1n, 2n ** 63n - 1n, -1n]
      .concat([-(2n ** 63n), -(2n ** 31n)])
      .map((value) => primitive({ case: "integer", value })),
    ...[0, -0, 1.5, NaN, Infinity, -Infinity, 5e-324, Number.MAX_VALUE]
      .map((value) => primitive({ case: "floatValue", value })),
    ...["", "a", "ü", "😀", "x".repeat(200)]
      .map((value) => primitive({ case: "stringValue", value })),
    primitive({ case: "boolean", value: false }),
    primitive({ case: "boolean", value: true }),
    ...[new Uint8Array(0), Uint8Array.of(0), new Uint8Array(300).fill(7)].flatMap((value) =>
      ["", "msgpack", "ü".repeat(100)].map((tag) =>
        scalar({ case: "binary", value: { value, tag } })
      )
    ),
  ];
  for (const literal of literals) {
    const bytes = toBinaryDeterministic(LiteralSchema, literal);
    assert.deepEqual(bytes, toBinary(LiteralSchema, literal), hex(bytes));
    // In a map: an entry like any other, and the key of what parses back is the same.
    const inputs = literalMap({ a: literal, b: integer(3n) });
    const again = fromBinary(LiteralMapSchema, toBinaryDeterministic(LiteralMapSchema, inputs));
    assert.equal(calculateCacheKey("t", "1", again), calculateCacheKey("t", "1", inputs));
  }
});

test("map entries of plain scalars (written in one go) are written as protobuf writes them", () => {
  const names = [
    "",
    "a",
    "x".repeat(100),
    "x".repeat(101),
    "x".repeat(200),
    "ü",
    "a\u{1F600}",
    "__proto__",
  ];
  const scalar = (value: object) =>
    create(LiteralSchema, { value: { case: "scalar", value: { value } as never } });
  const primitive = (value: object) => scalar({ case: "primitive", value: { value } });
  const integers = [0n, 1n, 127n, 128n, 2n ** 28n - 1n, 2n ** 28n, 2n ** 32n, 2n ** 40n]
    .concat([2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, -1n, -(2n ** 53n) + 1n, -(2n ** 63n)]);
  const values = [
    ...integers.map((value) => integer(value)),
    ...[0, -0, 1.5, NaN, -Infinity].map((value) => primitive({ case: "floatValue", value })),
    ...["", "a", "ü", "x".repeat(127), "x".repeat(128), "x".repeat(20_000)]
      .map((value) => string(value)),
    primitive({ case: "boolean", value: false }),
    primitive({ case: "boolean", value: true }),
    ...[0, 1, 100, 200, 20_000, 70_000].flatMap((size) =>
      ["", "msgpack", "t".repeat(130), "ü"].map((tag) =>
        scalar({ case: "binary", value: { value: new Uint8Array(size).fill(size % 251), tag } })
      )
    ),
  ];
  for (const name of names) {
    for (const value of values) {
      const inputs = create(LiteralMapSchema);
      Object.defineProperty(inputs.literals, name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      const expected = toBinary(LiteralMapSchema, inputs);
      const what = `${JSON.stringify(name)}: ${hex(toBinary(LiteralSchema, value)).slice(0, 40)}`;
      assert.deepEqual(toBinaryDeterministic(LiteralMapSchema, inputs), expected, what);
      // Keyed as the same bytes: large binaries are hashed where they are, not copied.
      const pickled = new Uint8Array([...pickleBytesHeader(expected.length), ...expected, 0x2e]);
      assert.equal(
        calculateCacheKey("t", "1", inputs),
        `t-1-${hex(md5(pickled))}`,
        what,
      );
    }
  }
  // With a hash, metadata or among other entries: the same key as written the general way.
  const plain = literalMap({ b: integer(2n), a: integer(1n), c: string("s") });
  const hashed = literalMap({ b: integer(2n), a: { ...integer(1n), hash: "h" }, c: string("s") });
  assert.notEqual(calculateCacheKey("t", "1", plain), calculateCacheKey("t", "1", hashed));
  const withMetadata = literalMap({ b: integer(2n), a: integer(1n), c: string("s") });
  withMetadata.literals["a"]!.metadata = { k: "v" };
  const again = fromBinary(LiteralMapSchema, toBinaryDeterministic(LiteralMapSchema, withMetadata));
  assert.equal(again.literals["a"]!.metadata["k"], "v");
  assert.notEqual(calculateCacheKey("t", "1", plain), calculateCacheKey("t", "1", withMetadata));
});

test("errors name the message as the caller names it, and the path to the value", () => {
  assert.throws(
    () => toBinaryDeterministic(LiteralMapSchema, literalMap({ a: string("x\uDC00") }), "inputs"),
    {
      name: "TypeError",
      message: /^inputs\.literals\["a"\]\.scalar\.primitive\.stringValue: string .* unpaired/,
    },
  );
  assert.throws(
    () => toBinaryDeterministic(LiteralMapSchema, literalMap({ n: integer(2n ** 63n) })),
    {
      name: "RangeError",
      message: /^message\.literals\["n"\]\.scalar\.primitive\.integer: \d+n is out of range/,
    },
  );
});

test("chunks hand large byte fields out by reference and join to the same bytes", () => {
  const value = new Uint8Array(100_000).fill(9);
  const message = create(BinarySchema, { value, tag: "t" });
  const chunks = toBinaryDeterministicChunks(BinarySchema, message);
  assert.equal(chunks.length, 3);
  assert.equal(chunks[1], value);
  const joined = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) joined.set(chunk, (at += chunk.length) - chunk.length);
  assert.deepEqual(joined, toBinaryDeterministic(BinarySchema, message));
});

test("chunks are the caller's own: encodings after them (keys too) leave them as they were", () => {
  const small = literalMap({ o0: binary(new Uint8Array(1024).fill(1)) });
  const large = create(BinarySchema, { value: new Uint8Array(100_000).fill(2), tag: "t" });
  const smallChunks = toBinaryDeterministicChunks(LiteralMapSchema, small);
  const largeChunks = toBinaryDeterministicChunks(BinarySchema, large);
  const expected = [toBinary(LiteralMapSchema, small), toBinary(BinarySchema, large)];
  // Other encodings write over the writer these were made in.
  toBinaryDeterministicChunks(LiteralMapSchema, literalMap({ x: string("y".repeat(5000)) }));
  calculateCacheKey("task", "1", literalMap({ n: binary(new Uint8Array(3000).fill(3)) }));
  const join = (chunks: Uint8Array[]) => new Uint8Array(chunks.flatMap((chunk) => [...chunk]));
  assert.deepEqual(join(smallChunks), expected[0]);
  assert.deepEqual(join(largeChunks), expected[1]);
  // Not views of one buffer that a later encoding could reuse.
  assert.equal(smallChunks.length, 1);
  assert.equal(smallChunks[0]!.byteOffset, 0);
  assert.equal(smallChunks[0]!.buffer.byteLength, smallChunks[0]!.length);
});
