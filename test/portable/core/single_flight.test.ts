/**
 * src/core/single_flight.ts: `shareFlight` (one run per key within a process) and
 * `runExclusively` (one run per key across holders of an adapter's lease): waiting, taking over,
 * the wait's bound, storage failures, and the lease's length while the work's synchronous part
 * runs. A recording wrapper around the lease shows the calls where they are the point;
 * the processes' side is in test/node/redis_processes.test.ts and the adapters' tests.
 * The leases are an `FsAdapter`'s, on a temporary directory.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { CacheAdapter, Lease } from "../../../src/adapter.ts";
import { FsAdapter } from "../../../src/adapters/fs.ts";
import { MemoryAdapter } from "../../../src/adapters/memory.ts";
import { runExclusively, shareFlight } from "../../../src/core/single_flight.ts";
import { CacheError } from "../../../src/errors.ts";
import { forwarding } from "../../support/forwarding.ts";

const none = () => Promise.resolve(undefined);

const directories: string[] = [];
test.after(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));

/** A `FsAdapter` on a new temporary directory: leases shared by every holder in it. */
async function leasing(): Promise<FsAdapter> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-single-flight-"));
  directories.push(directory);
  return new FsAdapter({ directory });
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("shareFlight: calls with one key share one run and its failure; other keys and scopes run apart", async () => {
  const scope = {};
  let runs = 0;
  const work = async () => {
    await sleep(5);
    return ++runs;
  };
  assert.deepEqual(
    await Promise.all([shareFlight(scope, "a", work), shareFlight(scope, "a", work)]),
    [1, 1],
  );
  assert.deepEqual(
    await Promise.all([shareFlight(scope, "b", work), shareFlight({}, "a", work)]).then((r) =>
      r.sort()
    ),
    [2, 3],
  );
  assert.equal(await shareFlight(scope, "a", work), 4, "a finished flight is not shared again");
  const failing = () => Promise.reject(new Error("boom"));
  const both = [shareFlight(scope, "c", failing), shareFlight(scope, "c", work)];
  for (const call of both) await assert.rejects(call, /boom/);
  assert.equal(await shareFlight(scope, "c", work), 5, "after a failure the key runs again");
});

test("runExclusively: a waiter waits for the holder's lease and takes the holder's result", async () => {
  const adapter = await leasing();
  let stored: number | undefined;
  let runs = 0;
  const options = {
    leaseMs: 5_000,
    recheck: () => Promise.resolve(stored),
    run: async () => {
      await sleep(60);
      stored = ++runs;
      return stored;
    },
  };
  const results = await Promise.all([
    runExclusively(adapter, "k", options),
    runExclusively(adapter, "k", options),
  ]);
  assert.deepEqual(results, [1, 1]);
  assert.equal(runs, 1);
});

test("runExclusively: a lease left by a holder that is gone is taken over once it expires", async () => {
  const adapter = await leasing();
  const abandoned = await adapter.acquireLease("k", 150); // its holder (this process) never renews
  assert.ok(abandoned, "the lease is free");
  const started = Date.now();
  const value = await runExclusively(adapter, "k", {
    leaseMs: 150,
    recheck: none,
    run: () => Promise.resolve("ran"),
  });
  assert.equal(value, "ran");
  assert.ok(Date.now() - started >= 100, "it waited for the lease to expire");
});

test("runExclusively: past waitTimeoutMs a waiter runs the work itself and says how long it waited", async () => {
  const adapter = await leasing();
  const holder = await adapter.acquireLease("k", 60_000);
  assert.ok(holder);
  const waited: number[] = [];
  const value = await runExclusively(adapter, "k", {
    leaseMs: 60_000,
    waitTimeoutMs: 120,
    recheck: none,
    run: () => Promise.resolve("ran anyway"),
    onWaitTimeout: (ms) => waited.push(ms),
  });
  assert.equal(value, "ran anyway");
  assert.equal(waited.length, 1);
  assert.ok(waited[0]! >= 100, `waited ${waited[0]} ms`);
  await holder.release();
});

/** An adapter whose leases are an `FsAdapter`'s, recording the calls made of them in order. */
async function recordingAdapter(calls: string[]): Promise<CacheAdapter> {
  const adapter = await leasing();
  return {
    ...forwarding(adapter),
    async acquireLease(name: string, ttlMs: number): Promise<Lease | undefined> {
      const lease = await adapter.acquireLease(name, ttlMs);
      if (lease === undefined) return undefined;
      calls.push(`acquire ${ttlMs}`);
      return {
        renew: (ms?: number) => {
          calls.push(`renew ${ms ?? "again"}`);
          return lease.renew(ms);
        },
        release: () => {
          calls.push("release");
          return lease.release();
        },
      };
    },
  };
}

test("runExclusively: the lease lasts the waiters' bound while the work's synchronous part runs, and leaseMs again the moment it returns", async () => {
  const calls: string[] = [];
  let renewalsWhenReturned: string[] = [];
  const value = await runExclusively(await recordingAdapter(calls), "k", {
    leaseMs: 3_000,
    waitTimeoutMs: 60_000,
    recheck: none,
    run: () => {
      calls.push("run");
      return Promise.resolve("done");
    },
  });
  // What was asked of the lease by the time the work's promise settled: the renewal back to
  // leaseMs is sent as run() returns, not a tick later (a holder killed then leaves 3 s behind).
  renewalsWhenReturned = calls.slice(0, calls.indexOf("run") + 2);
  assert.equal(value, "done");
  assert.deepEqual(renewalsWhenReturned, ["acquire 3000", "renew 60000", "run", "renew 3000"]);
  assert.equal(calls.at(-1), "release", "released at the end");
});

test("runExclusively: with no bound to wait for, the lease is not lengthened for the synchronous part", async () => {
  const calls: string[] = [];
  await runExclusively(await recordingAdapter(calls), "k", {
    leaseMs: 3_000,
    waitTimeoutMs: 3_000,
    recheck: none,
    run: () => {
      calls.push("run");
      return Promise.resolve("done");
    },
  });
  assert.deepEqual(calls, ["acquire 3000", "run", "release"]);
});

test("runExclusively: storage failures of the lease never fail the work; an unreachable server is given up at once", async () => {
  let attempts = 0;
  const busy: CacheAdapter = Object.assign(new MemoryAdapter(), {
    acquireLease(): Promise<Lease | undefined> {
      attempts++;
      return Promise.reject(new CacheError("IO", "database is locked"));
    },
  });
  assert.equal(
    await runExclusively(busy, "k", {
      leaseMs: 1_000,
      recheck: none,
      run: () => Promise.resolve(1),
    }),
    1,
  );
  assert.ok(attempts > 1, `a busy storage is tried again (${attempts} attempts)`);
  attempts = 0;
  const down: CacheAdapter = Object.assign(new MemoryAdapter(), {
    acquireLease(): Promise<Lease | undefined> {
      attempts++;
      return Promise.reject(new CacheError("UNAVAILABLE", "connection refused"));
    },
  });
  assert.equal(
    await runExclusively(down, "k", {
      leaseMs: 1_000,
      recheck: none,
      run: () => Promise.resolve(2),
    }),
    2,
  );
  assert.equal(attempts, 1, "an unreachable server is not asked again");
});
