/**
 * Python and two JavaScript processes on one flytekit cache at once, the JavaScript ones
 * SIGKILLed at random: the fault suite's part 7 (test/faults/diskcache_multi.ts) on a short
 * budget. Every read on either side is a miss or an exact value written for its key; afterwards
 * diskcache's `Cache.check()` finds only what killed writers leave, and nothing after its own
 * repair. Needs Python's diskcache and a Node with `node:sqlite` (this one or the engines' Node
 * 22): outside CI a missing one skips with the reason, under CI it fails.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PartContext } from "../faults/common.ts";
import { diskcacheMulti } from "../faults/diskcache_multi.ts";

test("Python and two killed-and-restarted JavaScript processes share one cache", async (t) => {
  const ctx = new PartContext("diskcache-processes", 20_261_206, 30_000);
  await diskcacheMulti(ctx);
  if (ctx.skipped.length > 0 && ctx.violations.length === 0) {
    t.skip(ctx.skipped.join("; "));
    return;
  }
  assert.deepEqual(ctx.violations, []);
  assert.ok((ctx.counters.kills ?? 0) > 0, "processes were killed");
  assert.ok((ctx.counters["op.hit"] ?? 0) > 0, "JavaScript hit");
  assert.ok((ctx.counters["python.hit"] ?? 0) > 0, "Python hit");
  assert.ok((ctx.counters["python.reads-verified"] ?? 0) > 0, "Python's reads were verified");
});
