/**
 * Conformance, entries and metadata: `entries()` lists each entry's key, task, version, size and
 * times; an overwrite replaces them, delete and clear unlist, a hit records its read time.
 *
 * @module
 */
import { READ_TIME_RESOLUTION_MS } from "../../src/adapter.ts";
import { assert, assertBytes, listEntries, patternBytes, sleep, type Suite } from "./support.ts";

/** Registers the tests of listing and metadata. */
export function entriesTests({ withAdapter }: Suite): void {
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
}
