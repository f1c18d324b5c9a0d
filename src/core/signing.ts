/**
 * Signed entries: a seal (HMAC-SHA256) over the cache key, the task name, the cache version and
 * the value, so that an entry written without the team's key, or changed, is never returned.
 *
 * @module
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { EntryMetadata } from "../adapter.ts";
import { utf16le } from "../internal/checksum.ts";
import { inSlices, joinInSlices } from "../internal/slices.ts";

/** The seal's length in bytes (an HMAC-SHA256), appended to the stored value. */
export const SEAL_LENGTH = 32;
/** The shortest signing key accepted, in bytes. */
export const MIN_SIGNING_KEY_BYTES = 16;
/** What the MAC starts with: the format's name and version. */
const DOMAIN = new TextEncoder().encode("local-task-cache seal v1\0");

/**
 * Seals values with a secret key and opens sealed ones. A stored value is the value's bytes
 * followed by `HMAC-SHA256(signingKey, "local-task-cache seal v1\0" ‖ part(key) ‖
 * part(taskName) ‖ part(cacheVersion) ‖ value)`, where `part(s)` is the length of `s` in UTF-16
 * code units (4 bytes, big-endian) and its code units (UTF-16LE): one-to-one, so that no two
 * entries share what is signed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Signer } from "./signing.ts";
 *
 * const signer = new Signer("a team secret of 16+ characters");
 * const metadata = { taskName: "t", cacheVersion: "1" };
 * const sealed = await signer.seal("t-1-abc", metadata, new Uint8Array([1, 2, 3]));
 * assert.deepEqual(await signer.open("t-1-abc", metadata, sealed), new Uint8Array([1, 2, 3]));
 * assert.equal(await signer.open("t-1-xyz", metadata, sealed), undefined);
 * ```
 */
export class Signer {
  #key: Uint8Array;

  /** `signingKey`: at least 16 bytes, or a string of them (its UTF-8). */
  constructor(signingKey: Uint8Array | string) {
    const key = typeof signingKey === "string"
      ? new TextEncoder().encode(signingKey)
      : signingKey instanceof Uint8Array
      ? signingKey.slice()
      : undefined;
    if (key === undefined || key.length < MIN_SIGNING_KEY_BYTES) {
      throw new TypeError(
        `TaskCache: options.signingKey must be a Uint8Array or a string of at least ` +
          `${MIN_SIGNING_KEY_BYTES} bytes (32 random bytes are best: ` +
          `crypto.getRandomValues(new Uint8Array(32))), got ${
            key === undefined ? typeof signingKey : `${key.length} bytes`
          }`,
      );
    }
    this.#key = key;
  }

  /** `value` followed by its seal. */
  async seal(key: string, metadata: EntryMetadata, value: Uint8Array): Promise<Uint8Array> {
    return joinInSlices(await this.sealChunks(key, metadata, [value]));
  }

  /**
   * The pieces of a value (`chunks`, joined: the value) followed by one more piece, its seal.
   * The MAC runs over the pieces a slice at a time, so that a large value does not hold up the
   * event loop.
   */
  async sealChunks(
    key: string,
    metadata: EntryMetadata,
    chunks: readonly Uint8Array[],
  ): Promise<Uint8Array[]> {
    return [...chunks, await this.#mac(key, metadata, chunks)];
  }

  /** The value of a sealed entry whose seal verifies, else `undefined`. */
  async open(
    key: string,
    metadata: EntryMetadata,
    sealed: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    if (sealed.length < SEAL_LENGTH) return undefined;
    const value = sealed.subarray(0, sealed.length - SEAL_LENGTH);
    const expected = await this.#mac(key, metadata, [value]);
    let difference = 0;
    for (let i = 0; i < SEAL_LENGTH; i++) difference |= expected[i]! ^ sealed[value.length + i]!;
    return difference === 0 ? value : undefined;
  }

  async #mac(
    key: string,
    metadata: EntryMetadata,
    chunks: readonly Uint8Array[],
  ): Promise<Uint8Array> {
    const mac = hmac.create(sha256, this.#key).update(DOMAIN);
    for (const text of [key, metadata.taskName, metadata.cacheVersion]) {
      const length = new Uint8Array(4);
      new DataView(length.buffer).setUint32(0, text.length);
      mac.update(length).update(utf16le(text));
    }
    await inSlices(chunks, (slice) => mac.update(slice));
    return mac.digest();
  }
}
