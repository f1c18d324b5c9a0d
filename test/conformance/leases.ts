/**
 * Conformance, leases (`acquireLease`): one holder at a time, expiry, renewal, release, a
 * crashed holder's lease taken over; or, for an adapter declared without, none.
 *
 * @module
 */
import { assert, sleep, type Suite } from "./support.ts";

/** Registers the lease tests, or with `options.leases: false` the check that there are none. */
export function leasesTests({ options, withAdapter }: Suite): void {
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
}
