/**
 * `RedisAdapter`'s connection to its server: the part of a node-redis client it uses, the
 * client it makes from a URL (commands failing at once while the server is unreachable, a
 * bounded first connection, reconnection in the background), and what the server's failures
 * mean as `CacheError`s.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { createClient, ErrorReply } from "redis";
import {
  adapterError,
  type Classification,
  type Classify,
  storageError,
} from "../internal/storage_error.ts";

/** The adapter's name in its errors. */
export const ADAPTER = "RedisAdapter";

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

/** Every queued command fails once this many wait for the server. */
const QUEUE_LIMIT = 10_000;
/** The longest wait between two reconnection attempts, in ms. */
const MAX_RECONNECT_DELAY_MS = 1000;

/** What a person can do about a server that cannot be reached. */
const UNREACHABLE =
  "check that it runs and that the URL is right. Cached tasks still run; the cache works again " +
  "once the server is back";

/** The adapter's client: given, or made from a URL and connecting. */
export class RedisLink {
  /** The client. */
  readonly client: RedisClientLike;
  /** Whether the adapter made the client (and closes it). */
  readonly owned: boolean;
  /** The first connection of an owned client, bounded by `connectTimeoutMs`. */
  #firstConnection: Promise<void> | undefined;
  #lastError: unknown;

  /** @throws {TypeError} When `connection` is neither a `{ url }` nor a `{ client }`. */
  constructor(
    connection: RedisConnection,
    timeouts: { connectTimeoutMs: number; commandTimeoutMs: number },
  ) {
    if (connection !== null && typeof connection === "object" && "client" in connection) {
      const client = connection.client;
      if (typeof client?.sendCommand !== "function" || typeof client.multi !== "function") {
        throw new TypeError("RedisAdapter: { client } must be a client of the npm package redis");
      }
      this.client = client;
      this.owned = false;
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
    const { connectTimeoutMs, commandTimeoutMs } = timeouts;
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
    this.client = client as unknown as RedisClientLike;
    this.owned = true;
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

  /** Waits for the first connection of an owned client, if it is under way. */
  async settled(): Promise<void> {
    if (!this.client.isReady && this.#firstConnection !== undefined) await this.#firstConnection;
  }

  /**
   * The client, ready for commands; else the server's refusal (a wrong password) or a
   * `CacheError` `UNAVAILABLE` for `action`.
   */
  ready(action: string): RedisClientLike {
    if (this.client.isReady) return this.client;
    const error = this.#lastError;
    // The server answers but refuses the connection (a wrong password): say so.
    if (isServerReply(error)) throw error;
    if (error === undefined) {
      throw adapterError(
        ADAPTER,
        "UNAVAILABLE",
        action,
        `the Redis server is unreachable (not connected); ${UNREACHABLE}`,
      );
    }
    throw storageError(ADAPTER, action, error, () => [
      "UNAVAILABLE",
      `the Redis server is unreachable; ${UNREACHABLE}`,
    ]);
  }

  /** Closes an owned client (never a client given). */
  async close(): Promise<void> {
    if (!this.owned) return;
    const client = this.client as unknown as { close(): Promise<void>; destroy(): void };
    if (this.client.isReady) {
      await client.close().catch(() => client.destroy());
    } else {
      client.destroy();
    }
  }
}

/** What the server's error replies and the connection's failures mean. */
const classify: Classify = (error, message): Classification => {
  if (!isServerReply(error)) {
    return ["UNAVAILABLE", `the connection to the Redis server failed; ${UNREACHABLE}`];
  }
  if (/^OOM\b/.test(message)) {
    return [
      "NO_SPACE",
      "the Redis server is out of memory; give it an eviction policy (maxmemory-policy " +
      "allkeys-lru), or, if it has one, a maxmemory well above the largest values (clients' " +
      "buffers count too, and cannot be evicted)",
    ];
  }
  if (/^(NOAUTH|WRONGPASS|NOPERM|READONLY)\b/.test(message)) {
    return [
      "PERMISSION_DENIED",
      "the Redis server refuses it; check the user and password in the URL and the user's ACL",
    ];
  }
  if (/bulk length|Protocol error/i.test(message)) {
    return ["TOO_LARGE", "the Redis server refused the value; nothing was written"];
  }
  return ["IO", "the Redis server failed"];
};

/**
 * A failure while the adapter did `action`, as a `CacheError` (a caller's `TypeError` passes
 * through as it is).
 */
export function redisError(error: unknown, action: string): Error {
  if (error instanceof TypeError) return error;
  return storageError(ADAPTER, action, error, classify);
}

/** Whether `error` is the server's error reply (not a connection failure). */
export function isServerReply(error: unknown): boolean {
  if (error instanceof ErrorReply) return true;
  const name = (error as { constructor?: { name?: string } })?.constructor?.name ?? "";
  return /^(ErrorReply|SimpleError|BlobError|MultiErrorReply)$/.test(name);
}
