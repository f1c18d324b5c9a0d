/**
 * What every part of the adapter conformance suite shares: the options an adapter's test passes,
 * the way a part registers its tests, and assertions and test data that need no runtime's
 * assertion library and no runtime-specific global (the suite runs in browsers too).
 *
 * @module
 */
import type { CacheAdapter, EntryInfo } from "../../src/adapter.ts";
import { CacheError } from "../../src/errors.ts";

/** The one thing the suite needs from a test runner: a way to register a named async test. */
export type RegisterTest = (name: string, fn: () => Promise<void>) => unknown;

export interface ConformanceOptions {
  /** Opens a fresh, empty adapter; the suite closes every adapter it opens. */
  open: () => Promise<CacheAdapter>;
  /** The largest value to round-trip (default 50 MiB). */
  largestValue?: number;
  /**
   * Whether the adapter has leases (`acquireLease`). `true` (or left out) registers the lease
   * tests, which fail on an adapter without them; `false` registers a check that it has none.
   */
  leases?: boolean;
  /**
   * Whether the adapter takes values in pieces (`setChunks`). `true` registers the tests of
   * pieces, which fail on an adapter without `setChunks`; left out, none are registered (the
   * method is optional: `TaskCache` joins the pieces for such an adapter).
   */
  chunks?: boolean;
  /**
   * Damages what `adapter` stores, as a failing disk or another program would: changes a byte
   * in every stored value (of every record a value is split into). With it, the suite checks
   * that a damaged entry reads as a miss (see `test/conformance/hooks.ts`).
   */
  damage?: (adapter: CacheAdapter) => Promise<void>;
  /**
   * Puts data that is not the adapter's own beside its entries (another prefix, other files);
   * resolves to a check that rejects unless all of it is still there, unchanged. With it, the
   * suite checks that `clear` keeps it.
   */
  foreign?: (adapter: CacheAdapter) => Promise<() => Promise<void>>;
}

/** What a part of the suite registers its tests with. */
export interface Suite {
  register: RegisterTest;
  options: ConformanceOptions;
  /** Registers a test on a fresh adapter from `options.open`, closed after the test. */
  withAdapter: (name: string, fn: (adapter: CacheAdapter) => Promise<void>) => unknown;
}

export const MiB = 1024 * 1024;

export function fail(message: string): never {
  throw new Error(`conformance: ${message}`);
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

/** Checks that `actual` is a plain `Uint8Array` (not a `Buffer`) equal to `expected`. */
export function assertBytes(actual: unknown, expected: Uint8Array, what: string): void {
  if (!(actual instanceof Uint8Array)) {
    // Described by its type only: the text of a large array would be larger still.
    fail(`${what}: expected a Uint8Array, got ${Object.prototype.toString.call(actual)}`);
  }
  assert(
    Object.getPrototypeOf(actual) === Uint8Array.prototype,
    `${what}: expected a plain Uint8Array, got a ${actual.constructor.name}`,
  );
  assert(
    actual.length === expected.length,
    `${what}: length ${actual.length}, expected ${expected.length}`,
  );
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      fail(`${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** Checks that `promise` rejects with a `CacheError` of `code`. */
export async function assertRejectsWith(
  promise: Promise<unknown>,
  code: string,
  what: string,
): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert(error instanceof CacheError, `${what}: expected a CacheError, got ${String(error)}`);
    assert(error.code === code, `${what}: expected code ${code}, got ${error.code}`);
    return;
  }
  fail(`${what}: expected a rejection with ${code}`);
}

/** Bytes that differ from position to position and from seed to seed. */
export function patternBytes(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Every entry an adapter lists, sorted by key. */
export async function listEntries(adapter: CacheAdapter): Promise<EntryInfo[]> {
  const entries: EntryInfo[] = [];
  for await (const entry of adapter.entries()) entries.push(entry);
  return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
