/**
 * Work over large values a slice at a time, with a turn of the event loop between slices, so
 * that storing or reading an output of any size never holds the loop up for long.
 *
 * @module
 */

/**
 * How many bytes are summed or copied between two turns of the event loop: about a
 * millisecond of work on a quiet machine (a few on a loaded one), far under 50 ms.
 */
export const SLICE_BYTES = 2 * 1024 * 1024;

type Schedule = (callback: () => void) => void;

/** The quickest way this runtime has to let timers and I/O run before going on. */
const schedule: Schedule = (() => {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown })
    .setImmediate;
  // Node, Bun and Deno: after the timers and I/O that are due.
  if (typeof immediate === "function") return (callback: () => void) => void immediate(callback);
  // Browsers: a message is a task of its own, without the 4 ms clamp of nested timers.
  if (typeof MessageChannel === "function") {
    return (callback: () => void) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        callback();
      };
      channel.port2.postMessage(undefined);
    };
  }
  return (callback: () => void) => void setTimeout(callback, 0);
})();

/**
 * Resolves after a turn of the event loop: timers, I/O and other tasks that are due run first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { yieldToEventLoop } from "./slices.ts";
 *
 * let ticked = false;
 * setTimeout(() => ticked = true, 0);
 * await new Promise((resolve) => setTimeout(resolve, 1));
 * await yieldToEventLoop();
 * assert.equal(ticked, true);
 * ```
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => schedule(resolve));
}

/**
 * Refuses, with a `TypeError` naming `what`, pieces of a value that are not an array of
 * `Uint8Array`s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPieces } from "./slices.ts";
 *
 * checkPieces([new Uint8Array(1)], "MyAdapter.setChunks"); // fine
 * assert.throws(() => checkPieces([[1]], "MyAdapter.setChunks"), TypeError);
 * ```
 */
export function checkPieces(chunks: unknown, what: string): void {
  if (!Array.isArray(chunks) || !chunks.every((chunk) => chunk instanceof Uint8Array)) {
    throw new TypeError(`${what}: the pieces of a value must be an array of Uint8Arrays`);
  }
}

/**
 * An adapter's `set` through its `setChunks`: `value` as the one piece, after refusing (with a
 * `TypeError` naming `name`) a value that is not a `Uint8Array`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setAsOnePiece } from "./slices.ts";
 *
 * let stored: readonly Uint8Array[] = [];
 * const adapter = {
 *   setChunks: (_key: string, pieces: readonly Uint8Array[]) => {
 *     stored = pieces;
 *     return Promise.resolve();
 *   },
 * };
 * await setAsOnePiece(adapter, "MyAdapter", "key", new Uint8Array([1]));
 * assert.deepEqual(stored, [new Uint8Array([1])]);
 * ```
 */
export function setAsOnePiece<M>(
  adapter: { setChunks(key: string, pieces: readonly Uint8Array[], metadata?: M): Promise<void> },
  name: string,
  key: string,
  value: Uint8Array,
  metadata?: M,
): Promise<void> {
  if (!(value instanceof Uint8Array)) {
    return Promise.reject(
      new TypeError(`${name}.set: value must be a Uint8Array, got ${typeof value}`),
    );
  }
  return adapter.setChunks(key, [value], metadata);
}

/** The total length of `chunks`. */
export function totalLength(chunks: readonly Uint8Array[]): number {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  return length;
}

/**
 * Calls `use` with consecutive slices of `chunks` (their bytes in order, at most
 * {@link SLICE_BYTES} each), turning the event loop between slices once a value is larger
 * than one slice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inSlices } from "./slices.ts";
 *
 * let seen = 0;
 * await inSlices([new Uint8Array(10), new Uint8Array(5)], (slice) => seen += slice.length);
 * assert.equal(seen, 15);
 * ```
 */
export async function inSlices(
  chunks: readonly Uint8Array[],
  use: (slice: Uint8Array, offset: number) => void,
): Promise<void> {
  let done = 0;
  let sinceYield = 0;
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length;) {
      if (sinceYield >= SLICE_BYTES) {
        await yieldToEventLoop();
        sinceYield = 0;
      }
      const length = Math.min(chunk.length - at, SLICE_BYTES - sinceYield);
      use(chunk.subarray(at, at + length), done);
      at += length;
      done += length;
      sinceYield += length;
    }
  }
}

/**
 * The bytes of `chunks` joined into one new `Uint8Array`, copied a slice at a time (see
 * {@link inSlices}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { joinInSlices } from "./slices.ts";
 *
 * const joined = await joinInSlices([new Uint8Array([1]), new Uint8Array([2, 3])]);
 * assert.deepEqual(joined, new Uint8Array([1, 2, 3]));
 * ```
 */
export async function joinInSlices(chunks: readonly Uint8Array[]): Promise<Uint8Array> {
  const joined = new Uint8Array(totalLength(chunks));
  await inSlices(chunks, (slice, offset) => joined.set(slice, offset));
  return joined;
}

/**
 * The bytes of `chunks` in order, as arrays of `size` bytes each (the last one shorter),
 * whatever the pieces' own sizes: for storage that keeps a value as records of a fixed size.
 * Each array comes from `allocate` (new ones by default), called for the next record only once
 * the caller asks for it, so records can be recycled once stored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { regroup } from "./slices.ts";
 *
 * assert.deepEqual([...regroup([new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])], 2)], [
 *   new Uint8Array([1, 2]),
 *   new Uint8Array([3, 4]),
 *   new Uint8Array([5]),
 * ]);
 * ```
 */
export function* regroup(
  chunks: readonly Uint8Array[],
  size: number,
  allocate: (length: number) => Uint8Array = (length) => new Uint8Array(length),
): Generator<Uint8Array> {
  let left = totalLength(chunks);
  if (left === 0) return;
  let record = allocate(Math.min(size, left));
  let filled = 0;
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length;) {
      const length = Math.min(chunk.length - at, record.length - filled);
      record.set(chunk.subarray(at, at + length), filled);
      at += length;
      filled += length;
      if (filled === record.length) {
        yield record;
        left -= filled;
        if (left === 0) return;
        record = allocate(Math.min(size, left));
        filled = 0;
      }
    }
  }
}
