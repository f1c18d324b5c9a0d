/**
 * A client of test/compat/flytekit_cache.py: flytekit's LocalTaskCache reproduced on Debian's
 * python3-diskcache, in a Python process whose HOME is a test directory (so that flytekit's
 * `~/.flyte/local-cache` lies under it).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import assert from "node:assert/strict";
import process from "node:process";
import { createInterface } from "node:readline";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { toBinary } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { oracleAvailability, PYTHON } from "./oracle.ts";

const SCRIPT = fileURLToPath(new URL("./flytekit_cache.py", import.meta.url));

/** Whether the Python side can run, and why not. */
export function flytekitCacheAvailability(): { ok: true } | { ok: false; reason: string } {
  const oracle = oracleAvailability();
  if (!oracle.ok) return oracle;
  try {
    execFileSync(PYTHON, ["-c", "import diskcache"], { stdio: "pipe" });
  } catch {
    return { ok: false, reason: `${PYTHON} lacks diskcache (Debian python3-diskcache)` };
  }
  return { ok: true };
}

/**
 * Whether a test can use the Python side: if not, it is skipped with the reason, or fails under
 * CI (`CI` set), where a missing package must never pass as a skip.
 */
export function requirePython(t: TestContext): boolean {
  const availability = flytekitCacheAvailability();
  if (availability.ok) return true;
  if (process.env.CI) assert.fail(`the Python stack is missing in CI: ${availability.reason}`);
  t.skip(availability.reason);
  return false;
}

/** What `check` reports: diskcache's own `Cache.check()` and counts. */
export interface CheckReport {
  warnings: string[];
  len: number;
  volume: number;
  rows: number;
  size_sum: number;
  files: number;
}

/** A task call as flytekit makes it. */
export interface TaskCall {
  task: string;
  version: string;
  inputs: LiteralMap;
  ignore?: readonly string[];
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** A running flytekit_cache.py with `HOME=home`. */
export class FlytekitCache {
  readonly #child: ChildProcess;
  readonly #waiting: ((reply: Record<string, unknown>) => void)[] = [];
  #stderr = "";

  constructor(home: string) {
    this.#child = spawn(PYTHON, [SCRIPT], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, HOME: home },
    });
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      this.#waiting.shift()?.(JSON.parse(line) as Record<string, unknown>);
    });
    this.#child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    this.#child.stdin!.on("error", () => {});
    this.#child.on("exit", (code) => {
      for (const resolve of this.#waiting.splice(0)) {
        resolve({ error: `flytekit_cache.py exited (${code}): ${this.#stderr}` });
      }
    });
  }

  /** Sends one request; rejects with what Python reports as an error. */
  async request(op: string, fields: Record<string, unknown> = {}): Promise<
    Record<string, unknown>
  > {
    const reply = await new Promise<Record<string, unknown>>((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin!.write(JSON.stringify({ op, ...fields }) + "\n");
    });
    if (typeof reply.error === "string") throw new Error(`python: ${reply.error}`);
    return reply;
  }

  #call(call: TaskCall) {
    return {
      task: call.task,
      version: call.version,
      inputs: b64(toBinary(LiteralMapSchema, call.inputs)),
      ignore: call.ignore ?? [],
    };
  }

  /** flytekit's key for the call. */
  async key(call: TaskCall): Promise<string> {
    return String((await this.request("key", this.#call(call))).key);
  }

  /** `LocalTaskCache.set`: the value's protobuf bytes under flytekit's key. */
  async set(call: TaskCall, value: LiteralMap | Uint8Array): Promise<string> {
    const bytes = value instanceof Uint8Array ? value : toBinary(LiteralMapSchema, value);
    return String((await this.request("set", { ...this.#call(call), value: b64(bytes) })).key);
  }

  /** `LocalTaskCache.get`: the parsed LiteralMap serialized again, or `undefined`. */
  async get(call: TaskCall): Promise<Uint8Array | undefined> {
    const { value } = await this.request("get", this.#call(call));
    return typeof value === "string" ? new Uint8Array(Buffer.from(value, "base64")) : undefined;
  }

  /** `cache.set(key, bytes)`. */
  async rawSet(key: string, bytes: Uint8Array): Promise<void> {
    await this.request("raw_set", { key, bytes: b64(bytes) });
  }

  /** `cache.set(key, object)`: a pickled value (mode 4), as an older flytekit stored. */
  async rawSetPickled(key: string, value: unknown): Promise<void> {
    await this.request("raw_set", { key, pickle: value });
  }

  /** `cache.get(key)` of a bytes value. */
  async rawGet(key: string): Promise<Uint8Array | undefined> {
    const { value } = await this.request("raw_get", { key });
    return typeof value === "string" ? new Uint8Array(Buffer.from(value, "base64")) : undefined;
  }

  /** `Cache.check()` on the directory, and its counts. */
  async check(): Promise<CheckReport> {
    return (await this.request("check")) as unknown as CheckReport;
  }

  /** Ends the process. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.stdin!.end();
    await exited;
  }
}
