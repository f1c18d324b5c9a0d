/**
 * Conformance, keys: keys of any length and characters (path syntax, control characters,
 * surrogates, sizes) stored, listed and deleted as themselves; similar keys kept apart.
 *
 * @module
 */
import { assert, assertBytes, listEntries, patternBytes, type Suite } from "./support.ts";

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

/** Registers the tests of awkward and similar keys. */
export function keysTests({ withAdapter }: Suite): void {
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
}
