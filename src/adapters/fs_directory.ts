/**
 * The directory of `FsAdapter` (fs.ts): where it is by default (`defaultCacheDirectory`), and
 * the one an adapter uses (`CacheDirectory`): checked once for who can change its results
 * (fs_trust.ts), created on the first write, temporary files made in it, its names listed.
 *
 * @module
 */
import { readdir } from "node:fs/promises";
import { homedir, platform } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import process from "node:process";
import { fsError } from "./fs_errors.ts";
import { closeQuietly, codeOf, createFile, makeDirectory, removeQuietly } from "./fs_io.ts";
import { checkDirectory, trustedOwner } from "./fs_trust.ts";

/**
 * The default cache directory, always an absolute path: `LOCAL_TASK_CACHE_DIR` when set and not
 * empty (a leading `~` is the home directory; a relative path is resolved against the working
 * directory now, once), otherwise the per-user cache directory:
 *
 * - Linux and other Unixes: `$XDG_CACHE_HOME/local-task-cache` (when it is absolute, as the XDG
 *   specification requires), or `~/.cache/local-task-cache`;
 * - macOS: `~/Library/Caches/local-task-cache`;
 * - Windows: `%LOCALAPPDATA%\local-task-cache\Cache` (`~\AppData\Local\...` without it).
 *
 * `~` is `HOME` (`USERPROFILE` on Windows) from `env`, else the user's home directory. Another
 * user's home (`~name`) is not looked up: that is a `TypeError`.
 *
 * @param env The environment to read (default: `process.env`).
 * @returns The directory's absolute path (nothing is created).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { platform } from "node:os";
 * import { defaultCacheDirectory } from "local-task-cache/adapters/fs";
 *
 * if (platform() === "linux") {
 *   assert.equal(
 *     defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "/var/cache/tasks" }),
 *     "/var/cache/tasks",
 *   );
 *   assert.equal(
 *     defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "~/tasks", HOME: "/home/me" }),
 *     "/home/me/tasks",
 *   );
 *   assert.equal(
 *     defaultCacheDirectory({ HOME: "/home/me" }),
 *     "/home/me/.cache/local-task-cache",
 *   );
 * }
 * ```
 */
export function defaultCacheDirectory(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const windows = platform() === "win32";
  const home = () => resolve((windows ? env.USERPROFILE : env.HOME) || homedir());
  const given = env.LOCAL_TASK_CACHE_DIR;
  if (given) {
    const tilde = /^~([^/\\]*)(.*)$/s.exec(given);
    if (tilde === null) return resolve(given);
    if (tilde[1] !== "") {
      throw new TypeError(
        `LOCAL_TASK_CACHE_DIR=${JSON.stringify(given)}: only ~ (your home directory) is ` +
          "expanded, not another user's; write the full path",
      );
    }
    return join(home(), tilde[2]!);
  }
  if (windows) {
    const local = env.LOCALAPPDATA || join(home(), "AppData", "Local");
    return resolve(local, "local-task-cache", "Cache");
  }
  if (platform() === "darwin") return join(home(), "Library", "Caches", "local-task-cache");
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home(), ".cache"), "local-task-cache");
}

/**
 * The directory an adapter keeps its files in, and whom it trusts there. Nothing on disk is
 * touched until it is used; until the directory exists there is nothing to check.
 */
export class CacheDirectory {
  /** The directory's path, as given. */
  readonly path: string;
  /**
   * Whom entry files may belong to: this process's user (and root), once the directory was
   * found safe; `"anyone"` for a shared directory or where owners are not checked (Windows);
   * `undefined` until the directory is checked (it may not exist yet).
   */
  #trusted: number | "anyone" | undefined;

  /** The directory `path`; `shared` trusts it and the files of anyone in it, unchecked. */
  constructor(path: string, shared: boolean) {
    this.path = path;
    if (shared) this.#trusted = "anyone";
  }

  /**
   * Checks once that the directory is safe (see fs_trust.ts), unless it is shared; until it
   * exists there is nothing to check.
   */
  verify(): void {
    if (this.#trusted !== undefined) return;
    try {
      this.#trusted = checkDirectory(this.path) ?? "anyone";
    } catch (error) {
      if (codeOf(error) === "ENOENT") return;
      throw fsError(`check the cache directory ${this.path}`, error);
    }
  }

  /**
   * Whether a file is a regular file that a user this directory trusts owns. (`stats` is a
   * `node:fs` `Stats`, typed by what is read of it, so that the package's declarations need no
   * Node types.)
   */
  isTrusted(stats: { isFile(): boolean; uid: number }): boolean {
    if (!stats.isFile()) return false;
    const trusted = this.#trusted;
    return trusted === "anyone" || (trusted !== undefined && trustedOwner(stats.uid, trusted));
  }

  /**
   * Creates the temporary file `temporary` (mode 0600, see `temporaryPath`), and the directory
   * first if it is missing; then checks the directory, if that was not done yet (it did not
   * exist). Returns the file open for writing.
   */
  createTemporary(temporary: string): number {
    let fd: number;
    try {
      fd = createFile(temporary);
    } catch (error) {
      if (codeOf(error) !== "ENOENT") throw error;
      makeDirectory(this.path);
      fd = createFile(temporary);
    }
    try {
      this.verify();
      if (this.#trusted === undefined) throw new Error(`${this.path} vanished`);
    } catch (error) {
      closeQuietly(fd);
      removeQuietly(temporary);
      throw error;
    }
    return fd;
  }

  /** The names in the directory; none when it does not exist. */
  async names(): Promise<string[]> {
    try {
      return await readdir(this.path);
    } catch (error) {
      if (codeOf(error) === "ENOENT") return [];
      throw fsError(`list the cache directory ${this.path}`, error);
    }
  }
}
