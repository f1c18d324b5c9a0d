/**
 * JS values of every kind the value types convert, with their types, for comparing the keys
 * computed in each runtime (Node, Deno, a page, a worker).
 *
 * @module
 */
import { calculateCacheKey } from "../../src/keys/key.ts";
import { t, toLiteralMap, type ValueSchema } from "../../src/values/values.ts";

/** The samples: a schema and values for it, the same every time. */
export function valueSamples(): [ValueSchema, Record<string, unknown>][] {
  return [
    [{ n: t.int, s: t.string }, { n: 1, s: "hello" }],
    [{ big: t.bigint }, { big: -(2n ** 63n) }],
    [{ x: t.float, y: t.float, z: t.float }, { x: 0.1, y: -0, z: Number.NaN }],
    [{ flag: t.boolean, nothing: t.none }, { flag: false, nothing: null }],
    [{ when: t.datetime }, { when: new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)) }],
    [{ took: t.duration }, { took: -1500.0005 }],
    [{ xs: t.list(t.list(t.int)) }, { xs: [[1, 2], [], [3]] }],
    [{ m: t.map(t.float) }, { m: { b: 1, a: 2, "10": 3, "😀": 4 } }],
    [
      { cfg: t.msgpack },
      {
        cfg: {
          name: "run",
          sizes: [0, 127, 128, 255, 256, 65535, 65536, 2 ** 32, -1, -33, -129, 2 ** 53 - 1],
          ratio: 0.25,
          nested: { ok: true, none: null, bytes: new Uint8Array([0, 255]) },
          big: 2n ** 63n - 1n,
          text: "x".repeat(300),
        },
      },
    ],
    [
      { df: t.hashed(t.list(t.float), (rows) => `frame-${rows.length}`) },
      { df: [1.5, 2.5, 3.5] },
    ],
  ];
}

/** The key of each sample, as this runtime computes it. */
export function valueSampleKeys(): string[] {
  return valueSamples().map(([schema, values], i) =>
    calculateCacheKey(`sample ${i}`, "1", toLiteralMap(schema, values as never))
  );
}
