/**
 * Conformance, what a read may not return: an entry stored before `notBefore` (expired: a miss,
 * and removed) and an entry of another task under the same key (`expect`: a miss, and kept).
 *
 * @module
 */
import { assert, assertBytes, listEntries, patternBytes, type Suite } from "./support.ts";

/** Registers the tests of `notBefore` and `expect`. */
export function expiryTests({ withAdapter }: Suite): void {
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
}
