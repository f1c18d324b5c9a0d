#!/usr/bin/env node
/**
 * `local-task-cache`: the command line tool to look into a cache directory and trim it
 * (`list`, `stats`, `clear`, `prune`). Runs in Node >= 20 (`node dist/src/cli/main.js`, the npm
 * bin) and in Deno (`deno run --allow-read --allow-write --allow-env src/cli/main.ts`). Run
 * `local-task-cache --help` for the usage.
 *
 * Exit status: 0 on success, 1 when the storage fails (a `CacheError`, its code in the
 * message), 2 for bad arguments.
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
import { readFileSync, realpathSync, statSync } from "node:fs";
import process from "node:process";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { pathToFileURL } from "node:url";
import type { EntryInfo } from "../adapter.ts";
import { defaultCacheDirectory, FsAdapter } from "../adapters/fs.ts";
import {
  DiskcacheAdapter,
  expandCachePath,
  FLYTEKIT_CACHE_LOCATION,
} from "../adapters/diskcache.ts";
import {
  escapeControl,
  formatAge,
  formatBytes,
  formatTable,
  parseDuration,
  parseSize,
  ProgressBar,
  shortKey,
} from "./format.ts";
import { isCacheError } from "../errors.ts";
import { TaskCache } from "../core/task_cache.ts";

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

const NAME = "local-task-cache";

type Command = "list" | "stats" | "clear" | "prune";

/** Every option, as `parseArgs` takes them: those of type `string` take a value. */
const OPTIONS = {
  dir: { type: "string" },
  task: { type: "string" },
  "cache-version": { type: "string" },
  "older-than": { type: "string" },
  "max-size": { type: "string" },
  json: { type: "boolean" },
  shared: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  flytekit: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];
/** The options of each command, besides the global ones. */
const COMMAND_OPTIONS: Record<Command, readonly string[]> = {
  list: ["task", "cache-version"],
  stats: [],
  clear: ["task", "cache-version"],
  prune: ["older-than", "max-size"],
};

/** Bad command line arguments: exit status 2. */
class UsageError extends Error {
  override readonly name = "UsageError";
}

interface ParsedArgs {
  command: Command;
  /** The options given, by name (without dashes); flags are `true`. */
  options: Map<string, string | true>;
  /** `--task` and `--cache-version`, for `list` and `clear`. */
  filter: { taskName?: string; cacheVersion?: string };
  /** `--older-than` and `--max-size`, for `prune`. */
  limits: { olderThan?: number; maxSize?: number };
}

function usage(env: CliIo["env"]): string {
  let directory: string;
  try {
    directory = defaultCacheDirectory(env);
  } catch {
    directory = "the per-user cache directory";
  }
  return `${NAME}: look into a local-task-cache directory (task outputs cached under flytekit's
keys) and trim it.

Usage:
  ${NAME} [options] <command> [command options]

Commands:
  list     List the entries, most recently read first: task name, cache version, size,
           when created and last read (as ages), and the start of the key.
             --task NAME            only the entries of this task
             --cache-version V      only the entries of this cache version
  stats    Count the entries and their bytes, in all and by task name.
  clear    Remove every entry; with --task and/or --cache-version, only the matching ones.
             --task NAME            only the entries of this task
             --cache-version V      only the entries of this cache version
  prune    Remove old entries, then the least recently read ones while the cache is too
           big. Give at least one of:
             --older-than DURATION  remove the entries created longer than DURATION ago
             --max-size SIZE        then remove the least recently read entries until the
                                    rest take at most SIZE bytes

Options (anywhere on the line):
  --dir PATH    the cache directory; default: $LOCAL_TASK_CACHE_DIR if set, else the
                per-user cache directory (here: ${escapeControl(directory)})
  --shared      accept a directory shared on purpose: owned by another user or writable by
                group or others (refused otherwise), its entries trusted whoever wrote them
  --flytekit    use flytekit's own cache instead: the diskcache directory of its
                LocalTaskCache, ${FLYTEKIT_CACHE_LOCATION} (or --dir); clear removes every
                entry there, as pyflyte local-cache clear does
  --json        print JSON on stdout instead of text (and draw no progress bar): list, an
                array of {key, taskName, cacheVersion, size, createdAt, lastReadAt,
                createdAtIso, lastReadAtIso} (times in whole ms since the epoch and ISO 8601);
                stats, {directory, entries, bytes, tasks: [{taskName, entries, bytes}]};
                clear, {removed, removedBytes}; prune, {removed, removedBytes, remaining,
                remainingBytes}
  -h, --help    print this help
  --version     print the version

DURATION  a number and a unit: ms, s, m (minutes), h, d or w (weeks), e.g. 30s, 15m, 12h,
          7d, 2w, or several (1h30m); a plain number is milliseconds.
SIZE      a number and an optional unit, in any case: B (bytes); KB, MB, GB, TB = 1000,
          1000^2, 1000^3, 1000^4 bytes; KiB, MiB, GiB, TiB and the shorthands k, m, g, t =
          1024, 1024^2, 1024^3, 1024^4 bytes; e.g. 500MB, 1GiB, 1.5GB, 100k; a plain number
          is bytes.

A directory that does not exist is an empty cache (it is not created). When stderr is a
terminal, prune and a filtered clear show a progress bar there. Text output shows control
characters in task names and versions as escapes (\\n, \\x1b, ...), a backslash as \\\\.
Exit status: 0 on success, 1 when the cache's storage fails, 2 for bad arguments.

Examples:
  ${NAME} list --task my_task
  ${NAME} prune --older-than 7d --max-size 1GiB
  ${NAME} --dir ./.task-cache stats --json
  ${NAME} clear --task my_task --cache-version v1
  ${NAME} --flytekit prune --max-size 500MB
`;
}

/**
 * The argument list as a command and its options, split by `node:util`'s `parseArgs`. Options
 * may come before or after the command; `--name value` and `--name=value` both work; `--` ends
 * the options. Throws a {@link UsageError} naming the first problem.
 */
function parseArguments(argv: readonly string[]): ParsedArgs {
  const { tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: false, // The problems are found below, to name them in the tool's words.
    allowPositionals: true,
    tokens: true,
  });
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const { name, value } = token;
    if (!Object.hasOwn(OPTIONS, name)) throw new UsageError(`unknown option ${token.rawName}`);
    if (OPTIONS[name as keyof typeof OPTIONS].type === "boolean") {
      if (value !== undefined) throw new UsageError(`option --${name} takes no value`);
      options.set(name, true);
      continue;
    }
    // `parseArgs` takes the next argument as the value even when it looks like an option.
    if (value === undefined || (!token.inlineValue && value.startsWith("-") && value !== "-")) {
      throw new UsageError(`option --${name} needs a value`);
    }
    if (options.has(name)) throw new UsageError(`option --${name} is given more than once`);
    options.set(name, value);
  }
  if (options.has("help") || options.has("version")) {
    return { command: "stats", options, filter: {}, limits: {} };
  }
  const [command, extra] = positionals;
  if (command === undefined) throw new UsageError("no command given (list, stats, clear, prune)");
  if (!Object.hasOwn(COMMAND_OPTIONS, command)) {
    throw new UsageError(`unknown command "${command}" (list, stats, clear, prune)`);
  }
  if (extra !== undefined) {
    throw new UsageError(`unexpected argument "${extra}" after ${command}`);
  }
  const allowed = COMMAND_OPTIONS[command as Command];
  for (const name of options.keys()) {
    if (
      OPTIONS[name as keyof typeof OPTIONS].type === "string" && name !== "dir" &&
      !allowed.includes(name)
    ) {
      throw new UsageError(`option --${name} does not apply to ${command}`);
    }
  }
  if (options.get("dir") === "") throw new UsageError("option --dir needs a non-empty path");
  const value = (name: string) => options.get(name) as string | undefined;
  const filter: ParsedArgs["filter"] = {};
  if (value("task") !== undefined) filter.taskName = value("task");
  if (value("cache-version") !== undefined) filter.cacheVersion = value("cache-version");
  return {
    command: command as Command,
    options,
    filter,
    limits: command === "prune" ? pruneLimits(value("older-than"), value("max-size")) : {},
  };
}

/** The limits of `prune`, from the texts of `--older-than` and `--max-size`. */
function pruneLimits(duration: string | undefined, size: string | undefined): ParsedArgs["limits"] {
  if (duration === undefined && size === undefined) {
    throw new UsageError("prune needs --older-than or --max-size");
  }
  const limits: ParsedArgs["limits"] = {};
  if (duration !== undefined) {
    limits.olderThan = parseDuration(duration);
    if (limits.olderThan === undefined) {
      throw new UsageError(
        `bad duration for --older-than: ${JSON.stringify(duration)} (e.g. 30s, 15m, 12h, 7d, 2w)`,
      );
    }
  }
  if (size !== undefined) {
    limits.maxSize = parseSize(size);
    if (limits.maxSize === undefined) {
      throw new UsageError(
        `bad size for --max-size: ${JSON.stringify(size)} (e.g. 500MB, 1GiB, 100k)`,
      );
    }
  }
  return limits;
}

/** This package's version, from its package.json (or deno.json) next to the sources. */
function packageVersion(): string {
  for (const path of ["../package.json", "../../package.json", "../deno.json"]) {
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

/** Whether `directory` does not exist (so that reading it needs not create it). */
function isMissing(directory: string): boolean {
  try {
    statSync(directory);
    return false;
  } catch (error) {
    return (error as { code?: unknown } | null)?.code === "ENOENT";
  }
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function totalSize(entries: readonly EntryInfo[]): number {
  return entries.reduce((sum, entry) => sum + entry.size, 0);
}

function isoDate(time: number): string | null {
  return Number.isFinite(time) ? new Date(time).toISOString() : null;
}

function describeFilter(filter: { taskName?: string; cacheVersion?: string }): string {
  const parts: string[] = [];
  if (filter.taskName !== undefined) parts.push(`task "${escapeControl(filter.taskName)}"`);
  if (filter.cacheVersion !== undefined) {
    parts.push(`cache version "${escapeControl(filter.cacheVersion)}"`);
  }
  return parts.length === 0 ? "" : ` of ${parts.join(" at ")}`;
}

/** Most recently read first, then most recently stored, then by key (a stable order). */
function byLastRead(a: EntryInfo, b: EntryInfo): number {
  return b.lastReadAt - a.lastReadAt || b.createdAt - a.createdAt ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
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
 * @example
 * ```ts
 * import { main } from "./main.ts";
 *
 * const code = await main(["--dir", "./.task-cache", "stats", "--json"]);
 * console.log(code); // 0
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
  let directory: string;
  try {
    directory = (options.get("dir") as string | undefined) ??
      (options.has("flytekit")
        ? expandCachePath(FLYTEKIT_CACHE_LOCATION, env)
        : defaultCacheDirectory(env));
  } catch (error) {
    stderr.write(
      `${NAME}: cannot find the default cache directory: ${escapeControl(String(error))}\n`,
    );
    return 1;
  }

  // A missing directory is an empty cache: answer without creating it.
  const cache = isMissing(directory) ? undefined : new TaskCache(
    options.has("flytekit")
      ? new DiskcacheAdapter({ directory, shared: options.has("shared") })
      : new FsAdapter({ directory, shared: options.has("shared") }),
  );
  const run: CommandRun = {
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
  };
  try {
    await COMMANDS[command](run);
    return 0;
  } catch (error) {
    const code = isCacheError(error) ? error.code : undefined;
    const message = escapeControl(error instanceof Error ? error.message : String(error));
    stderr.write(
      code !== undefined
        ? `${NAME}: ${code}: ${message}\n`
        : `${NAME}: ${error instanceof Error ? error.name : "error"}: ${message}\n`,
    );
    return 1;
  } finally {
    await cache?.close().catch(() => {});
  }
}

/** What a command works on, and where it writes. */
interface CommandRun {
  /** The cache, or `undefined` when its directory does not exist (an empty cache). */
  cache: TaskCache | undefined;
  directory: string;
  /** The directory as text output shows it. */
  shown: string;
  /** Whether to print JSON instead of text. */
  json: boolean;
  filter: ParsedArgs["filter"];
  limits: ParsedArgs["limits"];
  stdout: CliIo["stdout"];
  /** Writes `data` as JSON on stdout. */
  write(data: unknown): void;
  /** A progress bar on stderr when it is a terminal (and not `--json`). */
  progress(label: string): ProgressBar | undefined;
}

const COMMANDS: Record<Command, (run: CommandRun) => Promise<void>> = {
  list: listCommand,
  stats: statsCommand,
  clear: clearCommand,
  prune: pruneCommand,
};

/** `list`: the entries, most recently read first. */
async function listCommand({ cache, filter, json, stdout, write, shown }: CommandRun) {
  const entries = cache ? await cache.entries(filter) : [];
  entries.sort(byLastRead);
  if (json) {
    write(entries.map((entry) => ({
      key: entry.key,
      taskName: entry.taskName,
      cacheVersion: entry.cacheVersion,
      size: entry.size,
      createdAt: Math.floor(entry.createdAt),
      lastReadAt: Math.floor(entry.lastReadAt),
      createdAtIso: isoDate(entry.createdAt),
      lastReadAtIso: isoDate(entry.lastReadAt),
    })));
  } else if (entries.length === 0) {
    stdout.write(`No entries${describeFilter(filter)} in ${shown}\n`);
  } else {
    const now = Date.now();
    stdout.write(formatTable(
      [
        { title: "TASK" },
        { title: "VERSION" },
        { title: "SIZE", right: true },
        { title: "CREATED" },
        { title: "LAST READ" },
        { title: "KEY" },
      ],
      entries.map((entry) => [
        escapeControl(entry.taskName) || "-",
        escapeControl(entry.cacheVersion) || "-",
        formatBytes(entry.size),
        formatAge(entry.createdAt, now),
        formatAge(entry.lastReadAt, now),
        escapeControl(shortKey(entry.key, entry.taskName, entry.cacheVersion)),
      ]),
    ));
    stdout.write(
      `${plural(entries.length, "entry", "entries")}${describeFilter(filter)}, ` +
        `${formatBytes(totalSize(entries))} in ${shown}\n`,
    );
  }
}

/** `stats`: the entries and their bytes, in all and by task name. */
async function statsCommand({ cache, directory, json, stdout, write, shown }: CommandRun) {
  const entries = cache ? await cache.entries() : [];
  const tasks = new Map<string, { entries: number; bytes: number }>();
  for (const entry of entries) {
    const task = tasks.get(entry.taskName) ?? { entries: 0, bytes: 0 };
    task.entries++;
    task.bytes += entry.size;
    tasks.set(entry.taskName, task);
  }
  const byTask = [...tasks].map(([taskName, task]) => ({ taskName, ...task }))
    .sort((a, b) =>
      b.bytes - a.bytes || (a.taskName < b.taskName ? -1 : a.taskName > b.taskName ? 1 : 0)
    );
  const bytes = totalSize(entries);
  if (json) {
    write({ directory, entries: entries.length, bytes, tasks: byTask });
  } else {
    stdout.write(
      `Directory:   ${shown}\n` +
        `Entries:     ${entries.length}\n` +
        `Total size:  ${formatBytes(bytes)} (${bytes} bytes)\n`,
    );
    if (byTask.length > 0) {
      stdout.write(
        "\n" + formatTable(
          [{ title: "TASK" }, { title: "ENTRIES", right: true }, {
            title: "SIZE",
            right: true,
          }],
          byTask.map((task) => [
            escapeControl(task.taskName) || "-",
            String(task.entries),
            formatBytes(task.bytes),
          ]),
        ),
      );
    }
  }
}

/** `clear`: every entry, or those of a task and/or cache version. */
async function clearCommand({ cache, filter, json, stdout, write, shown, progress }: CommandRun) {
  const filtered = filter.taskName !== undefined || filter.cacheVersion !== undefined;
  let removed = 0;
  let removedBytes = 0;
  if (cache && !filtered) {
    const entries = await cache.entries();
    await cache.clear();
    removed = entries.length;
    removedBytes = totalSize(entries);
  } else if (cache) {
    const entries = await cache.entries(filter);
    removedBytes = totalSize(entries);
    const bar = progress("clearing");
    try {
      removed = await cache.deleteEntries(
        filter,
        bar && ((done, total) => bar.update(done, total)),
      );
    } finally {
      bar?.done();
    }
  }
  if (json) {
    write({ removed, removedBytes });
  } else {
    stdout.write(
      `Removed ${plural(removed, "entry", "entries")}${describeFilter(filter)} ` +
        `(${formatBytes(removedBytes)}) from ${shown}\n`,
    );
  }
}

/** `prune`: the old entries, then the least recently read ones while the cache is too big. */
async function pruneCommand({ cache, limits, json, stdout, write, shown, progress }: CommandRun) {
  let result = { removed: 0, removedBytes: 0, remaining: 0, remainingBytes: 0 };
  if (cache) {
    const bar = progress("pruning");
    try {
      const pruned = await cache.prune({
        ...limits,
        ...(bar ? { onProgress: (done: number, total: number) => bar.update(done, total) } : {}),
      });
      result = {
        removed: pruned.removed,
        removedBytes: pruned.removedBytes,
        remaining: pruned.remaining,
        remainingBytes: pruned.remainingBytes,
      };
    } finally {
      bar?.done();
    }
  }
  if (json) {
    write(result);
  } else {
    stdout.write(
      `Removed ${plural(result.removed, "entry", "entries")} ` +
        `(${formatBytes(result.removedBytes)}); ` +
        `${plural(result.remaining, "entry remains", "entries remain")} ` +
        `(${formatBytes(result.remainingBytes)}) in ${shown}\n`,
    );
  }
}

/** Whether this module is the program being run (not imported). */
function isEntryPoint(): boolean {
  const meta = (import.meta as { main?: unknown }).main;
  if (typeof meta === "boolean") return meta; // Deno (and newer Node)
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
