/**
 * The runtime defaults for Deno: Deno KV in a file of the per-user cache directory when
 * `Deno.openKv` exists (`--unstable-kv`), otherwise an `FsAdapter` there; MD5 from
 * `node:crypto`. Chosen through the `#runtime` import of deno.json.
 *
 * @module
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { OpenDefaultAdapter } from "./types.ts";

import { isOn, readEnvironment } from "./node.ts";

export { nativeMd5Hex, readEnvironment } from "./node.ts";

/**
 * `DenoKvAdapter` on `<directory>/cache.kv` with `--unstable-kv`, else `FsAdapter` on
 * `<directory>`; the directory is `options.directory`, `LOCAL_TASK_CACHE_DIR`, or the per-user
 * cache directory. Either way a directory another user owns or could write is refused
 * (`CacheError` `UNSAFE_DIRECTORY`).
 */
export const openDefaultAdapter: OpenDefaultAdapter = async (options) => {
  if (options.flytekit ?? isOn(readEnvironment("LOCAL_TASK_CACHE_FLYTEKIT"))) {
    const { DiskcacheAdapter } = await import("../adapters/diskcache.ts");
    return new DiskcacheAdapter({ directory: options.directory });
  }
  // Loaded on first use: computing keys needs only the MD5.
  const { defaultCacheDirectory, FsAdapter } = await import("../adapters/fs.ts");
  const directory = options.directory ?? defaultCacheDirectory();
  const deno = (globalThis as { Deno?: { openKv?: unknown } }).Deno;
  if (typeof deno?.openKv !== "function") return new FsAdapter({ directory });
  await mkdir(directory, { recursive: true, mode: 0o700 });
  // As FsAdapter does: a directory another user could write holds results they could plant.
  const { checkDirectory } = await import("../adapters/fs_trust.ts");
  checkDirectory(directory);
  const { DenoKvAdapter } = await import("../adapters/deno_kv.ts");
  return new DenoKvAdapter({ path: join(directory, "cache.kv") });
};
