/**
 * The adapter conformance suite: the definition of a `CacheAdapter`. Written once, run against
 * every adapter in its real runtime (node:test, deno test, a page or worker in Chromium), so it
 * uses no runtime's assertion library and no runtime-specific global.
 *
 * @module
 */
import { type CacheAdapter, type EntryInfo, READ_TIME_RESOLUTION_MS } from "../../src/adapter.ts";
import { CacheError } from "../../src/errors.ts";

/** The one thing the suite needs from a test runner: a way to register a named async test. */
export type RegisterTest = (name: string, fn: () => Promise<void>) => unknown;

export interface ConformanceOptions {
  /** Opens a fresh, empty adapter; the suite closes every adapter it opens. */
  open: () => Promise<CacheAdapter>;
  /** The largest value to round-trip (default 50 MiB). */
  largestValue?: number;
  /**
   * Whether the adapter has leases (`acquireLease`). `true` (or left out) registers the lease
   * tests, which fail on an adapter without them; `false` registers a check that it has none.
   */
  leases?: boolean;
  /**
   * Whether the adapter takes values in pieces (`setChunks`). `true` registers the tests of
   * pieces, which fail on an adapter without `setChunks`; left out, none are registered (the
   * method is optional: `TaskCache` joins the pieces for such an adapter).
   */
  chunks?: boolean;
  /**
   * Damages what `adapter` stores, as a failing disk or another program would: changes a byte
   * in every stored value (of every record a value is split into). With it, the suite checks
   * that a damaged entry reads as a miss (see `test/conformance/hooks.ts`).
   */
  damage?: (adapter: CacheAdapter) => Promise<void>;
  /**
   * Puts data that is not the adapter's own beside its entries (another prefix, other files);
   * resolves to a check that rejects unless all of it is still there, unchanged. With it, the
   * suite checks that `clear` keeps it.
   */
  foreign?: (adapter: CacheAdapter) => Promise<() => Promise<void>>;
}

const MiB = 1024 * 1024;

/** Keys that break naive storage naming: path syntax, control characters, sizes, surrogates. */
export const AWKWARD_KEYS: readonly string[] = [
  "",
  " ",
  ".",
  "..",
  "../../../../etc/passwd",
  "/absolute/path",
  "C:\\Windows\\system32",
  "a/b/c",
  "a\\b",
  "CON",
  "nul",
  "\0",
  "line\nbreak\r\ttab",
  "key with spaces ",
  "ünïcödé-ключ-键-🔑",
  "\ud800", // lone high surrogate
  "\udc00", // lone low surrogate
  "\ufffd", // what a lossy encoder turns both into
  "%2e%2e%2f",
  "a".repeat(255),
  "a".repeat(256),
  "k".repeat(10_000),
  "t.produce_dc-1-ea65cfadb0079394a8be1f4aa1e96e2b",
];

export function fail(message: string): never {
  throw new Error(`conformance: ${message}`);
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

/** Checks that `actual` is a plain `Uint8Array` (not a `Buffer`) equal to `expected`. */
export function assertBytes(actual: unknown, expected: Uint8Array, what: string): void {
  if (!(actual instanceof Uint8Array)) {
    // Described by its type only: the text of a large array would be larger still.
    fail(`${what}: expected a Uint8Array, got ${Object.prototype.toString.call(actual)}`);
  }
  assert(
    Object.getPrototypeOf(actual) === Uint8Array.prototype,
    `${what}: expected a plain Uint8Array, got a ${actual.constructor.name}`,
  );
  assert(
    actual.length === expected.length,
    `${what}: length ${actual.length}, expected ${expected.length}`,
  );
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      fail(`${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** Bytes that differ from position to position and from seed to seed. */
export function patternBytes(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Every entry an adapter lists, sorted by key. */
export async function listEntries(adapter: CacheAdapter): Promise<EntryInfo[]> {
  const entries: EntryInfo[] = [];
  for await (const entry of adapter.entries()) entries.push(entry);
  return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function assertRejectsWith(
  promise: Promise<unknown>,
  code: string,
  what: string,
): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert(error instanceof CacheError, `${what}: expected a CacheError, got ${String(error)}`);
    assert(error.code === code, `${what}: expected code ${code}, got ${error.code}`);
    return;
  }
  fail(`${what}: expected a rejection with ${code}`);
}

/**
 * Registers the conformance tests for one adapter.
 *
 * @example
 * ```ts
 * import { test } from "node:test";
 * import { MemoryAdapter } from "../../src/adapters/memory.ts";
 * import { adapterConformance } from "./adapter_suite.ts";
 *
 * adapterConformance(test, { open: () => Promise.resolve(new MemoryAdapter()) });
 * ```
 */
export function adapterConformance(register: RegisterTest, options: ConformanceOptions): void {
  const largest = options.largestValue ?? 50 * MiB;
  const withAdapter = (name: string, fn: (adapter: CacheAdapter) => Promise<void>) =>
    register(name, async () => {
      const adapter = await options.open();
      try {
        await fn(adapter);
      } finally {
        await adapter.close();
      }
    });

  withAdapter("a missing key reads as undefined", async (adapter) => {
    assert((await adapter.get("missing")) === undefined, "get of a missing key");
    assert((await adapter.delete("missing")) === false, "delete of a missing key returns false");
  });

  withAdapter("set then get returns equal bytes", async (adapter) => {
    const value = patternBytes(100);
    await adapter.set("k", value);
    assertBytes(await adapter.get("k"), value, "get after set");
  });

  withAdapter("values are copied in and out", async (adapter) => {
    const value = patternBytes(64, 2);
    const original = value.slice();
    await adapter.set("k", value);
    value.fill(0);
    const first = await adapter.get("k");
    assertBytes(first, original, "after the caller changed the array it stored");
    (first as Uint8Array).fill(7);
    assertBytes(await adapter.get("k"), original, "after the caller changed the array it read");
  });

  withAdapter("set overwrites", async (adapter) => {
    await adapter.set("k", patternBytes(1000, 1));
    await adapter.set("k", patternBytes(10, 2));
    assertBytes(
      await adapter.get("k"),
      patternBytes(10, 2),
      "after overwrite with a shorter value",
    );
    await adapter.set("k", patternBytes(5000, 3));
    assertBytes(
      await adapter.get("k"),
      patternBytes(5000, 3),
      "after overwrite with a longer value",
    );
  });

  withAdapter("delete removes one entry", async (adapter) => {
    await adapter.set("a", patternBytes(3, 1));
    await adapter.set("b", patternBytes(3, 2));
    assert((await adapter.delete("a")) === true, "delete of a stored key returns true");
    assert((await adapter.get("a")) === undefined, "a deleted key reads as undefined");
    assertBytes(await adapter.get("b"), patternBytes(3, 2), "the other entry survives");
    assert((await adapter.delete("a")) === false, "a second delete returns false");
  });

  withAdapter("clear removes every entry and the adapter stays usable", async (adapter) => {
    for (let i = 0; i < 20; i++) await adapter.set(`key-${i}`, patternBytes(10, i));
    await adapter.clear();
    for (let i = 0; i < 20; i++) {
      assert((await adapter.get(`key-${i}`)) === undefined, `key-${i} after clear`);
    }
    await adapter.clear();
    await adapter.set("after", patternBytes(4));
    assertBytes(await adapter.get("after"), patternBytes(4), "set after clear");
  });

  for (const size of [0, 1, MiB, largest]) {
    withAdapter(`a value of ${size} bytes round-trips`, async (adapter) => {
      const value = patternBytes(size, size + 1);
      await adapter.set("sized", value);
      assertBytes(await adapter.get("sized"), value, `${size}-byte value`);
    });
  }

  withAdapter("keys of any length and characters are distinct and safe", async (adapter) => {
    for (const [i, key] of AWKWARD_KEYS.entries()) await adapter.set(key, patternBytes(8 + i, i));
    for (const [i, key] of AWKWARD_KEYS.entries()) {
      assertBytes(
        await adapter.get(key),
        patternBytes(8 + i, i),
        `key ${JSON.stringify(key).slice(0, 40)}`,
      );
    }
    const listed = (await listEntries(adapter)).map((entry) => entry.key);
    const expected = [...AWKWARD_KEYS].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert(
      JSON.stringify(listed) === JSON.stringify(expected),
      "entries() lists exactly the awkward keys",
    );
    for (const key of AWKWARD_KEYS) {
      assert(await adapter.delete(key), `delete ${JSON.stringify(key).slice(0, 40)}`);
    }
    for (const key of AWKWARD_KEYS) {
      assert((await adapter.get(key)) === undefined, "deleted awkward key");
    }
  });

  withAdapter("many similar keys do not collide", async (adapter) => {
    const keys = Array.from(
      { length: 300 },
      (_, i) => `task-v1-${i.toString(16).padStart(32, "0")}`,
    );
    await Promise.all(keys.map((key, i) => adapter.set(key, patternBytes(16, i))));
    const values = await Promise.all(keys.map((key) => adapter.get(key)));
    values.forEach((value, i) => assertBytes(value, patternBytes(16, i), keys[i]!));
  });

  withAdapter("concurrent sets of one key leave exactly one of the values", async (adapter) => {
    const candidates = Array.from({ length: 8 }, (_, i) => patternBytes(20_000 + i, i + 10));
    await Promise.all(candidates.map((value) => adapter.set("contended", value)));
    const stored = await adapter.get("contended");
    assert(stored instanceof Uint8Array, "a value is stored");
    const match = candidates.find((c) => c.length === stored.length);
    assert(match !== undefined, `stored length ${stored.length} is none of the written lengths`);
    assertBytes(stored, match, "the stored value is exactly one of the written values");
  });

  withAdapter("concurrent reads during writes see old or new, never a mix", async (adapter) => {
    const old = patternBytes(300_000, 1);
    const next = patternBytes(300_000, 2);
    await adapter.set("k", old);
    const reads: Promise<Uint8Array | unknown>[] = [];
    const write = adapter.set("k", next);
    for (let i = 0; i < 10; i++) reads.push(adapter.get("k"));
    await write;
    for (const read of await Promise.all(reads)) {
      const bytes = read as Uint8Array;
      assert(bytes instanceof Uint8Array, "a concurrent read returns a value");
      assertBytes(bytes, bytes[0] === old[0] ? old : next, "a concurrent read");
    }
    assertBytes(await adapter.get("k"), next, "after the write");
  });

  withAdapter("entries() lists each entry's metadata", async (adapter) => {
    assert((await listEntries(adapter)).length === 0, "a fresh adapter lists no entry");
    const before = Date.now();
    await adapter.set("a", patternBytes(10, 1), { taskName: "etl.load", cacheVersion: "1" });
    await adapter.set("b", patternBytes(70_000, 2), { taskName: "t-ü🔑", cacheVersion: "v-2" });
    await adapter.set("c", patternBytes(0, 3));
    const after = Date.now();
    const listed = await listEntries(adapter);
    assert(listed.length === 3, `three entries listed, got ${listed.length}`);
    const expected = [
      ["a", "etl.load", "1", 10],
      ["b", "t-ü🔑", "v-2", 70_000],
      ["c", "", "", 0],
    ] as const;
    for (const [i, [key, taskName, cacheVersion, size]] of expected.entries()) {
      const entry = listed[i]!;
      const what = `entry ${key}: ${JSON.stringify(entry)}`;
      assert(entry.key === key, what);
      assert(entry.taskName === taskName, `${what}: task name`);
      assert(entry.cacheVersion === cacheVersion, `${what}: cache version`);
      assert(entry.size === size, `${what}: size`);
      assert(entry.createdAt >= before - 1 && entry.createdAt <= after + 1, `${what}: createdAt`);
      assert(entry.lastReadAt >= entry.createdAt, `${what}: lastReadAt >= createdAt`);
      assert(entry.lastReadAt <= after + 1, `${what}: lastReadAt`);
    }
  });

  withAdapter("an overwrite replaces the metadata; delete and clear unlist", async (adapter) => {
    await adapter.set("k", patternBytes(100, 1), { taskName: "old", cacheVersion: "1" });
    await adapter.set("j", patternBytes(5, 1), { taskName: "other", cacheVersion: "1" });
    await sleep(5);
    const before = Date.now();
    await adapter.set("k", patternBytes(7, 2), { taskName: "new", cacheVersion: "2" });
    let listed = await listEntries(adapter);
    const entry = listed.find((e) => e.key === "k");
    assert(entry !== undefined, "the overwritten entry is listed");
    assert(entry.taskName === "new" && entry.cacheVersion === "2", "the new task and version");
    assert(entry.size === 7, `the new size, got ${entry.size}`);
    assert(entry.createdAt >= before - 1, "the new creation time");
    assert(await adapter.delete("k"), "delete");
    listed = await listEntries(adapter);
    assert(listed.length === 1 && listed[0]!.key === "j", "a deleted entry is not listed");
    await adapter.clear();
    assert((await listEntries(adapter)).length === 0, "nothing is listed after clear");
  });

  withAdapter("a hit records the read time", async (adapter) => {
    await adapter.set("k", patternBytes(10), { taskName: "t", cacheVersion: "1" });
    const [stored] = await listEntries(adapter);
    await sleep(READ_TIME_RESOLUTION_MS + 100);
    const before = Date.now();
    assertBytes(await adapter.get("k"), patternBytes(10), "the hit");
    const [read] = await listEntries(adapter);
    assert(read !== undefined && stored !== undefined, "the entry is listed");
    assert(
      read.lastReadAt >= before - 1 && read.lastReadAt <= Date.now() + 1,
      `lastReadAt ${read.lastReadAt} is the time of the hit (${before})`,
    );
    assert(read.createdAt === stored.createdAt, "a hit does not change createdAt");
    assert((await adapter.get("missing")) === undefined, "a miss");
  });

  withAdapter(
    "an entry stored before notBefore reads as a miss and is removed",
    async (adapter) => {
      await adapter.set("old", patternBytes(10, 1), { taskName: "t", cacheVersion: "1" });
      await adapter.set("kept", patternBytes(10, 2), { taskName: "t", cacheVersion: "1" });
      assertBytes(
        await adapter.get("old", { notBefore: Date.now() - 60_000 }),
        patternBytes(10, 1),
        "an entry stored after notBefore is a hit",
      );
      assert(
        (await adapter.get("old", { notBefore: Date.now() + 1000 })) === undefined,
        "an entry stored before notBefore is a miss",
      );
      const listed = await listEntries(adapter);
      assert(
        listed.length === 1 && listed[0]!.key === "kept",
        `the expired entry is removed, the other kept: ${listed.map((e) => e.key)}`,
      );
      assert((await adapter.get("old")) === undefined, "the expired entry is gone");
      await adapter.set("big", patternBytes(200_000, 3));
      assert(
        (await adapter.get("big", { notBefore: Date.now() + 1000 })) === undefined,
        "a large expired entry reads as a miss",
      );
      assert((await adapter.get("big")) === undefined, "the large expired entry is gone");
    },
  );

  withAdapter("another task's entry (same key) reads as a miss and stays", async (adapter) => {
    // flytekit's keys are name-version-hash: task a-b at version c and task a at version b-c
    // share this key.
    const key = "a-b-c-ea65cfadb0079394a8be1f4aa1e96e2b";
    const mine = { taskName: "a-b", cacheVersion: "c" };
    for (const [what, size] of [["a small value", 100], ["a large value", 200_000]] as const) {
      const value = patternBytes(size, size);
      await adapter.set(key, value, mine);
      assertBytes(await adapter.get(key, { expect: mine }), value, `${what} of its own task`);
      for (
        const expect of [{ taskName: "a", cacheVersion: "b-c" }, { ...mine, cacheVersion: "d" }]
      ) {
        const what_ = `${what} read as ${JSON.stringify(expect)}`;
        assert((await adapter.get(key, { expect })) === undefined, `${what_}: a miss`);
        assert(
          (await adapter.get(key, { expect, notBefore: Date.now() - 60_000 })) === undefined,
          `${what_} with notBefore: a miss`,
        );
      }
      const listed = await listEntries(adapter);
      assert(
        listed.length === 1 && listed[0]!.taskName === "a-b" && listed[0]!.cacheVersion === "c",
        `${what}: the entry stays, with its own metadata: ${JSON.stringify(listed)}`,
      );
      assertBytes(await adapter.get(key, { expect: mine }), value, `${what} after the misses`);
      assertBytes(await adapter.get(key), value, `${what} without expect`);
    }
    // Stored without metadata: its origin is unknown, nothing to check.
    await adapter.set("plain", patternBytes(10, 4));
    assertBytes(
      await adapter.get("plain", { expect: mine }),
      patternBytes(10, 4),
      "an entry stored without metadata",
    );
  });

  if (options.damage !== undefined) {
    const damage = options.damage;
    withAdapter("a damaged entry reads as a miss; the adapter goes on", async (adapter) => {
      const meta = { taskName: "t", cacheVersion: "1" };
      const sizes = [1, 100, 200_000];
      for (const size of sizes) await adapter.set(`damaged-${size}`, patternBytes(size, 5), meta);
      await damage(adapter);
      for (const size of sizes) {
        assert(
          (await adapter.get(`damaged-${size}`, { expect: meta })) === undefined,
          `a damaged ${size}-byte value reads as undefined`,
        );
      }
      await listEntries(adapter); // listing does not throw
      for (const size of sizes) {
        await adapter.set(`damaged-${size}`, patternBytes(size, 6), meta);
        assertBytes(
          await adapter.get(`damaged-${size}`),
          patternBytes(size, 6),
          `a ${size}-byte value stored again`,
        );
      }
    });
  }

  if (options.foreign !== undefined) {
    const foreign = options.foreign;
    withAdapter("clear keeps what is not the adapter's own", async (adapter) => {
      await adapter.set("k", patternBytes(10, 1));
      await adapter.set("big", patternBytes(200_000, 2));
      const check = await foreign(adapter);
      await adapter.clear();
      await check();
      assert((await adapter.get("k")) === undefined, "the adapter's own entries are cleared");
      assert((await listEntries(adapter)).length === 0, "nothing of its own is listed");
    });
  }

  if (options.chunks === true) {
    withAdapter("a value given in pieces is stored as the pieces joined", async (adapter) => {
      const setChunks = adapter.setChunks?.bind(adapter);
      assert(setChunks !== undefined, "the adapter has no setChunks: leave chunks out");
      const whole = patternBytes(MiB + 4099, 9);
      // Pieces of odd sizes and offsets, an empty one among them.
      const cuts = [0, 3, 3, 1000, 70_000, MiB + 1, MiB + 4099];
      const pieces = cuts.slice(1).map((end, i) => whole.slice(cuts[i], end));
      await setChunks("pieces", pieces, { taskName: "t", cacheVersion: "1" });
      for (const piece of pieces) piece.fill(0);
      assertBytes(await adapter.get("pieces"), whole, "get after setChunks");
      const [info] = (await listEntries(adapter)).filter((entry) => entry.key === "pieces");
      assert(info?.size === whole.length, `entries() size ${info?.size}, not ${whole.length}`);
      assert(info.taskName === "t" && info.cacheVersion === "1", "the metadata is kept");
      await setChunks("pieces", [], undefined);
      assertBytes(await adapter.get("pieces"), new Uint8Array(0), "no pieces: an empty value");
      await adapter.set("pieces", patternBytes(10, 3));
      await setChunks("pieces", [patternBytes(5, 4)]);
      assertBytes(await adapter.get("pieces"), patternBytes(5, 4), "setChunks overwrites set");
    });
  }

  if (options.leases === false) {
    withAdapter("no leases, as declared (single flight falls back to Web Locks)", (adapter) => {
      assert(adapter.acquireLease === undefined, "the adapter has acquireLease: declare leases");
      return Promise.resolve();
    });
  } else {
    withAdapter("leases: one holder, expiry, renewal", async (adapter) => {
      assert(
        typeof adapter.acquireLease === "function",
        "the adapter has no acquireLease: pass leases: false to the suite",
      );
      const first = await adapter.acquireLease("task-1-abc", 400);
      assert(first !== undefined, "a free lease is taken");
      assert((await adapter.acquireLease("task-1-abc", 400)) === undefined, "a held lease is not");
      const other = await adapter.acquireLease("task-1-other", 400);
      assert(other !== undefined, "another name's lease is independent");
      await sleep(250);
      assert(await first.renew(), "the holder renews its lease");
      await sleep(250);
      assert(
        (await adapter.acquireLease("task-1-abc", 400)) === undefined,
        "a renewed lease still stands after its first expiry",
      );
      await first.release();
      const second = await adapter.acquireLease("task-1-abc", 300);
      assert(second !== undefined, "a released lease is free");
      await sleep(400);
      const third = await adapter.acquireLease("task-1-abc", 1000);
      assert(third !== undefined, "an expired lease is taken over (its holder crashed)");
      assert(!(await second.renew()), "the expired holder learns it lost the lease");
      await second.release(); // not its own any more: nothing happens
      assert((await adapter.acquireLease("task-1-abc", 1000)) === undefined, "the new holder's");
      assert(await third.renew(3000), "a renewal for a longer time to live");
      await sleep(1300);
      assert(
        (await adapter.acquireLease("task-1-abc", 1000)) === undefined,
        "a lease renewed for longer outlasts its first time to live",
      );
      await third.release();
      await other.release();
      await adapter.clear();
    });
  }

  register("after close, every operation fails with CLOSED", async () => {
    const adapter = await options.open();
    await adapter.set("k", patternBytes(4));
    await adapter.close();
    await assertRejectsWith(adapter.get("k"), "CLOSED", "get after close");
    await assertRejectsWith(adapter.set("k", patternBytes(4)), "CLOSED", "set after close");
    await assertRejectsWith(adapter.delete("k"), "CLOSED", "delete after close");
    await assertRejectsWith(adapter.clear(), "CLOSED", "clear after close");
    await assertRejectsWith(listEntries(adapter), "CLOSED", "entries after close");
    await adapter.close(); // closing twice is harmless
  });
}
