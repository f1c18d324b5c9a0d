#!/usr/bin/env node
/**
 * `local-task-cache`: the command line tool to look into a cache directory and trim it. Runs in
 * Node >= 20 (`node dist/src/cli/main.js`, the npm bin `local-task-cache`), in Deno (`deno run
 * --allow-read --allow-write --allow-env src/cli/main.ts`, or this package's `./cli` export) and
 * in Bun; a program can call {@link main} too.
 *
 * ```sh
 * local-task-cache [options] <command> [command options]
 *
 * local-task-cache list --task my_task               # a table, most recently read first
 * local-task-cache stats --json                      # entries and bytes, in all and by task
 * local-task-cache clear --task my_task --cache-version v1
 * local-task-cache prune --older-than 7d --max-size 1GiB
 * local-task-cache --flytekit prune --max-size 500MB # flytekit's own diskcache directory
 * ```
 *
 * Commands: `list` (`--task`, `--cache-version`), `stats`, `clear` (`--task`,
 * `--cache-version`; without them every entry), `prune` (`--older-than DURATION`, then
 * `--max-size SIZE`: the least recently read entries go first). Options anywhere on the line:
 * `--dir PATH` (default: `$LOCAL_TASK_CACHE_DIR`, else the per-user cache directory),
 * `--shared` (a directory shared on purpose), `--flytekit` (flytekit's `LocalTaskCache`
 * directory, `~/.flyte/local-cache`), `--json`, `-h`/`--help`, `--version`. A directory that
 * does not exist is an empty cache (it is not created). Run `local-task-cache --help` for all
 * of it.
 *
 * Exit status: 0 on success, 1 when the storage fails (a `CacheError`, its code in the
 * message), 2 for bad arguments. Output cut short by its reader (`local-task-cache list |
 * head -1`) ends quietly with status 0.
 *
 * With `--json`, stdout holds one JSON document:
 *
 * - `list`: an array of entries, most recently read first: `{ key, taskName, cacheVersion,
 *   size, createdAt, lastReadAt, createdAtIso, lastReadAtIso }` (times in whole ms since the
 *   epoch, and as ISO 8601 strings);
 * - `stats`: `{ directory, entries, bytes, tasks: [{ taskName, entries, bytes }] }`, tasks by
 *   bytes, largest first;
 * - `clear`: `{ removed, removedBytes }`;
 * - `prune`: `{ removed, removedBytes, remaining, remainingBytes }`.
 *
 * @module
 */
import { readFileSync, realpathSync } from "node:fs";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { isCacheError } from "../errors.ts";
import { NAME, parseArguments, type ParsedArgs, usage, UsageError } from "./args.ts";
import { cacheDirectory, COMMANDS, openCache } from "./commands.ts";
import { escapeControl } from "./format.ts";
import { ProgressBar } from "./progress.ts";

/** Where {@link main} writes and what it reads from its environment. */
export interface CliIo {
  /** Where results go (text or JSON). */
  stdout: { write(text: string): unknown };
  /** Where errors and the progress bar go. */
  stderr: { write(text: string): unknown };
  /** The environment (for `LOCAL_TASK_CACHE_DIR` and the per-user cache directory). */
  env: Readonly<Record<string, string | undefined>>;
  /** Whether stderr is a terminal: only then is a progress bar drawn. */
  isTTY: boolean;
}

/**
 * Runs the `local-task-cache` command line tool on `argv` (the arguments after the program
 * name) and resolves to its exit status: 0 on success, 1 when the storage fails (a
 * `CacheError`: its code and message on stderr), 2 for bad arguments (one line on stderr).
 * Never rejects for those; `io` defaults to the process's streams and environment.
 *
 * @param argv The arguments, e.g. `["--dir", "./.task-cache", "list", "--json"]`.
 * @param io Where to write, the environment, and whether stderr is a terminal; each part
 *   defaults to the process's.
 * @returns The exit status.
 *
 * @example Statistics of a cache as JSON, and bad arguments
 * ```ts
 * import assert from "node:assert/strict";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { main } from "@local-task-cache/local-task-cache/cli";
 *
 * let stdout = "";
 * let stderr = "";
 * const io = {
 *   stdout: { write: (text: string) => (stdout += text) },
 *   stderr: { write: (text: string) => (stderr += text) },
 * };
 * // A directory that does not exist is an empty cache (and is not created).
 * const directory = join(tmpdir(), `no-cache-${crypto.randomUUID()}`);
 * assert.equal(await main(["--dir", directory, "stats", "--json"], io), 0);
 * assert.deepEqual(JSON.parse(stdout), { directory, entries: 0, bytes: 0, tasks: [] });
 *
 * assert.equal(await main(["frob"], io), 2);
 * assert.match(stderr, /unknown command "frob"/);
 * ```
 *
 * @example The usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@local-task-cache/local-task-cache/cli";
 *
 * let help = "";
 * assert.equal(await main(["--help"], { stdout: { write: (text: string) => (help += text) } }), 0);
 * assert.match(help, /prune +Remove old entries/);
 * ```
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const isTTY = io.isTTY ?? process.stderr.isTTY === true;
  let parsed: ParsedArgs;
  try {
    parsed = parseArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr.write(`${NAME}: ${error.message}; run ${NAME} --help\n`);
    return 2;
  }
  const { command, options, filter, limits } = parsed;
  if (options.has("help")) {
    stdout.write(usage(env));
    return 0;
  }
  if (options.has("version")) {
    stdout.write(`${NAME} ${packageVersion()}\n`);
    return 0;
  }
  const json = options.has("json");
  const flytekit = options.has("flytekit");
  let directory: string;
  try {
    directory = cacheDirectory(options.get("dir") as string | undefined, flytekit, env);
  } catch (error) {
    stderr.write(
      `${NAME}: cannot find the default cache directory: ${escapeControl(String(error))}\n`,
    );
    return 1;
  }
  const cache = openCache(directory, { flytekit, shared: options.has("shared") });
  try {
    await COMMANDS[command]({
      cache,
      directory,
      shown: escapeControl(directory),
      json,
      filter,
      limits,
      stdout,
      write: (data) => stdout.write(`${JSON.stringify(data, null, 2)}\n`),
      progress: (label) =>
        isTTY && !json ? new ProgressBar((text) => stderr.write(text), label) : undefined,
    });
    return 0;
  } catch (error) {
    stderr.write(`${NAME}: ${describeFailure(error)}\n`);
    return 1;
  } finally {
    await cache?.close().catch(() => {});
  }
}

/** A failed command's error for its line on stderr: `CODE: message` for a `CacheError`. */
function describeFailure(error: unknown): string {
  const message = escapeControl(error instanceof Error ? error.message : String(error));
  if (isCacheError(error)) return `${error.code}: ${message}`;
  return `${error instanceof Error ? error.name : "error"}: ${message}`;
}

/**
 * This package's version, from its package.json (or deno.json): two folders up from the sources
 * (src/cli/), three from the built code (dist/src/cli/).
 */
function packageVersion(): string {
  for (const path of ["../../package.json", "../../../package.json", "../../deno.json"]) {
    try {
      const url = new URL(path, import.meta.url);
      if (url.protocol !== "file:") continue;
      const manifest = JSON.parse(readFileSync(url, "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (
        (manifest.name === NAME || manifest.name === "@local-task-cache/local-task-cache") &&
        typeof manifest.version === "string"
      ) {
        return manifest.version;
      }
    } catch {
      // Not there, or not readable: try the next place.
    }
  }
  return "unknown";
}

/** Whether this module is the program being run (not imported). */
function isEntryPoint(): boolean {
  const meta = (import.meta as { main?: unknown }).main;
  if (typeof meta === "boolean") return meta; // Deno, Bun (and newer Node)
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    // npm's bin is a symbolic link to this file; the module URL is the file's real path.
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return pathToFileURL(script).href === import.meta.url;
  }
}

if (isEntryPoint()) {
  // The reader of stdout is gone (`local-task-cache list | head -1`): nothing more to say.
  process.stdout.on("error", (error: { code?: unknown }) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${NAME}: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
