/**
 * The storage-agnostic cache core: keys and LiteralMap bytes over one adapter.
 *
 * @module
 */
import { clone, fromBinary, isMessage } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../gen/flyteidl/core/literals_pb.ts";
import type { CacheAdapter } from "./adapter.ts";
import { toBinaryDeterministic } from "./deterministic.ts";
import { calculateCacheKey, describeArgument } from "./key.ts";

/**
 * A cache of task outputs over one adapter: flytekit's `LocalTaskCache` operations as an
 * instance, for programs that want several caches or no global state.
 *
 * Keys are flytekit's (see `calculateCacheKey`); values are stored as Flyte IDL protobuf bytes.
 * Wrong argument types are refused with a `TypeError` before any I/O; storage failures are
 * `CacheError`s from the adapter.
 *
 * @example
 * ```ts
 * import { create } from "@bufbuild/protobuf";
 * import { LiteralMapSchema, TaskCache } from "local-task-cache";
 * import { MemoryAdapter } from "local-task-cache/adapters/memory";
 *
 * const cache = new TaskCache(new MemoryAdapter());
 * const inputs = create(LiteralMapSchema);
 * console.log(await cache.get("t", "1", inputs)); // undefined
 * await cache.set("t", "1", inputs, [], create(LiteralMapSchema));
 * console.log(await cache.get("t", "1", inputs)); // the stored (empty) LiteralMap
 * await cache.close();
 * ```
 */
export class TaskCache {
  /** The adapter this cache stores its entries in. */
  readonly adapter: CacheAdapter;

  constructor(adapter: CacheAdapter) {
    if (!isAdapter(adapter)) {
      throw new TypeError(
        `TaskCache: expected a CacheAdapter (an object with get, set, delete, clear and close), ` +
          `got ${describeArgument(adapter)}`,
      );
    }
    this.adapter = adapter;
  }

  /**
   * The stored outputs of `taskName` at `cacheVersion` for these inputs, or `undefined`.
   * The result is a fresh message: changing it does not change the cache.
   */
  async get(
    taskName: string,
    cacheVersion: string,
    inputLiteralMap: LiteralMap,
    cacheIgnoreInputVars: readonly string[] = [],
  ): Promise<LiteralMap | undefined> {
    const key = calculateCacheKey(taskName, cacheVersion, inputLiteralMap, cacheIgnoreInputVars);
    const stored = await this.adapter.get(key);
    if (stored === undefined) return undefined;
    if (stored instanceof Uint8Array) return this.#decode(key, stored);
    if (isMessage(stored, LiteralMapSchema)) return clone(LiteralMapSchema, stored);
    throw new TypeError(
      `TaskCache.get: the adapter (${adapterName(this.adapter)}) returned ` +
        `${describeArgument(stored)} for a key; an adapter's get must resolve to a Uint8Array, ` +
        `a flyteidl.core.LiteralMap message or undefined`,
    );
  }

  /** Stores `value` as the outputs of `taskName` at `cacheVersion` for these inputs. */
  async set(
    taskName: string,
    cacheVersion: string,
    inputLiteralMap: LiteralMap,
    cacheIgnoreInputVars: readonly string[],
    value: LiteralMap,
  ): Promise<void> {
    const key = calculateCacheKey(
      taskName,
      cacheVersion,
      inputLiteralMap,
      cacheIgnoreInputVars ?? [],
    );
    checkOutputs(value);
    // Deterministic bytes parse like any protobuf bytes, and refuse what Python refuses
    // (unpaired surrogates, out-of-range integers) instead of storing a changed value.
    await this.adapter.set(
      key,
      toBinaryDeterministic(LiteralMapSchema, value, "TaskCache.set: value"),
    );
  }

  /** Removes every stored result. */
  async clear(): Promise<void> {
    await this.adapter.clear();
  }

  /** Releases the adapter (file handles, database connections). */
  async close(): Promise<void> {
    await this.adapter.close();
  }

  /** Stored bytes that do not parse as a LiteralMap read as a miss, and the entry goes. */
  async #decode(key: string, bytes: Uint8Array): Promise<LiteralMap | undefined> {
    try {
      return fromBinary(LiteralMapSchema, bytes);
    } catch {
      await this.adapter.delete(key).catch(() => false);
      return undefined;
    }
  }
}

/** Refuses outputs that are not a LiteralMap message, with a `TypeError`. */
export function checkOutputs(value: unknown): asserts value is LiteralMap {
  if (!isMessage(value, LiteralMapSchema)) {
    throw new TypeError(
      `TaskCache.set: value must be a flyteidl.core.LiteralMap message ` +
        `(create(LiteralMapSchema, ...)), got ${describeArgument(value)}`,
    );
  }
}

function isAdapter(value: unknown): value is CacheAdapter {
  if (typeof value !== "object" || value === null) return false;
  const adapter = value as Record<string, unknown>;
  return ["get", "set", "delete", "clear", "close"].every((name) =>
    typeof adapter[name] === "function"
  );
}

function adapterName(adapter: CacheAdapter): string {
  return (adapter as { constructor?: { name?: string } }).constructor?.name ?? "adapter";
}
