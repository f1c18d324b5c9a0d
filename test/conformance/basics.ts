/**
 * Conformance, the basics: get, set, delete and clear of one adapter, values copied in and out,
 * and every operation after `close`.
 *
 * @module
 */
import {
  assert,
  assertBytes,
  assertRejectsWith,
  listEntries,
  patternBytes,
  type Suite,
} from "./support.ts";

/** Registers the tests of get, set, delete, clear and close. */
export function basicsTests({ register, options, withAdapter }: Suite): void {
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
