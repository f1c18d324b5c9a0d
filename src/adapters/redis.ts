/**
 * `RedisAdapter`: cache entries in a Redis server, shared by every process and machine that
 * reaches it, over the official client (the npm package `redis`, an optional peer dependency).
 *
 * Each entry is ONE Redis string under the adapter's prefix, a small header (the metadata)
 * and the value's bytes (redis_format.ts), so that it is written, expired, evicted and removed
 * whole. A `set` is one `SET` (with the adapter's `maxAge` as its `PX`; without, `KEEPTTL`, so
 * that an overwrite keeps the expiry an adapter with one gave the entry): readers see the old
 * entry or the new one. A `get` is one `GET` (and, at most once a second per entry, a script
 * that writes the read time into the header). A string that is not a whole entry reads as a
 * miss and is removed. `entries()` and `clear()` walk the prefix with `SCAN` (never `KEYS`);
 * `entries()` reads each entry's header (`GETRANGE`) and size (`STRLEN`); `clear()` removes
 * entries in batches with `UNLINK`, and nothing outside the prefix. The connection and what the
 * server's failures mean are in redis_connection.ts.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { RESP_TYPES } from "redis";
import type { CacheAdapter, EntryInfo, EntryMetadata, GetOptions, Lease } from "../adapter.ts";
import { READ_TIME_RESOLUTION_MS } from "../adapter.ts";
import { checkPieces, setAsOnePiece, totalLength } from "../internal/slices.ts";
import { adapterError } from "../internal/storage_error.ts";
import {
  ADAPTER,
  isServerReply,
  type RedisClientLike,
  type RedisConnection,
  redisError,
  RedisLink,
} from "./redis_connection.ts";
import {
  DELETE_IF_UNCHANGED,
  entryBytes,
  entryName,
  entryPattern,
  HEAD_READ,
  headerSize,
  isEntryName,
  isOtherTaskIn,
  keyOfName,
  leaseName,
  parseHead,
  readHead,
  readTimeBytes,
  RELEASE,
  RENEW,
  stampOf,
  TOUCH,
  valueOf,
} from "./redis_format.ts";

export type {
  RedisArgument,
  RedisClientLike,
  RedisConnection,
  RedisMultiLike,
} from "./redis_connection.ts";

/** Options of {@link RedisAdapter}. */
export interface RedisAdapterOptions {
  /**
   * What every Redis key of the adapter starts with (default `"local-task-cache:"`). Adapters
   * with other prefixes share a server without seeing each other's entries.
   */
  prefix?: string;
  /**
   * A server-side expiry for every entry stored, in milliseconds: Redis removes the entry on its
   * own afterwards. Give it the `TaskCache`'s `maxAge`. Default: none.
   */
  maxAge?: number;
  /**
   * With a `url`: how long the first connection may take before operations fail with
   * `UNAVAILABLE`, in milliseconds (default 5000). After that, an operation while the server is
   * unreachable fails at once, and the client keeps reconnecting in the background.
   */
  connectTimeoutMs?: number;
  /**
   * With a `url`: how long one command may wait for the server's reply, in milliseconds (default
   * 10000), so that a server that stopped answering (hung, or cut off without the connection
   * closing) fails operations with `UNAVAILABLE` instead of hanging them. Raise it for values of
   * hundreds of MiB on a slow network.
   */
  commandTimeoutMs?: number;
}

const DEFAULT_PREFIX = "local-task-cache:";
/** Keys per `SCAN` step and per `UNLINK` batch. */
const BATCH = 500;
/** Redis' default `proto-max-bulk-len`, used when the server does not say its own. */
const DEFAULT_MAX_BULK = 512 * 1024 * 1024;
/** Entries from this size up go into memory kept for the next one, in bytes. */
const SCRATCH_MIN_BYTES = 64 * 1024;
/** The largest memory kept for the next entry stored, in bytes. */
const SCRATCH_MAX_BYTES = 4 * 1024 * 1024;
/** Replies of bulk strings as Buffers (the value), not as text. */
const AS_BYTES = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };

/**
 * Keeps entries in a Redis server, so that processes on several machines share one cache; the
 * server's own memory limit and eviction policy (`maxmemory`, `allkeys-lru`) bound it. Runs in
 * Node, Deno (through `npm:redis`) and Bun.
 *
 * Values may be as large as the server accepts (`proto-max-bulk-len`, 512 MiB unless
 * configured); a larger one fails with `TOO_LARGE` before anything is sent. A server that is
 * down or unreachable fails every operation with `UNAVAILABLE` at once (after the first
 * connection's `connectTimeoutMs`), and the adapter works again when it is back. Failures
 * are `CacheError`s: `UNAVAILABLE`, `PERMISSION_DENIED` (a wrong password, an ACL), `NO_SPACE`
 * (the server's memory full), `TOO_LARGE`, `CLOSED`, else `IO`.
 *
 * @example Needs a Redis server (not run by the documentation's tests)
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { TaskCache } from "local-task-cache";
 * import { RedisAdapter } from "local-task-cache/adapters/redis";
 *
 * const adapter = new RedisAdapter({ url: "redis://127.0.0.1:6379" }, { prefix: "team-cache:" });
 * await adapter.set("key", new Uint8Array([1, 2, 3]), { taskName: "train", cacheVersion: "1" });
 * assert.deepEqual(await adapter.get("key"), new Uint8Array([1, 2, 3]));
 * const cache = new TaskCache(adapter);
 * await cache.close(); // closes the adapter's own client
 * ```
 */
export class RedisAdapter implements CacheAdapter {
  /** What every Redis key of this adapter starts with. */
  readonly prefix: string;
  /** The server-side expiry of stored entries in ms, or `undefined` for none. */
  readonly maxAge: number | undefined;
  #link: RedisLink;
  #closed = false;
  #maxBulk: Promise<number> | undefined;
  /** What `#maxBulk` resolved to, once it has. */
  #maxBulkKnown: number | undefined;
  /** Memory for the next entry stored (see `setChunks`), when no store uses it. */
  #scratch: Buffer | undefined;

  /**
   * An adapter on the server of `connection`: its own client for a `url` (connecting at once),
   * or a client the program made.
   *
   * @param connection `{ url }` or `{ client }`.
   * @param options The prefix of its keys, an expiry, and the timeouts of its own client.
   * @throws {TypeError} When the connection or the options are not as described.
   *
   * @example Needs a Redis server (not run by the documentation's tests)
   * ```ts ignore
   * import assert from "node:assert/strict";
   * import { createClient } from "redis";
   * import { RedisAdapter } from "local-task-cache/adapters/redis";
   *
   * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
   * const adapter = new RedisAdapter({ client }, { maxAge: 7 * 24 * 3600 * 1000 });
   * assert.equal(adapter.maxAge, 604800000);
   * await adapter.close(); // a client passed in stays open:
   * await client.close();
   * ```
   */
  constructor(connection: RedisConnection, options: RedisAdapterOptions = {}) {
    const {
      prefix = DEFAULT_PREFIX,
      maxAge,
      connectTimeoutMs = 5000,
      commandTimeoutMs = 10_000,
    } = options ?? {};
    if (typeof prefix !== "string") {
      throw new TypeError(`RedisAdapter: options.prefix must be a string, got ${typeof prefix}`);
    }
    if (maxAge !== undefined && !(typeof maxAge === "number" && maxAge > 0)) {
      throw new TypeError(`RedisAdapter: options.maxAge must be a number of ms > 0, got ${maxAge}`);
    }
    this.prefix = prefix;
    this.maxAge = maxAge === undefined ? undefined : Math.ceil(maxAge);
    this.#link = new RedisLink(connection, { connectTimeoutMs, commandTimeoutMs });
  }

  /**
   * The stored bytes for `key`, or `undefined`; an expired, torn or damaged entry goes.
   *
   * @param key The cache key.
   * @param options What the cache core expects of the entry.
   * @returns The value, or `undefined` for a miss.
   */
  get(key: string, options: GetOptions = {}): Promise<Uint8Array | undefined> {
    return this.#run("read the entry", key, async (client) => {
      const name = entryName(this.prefix, key);
      let entry: Buffer | null;
      try {
        entry = await client.sendCommand(["GET", name], AS_BYTES) as Buffer | null;
      } catch (error) {
        if (!isWrongType(error)) throw error;
        entry = Buffer.alloc(0); // not a string: damaged
      }
      if (entry == null) return undefined;
      const head = readHead(entry);
      if (head === undefined || "needs" in head) {
        // Not a whole entry (changed by hand): a miss, and it goes.
        await client.sendCommand(["DEL", name]);
        return undefined;
      }
      const { notBefore, expect } = options;
      if (isOtherTaskIn(entry, head, expect)) return undefined;
      if (notBefore !== undefined && head.createdAt < notBefore) {
        await client.sendCommand(["EVAL", DELETE_IF_UNCHANGED, "1", name, ...stampOf(entry, head)]);
        return undefined;
      }
      const now = Date.now();
      if (!(now - head.readAt <= READ_TIME_RESOLUTION_MS)) {
        await client.sendCommand(["EVAL", TOUCH, "1", name, readTimeBytes(now)]);
      }
      return valueOf(entry, head.headerBytes);
    });
  }

  /**
   * Stores `value` under `key` with its metadata, atomically (one `SET`).
   *
   * @param key The cache key.
   * @param value The bytes to store.
   * @param metadata The task name and cache version the entry is for.
   */
  set(key: string, value: Uint8Array, metadata?: EntryMetadata): Promise<void> {
    return setAsOnePiece(this, "RedisAdapter", key, value, metadata);
  }

  /**
   * Stores the bytes of `pieces`, in order, under `key` with its metadata, atomically (one
   * `SET`): `TaskCache` hands over an output's large binaries as pieces of their own, and they
   * are copied once, into the entry.
   *
   * @param key The cache key.
   * @param pieces The value's bytes, in order.
   * @param metadata The task name and cache version the entry is for.
   */
  setChunks(
    key: string,
    pieces: readonly Uint8Array[],
    metadata?: EntryMetadata,
  ): Promise<void> {
    return this.#run("store the entry", key, async (client) => {
      checkPieces(pieces, "RedisAdapter.setChunks");
      const limit = this.#maxBulkKnown ?? await this.#maxBulkLength(client);
      const size = totalLength(pieces);
      if (size + headerSize(metadata) > limit) {
        throw adapterError(
          ADAPTER,
          "TOO_LARGE",
          `store the entry ${describeKey(key)}`,
          `its ${size} bytes are more than the Redis server accepts in one value ` +
            `(proto-max-bulk-len ${limit}); raise proto-max-bulk-len on the server, or keep ` +
            "such outputs out of the cache. Nothing was written.",
        );
      }
      const name = entryName(this.prefix, key);
      // A large entry goes into memory of its own, kept for the next one (when no other store
      // uses it and it is large enough): new memory for every value of a MiB costs more than
      // copying the value in (page faults, garbage collections).
      const total = headerSize(metadata) + size;
      let memory: Buffer | undefined;
      if (total >= SCRATCH_MIN_BYTES && total <= SCRATCH_MAX_BYTES) {
        const kept = this.#scratch;
        if (kept !== undefined && kept.length >= total) {
          memory = kept;
          this.#scratch = undefined;
        } else memory = Buffer.allocUnsafeSlow(total);
      }
      let entry = entryBytes(pieces, Date.now(), metadata, memory);
      if (entry instanceof Promise) entry = await entry;
      // One SET replaces the entry whole, with its expiry (or keeping the one it had).
      await client.sendCommand(
        this.maxAge === undefined
          ? ["SET", name, entry, "KEEPTTL"]
          : ["SET", name, entry, "PX", String(this.maxAge)],
      );
      // The server answered, so it has every byte of the command: the memory is free again.
      // (After a failure it is not reused: a write of it may still be under way.)
      if (memory !== undefined && memory.length > (this.#scratch?.length ?? 0)) {
        this.#scratch = memory;
      }
    });
  }

  /**
   * Removes the entry for `key`.
   *
   * @param key The cache key.
   * @returns Whether it was there.
   */
  delete(key: string): Promise<boolean> {
    return this.#run("remove the entry", key, async (client) => {
      return Number(await client.sendCommand(["DEL", entryName(this.prefix, key)])) > 0;
    });
  }

  /**
   * Removes every entry under the prefix (version 0.1's too), in batches (`SCAN`, then
   * `UNLINK`).
   */
  clear(): Promise<void> {
    return this.#run("clear the cache", undefined, async (client) => {
      for await (const found of this.#scan(client, true)) {
        const names = found.filter((name) => isEntryName(this.prefix, name));
        if (names.length > 0) await client.sendCommand(["UNLINK", ...names]);
      }
    });
  }

  /** Every entry's metadata under the prefix (a walk with `SCAN`). */
  async *entries(): AsyncIterable<EntryInfo> {
    const client = await this.#run(
      "list the entries",
      undefined,
      (client) => Promise.resolve(client),
    );
    const walk = this.#scan(client)[Symbol.asyncIterator]();
    for (;;) {
      const step = await this.#run("list the entries", undefined, () => walk.next());
      if (step.done) return;
      const infos = await this.#run(
        "list the entries",
        undefined,
        (client) => Promise.all(step.value.map((name) => this.#info(client, name))),
      );
      for (const info of infos) if (info !== undefined) yield info;
    }
  }

  /**
   * A lease on `name` for `ttlMs`, shared by every process on the server (`SET NX PX`), or
   * `undefined` while another holder's stands. Only the holder (its random token) can renew or
   * release it.
   *
   * @param name What the lease is for (a cache key).
   * @param ttlMs How long it holds unless renewed, in milliseconds.
   * @returns The lease, or `undefined` while another holder's stands.
   */
  acquireLease(name: string, ttlMs: number): Promise<Lease | undefined> {
    return this.#run("take the lease on", name, async (client) => {
      if (!(typeof ttlMs === "number" && ttlMs > 0)) {
        throw new TypeError(`RedisAdapter.acquireLease: ttlMs must be a number > 0, got ${ttlMs}`);
      }
      const lease = leaseName(this.prefix, name);
      const token = crypto.randomUUID();
      const ttl = String(Math.ceil(ttlMs));
      const taken = await client.sendCommand(["SET", lease, token, "NX", "PX", ttl]);
      if (taken == null) return undefined;
      return {
        renew: (renewMs = ttlMs) =>
          this.#run("renew the lease on", name, async (client) => {
            const renewTtl = String(Math.ceil(renewMs));
            const reply = await client.sendCommand([
              "EVAL",
              RENEW,
              "1",
              lease,
              token,
              renewTtl,
            ]);
            return Number(reply) === 1;
          }),
        release: () =>
          this.#run("release the lease on", name, async (client) => {
            await client.sendCommand(["EVAL", RELEASE, "1", lease, token]);
          }),
      };
    });
  }

  /** Closes the adapter's own client (never a client it was given); later calls fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#scratch = undefined;
    await this.#link.close();
  }

  /**
   * The entry named `name`'s metadata, or `undefined` when it is gone or not a whole entry (a
   * get removes that).
   */
  async #info(client: RedisClientLike, name: string): Promise<EntryInfo | undefined> {
    const key = keyOfName(this.prefix, name);
    if (key === undefined) return undefined;
    let size: number;
    let head;
    try {
      const [first, length] = await Promise.all([
        client.sendCommand(["GETRANGE", name, "0", String(HEAD_READ - 1)], AS_BYTES),
        client.sendCommand(["STRLEN", name]),
      ]) as [Buffer, number];
      size = Number(length);
      head = parseHead(first, size);
      if (head !== undefined && "needs" in head) {
        // Long names: the rest of the header.
        const whole = await client.sendCommand(
          ["GETRANGE", name, "0", String(head.needs - 1)],
          AS_BYTES,
        ) as Buffer;
        head = parseHead(whole, size);
      }
    } catch (error) {
      if (isWrongType(error)) return undefined;
      throw error;
    }
    if (head === undefined || "needs" in head) return undefined;
    const { taskName, cacheVersion, createdAt, readAt } = head;
    return {
      key,
      taskName,
      cacheVersion,
      size: head.size,
      createdAt,
      lastReadAt: readAt > createdAt ? readAt : createdAt,
    };
  }

  /**
   * The names of the entries under the prefix (with `old`, version 0.1's too), a `SCAN` step at
   * a time.
   */
  async *#scan(client: RedisClientLike, old = false): AsyncIterable<string[]> {
    const pattern = entryPattern(this.prefix, old);
    let cursor = "0";
    do {
      const [next, names] = await client.sendCommand(
        ["SCAN", cursor, "MATCH", pattern, "COUNT", String(BATCH)],
      ) as [string, string[]];
      cursor = String(next);
      for (let i = 0; i < names.length; i += BATCH) yield names.slice(i, i + BATCH);
    } while (cursor !== "0");
  }

  /** The largest value the server takes (`proto-max-bulk-len`), asked once. */
  #maxBulkLength(client: RedisClientLike): Promise<number> {
    this.#maxBulk ??= (async () => {
      try {
        const reply = await client.sendCommand(["CONFIG", "GET", "proto-max-bulk-len"]);
        const values = Array.isArray(reply) ? reply : Object.entries(reply ?? {}).flat();
        const limit = Number(values[1]);
        return Number.isFinite(limit) && limit > 0 ? limit : DEFAULT_MAX_BULK;
      } catch (error) {
        if (!isServerReply(error)) throw error; // unreachable: ask again next time
        return DEFAULT_MAX_BULK; // CONFIG refused (a managed server): Redis' default
      }
    })();
    this.#maxBulk.then(
      (limit) => (this.#maxBulkKnown = limit),
      () => (this.#maxBulk = undefined),
    );
    return this.#maxBulk;
  }

  /** Runs `fn` with a ready client, turning every failure into a `CacheError`. */
  async #run<T>(
    action: string,
    key: string | undefined,
    fn: (client: RedisClientLike) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) throw closed(what(action, key));
    try {
      const link = this.#link;
      let client = link.client;
      if (!client.isReady) {
        await link.settled();
        if (this.#closed) throw closed(what(action, key));
        client = link.ready(what(action, key));
      }
      return await fn(client);
    } catch (error) {
      throw redisError(error, what(action, key));
    }
  }
}

function closed(action: string) {
  return adapterError(ADAPTER, "CLOSED", action, "the adapter is closed; create a new one");
}

/** Whether `error` is the server's `WRONGTYPE` reply (a key that is not a string). */
function isWrongType(error: unknown): boolean {
  return isServerReply(error) && /^WRONGTYPE\b/.test((error as Error).message);
}

/** What failed, for messages: the action, and the key it was for. */
function what(action: string, key: string | undefined): string {
  return key === undefined ? action : `${action} ${describeKey(key)}`;
}

function describeKey(key: string): string {
  return JSON.stringify(String(key).slice(0, 60));
}
