/**
 * `DenoKvAdapter`'s leases, for single flight across processes: the record
 * `[...prefix, "l", ...id]` holding `{ o: owner, e: expiry, p: pid, h: host }`, taken (when
 * absent, expired, or its holder on this host is gone) and renewed by atomic commits that check
 * its versionstamp, so two holders never both succeed.
 *
 * @module
 */
import type { Lease } from "../adapter.ts";
import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import { isGoneHolder, thisHolder } from "../internal/holder.ts";
import { atomic, type KvEntryMaybe, kvError, type KvKey, type KvLike } from "./deno_kv_atomic.ts";

/** A lease record: its owner's token, its expiry, and its holder's process id and host. */
interface LeaseRecord {
  o: string;
  e: number;
  p?: number;
  h?: string;
}

/**
 * The lease at `key` for `ttlMs`, or `undefined` while another holder's stands. Only its holder
 * (a random token) renews or releases it.
 */
export async function acquireKvLease(
  kv: KvLike,
  key: KvKey,
  ttlMs: number,
): Promise<Lease | undefined> {
  const owner = bytesToHex(randomBytes(16));
  // The holder's process and host: a waiter on this host sees at once that a killed holder
  // is gone (src/internal/holder.ts), whatever time its lease had left.
  const holder = thisHolder();
  /** Sets the lease if it is as `read` found it; whether it did. */
  const claim = async (read: KvEntryMaybe<LeaseRecord>, ttl = ttlMs) => {
    const taken = await atomic(kv).check({ key, versionstamp: read.versionstamp })
      .set(key, { o: owner, e: Date.now() + ttl, p: holder?.pid, h: holder?.host }).commit();
    return taken.ok;
  };
  try {
    const held = await kv.get<LeaseRecord>(key);
    const lease = held.value;
    if (lease !== null && lease.e > Date.now() && !isGoneHolder(lease.p, lease.h)) {
      return undefined;
    }
    if (!(await claim(held))) return undefined;
  } catch (error) {
    throw kvError(error, "take the lease");
  }
  return {
    renew: async (ttl = ttlMs) => {
      try {
        const held = await kv.get<LeaseRecord>(key);
        return held.value?.o === owner && await claim(held, ttl);
      } catch (error) {
        throw kvError(error, "renew the lease");
      }
    },
    release: async () => {
      try {
        const held = await kv.get<LeaseRecord>(key);
        if (held.value?.o !== owner) return;
        await atomic(kv).check({ key, versionstamp: held.versionstamp }).delete(key).commit();
      } catch {
        // The lease expires by itself.
      }
    },
  };
}
