/**
 * The command line of the `local-task-cache` tool: its options and commands, split by
 * `node:util`'s `parseArgs` and checked in the tool's words ({@link parseArguments}), and the
 * text of `--help` ({@link usage}). Private to the CLI.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { defaultCacheDirectory } from "../adapters/fs.ts";
import { FLYTEKIT_CACHE_LOCATION } from "../adapters/diskcache.ts";
import { escapeControl, parseDuration, parseSize } from "./format.ts";

/** The tool's name, as messages and the usage say it. */
export const NAME = "local-task-cache";

/** The commands. */
export type Command = "list" | "stats" | "clear" | "prune";

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
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The command line, parsed and checked. */
export interface ParsedArgs {
  command: Command;
  /** The options given, by name (without dashes); flags are `true`. */
  options: Map<string, string | true>;
  /** `--task` and `--cache-version`, for `list` and `clear`. */
  filter: { taskName?: string; cacheVersion?: string };
  /** `--older-than` and `--max-size`, for `prune`. */
  limits: { olderThan?: number; maxSize?: number };
}

/** The text of `--help`; it names the default directory `env` gives. */
export function usage(env: Readonly<Record<string, string | undefined>>): string {
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
export function parseArguments(argv: readonly string[]): ParsedArgs {
  const options = optionsOf(argv);
  if (options.has("help") || options.has("version")) {
    return { command: "stats", options: options.named, filter: {}, limits: {} };
  }
  const [command, extra] = options.positionals;
  if (command === undefined) throw new UsageError("no command given (list, stats, clear, prune)");
  if (!Object.hasOwn(COMMAND_OPTIONS, command)) {
    throw new UsageError(`unknown command "${command}" (list, stats, clear, prune)`);
  }
  if (extra !== undefined) {
    throw new UsageError(`unexpected argument "${extra}" after ${command}`);
  }
  const allowed = COMMAND_OPTIONS[command as Command];
  for (const name of options.named.keys()) {
    if (
      OPTIONS[name as keyof typeof OPTIONS].type === "string" && name !== "dir" &&
      !allowed.includes(name)
    ) {
      throw new UsageError(`option --${name} does not apply to ${command}`);
    }
  }
  if (options.value("dir") === "") throw new UsageError("option --dir needs a non-empty path");
  const filter: ParsedArgs["filter"] = {};
  const taskName = options.value("task");
  const cacheVersion = options.value("cache-version");
  if (taskName !== undefined) filter.taskName = taskName;
  if (cacheVersion !== undefined) filter.cacheVersion = cacheVersion;
  return {
    command: command as Command,
    options: options.named,
    filter,
    limits: command === "prune"
      ? pruneLimits(options.value("older-than"), options.value("max-size"))
      : {},
  };
}

/** The options of `argv` by name, and its positional arguments, each option checked alone. */
function optionsOf(argv: readonly string[]) {
  const { tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: false, // The problems are found below, to name them in the tool's words.
    allowPositionals: true,
    tokens: true,
  });
  const named = new Map<string, string | true>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const { name, value } = token;
    if (!Object.hasOwn(OPTIONS, name)) throw new UsageError(`unknown option ${token.rawName}`);
    if (OPTIONS[name as keyof typeof OPTIONS].type === "boolean") {
      if (value !== undefined) throw new UsageError(`option --${name} takes no value`);
      named.set(name, true);
      continue;
    }
    // `parseArgs` takes the next argument as the value even when it looks like an option.
    if (value === undefined || (!token.inlineValue && value.startsWith("-") && value !== "-")) {
      throw new UsageError(`option --${name} needs a value`);
    }
    if (named.has(name)) throw new UsageError(`option --${name} is given more than once`);
    named.set(name, value);
  }
  return {
    named,
    positionals,
    has: (name: string) => named.has(name),
    value: (name: string) => named.get(name) as string | undefined,
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
