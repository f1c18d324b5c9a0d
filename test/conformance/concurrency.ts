/**
 * Conformance, concurrency: concurrent sets of one key leave one whole value, and reads during
 * a write see the old value or the new one, never a mix.
 *
 * @module
 */
import { assert, assertBytes, patternBytes, type Suite } from "./support.ts";

/** Registers the tests of concurrent sets and reads. */
export function concurrencyTests({ withAdapter }: Suite): void {
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
}
