/**
 * What a `TaskCache` stores: a task's outputs (a `LiteralMap`) checked and turned into
 * deterministic protobuf bytes, and bytes read back into one.
 *
 * @module
 */
import { fromBinary, isMessage } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import type { CacheAdapter } from "../adapter.ts";
import { toBinaryDeterministicChunks } from "../keys/deterministic.ts";
import { describeArgument } from "../internal/describe.ts";

/**
 * How deep messages may nest in a stored value, the outermost counted: the recursion limit of
 * protobuf-es's `fromBinary` (and of Python's protobuf), so that what `set` stores, `get` (and
 * flytekit) can read back. A map of maps nests two messages a level (a `Literal`, a
 * `LiteralMap`): a little under 50 levels.
 */
export const MAX_MESSAGE_DEPTH = 100;

/**
 * The bytes of `value` as pieces that, joined, are its deterministic protobuf encoding. Refuses
 * what is not a `LiteralMap` (`TypeError`), what could not be read back (`RangeError`), and what
 * Python refuses (unpaired surrogates, out-of-range integers) instead of storing a changed
 * value. Large binaries are not copied: they are pieces of their own.
 */
export function encodeOutputs(value: unknown): Uint8Array[] {
  checkOutputs(value);
  checkReadableDepth(value);
  return toBinaryDeterministicChunks(LiteralMapSchema, value, "TaskCache.set: value");
}

/** The `LiteralMap` stored as `bytes`; `undefined` when they do not parse as one. */
export function decodeOutputs(bytes: Uint8Array): LiteralMap | undefined {
  try {
    return fromBinary(LiteralMapSchema, bytes);
  } catch {
    return undefined;
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

/**
 * Refuses (with a `TypeError` naming the adapter) what an adapter's `get` resolved to when it
 * is neither bytes nor `undefined`.
 */
export function checkStored(
  stored: unknown,
  adapter: CacheAdapter,
): asserts stored is Uint8Array | undefined {
  if (stored === undefined || stored instanceof Uint8Array) return;
  const name = (adapter as { constructor?: { name?: string } }).constructor?.name ?? "adapter";
  throw new TypeError(
    `TaskCache.get: the adapter (${name}) returned ${describeArgument(stored)} for a key; an ` +
      `adapter's get must resolve to a Uint8Array or undefined`,
  );
}

/**
 * Refuses (with a `RangeError` naming the depth) a value whose messages nest deeper than
 * {@link MAX_MESSAGE_DEPTH}: stored, it could never be read back. The walk goes no deeper than
 * the limit (four levels of objects per message at most: oneof cases, maps, arrays), so that any
 * depth, a cycle among plain objects too, gets this error rather than a stack overflow.
 */
function checkReadableDepth(value: LiteralMap): void {
  if (!withinDepth(value, 0, 0)) {
    throw new RangeError(
      `TaskCache.set: the value nests messages deeper than ${MAX_MESSAGE_DEPTH} levels (maps ` +
        `or lists of literals nested about ${MAX_MESSAGE_DEPTH / 2} deep), past what ` +
        `protobuf readers (protobuf-es, Python's) read back; flatten it, or store the deep ` +
        `part as one value (t.msgpack)`,
    );
  }
}

/**
 * Whether the messages in `item` (an object `levels` objects down, inside `depth` messages)
 * nest at most {@link MAX_MESSAGE_DEPTH} deep, without going more than four times that many
 * objects down.
 */
function withinDepth(item: object, depth: number, levels: number): boolean {
  if ("$typeName" in item) depth++;
  levels++;
  if (depth > MAX_MESSAGE_DEPTH || levels > 4 * MAX_MESSAGE_DEPTH) return false;
  for (const name in item) {
    const child = (item as Record<string, unknown>)[name];
    if (typeof child === "object" && child !== null && !ArrayBuffer.isView(child)) {
      if (!withinDepth(child, depth, levels)) return false;
    }
  }
  return true;
}
