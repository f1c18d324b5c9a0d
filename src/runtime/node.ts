/**
 * The runtime defaults for Node, Bun and Deno: an `FsAdapter` in the per-user cache directory,
 * and `node:crypto`'s native MD5. Chosen through the `#runtime` import (package.json `imports`,
 * deno.json `imports`); a browser bundle gets `browser.ts` instead and never sees `node:`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Md5Hex, OpenDefaultAdapter } from "./types.ts";

/** `node:crypto`'s MD5, many times faster than the portable one on large inputs. */
export const nativeMd5Hex: Md5Hex | undefined = (parts) => {
  const hash = createHash("md5");
  let length = 0;
  for (const part of parts) length += part.length;
  if (length <= JOIN_LIMIT) {
    // One call into native code costs less than copying a few KiB.
    const joined = new Uint8Array(length);
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.length;
    }
    hash.update(joined);
  } else {
    for (const part of parts) hash.update(part);
  }
  return hash.digest("hex");
};

const JOIN_LIMIT = 16 * 1024;

/** An `FsAdapter` in `options.directory`, `LOCAL_TASK_CACHE_DIR`, or the per-user cache directory. */
export const openDefaultAdapter: OpenDefaultAdapter = async (options) => {
  // Loaded on first use: computing keys needs only the MD5 above.
  const { defaultCacheDirectory, FsAdapter } = await import("../adapters/fs.ts");
  return new FsAdapter({ directory: options.directory ?? defaultCacheDirectory() });
};
