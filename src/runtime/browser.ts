/**
 * The runtime defaults for browsers (window and worker): IndexedDB, and the portable MD5.
 * Chosen through the `#runtime` import (the `browser` condition of package.json `imports`).
 *
 * @module
 */
import type { Md5Hex, OpenDefaultAdapter, ReadEnvironment } from "./types.ts";

/** Browsers have no synchronous native MD5 (Web Crypto has none): keys use the
 * portable one of src/keys/md5.ts. */
export const nativeMd5Hex: Md5Hex | undefined = undefined;

/**
 * An `IndexedDbAdapter` on the database `local-task-cache` of the page's origin. A browser has
 * no directories: `options.directory` is refused.
 */
export const openDefaultAdapter: OpenDefaultAdapter = async (options) => {
  if (options.flytekit) {
    throw new TypeError(
      "LocalTaskCache.initialize: flytekit's cache is a SQLite directory, which a browser " +
        "cannot open; use it from Node, Deno or Bun",
    );
  }
  if (options.directory !== undefined) {
    throw new TypeError(
      "LocalTaskCache.initialize: a browser has no directories; pass " +
        "{ adapter: new IndexedDbAdapter({ databaseName }) } to choose another database",
    );
  }
  const { IndexedDbAdapter } = await import("../adapters/indexeddb.ts");
  return new IndexedDbAdapter();
};

/** A browser has no environment variables. */
export const readEnvironment: ReadEnvironment = () => undefined;
