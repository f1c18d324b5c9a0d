/**
 * The commands of the `local-task-cache` tool, one function each: {@link listCommand},
 * {@link statsCommand}, {@link clearCommand} and {@link pruneCommand}, all working on a
 * {@link CommandRun}; and the cache they work on, ours or flytekit's ({@link cacheDirectory},
 * {@link openCache}). Private to the CLI.
 *
 * @module
 */
import { statSync } from "node:fs";
import type { EntryInfo } from "../adapter.ts";
import { defaultCacheDirectory, FsAdapter } from "../adapters/fs.ts";
import {
  DiskcacheAdapter,
  expandCachePath,
  FLYTEKIT_CACHE_LOCATION,
} from "../adapters/diskcache.ts";
import { TaskCache } from "../core/task_cache.ts";
import type { Command, ParsedArgs } from "./args.ts";
import {
  describeFilter,
  escapeControl,
  formatAge,
  formatBytes,
  formatTable,
  isoDate,
  plural,
  shortKey,
} from "./format.ts";
import type { ProgressBar } from "./progress.ts";

/** What a command works on, and where it writes. */
export interface CommandRun {
  /** The cache, or `undefined` when its directory does not exist (an empty cache). */
  cache: TaskCache | undefined;
  directory: string;
  /** The directory as text output shows it. */
  shown: string;
  /** Whether to print JSON instead of text. */
  json: boolean;
  filter: ParsedArgs["filter"];
  limits: ParsedArgs["limits"];
  stdout: { write(text: string): unknown };
  /** Writes `data` as JSON on stdout. */
  write(data: unknown): void;
  /** A progress bar on stderr when it is a terminal (and not `--json`). */
  progress(label: string): ProgressBar | undefined;
}

/** Each command's function. */
export const COMMANDS: Record<Command, (run: CommandRun) => Promise<void>> = {
  list: listCommand,
  stats: statsCommand,
  clear: clearCommand,
  prune: pruneCommand,
};

/**
 * The directory to work on: `--dir`, else flytekit's diskcache directory with `--flytekit`, else
 * our default (`LOCAL_TASK_CACHE_DIR` or the per-user cache directory). Throws when the default
 * cannot be found.
 */
export function cacheDirectory(
  dir: string | undefined,
  flytekit: boolean,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return dir ??
    (flytekit ? expandCachePath(FLYTEKIT_CACHE_LOCATION, env) : defaultCacheDirectory(env));
}

/**
 * The cache in `directory`, in flytekit's diskcache format with `--flytekit`, else in ours;
 * `undefined` when the directory does not exist (an empty cache: reading it does not create it).
 */
export function openCache(
  directory: string,
  { flytekit, shared }: { flytekit: boolean; shared: boolean },
): TaskCache | undefined {
  if (isMissing(directory)) return undefined;
  return new TaskCache(
    flytekit ? new DiskcacheAdapter({ directory, shared }) : new FsAdapter({ directory, shared }),
  );
}

/** `list`: the entries, most recently read first. */
export async function listCommand(
  { cache, filter, json, stdout, write, shown }: CommandRun,
): Promise<void> {
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
export async function statsCommand(
  { cache, directory, json, stdout, write, shown }: CommandRun,
): Promise<void> {
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
    return;
  }
  stdout.write(
    `Directory:   ${shown}\n` +
      `Entries:     ${entries.length}\n` +
      `Total size:  ${formatBytes(bytes)} (${bytes} bytes)\n`,
  );
  if (byTask.length > 0) {
    stdout.write(
      "\n" + formatTable(
        [{ title: "TASK" }, { title: "ENTRIES", right: true }, { title: "SIZE", right: true }],
        byTask.map((task) => [
          escapeControl(task.taskName) || "-",
          String(task.entries),
          formatBytes(task.bytes),
        ]),
      ),
    );
  }
}

/** `clear`: every entry, or those of a task and/or cache version. */
export async function clearCommand(
  { cache, filter, json, stdout, write, shown, progress }: CommandRun,
): Promise<void> {
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
export async function pruneCommand(
  { cache, limits, json, stdout, write, shown, progress }: CommandRun,
): Promise<void> {
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

/** Whether `directory` does not exist (so that reading it needs not create it). */
function isMissing(directory: string): boolean {
  try {
    statSync(directory);
    return false;
  } catch (error) {
    return (error as { code?: unknown } | null)?.code === "ENOENT";
  }
}

function totalSize(entries: readonly EntryInfo[]): number {
  return entries.reduce((sum, entry) => sum + entry.size, 0);
}

/** Most recently read first, then most recently stored, then by key (a stable order). */
function byLastRead(a: EntryInfo, b: EntryInfo): number {
  return b.lastReadAt - a.lastReadAt || b.createdAt - a.createdAt ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}
