/**
 * Single flight: concurrent calls with one key run their work once and share the result, within
 * a process, across the tabs of an origin (Web Locks), and across processes sharing a storage
 * (the adapter's leases).
 *
 * @module
 */
import type { CacheAdapter, Lease } from "../adapter.ts";
import { CacheError } from "../errors.ts";

/** Calls in flight, by scope (a cache) and key. */
const flights = new WeakMap<object, Map<string, Promise<unknown>>>();

/**
 * The result of `work` for `key` in `scope`: a call made while another with the same scope and
 * key is running shares that one's result (or failure) instead of running `work` again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shareFlight } from "./single_flight.ts";
 *
 * const scope = {};
 * let runs = 0;
 * const work = async () => ++runs;
 * const results = await Promise.all([shareFlight(scope, "k", work), shareFlight(scope, "k", work)]);
 * assert.deepEqual(results, [1, 1]);
 * assert.equal(runs, 1);
 * ```
 */
export function shareFlight<T>(scope: object, key: string, work: () => Promise<T>): Promise<T> {
  let running = flights.get(scope);
  if (running === undefined) flights.set(scope, running = new Map());
  const existing = running.get(key);
  if (existing !== undefined) return existing as Promise<T>;
  const flight = (async () => {
    try {
      return await work();
    } finally {
      running.delete(key);
    }
  })();
  running.set(key, flight);
  return flight;
}

/** Options of {@link runExclusively}. */
export interface ExclusiveOptions<T> {
  /** How long a lease lasts without renewal (ms); the holder renews it at a third of this. */
  leaseMs: number;
  /**
   * Looks for the result another holder may have stored meanwhile; `undefined` when there is
   * none and the work must run.
   */
  recheck: () => Promise<T | undefined>;
  /** The work that should run once. */
  run: () => Promise<T>;
  /**
   * How long to wait for another holder of the lease (ms) before running the work without it
   * (default: as long as the holder keeps its lease). Also how long the lease is made to last
   * while the synchronous part of `run` goes (see {@link runExclusively}).
   */
  waitTimeoutMs?: number;
  /** Called when the wait ran out, with how long it lasted (ms), before the work runs. */
  onWaitTimeout?: (waitedMs: number) => void;
}

/** The longest wait between two looks at a lease held by someone else. */
const MAX_POLL_MS = 250;
/** Failures to take a lease (storage errors) before the work runs without one. */
const LEASE_ATTEMPTS = 8;

/**
 * Runs `options.run` as the only holder of `key` among every process and tab sharing the
 * storage, where the runtime or the adapter can tell:
 *
 * - with the adapter's leases (`FsAdapter`, `DenoKvAdapter`): waits while another process holds
 *   the lease, looking for its result (`recheck`) as it goes, and takes over a lease that
 *   expired (a crashed holder blocks others for at most `leaseMs`);
 * - else with the Web Locks API (`navigator.locks`: the tabs and workers of an origin);
 * - else it just runs.
 *
 * The holder looks for a result once more before it runs (another holder may have just
 * finished). A waiter waits at most `waitTimeoutMs`, then runs the work itself (a holder that
 * hangs while alive keeps renewing its lease), after calling `onWaitTimeout`. While the work's
 * synchronous part runs (no timer can renew then), the lease lasts `waitTimeoutMs` (at most an
 * hour), not `leaseMs`. Storage failures of the lease are tried again a few times (a database busy with
 * other processes' commits), then the work runs without one: single flight saves work, it is
 * never a reason to fail.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runExclusively } from "./single_flight.ts";
 * import { MemoryAdapter } from "../adapters/memory.ts";
 *
 * const value = await runExclusively(new MemoryAdapter(), "k", {
 *   leaseMs: 10_000,
 *   recheck: () => Promise.resolve(undefined),
 *   run: () => Promise.resolve(42),
 * });
 * assert.equal(value, 42);
 * ```
 */
export async function runExclusively<T>(
  adapter: CacheAdapter,
  key: string,
  options: ExclusiveOptions<T>,
): Promise<T> {
  const { leaseMs, recheck, run, waitTimeoutMs = Infinity, onWaitTimeout } = options;
  if (typeof adapter.acquireLease === "function") {
    const started = Date.now();
    const syncLeaseMs = Math.max(leaseMs, Math.min(waitTimeoutMs, MAX_SYNC_LEASE_MS));
    let failures = 0;
    for (let delay = 10;; delay = Math.min(delay * 2, MAX_POLL_MS)) {
      let lease: Lease | undefined;
      try {
        lease = await adapter.acquireLease(key, leaseMs);
      } catch (error) {
        // A busy database (other processes committing) is worth a few more tries; a server
        // that is unreachable (it failed at once) is not.
        if (unreachable(error) || ++failures >= LEASE_ATTEMPTS) return await run();
      }
      if (lease !== undefined) return await holding(lease, leaseMs, syncLeaseMs, recheck, run);
      const left = started + waitTimeoutMs - Date.now();
      if (left <= 0) {
        // A holder that hangs while alive (it keeps renewing) must not block us forever.
        onWaitTimeout?.(Date.now() - started);
        return await run();
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
      const done = await recheck();
      if (done !== undefined) return done;
    }
  }
  const locks = (globalThis as { navigator?: { locks?: WebLocks } }).navigator?.locks;
  if (typeof locks?.request === "function") {
    return await locks.request(`local-task-cache:${key}`, async () => (await recheck()) ?? run());
  }
  return await run();
}

/** Whether `error` says the storage's server is unreachable (`CacheError` `UNAVAILABLE`). */
function unreachable(error: unknown): boolean {
  return error instanceof CacheError && error.code === "UNAVAILABLE";
}

/** The part of the Web Locks API used here. */
interface WebLocks {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** How soon a renewal that failed (a busy storage) is tried again, in ms. */
const RENEW_RETRY_MS = 50;
/** The longest a lease is made to last for the synchronous part of the work, in ms. */
const MAX_SYNC_LEASE_MS = 3_600_000;

/**
 * Runs the work under `lease`, renewing it every third of its time to live (and again soon
 * after a renewal the storage failed), and gives it up afterwards.
 *
 * A timer cannot renew the lease while the work runs synchronously (a synchronous task body
 * holds the event loop), so the lease is first made to last `syncLeaseMs` (the waiters' bound:
 * past it they run the work themselves anyway); once `run()` returns (the synchronous part is
 * over), a renewal brings it back to `leaseMs`.
 */
async function holding<T>(
  lease: Lease,
  leaseMs: number,
  syncLeaseMs: number,
  recheck: () => Promise<T | undefined>,
  run: () => Promise<T>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  const renew = (ttlMs?: number) => {
    lease.renew(ttlMs).then(
      (held) => {
        if (held && !done) renewIn(leaseMs / 3);
      },
      () => {
        if (!done) renewIn(RENEW_RETRY_MS, ttlMs);
      },
    );
  };
  const renewIn = (ms: number, ttlMs?: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => renew(ttlMs), ms);
  };
  renewIn(leaseMs / 3);
  try {
    const found = await recheck();
    if (found !== undefined) return found;
    if (syncLeaseMs > leaseMs) {
      clearTimeout(timer);
      await lease.renew(syncLeaseMs).catch(() => false);
    }
    const running = run(); // a synchronous task body runs to its end here
    if (syncLeaseMs > leaseMs) {
      // Back to `leaseMs` at once, not a tick later: a holder that dies now must not leave the
      // long lease behind (on a shared server no one can tell it died: see `holder.ts`).
      clearTimeout(timer);
      renew(leaseMs);
    }
    return await running;
  } finally {
    done = true;
    clearTimeout(timer);
    await lease.release().catch(() => {});
  }
}
