import assert from "node:assert/strict";
import { test } from "node:test";
import { create, equals, toBinary } from "@bufbuild/protobuf";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.ts";
import type { CacheAdapter } from "../../../src/adapter.ts";
import { MemoryAdapter } from "../../../src/adapters/memory.ts";
import { calculateCacheKey } from "../../../src/keys/key.ts";
import { TaskCache } from "../../../src/core/task_cache.ts";
import { binary, integer, literalMap, map, string } from "../../support/literals.ts";

const inputs = literalMap({ a: integer(1n), run_id: string("r-1") });
const outputs = literalMap({ o0: string("result"), o1: binary(new Uint8Array([1, 2, 3])) });

/** A MemoryAdapter that counts calls, to show that bad arguments never reach storage. */
class CountingAdapter extends MemoryAdapter {
  calls = 0;
  override get(key: string) {
    this.calls++;
    return super.get(key);
  }
  override set(key: string, value: Uint8Array) {
    this.calls++;
    return super.set(key, value);
  }
}

test("miss, then hit with an equal LiteralMap; other versions and inputs miss", async () => {
  const cache = new TaskCache(new MemoryAdapter());
  assert.equal(await cache.get("t", "v1", inputs), undefined);
  await cache.set("t", "v1", inputs, [], outputs);
  const hit = await cache.get("t", "v1", inputs);
  assert.ok(hit && equals(LiteralMapSchema, hit, outputs));
  assert.equal(await cache.get("t", "v2", inputs), undefined, "another cache version misses");
  assert.equal(await cache.get("u", "v1", inputs), undefined, "another task misses");
  assert.equal(
    await cache.get("t", "v1", literalMap({ a: integer(2n), run_id: string("r-1") })),
    undefined,
  );
  await cache.close();
});

test("an ignored input hits whatever its value", async () => {
  const cache = new TaskCache(new MemoryAdapter());
  await cache.set("t", "v1", inputs, ["run_id"], outputs);
  const other = literalMap({ a: integer(1n), run_id: string("r-999") });
  assert.ok(await cache.get("t", "v1", other, ["run_id"]));
  assert.equal(await cache.get("t", "v1", other), undefined, "not ignored: a different key");
  await cache.close();
});

test("stores flytekit's key and protobuf bytes in the adapter", async () => {
  const adapter = new MemoryAdapter();
  const cache = new TaskCache(adapter);
  await cache.set("t", "v1", inputs, [], outputs);
  const stored = await adapter.get(calculateCacheKey("t", "v1", inputs));
  assert.deepEqual(stored, toBinary(LiteralMapSchema, outputs));
  await cache.close();
});

test("get returns a fresh message each time", async () => {
  const cache = new TaskCache(new MemoryAdapter());
  await cache.set("t", "v1", inputs, [], outputs);
  const first = (await cache.get("t", "v1", inputs))!;
  first.literals.o0 = integer(5n);
  const second = (await cache.get("t", "v1", inputs))!;
  assert.ok(equals(LiteralMapSchema, second, outputs));
  await cache.close();
});

test("an adapter handing back anything but bytes is a clear error, a LiteralMap message too", async () => {
  const refused: [unknown, string][] = [
    ["oops", 'string "oops"'],
    [literalMap({}), "a flyteidl\\.core\\.LiteralMap message"],
  ];
  for (const [value, described] of refused) {
    const adapter = {
      get: () => Promise.resolve(value),
      set: () => Promise.resolve(),
      delete: () => Promise.resolve(false),
      clear: () => Promise.resolve(),
      entries: async function* () {},
      close: () => Promise.resolve(),
    } as unknown as CacheAdapter;
    await assert.rejects(new TaskCache(adapter).get("t", "v1", inputs), {
      name: "TypeError",
      message: new RegExp(
        `adapter .* returned .*${described}.*must resolve to a Uint8Array or undefined`,
      ),
    });
  }
});

test("stored bytes that are not a LiteralMap read as a miss and are removed", async () => {
  const adapter = new MemoryAdapter();
  const key = calculateCacheKey("t", "v1", inputs);
  await adapter.set(key, new Uint8Array([0xff, 0xff, 0xff]));
  const cache = new TaskCache(adapter);
  assert.equal(await cache.get("t", "v1", inputs), undefined);
  assert.equal(await adapter.get(key), undefined);
  await cache.close();
});

test("wrong argument types are TypeErrors before any I/O", async () => {
  const adapter = new CountingAdapter();
  const cache = new TaskCache(adapter);
  const bad = { literals: {} } as unknown as typeof inputs;
  await assert.rejects(cache.get("t", "v1", bad), {
    name: "TypeError",
    message: /inputLiteralMap must be/,
  });
  await assert.rejects(
    cache.get("t", 1 as unknown as string, inputs),
    /cacheVersion must be a string/,
  );
  await assert.rejects(cache.set("t", "v1", inputs, [], bad), {
    name: "TypeError",
    message: /TaskCache.set: value must be a flyteidl.core.LiteralMap message/,
  });
  await assert.rejects(cache.set("t", "v1", inputs, [], literalMap({ s: string("\uD800") })), {
    name: "TypeError",
    message:
      /TaskCache.set: value\.literals\["s"\]\.scalar\.primitive\.stringValue: .*unpaired surrogate/,
  });
  assert.equal(adapter.calls, 0);
  assert.throws(() => new TaskCache({} as CacheAdapter), /expected a CacheAdapter/);
  await cache.close();
});

test("clear empties the cache", async () => {
  const cache = new TaskCache(new MemoryAdapter());
  await cache.set("t", "v1", inputs, [], outputs);
  await cache.clear();
  assert.equal(await cache.get("t", "v1", inputs), undefined);
  await cache.close();
});

test("a LiteralMap of every scalar kind round-trips", async () => {
  const value = create(LiteralMapSchema, {
    literals: {
      int: integer(-(2n ** 63n)),
      float: {
        value: {
          case: "scalar",
          value: {
            value: { case: "primitive", value: { value: { case: "floatValue", value: -0 } } },
          },
        },
      },
      bool: {
        value: {
          case: "scalar",
          value: {
            value: { case: "primitive", value: { value: { case: "boolean", value: false } } },
          },
        },
      },
      when: {
        value: {
          case: "scalar",
          value: {
            value: {
              case: "primitive",
              value: { value: { case: "datetime", value: { seconds: 1n, nanos: 5 } } },
            },
          },
        },
      },
      none: { value: { case: "scalar", value: { value: { case: "noneType", value: {} } } } },
      generic: {
        value: {
          case: "scalar",
          value: { value: { case: "generic", value: { a: [1, "x", null, { b: true }] } } },
        },
      },
      error: {
        value: {
          case: "scalar",
          value: { value: { case: "error", value: { failedNodeId: "n", message: "m" } } },
        },
      },
      blob: {
        value: {
          case: "scalar",
          value: {
            value: {
              case: "blob",
              value: { uri: "file:///x", metadata: { type: { format: "csv", dimensionality: 1 } } },
            },
          },
        },
      },
    },
  });
  const cache = new TaskCache(new MemoryAdapter());
  await cache.set("t", "v1", inputs, [], value);
  const got = await cache.get("t", "v1", inputs);
  assert.ok(got && equals(LiteralMapSchema, got, value));
  await cache.close();
});

test("what set stores, get reads back: values nested past the readable depth are refused", async () => {
  const cache = new TaskCache(new MemoryAdapter());
  /** Outputs with maps of maps `levels` deep. */
  const nested = (levels: number) => {
    let literal = integer(1n);
    for (let i = 0; i < levels; i++) literal = map({ k: literal });
    return literalMap({ o0: literal });
  };
  const outcomes: string[] = [];
  for (const levels of [1, 10, 40, 48, 49, 50, 51, 60, 200, 20_000]) {
    const inputs = literalMap({ levels: integer(BigInt(levels)) });
    try {
      await cache.set("t", "1", inputs, [], nested(levels));
    } catch (error) {
      assert.ok(error instanceof RangeError, `${levels} levels: ${error}`);
      assert.match(error.message, /deeper than 100 levels/);
      outcomes.push(`${levels}: refused`);
      continue;
    }
    const read = await cache.get("t", "1", inputs);
    assert.ok(read && equals(LiteralMapSchema, read, nested(levels)), `${levels} levels read back`);
    outcomes.push(`${levels}: read back`);
  }
  // Both sides of the limit occur, and nothing stored is unreadable.
  assert.deepEqual(outcomes, [
    "1: read back",
    "10: read back",
    "40: read back",
    "48: read back",
    "49: refused", // protobuf-es reads 48 levels over an integer, not 49
    "50: refused",
    "51: refused",
    "60: refused",
    "200: refused",
    "20000: refused",
  ]);
  assert.equal((await cache.stats()).entries, 4, "the refused values were not stored");
});

test("the key-level operations are cachedTask's only: not on a TaskCache, not on the main entry", async () => {
  const cache = new TaskCache(new MemoryAdapter());
  for (const name of ["lookup", "store", "reportWaitTimeout"]) {
    assert.equal(name in cache, false, `TaskCache.${name} is not public`);
  }
  const api: Record<string, unknown> = await import("../../../src/mod.ts");
  assert.equal("taskCacheInternals" in api, false);
  await cache.close();
});
