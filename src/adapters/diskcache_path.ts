/**
 * Where flytekit's cache is: its `CACHE_LOCATION`, expanded as diskcache expands a directory
 * (Python's `os.path.expanduser`, then `os.path.expandvars`).
 *
 * @module
 */
import { homedir } from "node:os";
import process from "node:process";

/** flytekit's `CACHE_LOCATION` (`flytekit/core/local_cache.py`), before expansion. */
export const FLYTEKIT_CACHE_LOCATION = "~/.flyte/local-cache";

/**
 * `path` expanded as Python's `os.path.expanduser` then `os.path.expandvars` do it: a leading
 * `~` (alone or before `/`) becomes `$HOME`; `$NAME` and `${NAME}` become the variable's value,
 * and stay as they are when it is unset.
 *
 * @param path A directory as diskcache takes it.
 * @param env The environment variables (default: the process's).
 * @returns The path expanded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandCachePath } from "local-task-cache/adapters/diskcache";
 *
 * const env = { HOME: "/home/me", PROJECT: "demo" };
 * assert.equal(expandCachePath("~/.flyte/local-cache", env), "/home/me/.flyte/local-cache");
 * assert.equal(expandCachePath("/tmp/${PROJECT}/$UNSET", env), "/tmp/demo/$UNSET");
 * ```
 */
export function expandCachePath(
  path: string,
  env: Readonly<Record<string, string | undefined>> = environment(),
): string {
  let out = path;
  if (out === "~" || out.startsWith("~/")) {
    out = (env.HOME ?? homedir()) + out.slice(1);
  }
  return out.replace(/\$(\w+|\{[^}]*\})/g, (whole, name: string) => {
    const value = env[name.startsWith("{") ? name.slice(1, -1) : name];
    return value ?? whole;
  });
}

/**
 * flytekit's cache directory, `~/.flyte/local-cache`, expanded.
 *
 * @returns The directory flytekit's `LocalTaskCache` uses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flytekitCacheDirectory } from "local-task-cache/adapters/diskcache";
 *
 * assert.ok(flytekitCacheDirectory().endsWith("/.flyte/local-cache"));
 * ```
 */
export function flytekitCacheDirectory(): string {
  return expandCachePath(FLYTEKIT_CACHE_LOCATION);
}

function environment(): Readonly<Record<string, string | undefined>> {
  try {
    return { ...process.env };
  } catch {
    return {}; // Deno without --allow-env
  }
}
