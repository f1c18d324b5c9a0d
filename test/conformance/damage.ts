/**
 * Conformance, damage and foreign data, with the hooks an adapter's test passes
 * (`test/conformance/hooks.ts`): a damaged entry reads as a miss and the adapter goes on; `clear`
 * keeps what is not the adapter's own.
 *
 * @module
 */
import { assert, assertBytes, listEntries, patternBytes, type Suite } from "./support.ts";

/** Registers, for the hooks given in `options`, the tests of damaged entries and foreign data. */
export function damageTests({ options, withAdapter }: Suite): void {
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
}
