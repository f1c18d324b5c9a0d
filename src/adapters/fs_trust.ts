/**
 * Who can change a cache directory's results: the checks `FsAdapter` (and Deno's default Deno
 * KV file) make before trusting a directory and the files in it, as OpenSSH checks `~/.ssh`.
 *
 * A process trusts itself (its effective user) and root. A directory is safe when it is owned
 * by one of them and writable by no one else (no group or other write bit), and every
 * directory above it (and every symbolic link on the way) is owned by one of them and writable
 * by no one else, or has the sticky bit (as `/tmp`), so that no one else can rename it away or
 * put another in its place. An entry file is trusted when one of them owns it.
 *
 * Windows has no such modes (ACLs instead): nothing is checked there.
 *
 * @module
 */
import { closeSync, fstatSync, lstatSync, openSync, realpathSync, unlinkSync } from "node:fs";
import { platform } from "node:os";
import { dirname, resolve } from "node:path";
import process from "node:process";
import { CacheError } from "../errors.ts";
import { temporaryPath } from "./fs_io.ts";

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

/** The user found by a probe file (Deno without `--allow-sys=uid`), once found. */
let probedUser: number | undefined;

/**
 * The effective user id of this process, or `undefined` on Windows (nothing to check). In Deno
 * without `--allow-sys=uid`, found from the owner of a file created in `directory`.
 */
export function effectiveUser(directory: string): number | undefined {
  if (platform() === "win32") return undefined;
  try {
    const uid = process.geteuid?.();
    if (typeof uid === "number") return uid;
  } catch {
    // Deno without --allow-sys=uid: find it from a file of our own below.
  }
  if (probedUser !== undefined) return probedUser;
  const probe = temporaryPath(directory);
  let fd: number;
  try {
    fd = openSync(probe, "wx", 0o600);
  } catch (error) {
    throw new CacheError(
      "UNSAFE_DIRECTORY",
      `cannot tell which user runs this process, to check who owns ${directory}: allow it ` +
        `(in Deno: --allow-sys=uid) or make the directory writable`,
      { cause: error },
    );
  }
  try {
    probedUser = fstatSync(fd).uid;
  } finally {
    closeSync(fd);
    unlinkSync(probe);
  }
  return probedUser;
}

/** Whether a file or directory owned by `owner` is trusted by user `user`: its own or root's. */
export function trustedOwner(owner: number, user: number): boolean {
  return owner === user || owner === 0;
}

/**
 * Checks that `directory` (which must exist) and the path to it are safe for this process
 * (see the module documentation); throws a `CacheError` `UNSAFE_DIRECTORY` saying what to fix
 * otherwise. Other failures (no permission to look) are thrown as they are.
 *
 * @param directory The directory, absolute or relative to the working directory.
 * @returns The effective user id (`undefined` on Windows, where nothing is checked).
 */
export function checkDirectory(directory: string): number | undefined {
  const user = effectiveUser(directory);
  if (user === undefined) return undefined;
  const given = resolve(directory);
  const real = realpathSync(given);
  const stats = lstatSync(real);
  if (!stats.isDirectory()) return user; // the caller's own checks report it
  if (!trustedOwner(stats.uid, user)) {
    throw unsafe(
      directory,
      `it is owned by user ${stats.uid}, not by this process's user ${user}`,
      `use a directory of your own, or take it over: chown ${user} ${quote(real)}`,
    );
  }
  if ((stats.mode & GROUP_OR_OTHER_WRITE) !== 0) {
    throw unsafe(
      directory,
      `other users can write to it (mode ${(stats.mode & 0o7777).toString(8)})`,
      `chmod 700 ${quote(real)}`,
    );
  }
  // The path as given (its symbolic links too) and everything above the real directory.
  for (const start of new Set([given, dirname(real)])) {
    for (let path = start;; path = dirname(path)) {
      const above = lstatSync(path);
      if (!trustedOwner(above.uid, user)) {
        throw unsafe(
          directory,
          `${path} above it is owned by user ${above.uid}, who can move the cache away`,
          "choose a directory whose parents only you or root own",
        );
      }
      if (
        !above.isSymbolicLink() && (above.mode & GROUP_OR_OTHER_WRITE) !== 0 &&
        (above.mode & STICKY) === 0
      ) {
        throw unsafe(
          directory,
          `other users can write to ${path} above it (mode ${
            (above.mode & 0o7777).toString(8)
          }) and move the cache away`,
          `chmod go-w ${quote(path)}, or choose another directory`,
        );
      }
      if (dirname(path) === path) break;
    }
  }
  return user;
}

function quote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

function unsafe(directory: string, why: string, fix: string): CacheError {
  return new CacheError(
    "UNSAFE_DIRECTORY",
    `refusing the cache directory ${directory}: ${why}, so they could plant results that ` +
      `tasks return as their own; ${fix} (or, for a directory shared on purpose, pass ` +
      `{ shared: true } to the adapter, --shared to the command line tool)`,
  );
}
