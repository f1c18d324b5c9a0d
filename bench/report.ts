/**
 * What every benchmark module of `npm run bench` shares: progress on stderr, notes for the
 * report, Markdown tables, ratios and goal verdicts, and the machine the run is on.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserResult } from "./browser.ts";
import type { DenoResult } from "./deno_report.ts";
import type { DiskResult } from "./disk.ts";
import type { FlytekitResult } from "./flytekit.ts";
import type { KeyResult, KeyScalePoint } from "./keys.ts";
import type { Md5Result } from "./md5.ts";
import type { MemoryResult } from "./memory.ts";
import type { RedisResult } from "./redis.ts";
import type { ScaleResult } from "./scale.ts";
import { sig3 } from "./stats.ts";

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The `deno` binary of node_modules. */
export const DENO = join(ROOT, "node_modules", "deno", "deno");

const started = performance.now();

/** Seconds since the run started. */
export function elapsed(): number {
  return (performance.now() - started) / 1000;
}

/** One line of progress on stderr: `[bench 12 s] message`. */
export function progress(message: string): void {
  console.error(`[bench ${elapsed().toFixed(0)} s] ${message}`);
}

/** Notes for the report: skipped parts and key mismatches. */
export const notes: string[] = [];
export const mismatches: string[] = [];

/** Notes that `what` was not measured, and why (in the report and on stderr). */
export function skipped(what: string, reason: string): void {
  const note = `SKIPPED: ${what}: ${reason}`;
  notes.push(note);
  console.error(note);
}

/** Notes that two keys that must be equal are not (the run then exits with 1). */
export function mismatch(message: string): void {
  mismatches.push(message);
  console.error(`\n!!! KEY MISMATCH !!! ${message}\n`);
}

/** A Markdown table. */
export function table(columns: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(columns), line(columns.map(() => "---")), ...rows.map(line)].join("\n") + "\n";
}

/** Their time over ours, 3 significant digits: above 1x, we are faster. */
export function ratio(ours: number | undefined, theirs: number | undefined): string {
  return ours === undefined || theirs === undefined ? "n/a" : `${sig3(theirs / ours)}x`;
}

/** `met` or `**NOT met**`. */
export function metText(met: boolean | undefined): string {
  return met === undefined ? "n/a (not measured)" : met ? "met" : "**NOT met**";
}

/** Everything one run measured (report.json); a part not measured is `undefined`. */
export interface BenchReport {
  machine: Machine;
  /** Seconds the whole run took. */
  seconds: number;
  keys: KeyResult[] | undefined;
  /** Absent from reports made before the MD5 benchmark. */
  md5?: Md5Result[] | undefined;
  keyScale: KeyScalePoint[] | undefined;
  disk: DiskResult[] | undefined;
  /** flytekit's cache (DiskcacheAdapter vs diskcache); absent in reports from before it. */
  flytekit?: FlytekitResult | undefined;
  scale: ScaleResult | undefined;
  memory: MemoryResult | undefined;
  deno: DenoResult | undefined;
  browser: BrowserResult | undefined;
  /** Absent in reports from before the Redis part. */
  redis?: RedisResult | undefined;
  goals: Goal[];
  notes: string[];
  mismatches: string[];
}

/** One goal of the run, for the summary at the top of the report. */
export interface Goal {
  /** Which part of the report it belongs to: `Keys`, `Disk`, ... */
  area: string;
  /** What is required, e.g. `(a) stable-key example: Python / ours ≥ 3x`. */
  goal: string;
  /** What was measured, e.g. `3.21x`. */
  measured: string;
  /** `undefined`: not measured in this run. */
  met: boolean | undefined;
  /**
   * The measured figure over what the goal needs, on an axis where more is better (a goal of
   * "≥ 3x" measured at 4.5x: 1.5; "within 1.2x" measured at 1.5x: 0.8): met at 1 or above
   * (above, if `strict`). For the chart; `undefined` when not measured.
   */
  margin?: number | undefined;
  /** Met only above a `margin` of 1. */
  strict?: boolean;
}

/** The summary table of the goals. */
export function goalsTable(goals: Goal[]): string {
  return table(
    ["area", "goal", "measured", "met?"],
    goals.map((g) => [g.area, g.goal, g.measured, metText(g.met)]),
  );
}

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) =>
      l.startsWith("model name")
    );
    if (line !== undefined) return line.slice(line.indexOf(":") + 1).trim();
  } catch {
    // Not Linux: os.cpus() below.
  }
  return cpus()[0]?.model ?? "unknown";
}

/** The first line of a program's `--version`, or why there is none. */
function versionOf(command: string, args: string[] = ["--version"]): string {
  try {
    const out = execFileSync(command, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return out.trim().split("\n")[0] ?? "unknown";
  } catch (error) {
    return `not available (${String(error).split("\n")[0]})`;
  }
}

function osName(): string {
  try {
    const line = readFileSync("/etc/os-release", "utf8").split("\n").find((l) =>
      l.startsWith("PRETTY_NAME=")
    );
    if (line !== undefined) return line.slice("PRETTY_NAME=".length).replace(/"/g, "");
  } catch {
    // Not Linux.
  }
  return process.platform;
}

/** The machine and the software versions of the run. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  deno: string;
  python: string;
  pythonModules: string;
  chromium: string;
  /** Absent from reports made before Firefox and WebKit were measured. */
  firefox?: string;
  webkit?: string;
  date: string;
  /** The 1-minute load average when the run started and when it ended (other work on the VM). */
  load: { start: number; end: number | undefined };
}

export function machine(python: { version: string; modules: Record<string, string> }): Machine {
  let kernel = "unknown";
  try {
    kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  } catch {
    // Not Linux.
  }
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: osName(),
    kernel,
    node: process.version,
    deno: versionOf(DENO).replace(/ \(.*$/, "").replace(/^deno /, ""),
    python: python.version,
    pythonModules: Object.entries(python.modules).map(([name, v]) => `${name} ${v}`).join(", "),
    chromium: versionOf("/usr/bin/chromium"),
    firefox: versionOf("/usr/bin/firefox-esr"),
    webkit: `WebKitGTK ${
      versionOf("dpkg-query", ["-W", "-f", "${Version}", "libwebkit2gtk-4.1-0"])
    } (MiniBrowser)`,
    date: new Date().toISOString(),
    load: { start: loadavg()[0]!, end: undefined },
  };
}
