/**
 * What every part of the fault suite shares (Node only): the context a part reports through,
 * child processes read line by line, timeouts, required components.
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn, type SpawnOptions } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Random } from "../support/arbitrary.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const FAULTS = fileURLToPath(new URL(".", import.meta.url));
export const DENO = join(ROOT, "node_modules/deno/deno");

/** One broken invariant, with what was seen (`count`: as many alike, 1 if absent). */
export interface Violation {
  kind: string;
  detail: string;
  count?: number;
}

/** Violations of one kind listed in full; past this they are counted only. */
export const LISTED_PER_KIND = 20;

/** How many violations `violations` stand for. */
export function violationCount(violations: readonly Violation[]): number {
  return violations.reduce((sum, violation) => sum + (violation.count ?? 1), 0);
}

/** What a part did and found; the orchestrator prints it. */
export interface PartResult {
  part: string;
  seed: number;
  status: "passed" | "failed" | "skipped";
  durationMs: number;
  /** What was done, by kind: `op.get`, `processes`, `kills`, `fault.truncate`, `fuzz.cases`. */
  counters: Record<string, number>;
  violations: Violation[];
  /** Reasons for components skipped (outside CI). */
  skipped: string[];
  notes: string[];
}

/** What a part reports through. */
export class PartContext {
  readonly counters: Record<string, number> = {};
  readonly violations: Violation[] = [];
  readonly skipped: string[] = [];
  readonly notes: string[] = [];
  readonly random: Random;
  readonly deadline: number;

  constructor(
    readonly name: string,
    readonly seed: number,
    readonly budgetMs: number,
    /** Where the part lists what to undo if it is killed (see `cleanUpAfter`). */
    readonly cleanupFile?: string,
  ) {
    this.random = new Random(seed);
    this.deadline = Date.now() + budgetMs;
  }

  /**
   * Notes something to undo should the part be killed before it undoes it itself: a mount to
   * unmount, a directory to remove.
   */
  undoIfKilled(action: "umount" | "rm", path: string): void {
    if (this.cleanupFile) appendFileSync(this.cleanupFile, `${JSON.stringify([action, path])}\n`);
  }

  count(kind: string, n = 1): void {
    this.counters[kind] = (this.counters[kind] ?? 0) + n;
  }

  /** Adds every counter of `counters` (as a child process reported them). */
  countAll(counters: Record<string, number>, prefix = ""): void {
    for (const [kind, n] of Object.entries(counters)) {
      if (typeof n === "number") this.count(prefix + kind, n);
    }
  }

  /** Records a violation (or `count` alike); past 20 of a kind they are counted, not listed. */
  violation(kind: string, detail: string, count = 1): void {
    const listed = this.violations.filter((violation) => violation.kind === kind);
    if (listed.length < LISTED_PER_KIND) {
      this.violations.push(count === 1 ? { kind, detail } : { kind, detail, count });
      this.log(`VIOLATION ${kind}: ${detail}`);
      return;
    }
    const last = listed[listed.length - 1]!;
    if (listed.length === LISTED_PER_KIND) {
      this.violations.push({ kind, detail: "more of this kind (not listed)", count });
    } else last.count = (last.count ?? 1) + count;
  }

  note(text: string): void {
    this.notes.push(text);
    this.log(text);
  }

  log(text: string): void {
    process.stderr.write(`[${this.name}] ${text}\n`);
  }

  /** Milliseconds left of the budget (never below 0). */
  remaining(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  /**
   * Whether a component the part needs is there. Missing: a violation under CI (`CI` set), a
   * skip with the reason elsewhere.
   */
  require(available: boolean, component: string, reason: string): boolean {
    if (available) return true;
    if (process.env.CI) {
      this.violation("missing-component", `${component}: ${reason} (CI must run this part)`);
    } else {
      this.skipped.push(`${component}: ${reason}`);
      this.log(`SKIPPED ${component}: ${reason}`);
    }
    return false;
  }

  /** A seed for a sub-task, from the part's generator. */
  subSeed(): number {
    return this.random.below(2 ** 31) + 1;
  }
}

/**
 * Undoes what a killed part left (its `undoIfKilled` list): unmounts first, then removes.
 * Failures are ignored: the part may have undone some of it already.
 */
export function cleanUpAfter(cleanupFile: string): string[] {
  let lines: string[];
  try {
    lines = readFileSync(cleanupFile, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
  const actions = lines.map((line) => JSON.parse(line) as ["umount" | "rm", string]);
  const done: string[] = [];
  for (
    const [action, path] of [
      ...actions.filter(([a]) => a === "umount"),
      ...actions.filter(([a]) => a === "rm"),
    ]
  ) {
    try {
      if (action === "umount") execFileSync("umount", ["-l", path], { stdio: "pipe" });
      else rmSync(path, { recursive: true, force: true });
      done.push(`${action} ${path}`);
    } catch {
      // Undone already.
    }
  }
  return done;
}

/** A part: runs within its context's budget, reporting what it did and found. */
export type Part = (context: PartContext) => Promise<void>;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** `promise`, or a `TimeoutError` naming `what` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A 32-bit seed for `name` from the base seed (FNV-1a over the name, mixed with the base). */
export function deriveSeed(base: number, name: string): number {
  let hash = 0x811c9dc5 ^ base;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return (hash >>> 0) || 1;
}

/** A child process whose stdout is read as lines, its stderr kept (the last 4 KiB). */
export class LineChild {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #lines: string[] = [];
  #waiting: { resolve: (line: string | undefined) => void }[] = [];
  #partial = "";
  #stderr = "";
  #listener: ((line: string) => void) | undefined;
  #done = false;

  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    this.process = spawn(command, args, {
      cwd: ROOT,
      ...options,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.process.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      this.#partial += chunk;
      for (let end = this.#partial.indexOf("\n"); end >= 0; end = this.#partial.indexOf("\n")) {
        this.#push(this.#partial.slice(0, end));
        this.#partial = this.#partial.slice(end + 1);
      }
    });
    this.process.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4096);
    });
    // A child that died closes its stdin: writing to it must not crash the parent.
    this.process.stdin!.on("error", () => {});
    this.exited = new Promise((resolve) => {
      this.process.on("exit", (code, signal) => {
        const finish = () => {
          if (this.#done) return;
          this.#done = true;
          for (const waiter of this.#waiting.splice(0)) waiter.resolve(undefined);
          resolve({ code, signal });
        };
        // Lines still buffered in the pipe arrive before "close".
        this.process.once("close", finish);
        setTimeout(finish, 500);
      });
      this.process.on("error", (error) => {
        this.#stderr += `\nspawn failed: ${error.message}`;
        if (this.#done) return;
        this.#done = true;
        for (const waiter of this.#waiting.splice(0)) waiter.resolve(undefined);
        resolve({ code: -1, signal: null });
      });
    });
  }

  #push(line: string): void {
    if (this.#listener !== undefined) {
      this.#listener(line);
      return;
    }
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) waiter.resolve(line);
    else this.#lines.push(line);
  }

  /** The next line, or `undefined` once the child has exited; a `TimeoutError` after `ms`. */
  nextLine(ms: number, what: string): Promise<string | undefined> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#done) return Promise.resolve(undefined);
    return withTimeout(
      new Promise<string | undefined>((resolve) => this.#waiting.push({ resolve })),
      ms,
      what,
    );
  }

  /** Hands every line (those buffered first) to `listener` from now on. */
  onLine(listener: (line: string) => void): void {
    for (const line of this.#lines.splice(0)) listener(line);
    this.#listener = listener;
  }

  send(line: string): void {
    if (!this.#done && this.process.stdin!.writable) this.process.stdin!.write(`${line}\n`);
  }

  get stderr(): string {
    return this.#stderr.trim();
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (!this.#done) this.process.kill(signal);
  }
}

/** The ids of every living descendant of `pid`, children first. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const visit = (parent: number) => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      return;
    }
    for (const task of tasks) {
      let children: string;
      try {
        children = readFileSync(`/proc/${parent}/task/${task}/children`, "utf8");
      } catch {
        continue;
      }
      for (const child of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
        if (!found.includes(child)) {
          found.push(child);
          visit(child);
        }
      }
    }
  };
  visit(pid);
  return found;
}

/** Whether the Deno binary of the `deno` npm package is there. */
export function denoAvailable(): boolean {
  return existsSync(DENO);
}

export { describeError } from "./workload.ts";

/** `text` cut to `max` characters. */
export function clip(text: string, max = 300): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} chars)`;
}

/**
 * Takes in the one JSON line `{ counters, violations }` a checking process printed: its counters
 * and violations become the part's. A process that printed no such line, or failed, is a
 * violation of `kind`.
 */
export function absorbReport(
  ctx: PartContext,
  kind: string,
  line: string | undefined,
  exit: { code: number | null; signal: string | null },
  stderr: string,
): void {
  if (line === undefined || !line.startsWith("{") || exit.code !== 0) {
    ctx.violation(
      kind,
      `exit ${exit.code ?? exit.signal}: ${clip(line ?? "")} ${clip(stderr, 1500)}`,
    );
    return;
  }
  const report = JSON.parse(line) as {
    counters: Record<string, number>;
    violations: { kind: string; detail: string; count?: number }[];
  };
  ctx.countAll(report.counters);
  for (const violation of report.violations) {
    ctx.violation(violation.kind, violation.detail, violation.count);
  }
}
