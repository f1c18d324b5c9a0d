/**
 * `RedisAdapter`: cache entries in a Redis server, shared by every process and machine that
 * reaches it, over the official client (the npm package `redis`, an optional peer dependency).
 *
 * Under the adapter's prefix (default `local-task-cache:`), each entry is ONE Redis hash, so that
 * it is written, expired, evicted and removed whole:
 *
 * - `<prefix>entry:<id>`: fields `v` (the value's bytes), `m` (the metadata, JSON
 *   `{"t": task name, "c": cache version, "s": creation time}`) and `r` (the last read time in
 *   milliseconds); the id is `s` + the key for a well-formed key, or `u` + the hex of its UTF-16
 *   code units for one with an unpaired surrogate (which UTF-8 cannot carry);
 * - `<prefix>lease:<id>`: a lease, a random token set with `SET NX PX` and renewed or released
 *   by a script only when it still holds that token.
 *
 * A `set` is one `HSET` of all three fields (with the adapter's `maxAge`, in one `MULTI` with a
 * `PEXPIRE`): readers see the old entry or the new one. (An overwrite without `maxAge` keeps
 * the expiry an adapter with one gave the entry.) A hash whose fields are not
 * all there or whose metadata does not parse reads as a miss and is removed. `entries()` and
 * `clear()` walk the prefix with `SCAN` (never `KEYS`); `clear()` removes entries in batches
 * with `UNLINK`, and nothing outside the prefix.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createClient, ErrorReply, RESP_TYPES } from "redis";
import type { CacheAdapter, EntryInfo, EntryMetadata, GetOptions, Lease } from "../adapter.ts";
import { isOtherTask, READ_TIME_RESOLUTION_MS } from "../adapter.ts";
import { CacheError } from "../errors.ts";

/** An argument of a Redis command, as the client takes it. */
export type RedisArgument = string | Buffer;

/** A transaction (`MULTI` ... `EXEC`) of the client, as far as the adapter uses it. */
export interface RedisMultiLike {
  /** Queues a command. */
  addCommand(args: readonly RedisArgument[]): unknown;
  /** Runs the queued commands atomically. */
  exec(): Promise<unknown>;
}

/**
 * The part of a node-redis client (`createClient()` of the npm package `redis`, version 5 or
 * later) the adapter uses.
 */
export interface RedisClientLike {
  /** Sends one command; `typeMapping` chooses how replies are decoded. */
  sendCommand(
    args: readonly RedisArgument[],
    options?: { typeMapping?: Record<number, unknown> },
  ): Promise<unknown>;
  /** A transaction. */
  multi(): RedisMultiLike;
  /** Whether the client is connected and ready for commands. */
  readonly isReady: boolean;
}

/** Where the adapter finds its server. */
export type RedisConnection =
  | {
    /**
     * `redis://[[user]:password@]host[:port][/db]`, or `rediss://...` for TLS. The adapter makes
     * its own client, connects it, and closes it in `close()`.
     */
    url: string;
  }
  | {
    /**
     * A client the program made (and connected, or will): the adapter never closes it. Give it
     * `disableOfflineQueue: true` so that commands fail at once while it is disconnected; the
     * adapter fails them itself (`UNAVAILABLE`) while `isReady` is false.
     */
    client: RedisClientLike;
  };

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
/** Replies of bulk strings as Buffers (the value), not as text. */
const AS_BYTES = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };
/** Every queued command fails once this many wait for the server. */
const QUEUE_LIMIT = 10_000;
/** The longest wait between two reconnection attempts, in ms. */
const MAX_RECONNECT_DELAY_MS = 1000;

/** Removes the entry if its metadata is still `ARGV[1]` (an expired entry not replaced). */
const DELETE_IF_UNCHANGED =
  "if redis.call('hget', KEYS[1], 'm') == ARGV[1] then return redis.call('del', KEYS[1]) end " +
  "return 0";
/** Records a read time on an entry that still exists (never recreates a removed one). */
const TOUCH = "if redis.call('exists', KEYS[1]) == 1 then redis.call('hset', KEYS[1], 'r', " +
  "ARGV[1]) end return 0";
/** Extends a lease by `ARGV[2]` ms if it still holds the token `ARGV[1]`. */
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then " +
  "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0";
/** Removes a lease if it still holds the token `ARGV[1]`. */
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then " +
  "return redis.call('del', KEYS[1]) end return 0";

/** The fields of an entry's metadata, as stored in `m`. */
interface StoredMetadata {
  t: string;
  c: string;
  s: number;
}

/**
 * Keeps entries in a Redis server, so that processes on several machines share one cache; the
 * server's own memory limit and eviction policy (`maxmemory`, `allkeys-lru`) bound it. Runs in
 * Node, Deno (through `npm:redis`) and Bun.
 *
 * Values may be as large as the server accepts (`proto-max-bulk-len`, 512 MiB unless
 * configured); a larger one fails with `TOO_LARGE` before anything is sent. A server that is
 * down or unreachable fails every operation with `UNAVAILABLE` at once (after the first
 * connection's `connectTimeoutMs`), and the adapter works again when it is back.
 *
 * @example
 * ```ts
 * import { TaskCache } from "local-task-cache";
 * import { RedisAdapter } from "local-task-cache/adapters/redis";
 *
 * const cache = new TaskCache(
 *   new RedisAdapter({ url: "redis://127.0.0.1:6379" }, { prefix: "team-cache:" }),
 * );
 * await cache.close(); // closes the adapter's own client
 * ```
 */
export class RedisAdapter implements CacheAdapter {
  /** What every Redis key of this adapter starts with. */
  readonly prefix: string;
  /** The server-side expiry of stored entries in ms, or `undefined` for none. */
  readonly maxAge: number | undefined;
  #client: RedisClientLike;
  #owned: boolean;
  #closed = false;
  /** The first connection of an owned client, bounded by `connectTimeoutMs`. */
  #firstConnection: Promise<void> | undefined;
  #lastError: unknown;
  #maxBulk: Promise<number> | undefined;

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
    if (connection !== null && typeof connection === "object" && "client" in connection) {
      const client = connection.client;
      if (typeof client?.sendCommand !== "function" || typeof client.multi !== "function") {
        throw new TypeError("RedisAdapter: { client } must be a client of the npm package redis");
      }
      this.#client = client;
      this.#owned = false;
      return;
    }
    const url = (connection as { url?: unknown } | null)?.url;
    if (typeof url !== "string" || !/^rediss?:\/\//.test(url)) {
      throw new TypeError(
        "RedisAdapter: expected { url: 'redis://host:port' } (or rediss:// for TLS) or " +
          // Not the URL itself: it may hold a password.
          `{ client }, got ${
            typeof url === "string" ? `a URL of scheme ${url.split(":")[0]}` : typeof url
          }`,
      );
    }
    const client = createClient({
      url,
      // Commands fail at once while the server is unreachable, instead of queueing for it.
      disableOfflineQueue: true,
      commandsQueueMaxLength: QUEUE_LIMIT,
      // A command without a reply in time fails, even after it was sent.
      commandOptions: { timeout: commandTimeoutMs, rejectInFlight: true },
      socket: {
        connectTimeout: connectTimeoutMs,
        reconnectStrategy: (retries: number) =>
          Math.min(50 * 2 ** Math.min(retries, 10), MAX_RECONNECT_DELAY_MS),
      },
    });
    // Without a listener, the client's connection errors would end the process.
    client.on("error", (error: unknown) => (this.#lastError = error));
    this.#client = client as unknown as RedisClientLike;
    this.#owned = true;
    const connecting = client.connect().then(() => {}, (error: unknown) => {
      this.#lastError = error;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.#firstConnection = Promise.race([
      connecting,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, connectTimeoutMs))),
      // A refused connection need not wait for the timeout.
      new Promise<void>((resolve) => client.once("error", () => resolve())),
    ]).finally(() => {
      clearTimeout(timer);
      this.#firstConnection = undefined;
    });
  }

  /** The stored bytes for `key`, or `undefined`; an expired, torn or damaged entry goes. */
  get(key: string, options: GetOptions = {}): Promise<Uint8Array | undefined> {
    return this.#run("read the entry", key, async (client) => {
      const name = this.#entryName(key);
      const [value, meta, readAt] = await client.sendCommand(
        ["HMGET", name, "v", "m", "r"],
        AS_BYTES,
      ) as (Buffer | null)[];
      if (value == null && meta == null) return undefined;
      const metadata = meta == null ? undefined : parseMetadata(meta.toString());
      if (value == null || metadata === undefined) {
        // Torn (a field gone) or damaged: a miss, and the remains go.
        await client.sendCommand(["DEL", name]);
        return undefined;
      }
      const { notBefore, expect } = options;
      if (isOtherTask(expect, metadata.t, metadata.c)) return undefined;
      if (notBefore !== undefined && metadata.s < notBefore) {
        await client.sendCommand(["EVAL", DELETE_IF_UNCHANGED, "1", name, meta!.toString()]);
        return undefined;
      }
      const now = Date.now();
      if (!(now - Number(readAt?.toString()) <= READ_TIME_RESOLUTION_MS)) {
        await client.sendCommand(["EVAL", TOUCH, "1", name, String(now)]);
      }
      return plainBytes(value);
    });
  }

  /** Stores `value` under `key` with its metadata, atomically (one `HSET`, or one `MULTI`). */
  set(key: string, value: Uint8Array, metadata?: EntryMetadata): Promise<void> {
    return this.#run("store the entry", key, async (client) => {
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(`RedisAdapter.set: value must be a Uint8Array, got ${typeof value}`);
      }
      const limit = await this.#maxBulkLength(client);
      if (value.length > limit) {
        throw new CacheError(
          "TOO_LARGE",
          `cannot store the entry ${describeKey(key)}: its ${value.length} bytes are more than ` +
            `the Redis server accepts in one value (proto-max-bulk-len ${limit}); raise ` +
            "proto-max-bulk-len on the server, or keep such outputs out of the cache. Nothing " +
            "was written.",
        );
      }
      const name = this.#entryName(key);
      const now = Date.now();
      const stored: StoredMetadata = {
        t: metadata?.taskName ?? "",
        c: metadata?.cacheVersion ?? "",
        s: now,
      };
      const write = [
        "HSET",
        name,
        "v",
        Buffer.from(value.buffer, value.byteOffset, value.length),
        "m",
        JSON.stringify(stored),
        "r",
        String(now),
      ];
      // One HSET of every field replaces the entry whole; with an expiry, in one MULTI with it.
      if (this.maxAge === undefined) await client.sendCommand(write);
      else {
        const multi = client.multi();
        multi.addCommand(write);
        multi.addCommand(["PEXPIRE", name, String(this.maxAge)]);
        await multi.exec();
      }
    });
  }

  /** Removes `key`; resolves to whether it was there. */
  delete(key: string): Promise<boolean> {
    return this.#run("remove the entry", key, async (client) => {
      return Number(await client.sendCommand(["DEL", this.#entryName(key)])) > 0;
    });
  }

  /** Removes every entry under the prefix, in batches (`SCAN`, then `UNLINK`). */
  clear(): Promise<void> {
    return this.#run("clear the cache", undefined, async (client) => {
      for await (const names of this.#scan(client)) {
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
    const start = this.prefix.length + "entry:".length;
    const walk = this.#scan(client)[Symbol.asyncIterator]();
    for (;;) {
      const step = await this.#run("list the entries", undefined, () => walk.next());
      if (step.done) return;
      const infos = await this.#run(
        "list the entries",
        undefined,
        (client) =>
          Promise.all(step.value.map(async (name) => {
            const [[meta, readAt], hasValue, size] = await Promise.all([
              client.sendCommand(["HMGET", name, "m", "r"]) as Promise<(string | null)[]>,
              client.sendCommand(["HEXISTS", name, "v"]),
              client.sendCommand(["HSTRLEN", name, "v"]),
            ]);
            const metadata = meta == null ? undefined : parseMetadata(meta);
            const key = decodeId(name.slice(start));
            // A torn or damaged entry is not listed (a get removes it).
            if (metadata === undefined || key === undefined || Number(hasValue) !== 1) {
              return undefined;
            }
            const createdAt = metadata.s;
            const read = Number(readAt);
            return {
              key,
              taskName: metadata.t,
              cacheVersion: metadata.c,
              size: Number(size),
              createdAt,
              lastReadAt: Number.isFinite(read) && read > createdAt ? read : createdAt,
            };
          })),
      );
      for (const info of infos) if (info !== undefined) yield info;
    }
  }

  /**
   * A lease on `name` for `ttlMs`, shared by every process on the server (`SET NX PX`), or
   * `undefined` while another holder's stands. Only the holder (its random token) can renew or
   * release it.
   */
  acquireLease(name: string, ttlMs: number): Promise<Lease | undefined> {
    return this.#run("take the lease on", name, async (client) => {
      if (!(typeof ttlMs === "number" && ttlMs > 0)) {
        throw new TypeError(`RedisAdapter.acquireLease: ttlMs must be a number > 0, got ${ttlMs}`);
      }
      const leaseName = `${this.prefix}lease:${encodeId(name)}`;
      const token = crypto.randomUUID();
      const ttl = String(Math.ceil(ttlMs));
      const taken = await client.sendCommand(["SET", leaseName, token, "NX", "PX", ttl]);
      if (taken == null) return undefined;
      return {
        renew: (renewMs = ttlMs) =>
          this.#run("renew the lease on", name, async (client) => {
            const renewTtl = String(Math.ceil(renewMs));
            const reply = await client.sendCommand([
              "EVAL",
              RENEW,
              "1",
              leaseName,
              token,
              renewTtl,
            ]);
            return Number(reply) === 1;
          }),
        release: () =>
          this.#run("release the lease on", name, async (client) => {
            await client.sendCommand(["EVAL", RELEASE, "1", leaseName, token]);
          }),
      };
    });
  }

  /** Closes the adapter's own client (never a client it was given); later calls fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned) return;
    const client = this.#client as unknown as { close(): Promise<void>; destroy(): void };
    if (this.#client.isReady) {
      await client.close().catch(() => client.destroy());
    } else {
      client.destroy();
    }
  }

  #entryName(key: string): string {
    if (typeof key !== "string") {
      throw new TypeError(`RedisAdapter: a key must be a string, got ${typeof key}`);
    }
    return `${this.prefix}entry:${encodeId(key)}`;
  }

  /** The names of the entries under the prefix, a `SCAN` step at a time. */
  async *#scan(client: RedisClientLike): AsyncIterable<string[]> {
    const pattern = `${escapeGlob(this.prefix)}entry:*`;
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
    this.#maxBulk.catch(() => (this.#maxBulk = undefined));
    return this.#maxBulk;
  }

  /** Runs `fn` with a ready client, turning every failure into a `CacheError`. */
  async #run<T>(
    action: string,
    key: string | undefined,
    fn: (client: RedisClientLike) => Promise<T>,
  ): Promise<T> {
    // What failed, for messages: made only when something did.
    const what = () => key === undefined ? action : `${action} ${describeKey(key)}`;
    if (this.#closed) {
      throw new CacheError("CLOSED", "this RedisAdapter is closed; create a new one");
    }
    try {
      if (!this.#client.isReady && this.#firstConnection !== undefined) {
        await this.#firstConnection;
      }
      if (this.#closed) {
        throw new CacheError("CLOSED", "this RedisAdapter is closed; create a new one");
      }
      if (!this.#client.isReady) {
        // The server answers but refuses the connection (a wrong password): say so.
        if (isServerReply(this.#lastError)) throw this.#lastError;
        throw new CacheError(
          "UNAVAILABLE",
          `cannot ${what()}: the Redis server is unreachable (${
            describeError(this.#lastError)
          }); ` +
            "check that it runs and that the URL is right. Cached tasks still run; the cache " +
            "works again once the server is back.",
        );
      }
      return await fn(this.#client);
    } catch (error) {
      throw storageError(error, what());
    }
  }
}

/** A `CacheError` for a failure of `what`. */
function storageError(error: unknown, what: string): unknown {
  if (error instanceof CacheError || error instanceof TypeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isServerReply(error)) {
    if (/^OOM\b/.test(message)) {
      return new CacheError(
        "NO_SPACE",
        `cannot ${what}: the Redis server is out of memory (${message}); give it an eviction ` +
          "policy (maxmemory-policy allkeys-lru), or, if it has one, a maxmemory well above the " +
          "largest values (clients' buffers count too, and cannot be evicted)",
        { cause: error },
      );
    }
    if (/^(NOAUTH|WRONGPASS|NOPERM|READONLY)\b/.test(message)) {
      return new CacheError(
        "PERMISSION_DENIED",
        `cannot ${what}: the Redis server refuses it (${message}); check the user and password ` +
          "in the URL and the user's ACL",
        { cause: error },
      );
    }
    if (/bulk length|Protocol error/i.test(message)) {
      return new CacheError(
        "TOO_LARGE",
        `cannot ${what}: the Redis server refused the value (${message}); nothing was written`,
        { cause: error },
      );
    }
    return new CacheError("IO", `cannot ${what}: the Redis server failed (${message})`, {
      cause: error,
    });
  }
  return new CacheError(
    "UNAVAILABLE",
    `cannot ${what}: the connection to the Redis server failed (${message}); check that it ` +
      "runs and that the URL is right. Cached tasks still run; the cache works again once the " +
      "server is back.",
    { cause: error },
  );
}

/** Whether `error` is the server's error reply (not a connection failure). */
function isServerReply(error: unknown): boolean {
  if (error instanceof ErrorReply) return true;
  const name = (error as { constructor?: { name?: string } })?.constructor?.name ?? "";
  return /^(ErrorReply|SimpleError|BlobError|MultiErrorReply)$/.test(name);
}

function describeError(error: unknown): string {
  if (error === undefined) return "not connected";
  const message = error instanceof Error ? error.message || error.name : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}...` : message;
}

function describeKey(key: string): string {
  return JSON.stringify(String(key).slice(0, 60));
}

/** The stored metadata, or `undefined` when damaged. */
function parseMetadata(text: string): StoredMetadata | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<StoredMetadata> | null;
    if (
      typeof parsed?.t === "string" && typeof parsed.c === "string" &&
      typeof parsed.s === "number" && Number.isFinite(parsed.s) && parsed.s >= 0
    ) return parsed as StoredMetadata;
  } catch {
    // damaged: a miss
  }
  return undefined;
}

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A key's part of a Redis key: `s` + the key (its UTF-8 is exact) or, for a key with an
 * unpaired surrogate (which UTF-8 would change), `u` + the hex of its UTF-16 code units.
 */
function encodeId(key: string): string {
  if (!UNPAIRED_SURROGATE.test(key)) return `s${key}`;
  let hex = "u";
  for (let i = 0; i < key.length; i++) hex += key.charCodeAt(i).toString(16).padStart(4, "0");
  return hex;
}

function decodeId(id: string): string | undefined {
  if (id.startsWith("s")) return id.slice(1);
  if (!/^u(?:[0-9a-f]{4})*$/.test(id)) return undefined;
  let key = "";
  for (let i = 1; i < id.length; i += 4) {
    key += String.fromCharCode(parseInt(id.slice(i, i + 4), 16));
  }
  return key;
}

/** `text` with the glob characters of `SCAN MATCH` escaped. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\^-]/g, "\\$&");
}

/** A plain `Uint8Array` (never a Buffer) of the reply's bytes, without a copy when it can. */
function plainBytes(bytes: Buffer): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return new Uint8Array(bytes.buffer, 0, bytes.byteLength);
  }
  return new Uint8Array(bytes);
}
