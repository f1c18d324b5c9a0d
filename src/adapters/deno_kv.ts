/**
 * `DenoKvAdapter`: cache entries in Deno KV (a local file, `:memory:`, or a remote KV Connect
 * database), in Deno or, through the npm package `@deno/kv`, in Node.
 *
 * Deno KV refuses values over 64 KiB, keys over 2 KiB and atomic commits over 800 KiB; the
 * adapter hides all three. An entry's id is `["k", key]` for a key of up to 500 characters, or
 * `["s", SHA-256 of the key]` for a longer one (or one with an unpaired surrogate); under the
 * adapter's prefix:
 *
 * - `[...prefix, "h", ...id]`, the head: for a value that fits in one record, the value itself
 *   (short keys) or `{ k: key, v: value }` (hashed keys), sealed with a checksum of the value
 *   and the key (`seal` of src/internal/checksum.ts); for a larger one
 *   `{ k: key, g: generation, n: chunks, l: length, c: checksum }`;
 * - `[...prefix, "c", ...id, generation, i]`, the chunks of a large value (63 KiB each);
 * - `[...prefix, "m", ...id]`, the entry's metadata `{ t: task name, v: cache version,
 *   s: size, c: creation time }` (and `k: key` for hashed ids), committed with the head;
 * - `[...prefix, "l", ...id]`, a lease `{ o: owner, e: expiry, p: pid, h: host }` (see
 *   `acquireLease`);
 * - `[...prefix, "r", ...id]`, the last read time (a number of milliseconds), committed with the
 *   head and updated by a hit when older than `READ_TIME_RESOLUTION_MS` (this process remembers
 *   what it wrote, so a run of hits costs one write, not one each);
 * - `[...prefix, "e"]`, the clear epoch, which `clear` sets first.
 *
 * A large value's chunks are written first, under a fresh generation
 * `<head versionstamp>.<epoch versionstamp>.<random>` naming the head and the clear epoch the
 * writer saw, in commits of up to 12 chunks; then one commit points the head at them, checking
 * that neither changed meanwhile (else the set lost to another set, a delete or a clear, and
 * counts as done before it). Readers see the old value or the new one, never a mix. The writer
 * that commits a head deletes the other generations that followed an older head: the one it
 * replaced, and chunks of writers that died (or lost) before their head commit; those of
 * writers that started after it are theirs. `clear` sets a new epoch, then removes each entry
 * whole (head, metadata, read time, unless a set replaced it meanwhile) and the chunks of every
 * generation of an older epoch. Every commit is tried again for a while when the database is
 * busy with another process's (SQLite's "database is locked"). A reader checks the chunks'
 * count, length and checksum against the head and reads again if a concurrent writer replaced
 * them, so it never returns a mix either.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import {
  type CacheAdapter,
  type EntryInfo,
  type EntryMetadata,
  type GetOptions,
  isOtherTask,
  type Lease,
} from "../adapter.ts";
import { RecentReads } from "../internal/read_times.ts";
import { Checksum, seal, unseal, utf16le } from "../internal/checksum.ts";
import { CacheError } from "../errors.ts";
import { isWellFormed } from "../internal/unicode.ts";
import {
  checkPieces,
  joinInSlices,
  regroup,
  setAsOnePiece,
  totalLength,
} from "../internal/slices.ts";
import { isGoneHolder, thisHolder } from "../internal/holder.ts";

/**
 * A part of a Deno KV key, as the adapter writes them (the types both `Deno.Kv` and the npm
 * client `@deno/kv` take).
 */
export type KvKeyPart = Uint8Array | string | number | bigint | boolean;
/** A Deno KV key. */
export type KvKey = readonly KvKeyPart[];
/**
 * A key as a database hands it back: `Deno.KvKeyPart` also has `symbol`, so `unknown` parts
 * (the adapter only reads keys under its prefix, all written as `KvKey`s).
 */
export type KvKeyRead = readonly unknown[];

/** What one read of a Deno KV key gives. */
export interface KvEntryMaybe<T> {
  key: KvKeyRead;
  value: T | null;
  versionstamp: string | null;
}

/** The atomic operation of a Deno KV database, as far as the adapter uses it. */
export interface KvAtomic {
  check(...checks: { key: KvKey; versionstamp: string | null }[]): KvAtomic;
  set(key: KvKey, value: unknown): KvAtomic;
  delete(key: KvKey): KvAtomic;
  commit(): Promise<{ ok: boolean; versionstamp?: string }>;
}

/**
 * The part of `Deno.Kv` the adapter uses: a `Deno.Kv` from `Deno.openKv`, or the `Kv` client of
 * the npm package `@deno/kv` (`openKv`) in Node; both fit as they are, without a cast.
 */
export interface KvLike {
  get<T = unknown>(key: KvKey, options?: { consistency?: "strong" | "eventual" }): Promise<
    KvEntryMaybe<T>
  >;
  getMany<T extends readonly unknown[]>(
    keys: readonly [...{ [K in keyof T]: KvKey }],
    options?: { consistency?: "strong" | "eventual" },
  ): Promise<{ [K in keyof T]: KvEntryMaybe<T[K]> }>;
  list<T = unknown>(
    selector: { prefix: KvKey; start?: KvKey; end?: KvKey },
    options?: { batchSize?: number; consistency?: "strong" | "eventual" },
  ): AsyncIterable<{ key: KvKeyRead; value: T; versionstamp: string }>;
  atomic(): KvAtomic;
  close(): void;
}

/** Options of {@link DenoKvAdapter}: an open database (`kv`) or a path to open (`path`). */
export interface DenoKvAdapterOptions {
  /** An open database; the adapter does not close it. */
  kv?: KvLike;
  /** A path (or `:memory:`, or a KV Connect URL) for `Deno.openKv`; the adapter closes it. */
  path?: string;
  /** The key prefix of the cache's entries (default `["local-task-cache"]`). */
  prefix?: KvKey;
}

/** The largest value kept in the head record itself. */
const INLINE_LIMIT = 60 * 1024;
/** The size of a chunk: under Deno KV's 64 KiB per value, with room for its encoding. */
const CHUNK_BYTES = 63 * 1024;
/** Chunks per commit: under Deno KV's 800 KiB per atomic commit. */
const CHUNKS_PER_COMMIT = 12;
/** Deletions per commit (Deno KV allows 1000 mutations). */
const DELETES_PER_COMMIT = 500;
/** Entries a `clear` removes per commit, each with a check (`@deno/kv` allows 10 checks). */
const CLEAR_BATCH = 10;
/** Chunks read per batch of a listing (about 2 MiB of values). */
const CHUNK_LIST_BATCH = 32;
/** How often a read starts again when writers keep replacing the chunks it reads. */
const READ_ATTEMPTS = 5;

/** An entry's metadata record. */
interface Meta {
  /** The key (hashed ids only: a short id holds it). */
  k?: string;
  t: string;
  v: string;
  s: number;
  c: number;
}

interface Head {
  /** The cache key, to tell apart keys whose SHA-256 collide (never seen, but checked). */
  k: string;
  /** An inline value. */
  v?: Uint8Array;
  /** The generation of the chunks, their count, the value's length and checksum. */
  g?: string;
  n?: number;
  l?: number;
  c?: [number, number];
}

/**
 * Stores entries in Deno KV. Values of any size (split into chunks under the hood, replaced
 * atomically for readers), keys of any length, and `clear` removes only the entries under the
 * adapter's prefix.
 *
 * In Deno, KV needs `--unstable-kv`; a local file also needs `--allow-read` and `--allow-write`
 * for it, a remote database `--allow-net` and `DENO_KV_ACCESS_TOKEN` (`--allow-env`).
 *
 * @example
 * ```ts
 * import { TaskCache } from "local-task-cache";
 * import { DenoKvAdapter } from "local-task-cache/adapters/deno-kv";
 *
 * const cache = new TaskCache(new DenoKvAdapter({ path: ":memory:" }));
 * await cache.close();
 * ```
 */
/** A lease record: its owner's token, its expiry, and its holder's process id and host. */
interface LeaseRecord {
  o: string;
  e: number;
  p?: number;
  h?: string;
}

export class DenoKvAdapter implements CacheAdapter {
  readonly #prefix: KvKey;
  readonly #owned: boolean;
  readonly #path: string | undefined;
  /** The open database, once there is one. */
  #db: KvLike | undefined;
  #opening: Promise<KvLike> | undefined;
  #closed = false;
  /** Read times this adapter wrote (or stored with a `set`). */
  #touched = new RecentReads();

  /**
   * An adapter over `options.kv`, or over the database `Deno.openKv(options.path)` opens on
   * first use.
   *
   * @example
   * ```ts
   * import { DenoKvAdapter } from "local-task-cache/adapters/deno-kv";
   *
   * const kv = await Deno.openKv(":memory:");
   * const adapter = new DenoKvAdapter({ kv, prefix: ["my-app", "task-cache"] });
   * ```
   */
  constructor(options: DenoKvAdapterOptions) {
    const { kv, path, prefix = ["local-task-cache"] } = options ?? {};
    if ((kv === undefined) === (path === undefined)) {
      throw new TypeError("DenoKvAdapter: pass exactly one of options.kv and options.path");
    }
    if (kv !== undefined && (typeof kv !== "object" || typeof kv.atomic !== "function")) {
      throw new TypeError("DenoKvAdapter: options.kv must be an open Deno.Kv");
    }
    if (path !== undefined && typeof path !== "string") {
      throw new TypeError("DenoKvAdapter: options.path must be a string");
    }
    if (!Array.isArray(prefix)) {
      throw new TypeError("DenoKvAdapter: options.prefix must be an array of key parts");
    }
    this.#prefix = [...prefix];
    this.#owned = kv === undefined;
    this.#path = path;
    this.#db = kv;
  }

  /**
   * The stored value for `key` (a new plain `Uint8Array`), or `undefined`; an entry stored
   * before `options.notBefore` is removed, another task's (`options.expect`) is kept.
   */
  async get(key: string, options: GetOptions = {}): Promise<Uint8Array | undefined> {
    const id = entryId(key);
    const kv = this.#db ?? (await this.#open());
    try {
      const { notBefore, expect } = options;
      let read: KvEntryMaybe<Head | Uint8Array>;
      if (notBefore === undefined && expect === undefined) {
        read = await kv.get<Head | Uint8Array>(this.#headKey(id));
      } else {
        const [head, meta] = await kv.getMany<[Head | Uint8Array, Meta]>([
          this.#headKey(id),
          this.#metaKey(id),
        ]);
        read = head;
        if (head.value === null) return undefined;
        if (notBefore !== undefined && !((meta.value?.c ?? -Infinity) >= notBefore)) {
          await this.#deleteEntry(kv, id);
          return undefined;
        }
        // Another task's entry (same key) is left to it.
        if (isMeta(meta.value) && isOtherTask(expect, meta.value.t, meta.value.v)) {
          return undefined;
        }
      }
      const value = await this.#value(kv, id, key, read.value);
      if (value !== undefined) await this.#touch(kv, id, key, read.versionstamp);
      return value;
    } catch (error) {
      throw storageError(error, "read");
    }
  }

  /** The value a head stands for. */
  #value(kv: KvLike, id: KvKey, key: string, head: Head | Uint8Array | null) {
    // A short key's small value is the head itself: the KV key already holds the whole key.
    if (head instanceof Uint8Array) return id[0] === "k" ? opened(key, head) : undefined;
    if (!isHead(head) || head.k !== key) return undefined;
    if (head.v !== undefined) return opened(key, head.v);
    return this.#getChunked(kv, id, key, head);
  }

  /** Records a read of the entry whose head has `versionstamp`, unless one is recent. */
  async #touch(kv: KvLike, id: KvKey, key: string, versionstamp: string | null) {
    const now = Date.now();
    if (!this.#touched.due(key, now)) return;
    try {
      // Only while the entry is the one read: a deleted entry gets no stray record.
      await atomic(kv).check({ key: this.#headKey(id), versionstamp })
        .set(this.#readKey(id), now).commit();
    } catch {
      // Best effort: a busy database (another process writing) keeps the older read time, and
      // the hit stands; a later hit tries again.
      this.#touched.forget(key);
    }
  }

  /** A chunked value, read again while concurrent writers replace it under the reader. */
  async #getChunked(kv: KvLike, id: KvKey, key: string, head: Head) {
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const value = await this.#readChunks(kv, id, head);
      if (value !== undefined) return value;
      // The chunks were replaced under us (or are damaged): look at the head again.
      const again = (await kv.get<Head | Uint8Array>(this.#headKey(id))).value;
      if (again instanceof Uint8Array) return id[0] === "k" ? opened(key, again) : undefined;
      if (!isHead(again) || again.k !== key || again.g === head.g) return undefined;
      if (again.v !== undefined) return opened(key, again.v);
      head = again;
    }
    return undefined;
  }

  /** Stores `value` under `key`, replacing any previous value atomically for readers. */
  set(key: string, value: Uint8Array, metadata?: EntryMetadata): Promise<void> {
    return setAsOnePiece(this, "DenoKvAdapter", key, value, metadata);
  }

  /**
   * `set` of the pieces `pieces` joined: a large value goes to its records straight from the
   * pieces (never joined in memory), summed as it goes.
   */
  async setChunks(
    key: string,
    pieces: readonly Uint8Array[],
    metadata?: EntryMetadata,
  ): Promise<void> {
    checkPieces(pieces, "DenoKvAdapter.setChunks");
    const id = entryId(key);
    const kv = this.#db ?? (await this.#open());
    const size = totalLength(pieces);
    try {
      let head: Head | Uint8Array;
      const commit = atomic(kv);
      if (size + key.length * 3 <= INLINE_LIMIT) {
        const value = pieces.length === 1 ? pieces[0]! : await joinInSlices(pieces);
        // Bytes alone where the KV key holds the whole key (read back without an object).
        head = id[0] === "k" ? seal(key, value) : { k: key, v: seal(key, value) };
      } else {
        // Chunks first, under a generation named after the head and the clear epoch they
        // follow; the head commits only if neither changed meanwhile (else this set lost the
        // race to another set, a delete or a clear: it counts as done before them).
        const [before, epoch] = await kv.getMany<[unknown, unknown]>([
          this.#headKey(id),
          this.#epochKey(),
        ]);
        const generation = `${before.versionstamp ?? "0"}.${epoch.versionstamp ?? "0"}.${
          bytesToHex(randomBytes(8))
        }`;
        const sum = await this.#writeChunks(kv, id, generation, pieces);
        const count = Math.ceil(size / CHUNK_BYTES);
        head = { k: key, g: generation, n: count, l: size, c: sum };
        commit.check(checkOf(before), checkOf(epoch));
      }
      // Once the head is in, the chunks of older heads and of writers that started before it
      // (they cannot commit now) are garbage; those of writers that started after it are not.
      // Listed while the head commits (a set costs one round trip, not two), deleted after.
      const now = Date.now();
      const meta: Meta = {
        t: metadata?.taskName ?? "",
        v: metadata?.cacheVersion ?? "",
        s: size,
        c: now,
      };
      if (id[0] !== "k") meta.k = key;
      const prefix = this.#chunkPrefix(id);
      const ours = generationOf(head);
      // (Not reading this set's own chunks: a listing reads the values too.)
      const [committed, chunks] = await Promise.all([
        commit.set(this.#headKey(id), head).set(this.#metaKey(id), meta)
          .set(this.#readKey(id), now).commit(),
        ours === undefined ? listChunkKeys(kv, { prefix }) : Promise.all([
          listChunkKeys(kv, { prefix, end: [...prefix, ours] }),
          listChunkKeys(kv, { prefix, start: [...prefix, `${ours}\0`] }),
        ]).then(([before, after]) => [...before, ...after]),
      ]);
      if (!committed.ok) {
        if (ours === undefined) throw new Error("the commit of the entry's head failed");
        await deleteKeys(kv, await listChunkKeys(kv, { prefix: this.#chunkPrefix(id, ours) }));
        return;
      }
      this.#touched.remember(key, now);
      const base = committed.versionstamp;
      await deleteKeys(
        kv,
        chunks.filter((chunk) => baseOf(chunk[prefix.length]) !== base),
      );
    } catch (error) {
      throw storageError(error, "write");
    }
  }

  /** Removes the entry for `key`; resolves to whether there was one. */
  async delete(key: string): Promise<boolean> {
    const id = entryId(key);
    const kv = this.#db ?? (await this.#open());
    try {
      const head = (await kv.get<Head | Uint8Array>(this.#headKey(id))).value;
      await this.#deleteEntry(kv, id);
      return head instanceof Uint8Array ? id[0] === "k" : isHead(head) && head.k === key;
    } catch (error) {
      throw storageError(error, "write");
    }
  }

  /** Removes every entry under the adapter's prefix, and nothing else. */
  async clear(): Promise<void> {
    const kv = this.#db ?? (await this.#open());
    try {
      this.#touched.clear();
      // A new clear epoch first: chunked sets that started before it cannot commit after it.
      const bumped = await atomic(kv).set(this.#epochKey(), Date.now()).commit();
      // Each entry whole (head, metadata, read time), unless a set replaced it meanwhile.
      const at = this.#prefix.length + 1;
      const heads: KvEntryMaybe<unknown>[] = [];
      for await (const head of kv.list({ prefix: [...this.#prefix, "h"] })) heads.push(head);
      await this.#deleteEach(
        kv,
        heads.map((head) => {
          const key = keyOf(head.key);
          const id = key.slice(at);
          return {
            checks: [{ key, versionstamp: head.versionstamp }],
            deletes: [key, this.#metaKey(id), this.#readKey(id)],
          };
        }),
      );
      // Metadata and read times that no head goes with any more.
      for (const part of ["m", "r"]) {
        const orphans = await listKeys(kv, [...this.#prefix, part]);
        await this.#deleteEach(
          kv,
          orphans.map((key) => ({
            checks: [{ key: this.#headKey(key.slice(at)), versionstamp: null }],
            deletes: [key],
          })),
        );
      }
      // Chunks of every generation started before the new epoch; leases.
      await deleteKeys(
        kv,
        await listChunkKeys(kv, { prefix: [...this.#prefix, "c"] }, (chunk) => {
          const generation = chunk[chunk.length - 2];
          return typeof generation !== "string" ||
            generation.split(".")[1] !== bumped.versionstamp;
        }),
      );
      await deleteKeys(kv, await listKeys(kv, [...this.#prefix, "l"]));
    } catch (error) {
      throw storageError(error, "clear");
    }
  }

  /**
   * Commits each deletion with its checks, many to a commit; a commit whose check fails (a set
   * meanwhile) is redone one deletion at a time, and those whose checks fail are left alone.
   */
  async #deleteEach(
    kv: KvLike,
    items: { checks: { key: KvKey; versionstamp: string | null }[]; deletes: KvKey[] }[],
  ): Promise<void> {
    const commitOf = (batch: typeof items) => {
      const operation = atomic(kv);
      for (const { checks, deletes } of batch) {
        operation.check(...checks);
        for (const key of deletes) operation.delete(key);
      }
      return operation.commit();
    };
    for (let first = 0; first < items.length; first += CLEAR_BATCH) {
      const batch = items.slice(first, first + CLEAR_BATCH);
      if ((await commitOf(batch)).ok) continue;
      for (const item of batch) await commitOf([item]);
    }
  }

  /**
   * A lease on `name` for single flight across processes: the record `[...prefix, "l", ...id]`
   * holding its owner and expiry, taken (when absent or expired) and renewed by atomic commits
   * that check its versionstamp, so two holders never both succeed.
   */
  async acquireLease(name: string, ttlMs: number): Promise<Lease | undefined> {
    if (!(typeof ttlMs === "number" && ttlMs > 0)) {
      throw new TypeError(`DenoKvAdapter.acquireLease: ttlMs must be a number > 0, got ${ttlMs}`);
    }
    const key = [...this.#prefix, "l", ...entryId(name)];
    const kv = this.#db ?? (await this.#open());
    const owner = bytesToHex(randomBytes(16));
    /** Sets the lease if it is as `read` found it; whether it did. */
    // The holder's process and host: a waiter on this host sees at once that a killed holder
    // is gone (src/internal/holder.ts), whatever time its lease had left.
    const holder = thisHolder();
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
      throw storageError(error, "take a lease");
    }
    return {
      renew: async (ttl = ttlMs) => {
        try {
          const held = await kv.get<LeaseRecord>(key);
          return held.value?.o === owner && await claim(held, ttl);
        } catch (error) {
          throw storageError(error, "renew a lease");
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

  /** Every entry's metadata, from the metadata and read-time records under the prefix. */
  async *entries(): AsyncIterable<EntryInfo> {
    const kv = this.#db ?? (await this.#open());
    const reads = new Map<string, number>();
    const metas: { key: KvKey; value: Meta }[] = [];
    try {
      const at = this.#prefix.length + 1;
      for await (const read of kv.list<number>({ prefix: [...this.#prefix, "r"] })) {
        if (isTime(read.value)) reads.set(idText(read.key.slice(at)), read.value);
      }
      for await (const meta of kv.list<Meta>({ prefix: [...this.#prefix, "m"] })) {
        metas.push({ key: keyOf(meta.key), value: meta.value });
      }
      for (const { key, value } of metas) {
        const id = key.slice(at);
        const entryKey = id[0] === "k" ? id[1] : value?.k;
        // A damaged record is left out of the listing (a read of its entry removes it).
        if (typeof entryKey !== "string" || !isMeta(value)) continue;
        yield {
          key: entryKey,
          taskName: value.t,
          cacheVersion: value.v,
          size: value.s,
          createdAt: value.c,
          lastReadAt: Math.max(value.c, reads.get(idText(id)) ?? value.c),
        };
      }
    } catch (error) {
      throw storageError(error, "list the entries");
    }
  }

  /** Closes the database if the adapter opened it (`path`); later calls fail with `CLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const db = this.#db ?? (await this.#opening?.catch(() => undefined));
    this.#db = this.#opening = undefined;
    if (this.#owned) db?.close();
  }

  async #open(): Promise<KvLike> {
    if (this.#closed) throw new CacheError("CLOSED", "DenoKvAdapter is closed: open a new one");
    this.#opening ??= openKv(this.#path!);
    try {
      const db = await this.#opening;
      if (this.#closed) throw new CacheError("CLOSED", "DenoKvAdapter is closed: open a new one");
      return (this.#db = db);
    } catch (error) {
      this.#opening = undefined;
      throw error instanceof CacheError ? error : storageError(error, "open");
    }
  }

  #headKey(id: KvKey): KvKey {
    return [...this.#prefix, "h", ...id];
  }

  #metaKey(id: KvKey): KvKey {
    return [...this.#prefix, "m", ...id];
  }

  #readKey(id: KvKey): KvKey {
    return [...this.#prefix, "r", ...id];
  }

  /** Removes an entry's head, metadata, read time and chunks. */
  /**
   * Removes an entry's head, metadata and read time (one commit), then the chunks of every
   * generation but those of writers that started after it (they follow no head: base "0").
   */
  async #deleteEntry(kv: KvLike, id: KvKey): Promise<void> {
    await atomic(kv).delete(this.#headKey(id)).delete(this.#metaKey(id))
      .delete(this.#readKey(id)).commit();
    const prefix = this.#chunkPrefix(id);
    await deleteKeys(
      kv,
      await listChunkKeys(kv, { prefix }, (chunk) => baseOf(chunk[prefix.length]) !== "0"),
    );
  }

  #epochKey(): KvKey {
    return [...this.#prefix, "e"];
  }

  #chunkPrefix(id: KvKey, generation?: string): KvKey {
    return generation === undefined
      ? [...this.#prefix, "c", ...id]
      : [...this.#prefix, "c", ...id, generation];
  }

  /**
   * Writes the value made of `pieces` as records of `CHUNK_BYTES`, a commit at a time (the
   * event loop runs between them); resolves to its checksum.
   */
  async #writeChunks(
    kv: KvLike,
    id: KvKey,
    generation: string,
    pieces: readonly Uint8Array[],
  ): Promise<[number, number]> {
    const prefix = this.#chunkPrefix(id, generation);
    const sum = new Checksum();
    let operation = atomic(kv);
    let i = 0;
    // A commit's worth of records, used again for the next commit once this one is stored
    // (a large value leaves no trail of garbage records behind it).
    const records: Uint8Array[] = [];
    const allocate = (length: number) =>
      length === CHUNK_BYTES
        ? records[i % CHUNKS_PER_COMMIT] ??= new Uint8Array(CHUNK_BYTES)
        : new Uint8Array(length);
    for (const record of regroup(pieces, CHUNK_BYTES, allocate)) {
      sum.update(record);
      operation.set([...prefix, i++], record);
      if (i % CHUNKS_PER_COMMIT === 0) {
        await commitChunks(operation);
        operation = atomic(kv);
      }
    }
    if (i % CHUNKS_PER_COMMIT !== 0) await commitChunks(operation);
    return sum.digest();
  }

  /** The value the head's chunks hold, or `undefined` if they are not all there and intact. */
  async #readChunks(kv: KvLike, id: KvKey, head: Head): Promise<Uint8Array | undefined> {
    const { g, n, l, c } = head;
    // A damaged head (its fields of the wrong type, or not agreeing) is a miss.
    if (
      typeof g !== "string" || typeof l !== "number" || !Number.isSafeInteger(l) || l < 0 ||
      n !== Math.ceil(l / CHUNK_BYTES) || !Array.isArray(c) || c.length !== 2
    ) {
      return undefined;
    }
    let value: Uint8Array;
    try {
      value = new Uint8Array(l);
    } catch {
      return undefined; // a length no value of ours has
    }
    let index = 0;
    let offset = 0;
    const sum = new Checksum();
    // Batches of about 2 MiB: the work between two reads (copying, summing) stays short.
    for await (
      const entry of kv.list<Uint8Array>({ prefix: this.#chunkPrefix(id, g) }, {
        batchSize: CHUNK_LIST_BATCH,
      })
    ) {
      const chunk = entry.value;
      if (
        entry.key[entry.key.length - 1] !== index || !(chunk instanceof Uint8Array) ||
        offset + chunk.length > l
      ) {
        return undefined;
      }
      value.set(chunk, offset);
      sum.update(chunk);
      offset += chunk.length;
      index++;
    }
    if (index !== n || offset !== l) return undefined;
    const [low, high] = sum.digest();
    return low === c[0] && high === c[1] ? value : undefined;
  }
}

/** Commits a value's records. */
async function commitChunks(operation: ReturnType<typeof atomic>): Promise<void> {
  const committed = await operation.commit();
  if (!committed.ok) throw new Error("the commit of a value's chunks failed");
}

/** What the database threw (Deno KV throws `TypeError`s too), as a `CacheError`. */
function storageError(error: unknown, action: string): Error {
  if (error instanceof CacheError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = /closed/i.test(message) ? "CLOSED" : "IO";
  return new CacheError(code, `DenoKvAdapter: cannot ${action}: ${message}`, { cause: error });
}

/** Commits tried again while the database is busy with another process's (SQLite's lock). */
const BUSY_ATTEMPTS = 12;
const BUSY = /database is locked|busy/i;

/**
 * `work()`, tried again after a short, growing wait while the database is busy (another
 * process holds SQLite's write lock: Deno KV throws "database is locked"), before it fails.
 */
async function whileBusy<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= BUSY_ATTEMPTS || !BUSY.test(String((error as Error)?.message))) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2 ** attempt, 200)));
    }
  }
}

/** `kv.atomic()`, with commits tried again while the database is busy (`whileBusy`). */
function atomic(kv: KvLike): KvAtomic {
  const steps: ((operation: KvAtomic) => void)[] = [];
  const chain: KvAtomic = {
    check: (...checks) => (steps.push((o) => o.check(...checks)), chain),
    set: (key, value) => (steps.push((o) => o.set(key, value)), chain),
    delete: (key) => (steps.push((o) => o.delete(key)), chain),
    commit: () =>
      whileBusy(() => {
        const operation = kv.atomic();
        for (const step of steps) step(operation);
        return operation.commit();
      }),
  };
  return chain;
}

/** Opens a database with `Deno.openKv`, where the runtime has it. */
function openKv(path: string): Promise<KvLike> {
  const deno = (globalThis as { Deno?: { openKv?: (path: string) => Promise<KvLike> } }).Deno;
  if (typeof deno?.openKv !== "function") {
    return Promise.reject(
      new CacheError(
        "IO",
        "DenoKvAdapter: Deno.openKv is not available: run Deno with --unstable-kv, or pass " +
          "{ kv } (in Node, from openKv of the npm package @deno/kv)",
      ),
    );
  }
  return whileBusy(() => deno.openKv!(path));
}

/** The keys under `prefix` that `select` picks. */
async function listKeys(
  kv: KvLike,
  prefix: KvKey,
  select: (key: KvKey) => boolean = () => true,
): Promise<KvKey[]> {
  return await listSelected(kv, { prefix }, select, DELETES_PER_COMMIT);
}

/**
 * The keys of the chunks `selector` selects, read in small batches: a listing reads the
 * values too, and a smaller batch keeps the work between two reads short.
 */
async function listChunkKeys(
  kv: KvLike,
  selector: { prefix: KvKey; start?: KvKey; end?: KvKey },
  select: (key: KvKey) => boolean = () => true,
): Promise<KvKey[]> {
  return await listSelected(kv, selector, select, CHUNK_LIST_BATCH);
}

async function listSelected(
  kv: KvLike,
  selector: { prefix: KvKey; start?: KvKey; end?: KvKey },
  select: (key: KvKey) => boolean,
  batchSize: number,
): Promise<KvKey[]> {
  const keys: KvKey[] = [];
  for await (const entry of kv.list(selector, { batchSize })) {
    const key = keyOf(entry.key);
    if (select(key)) keys.push(key);
  }
  return keys;
}

/** Deletes `keys`, in atomic commits of up to `DELETES_PER_COMMIT`. */
async function deleteKeys(kv: KvLike, keys: KvKey[]): Promise<void> {
  for (let first = 0; first < keys.length; first += DELETES_PER_COMMIT) {
    const operation = atomic(kv);
    for (const key of keys.slice(first, first + DELETES_PER_COMMIT)) operation.delete(key);
    await operation.commit();
  }
}

/** A key read back from under the prefix: written by the adapter, so a `KvKey`. */
function keyOf(key: KvKeyRead): KvKey {
  return key as KvKey;
}

/** A check that the record `read` is still as it was read. */
function checkOf(read: KvEntryMaybe<unknown>): { key: KvKey; versionstamp: string | null } {
  return { key: keyOf(read.key), versionstamp: read.versionstamp };
}

/** Keys up to this many UTF-16 units are KV key parts as they are (at most 1500 UTF-8 bytes). */
const DIRECT_KEY_LIMIT = 500;

/**
 * The KV key parts naming entry `key`: `["k", key]` for a short key (no hashing), else
 * `["s", SHA-256 of its UTF-16 code units]`, short whatever the key's length. Keys with an
 * unpaired surrogate are always hashed: KV would store them as UTF-8, replacing it.
 */
function entryId(key: string): KvKey {
  if (typeof key !== "string") {
    throw new TypeError(`DenoKvAdapter: a key must be a string, got ${typeof key}`);
  }
  if (key.length <= DIRECT_KEY_LIMIT && isWellFormed(key)) return ["k", key];
  return ["s", bytesToHex(sha256(utf16le(key)))];
}

/** Whether `value` is a metadata record as `set` writes them. */
function isMeta(value: unknown): value is Meta {
  const meta = value as Partial<Meta> | null;
  return typeof meta === "object" && meta !== null && typeof meta.t === "string" &&
    typeof meta.v === "string" && isSize(meta.s) && isTime(meta.c);
}

/** A time in milliseconds since the epoch, as the adapter writes them. */
function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** A size in bytes. */
function isSize(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** An id as a string, to match an entry's records. */
function idText(id: KvKeyRead): string {
  return `${String(id[0])}\u0000${String(id[1])}`;
}

function isHead(value: unknown): value is Head {
  return typeof value === "object" && value !== null && typeof (value as Head).k === "string";
}

function generationOf(head: Head | Uint8Array): string | undefined {
  return head instanceof Uint8Array ? undefined : head.g;
}

/**
 * The head versionstamp a chunk generation followed (`"0"`: none), from its name
 * `<head versionstamp>.<epoch versionstamp>.<random>`.
 */
function baseOf(generation: KvKeyPart | undefined): string | undefined {
  return typeof generation === "string" ? generation.split(".")[0] : undefined;
}

/** An inline value, checked against its seal, as a plain `Uint8Array` of its own. */
function opened(key: string, sealed: Uint8Array): Uint8Array | undefined {
  const value = unseal(key, sealed);
  return value && plain(value);
}

/** A plain `Uint8Array` of its own: the Node client hands back `Buffer`s, copied. */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array && bytes.byteOffset === 0 &&
      bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : new Uint8Array(bytes);
}
