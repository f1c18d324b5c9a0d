/**
 * JS values to literals and back (src/values/values.ts, and the value types and literal maps it
 * gathers): round trips for every type, the exact literal shapes flytekit makes, the key vector
 * of FLYTEKIT_KEYS.md, hashes, and every refusal with the path and the reason. MessagePack's own
 * bytes are msgpack.test.ts's. Runs in Node, Deno and Bun.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type Literal,
  type LiteralMap,
  LiteralMapSchema,
  LiteralSchema,
} from "../../../gen/flyteidl/core/literals_pb.ts";
import { calculateCacheKey } from "../../../src/keys/key.ts";
import { millisecondsToMicroseconds } from "../../../src/values/time_types.ts";
import {
  fromLiteralMap,
  t,
  toLiteralMap,
  type ValueOf,
  type ValuesOf,
  type ValueType,
} from "../../../src/values/values.ts";
import { hex, refuses } from "../../support/conversion.ts";

/** The value after a trip through a literal and its protobuf bytes. */
function roundTrip<T>(type: ValueType<T>, value: unknown): T {
  const literal = type.toLiteral(value, "x");
  const parsed = fromBinary(LiteralSchema, toBinary(LiteralSchema, literal));
  return type.fromLiteral(parsed, "x");
}

function primitive(literal: Literal) {
  assert.equal(literal.value.case, "scalar");
  const scalar = literal.value.value;
  assert.equal(scalar.value.case, "primitive");
  return scalar.value.value.value;
}

// ---------------------------------------------------------------------------------------------
// Literal shapes

test("t.int, t.bigint: Primitive.integer", () => {
  assert.deepEqual(primitive(t.int.toLiteral(42, "x")), { case: "integer", value: 42n });
  assert.deepEqual(primitive(t.int.toLiteral(-0, "x")), { case: "integer", value: 0n });
  assert.deepEqual(primitive(t.bigint.toLiteral(-(2n ** 63n), "x")), {
    case: "integer",
    value: -(2n ** 63n),
  });
  assert.deepEqual(primitive(t.bigint.toLiteral(7, "x")), { case: "integer", value: 7n });
  for (const n of [0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
    assert.equal(roundTrip(t.int, n), n);
  }
  for (const n of [0n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n]) {
    assert.equal(roundTrip(t.bigint, n), n);
  }
  // Reading an integer beyond the safe range with t.int is refused, with advice.
  const big = t.bigint.toLiteral(2n ** 60n, "x");
  refuses(() => t.int.fromLiteral(big, "outputs.n"), "outputs.n", /safe integers.*t\.bigint/);
});

test("t.float: Primitive.float_value, every number", () => {
  assert.deepEqual(primitive(t.float.toLiteral(1, "x")), { case: "floatValue", value: 1 });
  for (const x of [0, -0, 1.5, NaN, Infinity, -Infinity, 5e-324, Number.MAX_VALUE, 2 ** 60]) {
    assert.ok(Object.is(roundTrip(t.float, x), x), String(x));
  }
});

test("t.string, t.boolean, t.none", () => {
  assert.deepEqual(primitive(t.string.toLiteral("", "x")), { case: "stringValue", value: "" });
  for (const s of ["", "hello", "\u{1F600}é\uFFFF\u0000", "x".repeat(70000)]) {
    assert.equal(roundTrip(t.string, s), s);
  }
  assert.deepEqual(primitive(t.boolean.toLiteral(false, "x")), { case: "boolean", value: false });
  assert.equal(roundTrip(t.boolean, true), true);
  assert.equal(roundTrip(t.boolean, false), false);
  for (const none of [null, undefined]) {
    const literal = t.none.toLiteral(none, "x");
    assert.equal(literal.value.case, "scalar");
    assert.equal(literal.value.value.value.case, "noneType");
    assert.equal(roundTrip(t.none, none), null);
  }
});

test("t.datetime: Timestamp seconds = floor(ms / 1000), nanos >= 0", () => {
  const cases: [string, bigint, number][] = [
    ["1970-01-01T00:00:00.000Z", 0n, 0],
    ["2024-01-02T03:04:05.678Z", 1704164645n, 678_000_000],
    ["1969-12-31T23:59:59.999Z", -1n, 999_000_000],
    ["1969-12-31T23:59:59.000Z", -1n, 0],
    ["0001-01-01T00:00:00.000Z", -62135596800n, 0],
    ["9999-12-31T23:59:59.999Z", 253402300799n, 999_000_000],
  ];
  for (const [iso, seconds, nanos] of cases) {
    const date = new Date(iso);
    const value = primitive(t.datetime.toLiteral(date, "x"));
    assert.equal(value.case, "datetime");
    assert.equal(value.value.seconds, seconds, iso);
    assert.equal(value.value.nanos, nanos, iso);
    assert.equal(roundTrip(t.datetime, date).toISOString(), iso);
  }
  // Sub-millisecond digits are dropped toward the past.
  const fine = t.datetime.toLiteral(new Date(0), "x");
  (primitive(fine).value as { nanos: number }).nanos = 999_999;
  assert.equal(t.datetime.fromLiteral(fine, "x").getTime(), 0);
  (primitive(fine).value as { seconds: bigint }).seconds = -1n;
  assert.equal(t.datetime.fromLiteral(fine, "x").getTime(), -1000);
});

test("t.duration: milliseconds to Duration as FromTimedelta, microseconds as timedelta", () => {
  const cases: [number, bigint, number][] = [
    [0, 0n, 0],
    [1500, 1n, 500_000_000],
    [-1500, -1n, -500_000_000],
    [-0.001, 0n, -1000], // timedelta(microseconds=-1): seconds and nanos of one sign
    [0.0015, 0n, 2000], // 1.5 us: half to even
    [0.0025, 0n, 2000],
    [-0.0005, 0n, 0],
    [86_400_000 * 3 + 1.25, 259200n, 1_250_000],
  ];
  for (const [ms, seconds, nanos] of cases) {
    const value = primitive(t.duration.toLiteral(ms, "x"));
    assert.equal(value.case, "duration");
    assert.equal(value.value.seconds, seconds, String(ms));
    assert.equal(value.value.nanos, nanos, String(ms));
  }
  for (const ms of [0, 1, -1, 1.5, -1.5, 0.001, -0.001, 123456.789, 86_400_000 * 999_999_999]) {
    assert.equal(roundTrip(t.duration, ms), ms);
  }
  assert.equal(millisecondsToMicroseconds(0.0005), 0n); // Python: timedelta(milliseconds=0.0005)
  assert.equal(millisecondsToMicroseconds(0.0015), 2n);
  assert.equal(millisecondsToMicroseconds(-0.0015), -2n);
});

test("t.list, t.map: collection and map, nested", () => {
  const type = t.list(t.map(t.list(t.int)));
  assert.equal(type.name, "list<map<list<int>>>");
  const value = [{ a: [1, 2], b: [] }, {}, { ["__proto__"]: [3] }];
  value[2] = JSON.parse('{"__proto__": [3], "10": [4], "9": []}');
  const literal = type.toLiteral(value, "x");
  assert.equal(literal.value.case, "collection");
  const first = literal.value.value.literals[0]!;
  assert.equal(first.value.case, "map");
  assert.deepEqual(Object.keys(first.value.value.literals), ["a", "b"]);
  const back = roundTrip(type, value);
  assert.deepEqual(back, value);
  assert.ok(Object.hasOwn(back[2]!, "__proto__"));
  assert.equal(Object.getPrototypeOf(back[2]), Object.prototype);
  // A Map with string keys is a dict[str, T] too.
  assert.deepEqual(roundTrip(t.map(t.string), new Map([["k", "v"]])), { k: "v" });
  assert.deepEqual(roundTrip(t.list(t.none), [null, undefined]), [null, null]);
});

test("t.msgpack: Scalar.binary tagged msgpack, the bytes of msgpack.packb", () => {
  const literal = t.msgpack.toLiteral({ a: 1, b: "hello" }, "x");
  assert.equal(literal.value.case, "scalar");
  const scalar = literal.value.value.value;
  assert.equal(scalar.case, "binary");
  assert.equal(scalar.value.tag, "msgpack");
  // msgpack.packb({"a": 1, "b": "hello"}, use_bin_type=True)
  assert.equal(hex(scalar.value.value), "82a16101a162a568656c6c6f");
  const value = {
    n: null,
    list: [true, false, 0, -1, 1.5, -0, "s", new Uint8Array([1, 2])],
    nested: { deep: [{}, []] },
    big: 2n ** 64n - 1n,
  };
  assert.deepEqual(roundTrip(t.msgpack, value), value);
  assert.equal(roundTrip(t.msgpack, null), null);
  assert.equal(roundTrip(t.msgpack, "top"), "top");
  // A literal of another shape or tag is refused.
  const other = t.msgpack.toLiteral(1, "x");
  (other.value.value as { value: { value: { tag: string } } }).value.value.tag = "";
  refuses(() => t.msgpack.fromLiteral(other, "outputs.o"), "outputs.o", /tagged "msgpack"/);
});

test("t.hashed: the literal carries the hash; equal hashes give equal keys", () => {
  const frames = t.hashed(t.list(t.int), (rows) => `rows:${rows.length}`);
  assert.equal(frames.name, "hashed<list<int>>");
  const literal = frames.toLiteral([1, 2, 3], "x");
  assert.equal(literal.hash, "rows:3");
  assert.equal(literal.value.case, "collection");
  assert.deepEqual(frames.fromLiteral(literal, "x"), [1, 2, 3]);
  const schema = { df: frames, n: t.int };
  const one = calculateCacheKey("etl", "1", toLiteralMap(schema, { df: [1, 2, 3], n: 1 }));
  const two = calculateCacheKey("etl", "1", toLiteralMap(schema, { df: [7, 8, 9], n: 1 }));
  const three = calculateCacheKey("etl", "1", toLiteralMap(schema, { df: [1, 2], n: 1 }));
  assert.equal(one, two);
  assert.notEqual(one, three);
  refuses(
    () => t.hashed(t.int, () => "").toLiteral(1, "inputs.h"),
    "inputs.h",
    /non-empty string/,
  );
  refuses(
    () => t.hashed(t.int, () => 5 as unknown as string).toLiteral(1, "inputs.h"),
    "inputs.h",
    /non-empty string/,
  );
  const thrown = refuses(
    () =>
      t.hashed(t.int, () => {
        throw new Error("boom");
      }).toLiteral(1, "inputs.h"),
    "inputs.h",
    /threw: Error: boom/,
  );
  assert.ok(thrown.cause instanceof Error);
});

// ---------------------------------------------------------------------------------------------
// Literal maps and keys

test("the key vector of FLYTEKIT_KEYS.md, from values", () => {
  const schema = { a: t.int, b: t.string };
  const inputs = toLiteralMap(schema, { a: 1, b: "hello" });
  assert.equal(
    hex(toBinary(LiteralMapSchema, inputs)),
    "0a0b0a016112060a040a0208010a100a0162120b0a090a071a0568656c6c6f",
  );
  assert.equal(
    calculateCacheKey("my_task", "v1", inputs),
    "my_task-v1-7b8aa689be1c6dfb6c7059b9483342ec",
  );
  // The same inputs listed in another order: the same key.
  assert.equal(
    calculateCacheKey(
      "my_task",
      "v1",
      toLiteralMap({ b: t.string, a: t.int }, { b: "hello", a: 1 }),
    ),
    "my_task-v1-7b8aa689be1c6dfb6c7059b9483342ec",
  );
  assert.equal(
    calculateCacheKey("t.produce_dc", "1", toLiteralMap({}, {})),
    "t.produce_dc-1-ea65cfadb0079394a8be1f4aa1e96e2b",
  );
});

test("toLiteralMap and fromLiteralMap round trip every type", () => {
  const schema = {
    i: t.int,
    big: t.bigint,
    f: t.float,
    s: t.string,
    b: t.boolean,
    at: t.datetime,
    wait: t.duration,
    none: t.none,
    xs: t.list(t.float),
    m: t.map(t.list(t.string)),
    cfg: t.msgpack,
    h: t.hashed(t.string, (s) => s.toUpperCase()),
  };
  const values: ValuesOf<typeof schema> = {
    i: -7,
    big: 2n ** 62n,
    f: -0,
    s: "é\u{1F600}",
    b: true,
    at: new Date("2000-02-29T12:00:00.001Z"),
    wait: 90_061_001.5,
    none: null,
    xs: [NaN, Infinity],
    m: { k: ["v"], ["__proto__"]: [] },
    cfg: { depth: [1, { x: null }] },
    h: "hash me",
  };
  values.m = JSON.parse('{"k": ["v"], "__proto__": []}');
  const literals = toLiteralMap(schema, values);
  const parsed: LiteralMap = fromBinary(LiteralMapSchema, toBinary(LiteralMapSchema, literals));
  const back = fromLiteralMap(schema, parsed);
  assert.deepEqual(back, values);
  const i: ValueOf<typeof t.int> = back.i;
  assert.equal(i, -7);
  // `what` names the map in paths.
  refuses(() => fromLiteralMap({ q: t.int }, parsed, "outputs"), "outputs.q", /missing/);
  // Literals the schema does not name are ignored.
  assert.deepEqual(fromLiteralMap({ i: t.int }, parsed), { i: -7 });
  // Names that are not identifiers are quoted in paths.
  refuses(
    () => toLiteralMap({ "a b": t.int }, { "a b": "x" } as never),
    'inputs["a b"]',
    /expected an integer/,
  );
});

// ---------------------------------------------------------------------------------------------
// Refusals

test("refusals name the input path and the reason", () => {
  const schema = {
    n: t.int,
    big: t.bigint,
    s: t.string,
    items: t.list(t.int),
    cfg: t.msgpack,
    m: t.map(t.int),
  };
  const good: ValuesOf<typeof schema> = { n: 1, big: 1n, s: "", items: [], cfg: {}, m: {} };
  const withInput = (name: string, value: unknown) => () =>
    toLiteralMap(schema, { ...good, [name]: value } as never);

  refuses(withInput("n", 1.5), "inputs.n", /expected an integer.*t\.float/);
  refuses(withInput("n", NaN), "inputs.n", /expected an integer/);
  refuses(withInput("n", 2 ** 60), "inputs.n", /safe integers.*t\.bigint/);
  refuses(withInput("n", 5n), "inputs.n", /t\.bigint/);
  refuses(withInput("n", "1"), "inputs.n", /expected an integer.*string "1"/);
  refuses(withInput("big", 2n ** 63n), "inputs.big", /outside the int64 range/);
  refuses(withInput("big", -(2n ** 63n) - 1n), "inputs.big", /outside the int64 range/);
  refuses(withInput("big", 1.5), "inputs.big", /expected a bigint/);
  refuses(withInput("s", "a\uD800b"), "inputs.s", /lone surrogate/);
  refuses(withInput("s", "\uDC00"), "inputs.s", /lone surrogate/);
  refuses(withInput("items", [1, 2, 3, 0.5]), "inputs.items[3]", /expected an integer/);
  refuses(withInput("items", { 0: 1 }), "inputs.items", /expected an array/);
  refuses(withInput("m", { a: 1, "\uD83D": 2 }), 'inputs.m["\\ud83d"]', /lone surrogate/);
  refuses(withInput("m", new Map([[1, 1]])), "inputs.m[key]", /string keys/);
  refuses(withInput("m", [1]), "inputs.m", /plain object or a Map/);

  const cyclic: Record<string, unknown> = { a: { b: [] } };
  (cyclic.a as { b: unknown[] }).b.push(cyclic);
  refuses(withInput("cfg", cyclic), "inputs.cfg.a.b[0]", /cycle/);
  refuses(withInput("cfg", { a: { b: () => 1 } }), "inputs.cfg.a.b", /function/);
  refuses(withInput("cfg", { s: Symbol("x") }), "inputs.cfg.s", /symbol/);
  refuses(withInput("cfg", { [Symbol("k")]: 1 }), "inputs.cfg", /symbol-keyed/);
  refuses(withInput("cfg", [new Date(0)]), "inputs.cfg[0]", /Date.*datetime/);
  refuses(withInput("cfg", [1, undefined]), "inputs.cfg[1]", /undefined.*null/);
  refuses(withInput("cfg", undefined), "inputs.cfg", /undefined/);
  refuses(withInput("cfg", { x: new Set() }), "inputs.cfg.x", /instance of Set/);
  refuses(withInput("cfg", { x: new (class Point {})() }), "inputs.cfg.x", /instance of Point/);
  refuses(withInput("cfg", { x: new Float64Array(1) }), "inputs.cfg.x", /Float64Array/);
  refuses(withInput("cfg", { k: "\uDFFF" }), "inputs.cfg.k", /lone surrogate/);
  refuses(withInput("cfg", { "\uDFFF": 1 }), 'inputs.cfg["\\udfff"]', /lone surrogate/);
  refuses(withInput("cfg", { n: 2n ** 64n }), "inputs.cfg.n", /OverflowError/);
  refuses(withInput("cfg", { n: -(2n ** 63n) - 1n }), "inputs.cfg.n", /OverflowError/);
  refuses(withInput("cfg", new Map([[{}, 1]])), "inputs.cfg[key]", /Map key/);

  refuses(
    () => toLiteralMap(schema, { ...good, extra: 1 } as never),
    "inputs.extra",
    /not in the schema/,
  );
  const { n: _n, ...missing } = good;
  refuses(() => toLiteralMap(schema, missing as never), "inputs.n", /missing/);
  refuses(() => toLiteralMap(schema, null as never), "inputs", /object of values/);
  refuses(
    () => toLiteralMap(schema, 1 as never, "outputs"),
    "outputs",
    /object/,
  );
  assert.throws(() => toLiteralMap({ n: 1 } as never, {} as never), TypeError);
  assert.throws(() => t.list(undefined as never), /expected a ValueType/);

  // Reading a literal of the wrong shape.
  const text = t.string.toLiteral("x", "x");
  refuses(
    () => t.int.fromLiteral(text, "outputs.n"),
    "outputs.n",
    /primitive integer.*stringValue/,
  );
  refuses(() => t.list(t.int).fromLiteral(text, "o"), "o", /a collection/);
  refuses(() => t.map(t.int).fromLiteral(text, "o"), "o", /a map/);
  refuses(() => t.none.fromLiteral(text, "o"), "o", /noneType/);
  refuses(() => t.msgpack.fromLiteral(create(LiteralSchema), "o"), "o", /empty literal/);
  refuses(() => t.datetime.toLiteral(new Date(NaN), "d"), "d", /invalid/);
  refuses(() => t.datetime.toLiteral(new Date("+010000-01-01T00:00:00Z"), "d"), "d", /9999/);
  refuses(() => t.duration.toLiteral(Infinity, "d"), "d", /finite/);
  refuses(() => t.duration.toLiteral(8.64e16, "d"), "d", /timedelta/);
  refuses(() => t.float.toLiteral(1n, "f"), "f", /Number\(value\)/);
});
