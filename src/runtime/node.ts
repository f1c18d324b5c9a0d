/**
 * The runtime defaults for Node, Bun and Deno: an `FsAdapter` in the per-user cache directory,
 * and `node:crypto`'s native MD5. Chosen through the `#runtime` import (package.json `imports`,
 * deno.json `imports`); a browser bundle gets `browser.ts` instead and never sees `node:`.
 *
 * @module
 */
import * as crypto from "node:crypto";
import process from "node:process";
import type { Md5Hex, OpenDefaultAdapter, ReadEnvironment } from "./types.ts";

/** `crypto.hash` (Node >= 20.12, not in every runtime): one call, no Hash object. */
const oneShot = (crypto as {
  hash?: (algorithm: string, data: Uint8Array, encoding: "hex") => string;
}).hash;

/** `node:crypto`'s MD5, many times faster than the portable one on large inputs. */
export const nativeMd5Hex: Md5Hex | undefined = (parts) => {
  if (parts.length === 1 && oneShot !== undefined) return oneShot("md5", parts[0]!, "hex");
  const hash = crypto.createHash("md5");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
};

/** An `FsAdapter` in `options.directory`, `LOCAL_TASK_CACHE_DIR`, or the per-user cache directory. */
export const openDefaultAdapter: OpenDefaultAdapter = async (options) => {
  if (options.flytekit ?? isOn(readEnvironment("LOCAL_TASK_CACHE_FLYTEKIT"))) {
    const { DiskcacheAdapter } = await import("../adapters/diskcache.ts");
    return new DiskcacheAdapter({ directory: options.directory });
  }
  // Loaded on first use: computing keys needs only the MD5 above.
  const { defaultCacheDirectory, FsAdapter } = await import("../adapters/fs.ts");
  return new FsAdapter({ directory: options.directory ?? defaultCacheDirectory() });
};

/** flytekit's reading of a boolean setting: set, not empty, and not `false`, `0`, `off`, `no`. */
export function isOn(value: string | undefined): boolean {
  return !!value && !["false", "0", "off", "no"].includes(value.trim().toLowerCase());
}

/** `process.env[name]`; `undefined` where reading it is not allowed (Deno without --allow-env). */
export const readEnvironment: ReadEnvironment = (name) => {
  try {
    return process.env[name];
  } catch {
    return undefined;
  }
};
