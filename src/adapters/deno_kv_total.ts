/**
 * The running total of `DenoKvAdapter` (deno_kv.ts) for the size limit: the sum of the sizes in
 * the entries' metadata records (what `entries()` lists), shared by every process using the
 * database. Two records under the prefix:
 *
 * - `[...prefix, "u"]`, the total, a `Deno.KvU64` moved by Deno KV's atomic `sum` (a decrease is
 *   a sum of 2^64 - n, which wraps);
 * - `[...prefix, "us"]`, when the total was started (a time in milliseconds): while it is absent,
 *   no total is kept, and a `TaskCache` counts the entries and starts one.
 *
 * Every commit that writes or removes a metadata record (a set, a delete, an expiry, `clear`)
 * checks the start record's versionstamp as this process last saw it and, when a total is kept,
 * sums the change of size into it, in the same atomic commit: the total cannot miss a change,
 * nor count one twice, whatever other processes do. The start record changes only when a total
 * is started (or replaced), so sums of several processes never conflict. A commit that fails its
 * check reads the start record again and is redone. A set assumes the entry absent (the usual
 * case: a miss is being stored) and reads the old metadata only when that check fails.
 *
 * @module
 */
import {
  atomic,
  checkOf,
  type KvAtomic,
  type KvEntryMaybe,
  type KvKey,
  type KvLike,
} from "./deno_kv_atomic.ts";
import { isMeta, isTime, type KvLayout } from "./deno_kv_format.ts";

const U64 = 1n << 64n;
/** Totals at or past this are a decrease gone below 0: the total is off. */
const NEGATIVE = 1n << 63n;

/** An entry's metadata record as read before a commit: its versionstamp and the size it holds. */
export interface MetaState {
  versionstamp: string | null;
  size: number;
}

/** The metadata of an entry assumed absent (a set of a key that missed). */
export const ABSENT: MetaState = { versionstamp: null, size: 0 };

/** The size a metadata record read holds (0 for none, or a damaged one: not listed either). */
export function metaState(read: KvEntryMaybe<unknown>): MetaState {
  return {
    versionstamp: read.versionstamp,
    size: isMeta(read.value) ? read.value.s : 0,
  };
}

/** A `Deno.KvU64` as read (Deno's own, or `@deno/kv`'s), or `undefined`. */
function u64Of(value: unknown): bigint | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const name = value.constructor?.name;
  const n = (value as { value?: unknown }).value;
  return (name === "KvU64" || name === "_KvU64") && typeof n === "bigint" && n >= 0n && n < U64
    ? n
    : undefined;
}

/** The running total of one adapter's records, as this process sees it. */
export class KvTotal {
  readonly #layout: KvLayout;
  /** The start record's versionstamp as last seen (`null`: none, no total kept). */
  #started: string | null = null;

  constructor(layout: KvLayout) {
    this.#layout = layout;
  }

  /** The start record's key. */
  get startKey(): KvKey {
    return this.#layout.totalStart();
  }

  /** The start record as just read. */
  seen(start: KvEntryMaybe<unknown>): void {
    this.#started = start.versionstamp;
  }

  /**
   * Adds to `operation` the check that the total is as last seen and, when one is kept, the sum
   * of `delta` bytes (a commit that fails the check is redone after `refresh`).
   */
  account(operation: KvAtomic, delta: number): KvAtomic {
    operation.check({ key: this.#layout.totalStart(), versionstamp: this.#started });
    if (this.#started !== null && delta !== 0) {
      operation.sum(this.#layout.total(), BigInt.asUintN(64, BigInt(delta)));
    }
    return operation;
  }

  /** Reads the start record again (a commit failed a check); whether it changed. */
  async refresh(kv: KvLike): Promise<boolean> {
    const before = this.#started;
    this.seen(await kv.get(this.#layout.totalStart()));
    return this.#started !== before;
  }

  /**
   * The total, or `undefined` when none is kept, or it cannot be used (damaged, or below 0:
   * changes made behind the adapter's back): then the cache counts the entries and `correct`
   * starts it again.
   */
  async read(kv: KvLike): Promise<number | undefined> {
    const [start, total] = await kv.getMany<[unknown, unknown]>([
      this.#layout.totalStart(),
      this.#layout.total(),
    ]);
    this.seen(start);
    const bytes = u64Of(total.value);
    if (!isTime(start.value) || bytes === undefined || bytes >= NEGATIVE) return undefined;
    return Number(bytes);
  }

  /**
   * Commits `operation` (built with `account`); a sum refused because the total record is
   * damaged (not a `KvU64`: changed behind the adapter's back) removes the total, and resolves
   * as a failed check, so that the caller reads again and redoes its commit.
   */
  async commit(kv: KvLike, operation: KvAtomic): Promise<{ ok: boolean; versionstamp?: string }> {
    try {
      return await operation.commit();
    } catch (error) {
      if (this.#started === null) throw error;
      const layout = this.#layout;
      const [start, total] = await kv.getMany<[unknown, unknown]>([
        layout.totalStart(),
        layout.total(),
      ]);
      if (total.value === null || u64Of(total.value) !== undefined) throw error;
      await atomic(kv).check(checkOf(start), checkOf(total)).delete(layout.totalStart())
        .delete(layout.total()).commit();
      this.#started = null;
      return { ok: false };
    }
  }

  /**
   * A count of the entries found `counted` bytes while `read` said `kept`: moves the total by
   * the difference, or (`kept` undefined) starts one at `counted`, unless another process
   * started a usable one meanwhile (one that cannot be used is replaced).
   */
  async correct(kv: KvLike, counted: number, kept: number | undefined): Promise<void> {
    if (kept !== undefined) {
      // Only the total `kept` was read from: one started again meanwhile stands.
      if (this.#started !== null && counted !== kept) {
        await this.commit(kv, this.account(atomic(kv), counted - kept));
      }
      return;
    }
    const layout = this.#layout;
    for (let attempt = 0; attempt < 10; attempt++) {
      const [start, total] = await kv.getMany<[unknown, unknown]>([
        layout.totalStart(),
        layout.total(),
      ]);
      this.seen(start);
      const bytes = u64Of(total.value);
      if (isTime(start.value) && bytes !== undefined && bytes < NEGATIVE) return;
      const operation = atomic(kv).check(checkOf(start), checkOf(total));
      if (total.value !== null && bytes === undefined) {
        // A damaged total goes first; the next attempt starts one (Deno KV sets a KvU64 only
        // by a sum here: the runtime's own class is not at hand).
        await operation.delete(layout.total()).commit();
        continue;
      }
      const committed = await operation
        .sum(layout.total(), BigInt.asUintN(64, BigInt(counted) - (bytes ?? 0n)))
        .set(layout.totalStart(), Date.now()).commit();
      if (committed.ok) {
        this.#started = committed.versionstamp ?? null;
        return;
      }
    }
  }
}
