/**
 * The adapter conformance suite: the definition of a `CacheAdapter`. Written once, run against
 * every adapter in its real runtime (node:test, deno test, a page or worker in Chromium), so it
 * uses no runtime's assertion library and no runtime-specific global.
 *
 * @module
 */
import type { CacheAdapter } from "../../src/adapter.ts";
import { CacheError } from "../../src/errors.ts";

/** The one thing the suite needs from a test runner: a way to register a named async test. */
export type RegisterTest = (name: string, fn: () => Promise<void>) => unknown;

export interface ConformanceOptions {
  /** Opens a fresh, empty adapter; the suite closes every adapter it opens. */
  open: () => Promise<CacheAdapter>;
  /** The largest value to round-trip (default 50 MiB). */
  largestValue?: number;
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
  assert(actual instanceof Uint8Array, `${what}: expected a Uint8Array, got ${String(actual)}`);
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

  register("after close, every operation fails with CLOSED", async () => {
    const adapter = await options.open();
    await adapter.set("k", patternBytes(4));
    await adapter.close();
    await assertRejectsWith(adapter.get("k"), "CLOSED", "get after close");
    await assertRejectsWith(adapter.set("k", patternBytes(4)), "CLOSED", "set after close");
    await assertRejectsWith(adapter.delete("k"), "CLOSED", "delete after close");
    await assertRejectsWith(adapter.clear(), "CLOSED", "clear after close");
    await adapter.close(); // closing twice is harmless
  });
}
