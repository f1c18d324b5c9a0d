import assert from "node:assert/strict";
import { test } from "node:test";
import { clone, create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { bytesToHex as hex } from "@noble/hashes/utils.js";
import {
  type Literal,
  type LiteralMap,
  LiteralMapSchema,
  LiteralSchema,
} from "../../../gen/flyteidl/core/literals_pb.ts";
import { toBinaryDeterministic } from "../../../src/keys/deterministic.ts";
import { joblibHashBytes } from "../../../src/keys/joblib.ts";
import { calculateCacheKey, recursiveHashPlacement } from "../../../src/keys/key.ts";
import {
  binary,
  blob,
  collection,
  integer,
  literalMap,
  map,
  string,
} from "../../support/literals.ts";

// The vectors of FLYTEKIT_KEYS.md, made with flytekit's reference stack.
test("vector: empty inputs (pinned by flytekit's own tests)", () => {
  assert.equal(
    calculateCacheKey("t.produce_dc", "1", literalMap()),
    "t.produce_dc-1-ea65cfadb0079394a8be1f4aa1e96e2b",
  );
});

test("vector: an integer and a string", () => {
  const inputs = literalMap({ a: integer(1n), b: string("hello") });
  assert.equal(
    hex(toBinaryDeterministic(LiteralMapSchema, inputs)),
    "0a0b0a016112060a040a0208010a100a0162120b0a090a071a0568656c6c6f",
  );
  assert.equal(
    calculateCacheKey("my_task", "v1", inputs),
    "my_task-v1-7b8aa689be1c6dfb6c7059b9483342ec",
  );
});

test("vector: an ignored input", () => {
  const inputs = literalMap({ a: integer(1n), run_id: string("r-77") });
  assert.equal(
    calculateCacheKey("my_task", "v1", inputs, ["run_id"]),
    "my_task-v1-5ee87946abccc6a877914d0b918dc4ec",
  );
});

test("vectors: hash placement gives two blobs with one hash one key", () => {
  const expected = "etl.load-3-8a88cc99a69575dd67d5f534cc2fd590";
  assert.equal(
    calculateCacheKey("etl.load", "3", literalMap({ df: blob("s3://b/k", "abc123") })),
    expected,
  );
  assert.equal(
    calculateCacheKey("etl.load", "3", literalMap({ df: blob("s3://other/path", "abc123") })),
    expected,
  );
});

test("the key does not depend on map insertion order, at any depth", () => {
  const names = ["b", "10", "a", "9", "\u{1F600}", "\uFFFD", "", "ä"];
  // The same maps three levels deep, with Literal.metadata and a Struct at the bottom, their
  // entries inserted in one order or in the reverse order at every level.
  const build = (order: (list: string[]) => string[], depth: number): Literal => {
    const entries: Record<string, Literal> = {};
    for (const name of order(names)) {
      entries[name] = depth === 0
        ? create(LiteralSchema, {
          metadata: Object.fromEntries(order(names).map((n) => [n, name])),
          value: {
            case: "scalar",
            value: {
              value: {
                case: "generic",
                value: Object.fromEntries(order(names).map((n) => [n, { [n]: 1, [name]: 2 }])),
              },
            },
          },
        })
        : build(order, depth - 1);
    }
    return map(entries);
  };
  const forward = build((list) => list, 3);
  const backward = build((list) => [...list].reverse(), 3);
  // The orders differ below the top level too, where protobuf-es writes them as inserted.
  const inner = (literal: Literal) => (literal.value.value as LiteralMap).literals["b"]!;
  assert.notEqual(
    hex(toBinary(LiteralSchema, inner(inner(forward)))),
    hex(toBinary(LiteralSchema, inner(inner(backward)))),
  );
  assert.equal(
    calculateCacheKey("t", "1", literalMap({ x: forward })),
    calculateCacheKey("t", "1", literalMap({ x: backward })),
  );
  assert.equal(
    hex(toBinaryDeterministic(LiteralSchema, inner(inner(forward)))),
    hex(toBinaryDeterministic(LiteralSchema, inner(inner(backward)))),
  );
});

test("an ignored input does not change the key; a non-ignored one does", () => {
  const base = literalMap({ a: integer(1n) });
  const withRunId = literalMap({ a: integer(1n), run_id: string("r-1") });
  const otherRunId = literalMap({ a: integer(1n), run_id: string("r-2") });
  assert.equal(
    calculateCacheKey("t", "1", withRunId, ["run_id"]),
    calculateCacheKey("t", "1", base),
  );
  assert.equal(
    calculateCacheKey("t", "1", withRunId, ["run_id"]),
    calculateCacheKey("t", "1", otherRunId, ["run_id"]),
  );
  assert.notEqual(calculateCacheKey("t", "1", withRunId), calculateCacheKey("t", "1", otherRunId));
  assert.notEqual(calculateCacheKey("t", "1", withRunId), calculateCacheKey("t", "1", base));
  assert.notEqual(
    calculateCacheKey("t", "1", literalMap({ a: integer(2n) })),
    calculateCacheKey("t", "1", base),
  );
});

test("ignore names that are not inputs are not an error", () => {
  const inputs = literalMap({ a: integer(1n) });
  assert.equal(
    calculateCacheKey("t", "1", inputs, ["nope", "also-not"]),
    calculateCacheKey("t", "1", inputs),
  );
});

test("task name and version are concatenated as they are", () => {
  const key = calculateCacheKey("a-b/c d", "v-1 ü", literalMap());
  assert.equal(key, "a-b/c d-v-1 ü-ea65cfadb0079394a8be1f4aa1e96e2b");
});

test("recursiveHashPlacement follows flytekit's rules and never changes its argument", () => {
  const withMetadata = create(LiteralSchema, { ...string("x"), metadata: { m: "1" } });
  const hashedCollection = create(LiteralSchema, {
    ...collection(blob("s3://a", "h1")),
    hash: "outer",
  });
  const tree = create(LiteralSchema, {
    metadata: { dropped: "yes" },
    value: {
      case: "collection",
      value: {
        literals: [
          blob("s3://x", "h2"),
          map({ k: blob("s3://y", "h3"), m: withMetadata }),
          hashedCollection,
        ],
      },
    },
  });
  const before = clone(LiteralSchema, tree);
  const placed = recursiveHashPlacement(tree);
  assert.ok(equals(LiteralSchema, tree, before), "the argument is unchanged");
  const expected = collection(
    create(LiteralSchema, { hash: "h2" }),
    map({ k: create(LiteralSchema, { hash: "h3" }), m: withMetadata }),
    create(LiteralSchema, { hash: "outer" }),
  );
  assert.ok(equals(LiteralSchema, placed, expected), "placements as flytekit makes them");
  // The base case returns a copy, not the argument.
  const scalar = string("y");
  const copy = recursiveHashPlacement(scalar);
  assert.notEqual(copy, scalar);
  assert.ok(equals(LiteralSchema, copy, scalar));
});

test("the key of an input with a hash depends only on its hash", () => {
  const a = literalMap({
    x: create(LiteralSchema, { ...binary(new Uint8Array(1000).fill(1)), hash: "same" }),
  });
  const b = literalMap({
    x: create(LiteralSchema, { ...binary(new Uint8Array(10).fill(2)), hash: "same" }),
  });
  assert.equal(calculateCacheKey("t", "1", a), calculateCacheKey("t", "1", b));
});

test("bad arguments are refused with errors that say what and where", () => {
  const inputs = literalMap();
  assert.throws(() => calculateCacheKey(1 as unknown as string, "1", inputs), {
    name: "TypeError",
    message: /taskName must be a string, got number 1/,
  });
  assert.throws(
    () => calculateCacheKey("t", undefined as unknown as string, inputs),
    /cacheVersion must be a string/,
  );
  assert.throws(
    () => calculateCacheKey("t", "1", { literals: {} } as unknown as typeof inputs),
    {
      name: "TypeError",
      message: /inputLiteralMap must be a flyteidl.core.LiteralMap message.*plain object/,
    },
  );
  assert.throws(
    () => calculateCacheKey("t", "1", create(LiteralSchema) as unknown as typeof inputs),
    /got a flyteidl.core.Literal message/,
  );
  assert.throws(() => calculateCacheKey("t", "1", inputs, "run_id" as unknown as string[]), {
    name: "TypeError",
    message: /cacheIgnoreInputVars must be an array/,
  });
  assert.throws(() => calculateCacheKey("t", "1", inputs, ["ok", 3 as unknown as string]), {
    name: "TypeError",
    message: /cacheIgnoreInputVars\[1\] must be a string/,
  });
});

test("unpaired surrogates are refused wherever they are, never replaced", () => {
  const cases: [string, ReturnType<typeof literalMap>, RegExp][] = [
    [
      "a map key",
      literalMap({ "a\uD800": integer(1n) }),
      /inputLiteralMap\.literals\["a\\ud800"\]: string/,
    ],
    [
      "a string value",
      literalMap({ a: string("x\uDC00") }),
      /literals\["a"\]\.scalar\.primitive\.stringValue: string/,
    ],
    [
      "metadata",
      literalMap({ a: create(LiteralSchema, { ...integer(1n), metadata: { k: "\uD83D" } }) }),
      /literals\["a"\]\.metadata\["k"\]: string/,
    ],
    [
      "a nested map key",
      literalMap({ a: map({ "\uDE00": integer(1n) }) }),
      /literals\["a"\]\.map\.literals\["\\ude00"\]/,
    ],
  ];
  for (const [what, inputs, where] of cases) {
    assert.throws(() => calculateCacheKey("t", "1", inputs), (error: Error) => {
      assert.equal(error.name, "TypeError", what);
      assert.match(error.message, where, what);
      assert.match(error.message, /unpaired surrogate/, what);
      return true;
    });
  }
  // A well-formed pair is fine.
  assert.doesNotThrow(() => calculateCacheKey("t", "1", literalMap({ a: string("\uD83D\uDE00") })));
});

test("integers out of range are refused with a RangeError naming the field", () => {
  for (const value of [2n ** 63n, -(2n ** 63n) - 1n]) {
    assert.throws(() => calculateCacheKey("t", "1", literalMap({ n: integer(value) })), {
      name: "RangeError",
      message: /literals\["n"\]\.scalar\.primitive\.integer: -?\d+n is out of range for int64/,
    });
  }
  for (const value of [2n ** 63n - 1n, -(2n ** 63n)]) {
    assert.doesNotThrow(() => calculateCacheKey("t", "1", literalMap({ n: integer(value) })));
  }
  const offloaded = create(LiteralSchema, {
    value: { case: "offloadedMetadata", value: { uri: "s3://x", sizeBytes: -1n } },
  });
  assert.throws(() => calculateCacheKey("t", "1", literalMap({ o: offloaded })), {
    name: "RangeError",
    message: /offloadedMetadata\.sizeBytes: -1n is out of range for uint64/,
  });
});

test("values of the wrong type inside the inputs are refused", () => {
  const wrongElement = literalMap({ a: integer(1n) });
  (wrongElement.literals as Record<string, unknown>).b = { value: { case: "scalar" } };
  assert.throws(() => calculateCacheKey("t", "1", wrongElement), {
    name: "TypeError",
    message: /literals\["b"\]: expected a flyteidl.core.Literal message, got a plain object/,
  });
  const notJson = literalMap({
    g: create(LiteralSchema, {
      value: {
        case: "scalar",
        value: { value: { case: "generic", value: { x: [1, 2n as unknown as number] } } },
      },
    }),
  });
  assert.throws(() => calculateCacheKey("t", "1", notJson), {
    name: "TypeError",
    message: /scalar\.generic\["x"\]\[1\]: expected a JSON value/,
  });
});

test("a hash or a oneof of the wrong type is refused, not keyed as an empty literal", () => {
  const cases: [string, (literal: Record<string, unknown>) => void, RegExp][] = [
    ["hash null", (l) => (l.hash = null), /literals\["x"\]\.hash: expected a string, got null/],
    ["hash undefined", (l) => (l.hash = undefined), /\.hash: expected a string, got undefined/],
    ["value true", (l) => (l.value = true), /literals\["x"\]\.value: expected \{ case, value \}/],
    ["unknown case", (l) => (l.value = { case: "nope", value: 1 }), /case among scalar, /],
    ["no metadata map", (l) => (l.metadata = undefined), /\.metadata: expected an object/],
  ];
  for (const [what, damage, message] of cases) {
    const inputs = literalMap({ x: integer(1n) });
    damage(inputs.literals.x as unknown as Record<string, unknown>);
    assert.throws(() => calculateCacheKey("t", "1", inputs), { name: "TypeError", message }, what);
  }
});

test("a non-message inside a collection or map is refused, not hashed as empty", () => {
  const inputs = literalMap({ c: collection(integer(1n)), m: map({ k: integer(1n) }) });
  const c = inputs.literals.c!.value;
  const m = inputs.literals.m!.value;
  assert.ok(c.case === "collection" && m.case === "map");
  (c.value.literals as unknown[]).push({ hash: "h" });
  assert.throws(() => calculateCacheKey("t", "1", inputs), {
    name: "TypeError",
    message: /literals\["c"\]\.collection\.literals\[1\]: expected a flyteidl.core.Literal message/,
  });
  c.value.literals.pop();
  (m.value.literals as Record<string, unknown>).bad = "text";
  assert.throws(() => calculateCacheKey("t", "1", inputs), {
    name: "TypeError",
    message:
      /literals\["m"\]\.map\.literals\["bad"\]: expected a flyteidl.core.Literal message, got "text"/,
  });
});

test("an input or map entry named __proto__ is an entry like any other", () => {
  // protobuf-es parses such a name as an ordinary entry; Python keys on it.
  const parsed = (hex: string) =>
    fromBinary(LiteralMapSchema, Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16)));
  // {"__proto__": collection[integer 1]}: Python gives t-1-2247390c73a6360c85436b2d1e665d92.
  const top = create(LiteralMapSchema);
  Object.defineProperty(top.literals, "__proto__", {
    value: collection(integer(1n)),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  assert.equal(calculateCacheKey("t", "1", top), "t-1-2247390c73a6360c85436b2d1e665d92");
  // A nested map {"x": {"__proto__": integer 5}}, as bytes: Python's key.
  const nested = parsed("0a1c0a017812171a150a130a095f5f70726f746f5f5f12060a040a020805");
  assert.equal(calculateCacheKey("t", "1", nested), "t-1-d95aa8408456e97479dcb2f67e45cad1");
  const placed = recursiveHashPlacement(nested.literals.x!);
  assert.equal(placed.value.case === "map" && Object.keys(placed.value.value.literals).length, 1);
});

test("inputs nested past the stack's depth are refused naming the input and its depth", () => {
  // Deep enough to exhaust the stack of Node and Deno alike.
  let deep = integer(1n);
  for (let i = 0; i < 100_000; i++) deep = collection(deep);
  const inputs = literalMap({ a: integer(1n), deep, z: string("z") });
  assert.throws(
    () => calculateCacheKey("t", "1", inputs),
    (error: unknown) => {
      assert.ok(error instanceof RangeError, String(error));
      assert.match(
        error.message,
        /^calculateCacheKey: inputLiteralMap\.literals\["deep"\] is nested 200003 messages deep, deeper than this runtime's stack lets the key be computed/,
      );
      return true;
    },
  );
  // A cycle is named as one.
  const cyclic = collection();
  (cyclic.value.value as { literals: Literal[] }).literals.push(cyclic);
  assert.throws(
    () => calculateCacheKey("t", "1", literalMap({ cyclic })),
    /^RangeError: calculateCacheKey: inputLiteralMap\.literals\["cyclic"\] holds a cycle/,
  );
});

test("an input with a hash or ignored keys without its value, except for times flytekit cannot hold", () => {
  const error = create(LiteralSchema, {
    value: {
      case: "scalar",
      value: { value: { case: "error", value: { message: "failed" } } },
    },
  });
  // flytekit refuses a Scalar.error where it is keyed, not where its value is left out.
  assert.throws(() => calculateCacheKey("t", "1", literalMap({ e: error })), TypeError);
  const hashed = create(LiteralSchema, { ...error, hash: "h" });
  assert.equal(
    calculateCacheKey("t", "1", literalMap({ e: hashed })),
    calculateCacheKey("t", "1", literalMap({ e: create(LiteralSchema, { hash: "h" }) })),
  );
  assert.equal(
    calculateCacheKey("t", "1", literalMap({ a: integer(1n), e: error }), ["e"]),
    calculateCacheKey("t", "1", literalMap({ a: integer(1n) })),
  );
  // A datetime past year 9999 fails flytekit's conversion of every input, ignored or not.
  const late = create(LiteralSchema, {
    value: {
      case: "scalar",
      value: {
        value: {
          case: "primitive",
          value: { value: { case: "datetime", value: { seconds: 253402300800n } } },
        },
      },
    },
  });
  assert.throws(
    () => calculateCacheKey("t", "1", literalMap({ a: integer(1n), late }), ["late"]),
    /^RangeError: calculateCacheKey: inputLiteralMap\.literals\["late"\] \(ignored\)\.scalar\.primitive\.datetime: 253402300800 s 0 ns is outside the years 1 to 9999/,
  );
});

test("large binaries, hashed where they are rather than copied, give the key of their bytes", () => {
  const bytes = (n: number, seed: number) =>
    Uint8Array.from({ length: n }, (_, i) => (i * seed) & 0xff);
  // Around the size from which the key hashes a binary in place, at any depth, in any company;
  // one at an odd offset of its buffer.
  const unaligned = new Uint8Array(70_001).subarray(1);
  unaligned.set(bytes(70_000, 7));
  const cases: Record<string, Literal>[] = [
    { a: binary(bytes(64 * 1024 - 1, 3)) },
    { a: binary(bytes(64 * 1024, 3), "msgpack"), b: integer(1n) },
    { big: binary(bytes(300_000, 5)), n: integer(7n), s: string("x") },
    {
      c: collection(binary(bytes(100_000, 11)), binary(unaligned)),
      m: map({ z: binary(unaligned) }),
    },
    {
      hashed: { ...binary(bytes(100_000, 13)), hash: "h" } as Literal,
      kept: binary(bytes(65_536, 1)),
    },
  ];
  for (const literals of cases) {
    const inputs = literalMap(literals);
    const placed = literalMap(
      Object.fromEntries(Object.entries(literals).map(([k, v]) => [k, recursiveHashPlacement(v)])),
    );
    const expected = joblibHashBytes(toBinaryDeterministic(LiteralMapSchema, placed));
    assert.equal(
      calculateCacheKey("t", "1", inputs),
      `t-1-${expected}`,
      Object.keys(literals).join(),
    );
    assert.equal(
      calculateCacheKey("t", "1", inputs, ["nothing"]),
      `t-1-${expected}`,
      `${Object.keys(literals).join()} (an ignore list)`,
    );
  }
});

test("keys in a row, of the same names or others, in one order or another, each right", () => {
  const reference = (literals: Record<string, Literal>, ignore: string[] = []) => {
    const kept = Object.fromEntries(Object.entries(literals).filter(([k]) => !ignore.includes(k)));
    return `t-1-${joblibHashBytes(toBinaryDeterministic(LiteralMapSchema, literalMap(kept)))}`;
  };
  const names = ["b", "a", "x10", "x9", "\u{1F600}", "\uFFFD", "c"];
  const sequence: [Record<string, Literal>, string[]][] = [];
  for (let round = 0; round < 3; round++) {
    for (const order of [names, names.slice().reverse(), names.slice(2), names.slice(0, 3)]) {
      const literals: Record<string, Literal> = {};
      order.forEach((name, i) => (literals[name] = integer(BigInt(i + round))));
      sequence.push([literals, []], [literals, []], [literals, ["a"]], [literals, ["a"]]);
    }
  }
  for (const [literals, ignore] of sequence) {
    assert.equal(
      calculateCacheKey("t", "1", literalMap(literals), ignore),
      reference(literals, ignore),
      `${Object.keys(literals).join()} ignoring ${ignore.join()}`,
    );
  }
});

test("keys of many inputs in a row (past the names kept for any inputs), each right", () => {
  const reference = (inputs: LiteralMap) =>
    `t-1-${
      joblibHashBytes(toBinaryDeterministic(LiteralMapSchema, clone(LiteralMapSchema, inputs)))
    }`;
  const many = (n: number, prefix = "x") => {
    const inputs = create(LiteralMapSchema);
    for (let i = 0; i < n; i++) inputs.literals[`${prefix}${i}`] = integer(BigInt(i));
    return inputs;
  };
  for (const n of [10_000, 10_001, 12_345]) {
    const inputs = many(n);
    const key = calculateCacheKey("t", "1", inputs);
    assert.equal(key, reference(inputs), `${n} names`);
    // The same object again, then changed in place: one name for another (as many names, in
    // the same order of listing but for the last), then a value.
    assert.equal(calculateCacheKey("t", "1", inputs), key);
    delete inputs.literals["x5"];
    inputs.literals["a5"] = integer(5n);
    const renamed = calculateCacheKey("t", "1", inputs);
    assert.notEqual(renamed, key);
    assert.equal(renamed, reference(inputs), `${n} names, one renamed`);
    inputs.literals["x7"] = integer(-7n);
    assert.equal(calculateCacheKey("t", "1", inputs), reference(inputs), `${n} names, one changed`);
    // Other objects of as many names: the same names listed in another order, other names.
    const reversed = create(LiteralMapSchema);
    for (const name of Object.keys(inputs.literals).reverse()) {
      reversed.literals[name] = inputs.literals[name]!;
    }
    assert.equal(calculateCacheKey("t", "1", reversed), reference(inputs), `${n} names, reversed`);
    const others = many(n, "y");
    assert.equal(calculateCacheKey("t", "1", others), reference(others), `${n} other names`);
    // As many names kept, all of them inputs, but other ones: one ignored, then another.
    const without = (name: string) =>
      create(LiteralMapSchema, {
        literals: Object.fromEntries(Object.entries(inputs.literals).filter(([k]) => k !== name)),
      });
    for (const name of ["x7", "x8", "x7"]) {
      assert.equal(
        calculateCacheKey("t", "1", inputs, [name]),
        reference(without(name)),
        `${n} names, ${name} ignored`,
      );
    }
  }
});
