/**
 * The runtime defaults for browsers (window and worker). Chosen through the `#runtime` import.
 *
 * @module
 */
import { CacheError } from "../errors.ts";
import type { Md5Hex, OpenDefaultAdapter } from "./types.ts";

/** Browsers have no synchronous native MD5 (Web Crypto has none): keys use `@noble/hashes`. */
export const nativeMd5Hex: Md5Hex | undefined = undefined;

/** There is no default browser storage yet: pass `{ adapter }` to `LocalTaskCache.initialize`. */
export const openDefaultAdapter: OpenDefaultAdapter = () =>
  Promise.reject(
    new CacheError(
      "IO",
      "LocalTaskCache has no default storage in a browser yet: call " +
        "LocalTaskCache.initialize({ adapter }) with an adapter, e.g. new MemoryAdapter()",
    ),
  );
