/**
 * `DenoKvAdapter`: cache entries in Deno KV (a local file, `:memory:`, or a remote KV Connect
 * database), in Deno or, through the npm package `@deno/kv`, in Node.
 *
 * Deno KV refuses values over 64 KiB, keys over 2 KiB and atomic commits over 800 KiB; the
 * adapter hides all three. Its records (a head per entry, the chunks of a large value, metadata,
 * read times, leases and the clear epoch) are described in deno_kv_format.ts, its leases in
 * deno_kv_lease.ts, its commits in deno_kv_atomic.ts.
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
 * busy with another process's (SQLite's "database is locked"). A hit records its read time
 * when the last one is older than `READ_TIME_RESOLUTION_MS` (this process remembers what it
 * wrote, so a run of hits costs one write, not one each).
 *
 * @module
 */
import type { CacheAdapter, EntryInfo, EntryMetadata, GetOptions, Lease } from "../adapter.ts";
import { isOtherTask } from "../adapter.ts";
import { sealName } from "../internal/checksum.ts";
import { RecentReads } from "../internal/read_times.ts";
import { adapterError } from "../internal/storage_error.ts";
import { checkPieces, joinInSlices, setAsOnePiece, totalLength } from "../internal/slices.ts";
import {
  ADAPTER,
  atomic,
  checkOf,
  deleteKeys,
  keyOf,
  type KvEntryMaybe,
  kvError,
  type KvKey,
  type KvLike,
  listChunkKeys,
  openKv,
} from "./deno_kv_atomic.ts";
import {
  baseOf,
  entryId,
  generationOf,
  idText,
  INLINE_LIMIT,
  inlineHead,
  inlineValue,
  isHead,
  isMeta,
  isTime,
  KvLayout,
  type Meta,
  metaOf,
  newGeneration,
  readValue,
  type StoredHead,
  writeChunks,
} from "./deno_kv_format.ts";
import { acquireKvLease } from "./deno_kv_lease.ts";
import { clearAll, deleteEntry } from "./deno_kv_clear.ts";
import { ABSENT, KvTotal, type MetaState, metaState } from "./deno_kv_total.ts";

/** How often a set's commit is redone while the entry it replaces keeps changing. */
const COMMIT_ATTEMPTS = 32;

export type {
  KvAtomic,
  KvEntryMaybe,
  KvKey,
  KvKeyPart,
  KvKeyRead,
  KvLike,
} from "./deno_kv_atomic.ts";

/** Options of {@link DenoKvAdapter}: an open database (`kv`) or a path to open (`path`). */
export interface DenoKvAdapterOptions {
  /** An open database; the adapter does not close it. */
  kv?: KvLike;
  /** A path (or `:memory:`, or a KV Connect URL) for `Deno.openKv`; the adapter closes it. */
  path?: string;
  /** The key prefix of the cache's entries (default `["local-task-cache"]`). */
  prefix?: KvKey;
}

/**
 * Stores entries in Deno KV. Values of any size (split into chunks under the hood, replaced
 * atomically for readers), keys of any length, and `clear` removes only the entries under the
 * adapter's prefix.
 *
 * In Deno, KV needs `--unstable-kv`; a local file also needs `--allow-read` and `--allow-write`
 * for it, a remote database `--allow-net` and `DENO_KV_ACCESS_TOKEN` (`--allow-env`). Failures
 * are `CacheError`s (`CLOSED` once closed, else `IO`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DenoKvAdapter } from "local-task-cache/adapters/deno-kv";
 *
 * const kv = await Deno.openKv(":memory:");
 * const adapter = new DenoKvAdapter({ kv, prefix: ["my-app", "task-cache"] });
 * await adapter.set("key", new Uint8Array([1, 2, 3]), { taskName: "train", cacheVersion: "1" });
 * assert.deepEqual(await adapter.get("key"), new Uint8Array([1, 2, 3]));
 * await adapter.close(); // a database passed in stays open:
 * kv.close();
 * ```
 */
export class DenoKvAdapter implements CacheAdapter {
  readonly #layout: KvLayout;
  readonly #owned: boolean;
  readonly #path: string | undefined;
  /** The open database, once there is one. */
  #db: KvLike | undefined;
  #opening: Promise<KvLike> | undefined;
  #closed = false;
  /** Read times this adapter wrote (or stored with a `set`). */
  #touched = new RecentReads();
  /** The running total of the values' sizes (deno_kv_total.ts). */
  readonly #total: KvTotal;

  /**
   * An adapter over `options.kv`, or over the database `Deno.openKv(options.path)` opens on
   * first use.
   *
   * @param options Exactly one of `kv` and `path`, and the `prefix` of its records.
   * @throws {TypeError} When the options are not as described.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { DenoKvAdapter } from "local-task-cache/adapters/deno-kv";
   *
   * const adapter = new DenoKvAdapter({ path: ":memory:" }); // opened on first use
   * assert.equal(await adapter.get("key"), undefined);
   * await adapter.close(); // closes the database it opened
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
    this.#layout = new KvLayout([...prefix]);
    this.#total = new KvTotal(this.#layout);
    this.#owned = kv === undefined;
    this.#path = path;
    this.#db = kv;
  }

  /**
   * The stored value for `key` (a new plain `Uint8Array`), or `undefined`; an entry stored
   * before `options.notBefore` is removed, another task's (`options.expect`) is kept.
   *
   * @param key The cache key.
   * @param options What the cache core expects of the entry.
   * @returns The value, or `undefined` for a miss.
   */
  async get(key: string, options: GetOptions = {}): Promise<Uint8Array | undefined> {
    const id = entryId(key);
    const kv = this.#db ?? (await this.#open("read the entry"));
    const layout = this.#layout;
    try {
      const { notBefore, expect } = options;
      if (notBefore === undefined && expect !== undefined) {
        // One read: an inline value sealed for this task and version needs no metadata (its
        // seal checks them). Others (chunked, stored without metadata or by an older version,
        // another task's, damaged) are read again with their metadata, below.
        const read = await kv.get<StoredHead>(layout.head(id));
        if (read.value === null) return undefined;
        const name = sealName(key, expect.taskName, expect.cacheVersion);
        const value = inlineValue(id, key, read.value, name);
        if (value !== undefined) {
          await this.#touch(kv, id, key, read.versionstamp);
          return value;
        }
      }
      const [read, meta] = await kv.getMany<[StoredHead, Meta]>([
        layout.head(id),
        layout.meta(id),
      ]);
      if (read.value === null) return undefined;
      if (notBefore !== undefined && !((meta.value?.c ?? -Infinity) >= notBefore)) {
        // (Unless it was stored again meanwhile.)
        await deleteEntry(kv, layout, this.#total, id, metaState(meta), false);
        return undefined;
      }
      // Another task's entry (same key) is left to it.
      if (isMeta(meta.value) && isOtherTask(expect, meta.value.t, meta.value.v)) return undefined;
      // Sealed for the task and version its metadata names, or (stored without them, or by an
      // older version) for the key alone.
      const names = isMeta(meta.value) ? [sealName(key, meta.value.t, meta.value.v), key] : [key];
      const value = await readValue(kv, layout, id, key, read.value, names);
      if (value !== undefined) await this.#touch(kv, id, key, read.versionstamp);
      return value;
    } catch (error) {
      throw kvError(error, "read the entry");
    }
  }

  /** Records a read of the entry whose head has `versionstamp`, unless one is recent. */
  async #touch(kv: KvLike, id: KvKey, key: string, versionstamp: string | null) {
    const now = Date.now();
    if (!this.#touched.due(key, now)) return;
    try {
      // Only while the entry is the one read: a deleted entry gets no stray record.
      await atomic(kv).check({ key: this.#layout.head(id), versionstamp })
        .set(this.#layout.read(id), now).commit();
    } catch {
      // Best effort: a busy database (another process writing) keeps the older read time, and
      // the hit stands; a later hit tries again.
      this.#touched.forget(key);
    }
  }

  /**
   * Stores `value` under `key`, replacing any previous value atomically for readers.
   *
   * @param key The cache key.
   * @param value The bytes to store.
   * @param metadata The task name and cache version the entry is for.
   */
  set(key: string, value: Uint8Array, metadata?: EntryMetadata): Promise<void> {
    return setAsOnePiece(this, ADAPTER, key, value, metadata);
  }

  /**
   * `set` of the pieces `pieces` joined: a large value goes to its records straight from the
   * pieces (never joined in memory), summed as it goes.
   *
   * @param key The cache key.
   * @param pieces The value, in pieces of any sizes.
   * @param metadata The task name and cache version the entry is for.
   */
  async setChunks(
    key: string,
    pieces: readonly Uint8Array[],
    metadata?: EntryMetadata,
  ): Promise<void> {
    checkPieces(pieces, "DenoKvAdapter.setChunks");
    const id = entryId(key);
    const kv = this.#db ?? (await this.#open("store the entry"));
    const layout = this.#layout;
    const size = totalLength(pieces);
    try {
      let head: StoredHead;
      /** The head and clear epoch a chunked value follows: the head commits only if both stand. */
      let follows: KvEntryMaybe<unknown>[] = [];
      // The entry it replaces: assumed absent (a miss is being stored) until a check says not.
      let old: MetaState = ABSENT;
      if (size + key.length * 3 <= INLINE_LIMIT) {
        head = inlineHead(
          id,
          key,
          pieces.length === 1 ? pieces[0]! : await joinInSlices(pieces),
          sealName(key, metadata?.taskName ?? "", metadata?.cacheVersion ?? ""),
        );
      } else {
        // Chunks first, under a generation named after the head and the clear epoch they
        // follow; the head commits only if neither changed meanwhile (else this set lost the
        // race to another set, a delete or a clear: it counts as done before them).
        const [before, epoch, meta, start] = await kv.getMany<[unknown, unknown, unknown, unknown]>(
          [layout.head(id), layout.epoch(), layout.meta(id), this.#total.startKey],
        );
        this.#total.seen(start);
        old = metaState(meta);
        follows = [before, epoch];
        const generation = newGeneration(before, epoch);
        head = await writeChunks(kv, layout.chunks(id, generation), key, generation, pieces, size);
      }
      // Once the head is in, the chunks of older heads and of writers that started before it
      // (they cannot commit now) are garbage; those of writers that started after it are not.
      // Listed while the head commits (a set costs one round trip, not two), deleted after.
      const now = Date.now();
      const prefix = layout.chunks(id);
      const ours = generationOf(head);
      const headRecord = layout.head(id), metaRecord = layout.meta(id);
      const meta = metaOf(id, key, size, now, metadata);
      const commit = () => {
        const operation = atomic(kv).check({ key: metaRecord, versionstamp: old.versionstamp });
        for (const read of follows) operation.check(checkOf(read));
        this.#total.account(operation, size - old.size);
        operation.set(headRecord, head).set(metaRecord, meta).set(layout.read(id), now);
        return this.#total.commit(kv, operation);
      };
      // (Not reading this set's own chunks: a listing reads the values too.)
      let [committed, chunks] = await Promise.all([
        commit(),
        ours === undefined ? listChunkKeys(kv, { prefix }) : Promise.all([
          listChunkKeys(kv, { prefix, end: [...prefix, ours] }),
          listChunkKeys(kv, { prefix, start: [...prefix, `${ours}\0`] }),
        ]).then(([before, after]) => [...before, ...after]),
      ]);
      for (let attempt = 1; !committed.ok; attempt++) {
        // A check failed: the entry was there (or was replaced), or the total was started.
        const reads = await kv.getMany<unknown[]>([
          metaRecord,
          this.#total.startKey,
          ...follows.map((read) => keyOf(read.key)),
        ]);
        this.#total.seen(reads[1]!);
        if (follows.some((read, i) => reads[i + 2]!.versionstamp !== read.versionstamp)) {
          // The head or the epoch changed: this set lost (see above); its chunks go.
          await deleteKeys(kv, await listChunkKeys(kv, { prefix: layout.chunks(id, ours!) }));
          return;
        }
        if (attempt === COMMIT_ATTEMPTS) {
          throw new Error("the entry kept changing under its commit");
        }
        old = metaState(reads[0]!);
        committed = await commit();
      }
      this.#touched.remember(key, now);
      const base = committed.versionstamp;
      await deleteKeys(kv, chunks.filter((chunk) => baseOf(chunk[prefix.length]) !== base));
    } catch (error) {
      throw kvError(error, "store the entry");
    }
  }

  /**
   * Removes the entry for `key`.
   *
   * @param key The cache key.
   * @returns Whether there was one.
   */
  async delete(key: string): Promise<boolean> {
    const id = entryId(key);
    const kv = this.#db ?? (await this.#open("remove the entry"));
    try {
      const layout = this.#layout;
      const [read, meta, start] = await kv.getMany<[StoredHead, unknown, unknown]>([
        layout.head(id),
        layout.meta(id),
        this.#total.startKey,
      ]);
      this.#total.seen(start);
      await deleteEntry(kv, layout, this.#total, id, metaState(meta), true);
      const head = read.value;
      return head instanceof Uint8Array ? id[0] === "k" : isHead(head) && head.k === key;
    } catch (error) {
      throw kvError(error, "remove the entry");
    }
  }

  /** Removes every entry under the adapter's prefix, and nothing else. */
  async clear(): Promise<void> {
    const kv = this.#db ?? (await this.#open("clear the cache"));
    try {
      this.#touched.clear();
      await clearAll(kv, this.#layout, this.#total);
    } catch (error) {
      throw kvError(error, "clear the cache");
    }
  }

  /**
   * A lease on `name` for single flight across processes (see deno_kv_lease.ts): taken when
   * absent or expired, renewed and released only by its holder, never held by two at once.
   *
   * @param name What the lease is for (a cache key).
   * @param ttlMs How long it holds unless renewed, in milliseconds.
   * @returns The lease, or `undefined` while another holder's stands.
   */
  async acquireLease(name: string, ttlMs: number): Promise<Lease | undefined> {
    if (!(typeof ttlMs === "number" && ttlMs > 0)) {
      throw new TypeError(`DenoKvAdapter.acquireLease: ttlMs must be a number > 0, got ${ttlMs}`);
    }
    const key = this.#layout.lease(entryId(name));
    const kv = this.#db ?? (await this.#open("take the lease"));
    return await acquireKvLease(kv, key, ttlMs);
  }

  /** Every entry's metadata, from the metadata and read-time records under the prefix. */
  async *entries(): AsyncIterable<EntryInfo> {
    const kv = this.#db ?? (await this.#open("list the entries"));
    const layout = this.#layout;
    const reads = new Map<string, number>();
    const metas: { key: KvKey; value: Meta }[] = [];
    try {
      for await (const read of kv.list<number>({ prefix: layout.part("r") })) {
        if (isTime(read.value)) reads.set(idText(read.key.slice(layout.idAt)), read.value);
      }
      for await (const meta of kv.list<Meta>({ prefix: layout.part("m") })) {
        metas.push({ key: keyOf(meta.key), value: meta.value });
      }
      for (const { key, value } of metas) {
        const id = key.slice(layout.idAt);
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
      throw kvError(error, "list the entries");
    }
  }

  /**
   * The total size of the stored values, from the running total every process using the
   * database keeps in it (deno_kv_total.ts: a `Deno.KvU64` moved by an atomic `sum` in the commit
   * of each set, delete, expiry and clear).
   *
   * @returns The total, or `undefined` when none is kept yet (or it cannot be used): then the
   * cache counts the entries and starts one (`correctStoredBytes`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { DenoKvAdapter } from "local-task-cache/adapters/deno-kv";
   *
   * const adapter = new DenoKvAdapter({ path: ":memory:" });
   * assert.equal(await adapter.storedBytes(), undefined); // none kept yet
   * await adapter.correctStoredBytes(0, undefined); // a count found nothing: start at 0
   * await adapter.set("key", new Uint8Array(100));
   * assert.equal(await adapter.storedBytes(), 100);
   * await adapter.close();
   * ```
   */
  async storedBytes(): Promise<number | undefined> {
    const kv = this.#db ?? (await this.#open("read the running total"));
    try {
      return await this.#total.read(kv);
    } catch (error) {
      throw kvError(error, "read the running total");
    }
  }

  /**
   * Corrects the running total after a listing counted `counted` bytes while it said `kept`:
   * starts it at `counted` when there is none (`kept` undefined; if another process started
   * one meanwhile, that one stands), else moves it by `counted - kept`.
   *
   * @param counted The values' total size, as a listing counted it.
   * @param kept What `storedBytes` said before the listing (`undefined`: none kept).
   */
  async correctStoredBytes(counted: number, kept: number | undefined): Promise<void> {
    for (const [name, value] of [["counted", counted], ["kept", kept ?? 0]] as const) {
      if (!(Number.isSafeInteger(value) && value >= 0)) {
        throw new TypeError(
          `DenoKvAdapter.correctStoredBytes: ${name} must be an integer >= 0, got ${value}`,
        );
      }
    }
    const kv = this.#db ?? (await this.#open("write the running total"));
    try {
      await this.#total.correct(kv, counted, kept);
    } catch (error) {
      throw kvError(error, "write the running total");
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

  /** The database, opened on first use; `action` names what needs it, for errors. */
  async #open(action: string): Promise<KvLike> {
    if (this.#closed) throw closed(action);
    this.#opening ??= openKv(this.#path!);
    try {
      const db = await this.#opening;
      if (this.#closed) throw closed(action);
      return (this.#db = db);
    } catch (error) {
      this.#opening = undefined;
      throw kvError(error, action);
    }
  }
}

function closed(action: string) {
  return adapterError(ADAPTER, "CLOSED", action, "the adapter is closed; open a new one");
}
