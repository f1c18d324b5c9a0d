/**
 * The adapter conformance suite: the definition of a `CacheAdapter`. Written once, run against
 * every adapter in its real runtime (node:test, deno test, a page or worker in Chromium, Firefox
 * and WebKit), so it uses no runtime's assertion library and no runtime-specific global.
 *
 * One file per concern, registered here in this order:
 *
 * | file | what it checks |
 * | --- | --- |
 * | `basics.ts` | get, set, delete, clear; values copied in and out; every operation after close |
 * | `big_values.ts` | values from 0 bytes to `largestValue`; values in pieces (`setChunks`) |
 * | `keys.ts` | keys of any length and characters, similar keys |
 * | `concurrency.ts` | concurrent sets of one key; reads during a write |
 * | `entries.ts` | `entries()` and its metadata; overwrite, delete and clear; read times |
 * | `expiry.ts` | `notBefore` (expired entries) and `expect` (another task's entry) |
 * | `damage.ts` | damaged entries, and data not the adapter's own (with the `hooks.ts` hooks) |
 * | `leases.ts` | `acquireLease`: one holder, expiry, renewal; or none, as declared |
 *
 * `support.ts` holds the options, the assertions and the test data they share.
 *
 * @module
 */
import { basicsTests } from "./basics.ts";
import { bigValuesTests } from "./big_values.ts";
import { concurrencyTests } from "./concurrency.ts";
import { damageTests } from "./damage.ts";
import { entriesTests } from "./entries.ts";
import { expiryTests } from "./expiry.ts";
import { keysTests } from "./keys.ts";
import { leasesTests } from "./leases.ts";
import type { ConformanceOptions, RegisterTest, Suite } from "./support.ts";

export { AWKWARD_KEYS } from "./keys.ts";
export {
  assert,
  assertBytes,
  type ConformanceOptions,
  fail,
  listEntries,
  patternBytes,
  type RegisterTest,
} from "./support.ts";

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
  const suite: Suite = {
    register,
    options,
    withAdapter: (name, fn) =>
      register(name, async () => {
        const adapter = await options.open();
        try {
          await fn(adapter);
        } finally {
          await adapter.close();
        }
      }),
  };
  basicsTests(suite);
  bigValuesTests(suite);
  keysTests(suite);
  concurrencyTests(suite);
  entriesTests(suite);
  expiryTests(suite);
  damageTests(suite);
  leasesTests(suite);
}
