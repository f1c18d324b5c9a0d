/**
 * Parsing and formatting helpers of the `local-task-cache` command line tool: durations, sizes,
 * ages, dates, counts, filters and tables. No I/O of their own, so they run anywhere. Private to
 * the CLI.
 *
 * @module
 */

/**
 * What {@link escapeControl} escapes: the backslash, C0 and C1 control characters and DEL, the
 * line and paragraph separators, and the bidirectional controls (which can reorder what a
 * terminal shows).
 */
const UNPRINTABLE =
  // deno-lint-ignore no-control-regex
  /[\\\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const SHORT_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

/**
 * `text` made safe to print on a terminal: control characters (escape sequences, CR, LF, BEL,
 * ...), line separators and bidirectional controls become escapes (`\n`, `\r`, `\t`, `\x1b`,
 * `\u202e`), and a backslash is doubled, so that what is shown is exactly what is stored and
 * a name cannot rewrite the screen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeControl } from "./format.ts";
 *
 * assert.equal(escapeControl("evil\x1b[2Jtask\n"), "evil\\x1b[2Jtask\\n");
 * ```
 */
export function escapeControl(text: string): string {
  return text.replace(UNPRINTABLE, (character) => {
    const short = SHORT_ESCAPES[character];
    if (short !== undefined) return short;
    const code = character.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60 * 1000,
  h: 60 * 60 * 1000,
  d: 24 * 60 * 60 * 1000,
  w: 7 * 24 * 60 * 60 * 1000,
};

/**
 * A duration in milliseconds from text: a number with a unit, `ms`, `s`, `m` (minutes), `h`,
 * `d` or `w` (weeks), several of them in a row (`1h30m`), or a plain number of milliseconds.
 * Units are lowercase only (`M` could be read as months). Returns `undefined` for anything
 * else, negative numbers included.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./format.ts";
 *
 * assert.equal(parseDuration("7d"), 604_800_000);
 * assert.equal(parseDuration("1h30m"), 5_400_000);
 * assert.equal(parseDuration("1500"), 1500);
 * assert.equal(parseDuration("soon"), undefined);
 * ```
 */
export function parseDuration(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(amount) * DURATION_UNITS[unit as string]!;
  }
  return Number.isFinite(total) ? total : undefined;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
};

/**
 * A size in bytes from text: a number and an optional unit, case-insensitive. `B` is bytes;
 * `KB`, `MB`, `GB`, `TB` are powers of 1000; `KiB`, `MiB`, `GiB`, `TiB` powers of 1024; the
 * shorthands `k`, `m`, `g`, `t` are powers of 1024 too (as in `du -h`). Fractions are rounded
 * down to whole bytes. Returns `undefined` for anything else, negative numbers included.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSize } from "./format.ts";
 *
 * assert.equal(parseSize("500MB"), 500_000_000);
 * assert.equal(parseSize("1GiB"), 1_073_741_824);
 * assert.equal(parseSize("1.5k"), 1536);
 * assert.equal(parseSize("lots"), undefined);
 * ```
 */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text);
  if (match === null) return undefined;
  const unit = SIZE_UNITS[(match[2] as string).toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const BYTE_UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"];

/**
 * A byte count for people, in powers of 1024 with one decimal: `512 B`, `1.5 KiB`, `20.0 MiB`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBytes } from "./format.ts";
 *
 * assert.equal(formatBytes(1536), "1.5 KiB");
 * ```
 */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = "B";
  for (const next of BYTE_UNITS) {
    if (Math.abs(value) < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/**
 * How long ago `time` was, from `now` (both in milliseconds since the epoch), in the largest
 * fitting unit: `just now`, `42s ago`, `3m ago`, `5h ago` (up to 48 hours), `12d ago`. A time
 * in the future (clocks of other machines) reads `in the future`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatAge } from "./format.ts";
 *
 * const now = Date.now();
 * assert.equal(formatAge(now - 180_000, now), "3m ago");
 * ```
 */
export function formatAge(time: number, now: number): string {
  const elapsed = now - time;
  if (elapsed < -1000) return "in the future";
  if (elapsed < 1000) return "just now";
  const seconds = Math.floor(elapsed / 1000);
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ago`;
  return `${Math.floor(hours / 24)}d ago`;
}

/**
 * A cache key made short for a table: the start of its hash when the key is flytekit's
 * `{task}-{version}-{hash}` for this entry's task and version, else the key cut to 24
 * characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shortKey } from "./format.ts";
 *
 * assert.equal(shortKey("t-v1-7b8aa689be1c6dfb6c7059b9483342ec", "t", "v1"), "7b8aa689be1c");
 * ```
 */
export function shortKey(key: string, taskName: string, cacheVersion: string): string {
  const prefix = `${taskName}-${cacheVersion}-`;
  if (key.startsWith(prefix) && /^[0-9a-f]{32}$/.test(key.slice(prefix.length))) {
    return key.slice(prefix.length, prefix.length + 12);
  }
  return key.length <= 24 ? key : `${key.slice(0, 21)}...`;
}

/**
 * `count` and the noun that fits it: `1 entry`, `2 entries`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plural } from "./format.ts";
 *
 * assert.equal(plural(1, "entry", "entries"), "1 entry");
 * ```
 */
export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** `time` (milliseconds since the epoch) in ISO 8601, or `null` when it is not finite. */
export function isoDate(time: number): string | null {
  return Number.isFinite(time) ? new Date(time).toISOString() : null;
}

/**
 * The words for a filter of entries, to follow a count: ` of task "t" at cache version "v1"`,
 * or nothing when it filters nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeFilter } from "./format.ts";
 *
 * assert.equal(describeFilter({ taskName: "t" }), ' of task "t"');
 * ```
 */
export function describeFilter(filter: { taskName?: string; cacheVersion?: string }): string {
  const parts: string[] = [];
  if (filter.taskName !== undefined) parts.push(`task "${escapeControl(filter.taskName)}"`);
  if (filter.cacheVersion !== undefined) {
    parts.push(`cache version "${escapeControl(filter.cacheVersion)}"`);
  }
  return parts.length === 0 ? "" : ` of ${parts.join(" at ")}`;
}

/** A column of {@link formatTable}. */
export interface Column {
  /** The heading. */
  title: string;
  /** Right-aligned (numbers, sizes) rather than left-aligned. */
  right?: boolean;
}

/**
 * Rows of cells as aligned text columns, two spaces apart, under a heading line; each line
 * ends with a newline and has no trailing spaces.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTable } from "./format.ts";
 *
 * const table = formatTable([{ title: "TASK" }, { title: "SIZE", right: true }], [["t", "1 B"]]);
 * assert.equal(table, "TASK  SIZE\nt      1 B\n");
 * ```
 */
export function formatTable(columns: readonly Column[], rows: readonly string[][]): string {
  const widths = columns.map((column, i) =>
    Math.max(column.title.length, ...rows.map((row) => (row[i] ?? "").length))
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? "";
        const width = widths[i] as number;
        return column.right ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd() + "\n";
  return line(columns.map((column) => column.title)) + rows.map(line).join("");
}
