/**
 * Conformance, big values: values from 0 bytes to the largest the adapter's test asks for
 * round-trip, and a value given in pieces (`setChunks`) is stored as the pieces joined.
 *
 * @module
 */
import { assert, assertBytes, listEntries, MiB, patternBytes, type Suite } from "./support.ts";

/** Registers the tests of value sizes and, with `options.chunks`, of values in pieces. */
export function bigValuesTests({ options, withAdapter }: Suite): void {
  const largest = options.largestValue ?? 50 * MiB;
  for (const size of [0, 1, MiB, largest]) {
    withAdapter(`a value of ${size} bytes round-trips`, async (adapter) => {
      const value = patternBytes(size, size + 1);
      await adapter.set("sized", value);
      assertBytes(await adapter.get("sized"), value, `${size}-byte value`);
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
}
