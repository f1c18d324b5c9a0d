/**
 * MessagePack (src/values/msgpack.ts: the encoder and the decoder): the smallest int forms,
 * floats, every header boundary, map order and keys, bin copies, nesting limits and what
 * decoding refuses, byte for byte as Python's msgpack writes them. Runs in Node, Deno and Bun.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { decodeMsgpack, encodeMsgpack, MSGPACK_MAX_DEPTH } from "../../../src/values/msgpack.ts";
import { fromHex, hex, refuses } from "../../support/conversion.ts";

test("msgpack: the smallest int forms, as Python writes them", () => {
  const cases: [number | bigint, string][] = [
    [0, "00"],
    [127, "7f"],
    [128, "cc80"],
    [255, "ccff"],
    [256, "cd0100"],
    [65535, "cdffff"],
    [65536, "ce00010000"],
    [2 ** 32 - 1, "ceffffffff"],
    [2 ** 32, "cf0000000100000000"],
    [-1, "ff"],
    [-32, "e0"],
    [-33, "d0df"],
    [-128, "d080"],
    [-129, "d1ff7f"],
    [-32768, "d18000"],
    [-32769, "d2ffff7fff"],
    [-(2 ** 31), "d280000000"],
    [-(2 ** 31) - 1, "d3ffffffff7fffffff"],
    [2 ** 53 - 1, "cf001fffffffffffff"],
    [-(2 ** 53 - 1), "d3ffe0000000000001"],
    [2n ** 63n - 1n, "cf7fffffffffffffff"],
    [2n ** 64n - 1n, "cfffffffffffffffff"],
    [-(2n ** 63n), "d38000000000000000"],
    [5n, "05"],
    [-33n, "d0df"],
    [2n ** 32n, "cf0000000100000000"],
  ];
  for (const [value, bytes] of cases) {
    assert.equal(hex(encodeMsgpack(value)), bytes, String(value));
    const back = decodeMsgpack(fromHex(bytes));
    assert.equal(
      back,
      typeof value === "bigint" && value >= -(2n ** 53n) && value < 2n ** 53n
        ? Number(value)
        : value,
    );
  }
});

test("msgpack: floats as float64, -0 and NaN included", () => {
  const cases: [number, string][] = [
    [1.5, "cb3ff8000000000000"],
    [-0, "cb8000000000000000"],
    [NaN, "cb7ff8000000000000"],
    [Infinity, "cb7ff0000000000000"],
    [2 ** 64, "cb43f0000000000000"],
    [2 ** 53, "cb4340000000000000"],
  ];
  for (const [value, bytes] of cases) {
    assert.equal(hex(encodeMsgpack(value)), bytes, String(value));
    assert.ok(Object.is(decodeMsgpack(fromHex(bytes)), value));
  }
  // A float32 (Python writes none) reads as a number.
  assert.equal(decodeMsgpack(fromHex("ca3fc00000")), 1.5);
});

test("msgpack: str, bin, array and map headers at every boundary", () => {
  const header = (bytes: Uint8Array, n: number) => hex(bytes.subarray(0, n));
  for (
    const [length, head] of [
      [0, "a0"],
      [31, "bf"],
      [32, "d920"],
      [255, "d9ff"],
      [256, "da0100"],
      [65535, "daffff"],
      [65536, "db00010000"],
    ] as const
  ) {
    const ascii = encodeMsgpack("x".repeat(length));
    assert.equal(header(ascii, head.length / 2), head);
    assert.equal(ascii.length, head.length / 2 + length);
    assert.equal(decodeMsgpack(ascii), "x".repeat(length));
  }
  // Lengths are UTF-8 bytes: 8 astral characters are 32 bytes (str 8).
  assert.equal(hex(encodeMsgpack("\u{1F600}".repeat(8)).subarray(0, 2)), "d920");
  assert.equal(hex(encodeMsgpack("é".repeat(15)).subarray(0, 1)), "be");
  assert.equal(decodeMsgpack(encodeMsgpack("\uFEFFbom")), "\uFEFFbom");
  for (
    const [length, head] of [[0, "c400"], [255, "c4ff"], [256, "c50100"], [
      65536,
      "c600010000",
    ]] as const
  ) {
    const bytes = encodeMsgpack(new Uint8Array(length).fill(7));
    assert.equal(header(bytes, head.length / 2), head);
    assert.deepEqual(decodeMsgpack(bytes), new Uint8Array(length).fill(7));
  }
  for (
    const [length, head] of [[0, "90"], [15, "9f"], [16, "dc0010"], [65536, "dd00010000"]] as const
  ) {
    const array = new Array(length).fill(0);
    assert.equal(header(encodeMsgpack(array), head.length / 2), head);
    assert.deepEqual(decodeMsgpack(encodeMsgpack(array)), array);
  }
  for (
    const [size, head] of [[0, "80"], [15, "8f"], [16, "de0010"], [65536, "df00010000"]] as const
  ) {
    const object: Record<string, number> = {};
    for (let i = 0; i < size; i++) object[`k${i}`] = i;
    assert.equal(header(encodeMsgpack(object), head.length / 2), head);
    assert.deepEqual(decodeMsgpack(encodeMsgpack(object)), object);
  }
});

test("msgpack: maps in iteration order; Maps with non-string keys; __proto__", () => {
  // Object.keys order: integer-like keys first.
  assert.equal(hex(encodeMsgpack({ b: 1, 1: 2 })), "82a13102a16201");
  assert.equal(hex(encodeMsgpack(new Map([["b", 1], ["1", 2]]))), "82a16201a13102");
  // msgpack.packb({1: 2, "a": b"x", 1.5: None, True: None, None: 0}, use_bin_type=True)
  const mixed = new Map<unknown, unknown>([
    [1, 2],
    ["a", new Uint8Array([0x78])],
    [1.5, null],
    [
      true,
      null,
    ],
    [null, 0],
    [2n ** 64n - 1n, 1],
  ]);
  assert.equal(
    hex(encodeMsgpack(mixed)),
    "860102a161c40178cb3ff8000000000000c0c3c0c000cfffffffffffffffff01",
  );
  assert.deepEqual(decodeMsgpack(encodeMsgpack(mixed)), mixed);
  // "__proto__" is an own key both ways.
  const proto = JSON.parse('{"__proto__": {"x": 1}, "y": 2}');
  const bytes = encodeMsgpack(proto);
  assert.equal(hex(bytes), "82a95f5f70726f746f5f5f81a17801a17902");
  const back = decodeMsgpack(bytes) as Record<string, unknown>;
  assert.deepEqual(Object.keys(back), ["__proto__", "y"]);
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.deepEqual(back, proto);
  // A repeated key keeps its first place and its last value, as a Python dict.
  assert.deepEqual(decodeMsgpack(fromHex("83a16101a16202a16103")), { a: 3, b: 2 });
  // Null-prototype objects are plain; a shared (not cyclic) object is written twice.
  const shared = Object.assign(Object.create(null), { k: 1 });
  assert.equal(hex(encodeMsgpack([shared, shared])), "9281a16b0181a16b01");
});

test("msgpack: bin decodes to a plain Uint8Array copy, also from a Node Buffer", () => {
  const source = Buffer.from("c403010203", "hex");
  const value = decodeMsgpack(source) as Uint8Array;
  assert.equal(Object.getPrototypeOf(value), Uint8Array.prototype);
  assert.deepEqual(value, new Uint8Array([1, 2, 3]));
  source[2] = 9;
  assert.equal(value[0], 1);
  // A Buffer is a Uint8Array: written as bin.
  assert.equal(hex(encodeMsgpack(Buffer.from([1, 2]))), "c4020102");
  // A subarray writes only its own bytes.
  assert.equal(hex(encodeMsgpack(new Uint8Array([1, 2, 3, 4]).subarray(1, 3))), "c4020203");
});

test("msgpack: nesting up to Python's limit of 511", () => {
  const nest = (depth: number) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  };
  assert.equal(MSGPACK_MAX_DEPTH, 511);
  assert.deepEqual(decodeMsgpack(encodeMsgpack(nest(511))), nest(511));
  const error = refuses(
    () => encodeMsgpack(nest(512), "v"),
    "v" + "[0]".repeat(512),
    /recursion limit/,
  );
  assert.ok(error.message.length > 0);
});

test("msgpack: decoding refuses what has no value", () => {
  refuses(() => decodeMsgpack(fromHex("c1"), "o"), "o", /c1/);
  refuses(() => decodeMsgpack(fromHex("d4000a"), "o"), "o", /extension/);
  refuses(() => decodeMsgpack(fromHex("0101"), "o"), "o", /1 bytes are left/);
  refuses(() => decodeMsgpack(fromHex("92"), "o"), "o", /end early/);
  refuses(() => decodeMsgpack(fromHex("dd7fffffff"), "o"), "o", /end early/);
  refuses(() => decodeMsgpack(fromHex("a2c328"), "o"), "o", /not valid UTF-8/);
  refuses(() => decodeMsgpack(fromHex("a3eda080"), "o"), "o", /not valid UTF-8/); // a surrogate
  refuses(() => decodeMsgpack(fromHex("8191000101"), "o"), "o", /map key/);
  refuses(() => decodeMsgpack(new Uint8Array(0), "o"), "o", /end early/);
  const deep = new Uint8Array(1100).fill(0x91);
  refuses(() => decodeMsgpack(deep, "o"), "o", /nests more than 1024/);
});
