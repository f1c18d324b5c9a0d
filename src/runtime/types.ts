/**
 * What each runtime's module (`#runtime`) provides.
 *
 * @module
 */
import type { CacheAdapter } from "../adapter.ts";

/** Options for the runtime's default adapter. */
export interface DefaultAdapterOptions {
  /** A directory for a file-based default, instead of the per-user cache directory. */
  directory?: string | undefined;
  /**
   * Use flytekit's own cache (a `DiskcacheAdapter` on `~/.flyte/local-cache`, or on
   * `directory`); without it, the environment variable `LOCAL_TASK_CACHE_FLYTEKIT` decides.
   */
  flytekit?: boolean | undefined;
}

/** Opens the runtime's default adapter. */
export type OpenDefaultAdapter = (options: DefaultAdapterOptions) => Promise<CacheAdapter>;

/** The MD5 of the concatenation of `parts`, as 32 lowercase hex digits. */
export type Md5Hex = (parts: readonly Uint8Array[]) => string;

/** The value of an environment variable, or `undefined` (none, or no access to it). */
export type ReadEnvironment = (name: string) => string | undefined;
