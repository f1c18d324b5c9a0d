/**
 * A client of test/compat/oracle.py: flytekit's key algorithm on the reference stack (Debian's
 * python3-protobuf with its C++ backend and python3-joblib, protoc, and the protos of
 * @flyteorg/flyteidl), for the differential tests and the benchmark.
 *
 * One long-running Python process serves many requests: they are written one JSON line each as
 * they come (pipelined) and the answers, one line each, are matched to them in order.
 *
 * @example
 * ```ts
 * const oracle = await startOracle();
 * if (oracle) {
 *   console.log(await oracle.key("t", "1", create(LiteralMapSchema)));
 *   await oracle.close();
 * }
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { toBinary } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";

/** Debian's Python: the one the Debian packages install their modules for. */
export const PYTHON = "/usr/bin/python3";
/** The oracle script, next to this module. */
export const ORACLE_SCRIPT: string = fileURLToPath(new URL("./oracle.py", import.meta.url));
const PROTOS = fileURLToPath(
  new URL("../../node_modules/@flyteorg/flyteidl/protos/flyteidl/core/", import.meta.url),
);

/** What the oracle needs, with what is missing when something is. */
export type OracleAvailability = { ok: true } | { ok: false; reason: string };

/**
 * Whether the reference stack is installed: /usr/bin/python3, its modules google.protobuf,
 * joblib and msgpack, protoc on PATH, and the .proto files of @flyteorg/flyteidl.
 */
export function oracleAvailability(): OracleAvailability {
  if (!existsSync(PYTHON)) return { ok: false, reason: `${PYTHON} is missing (Debian python3)` };
  for (const file of ["literals.proto", "types.proto"]) {
    if (!existsSync(PROTOS + file)) {
      return { ok: false, reason: `${PROTOS + file} is missing (npm ci: @flyteorg/flyteidl)` };
    }
  }
  try {
    execFileSync("protoc", ["--version"], { stdio: "pipe" });
  } catch {
    return { ok: false, reason: "protoc is not on PATH (Debian protobuf-compiler)" };
  }
  try {
    execFileSync(PYTHON, ["-c", "import google.protobuf, joblib, msgpack"], { stdio: "pipe" });
  } catch (error) {
    const detail = String((error as { stderr?: unknown }).stderr ?? error).trim().split("\n").pop();
    return {
      ok: false,
      reason: `${PYTHON} lacks modules (Debian python3-protobuf python3-joblib python3-msgpack): ` +
        detail,
    };
  }
  return { ok: true };
}

/**
 * One key request. `inputs` as bytes go to Python as they are, to compare with what protobuf-es
 * makes of them; a message goes through `toBinary`.
 */
export interface OracleRequest {
  task: string;
  version: string;
  inputs: LiteralMap | Uint8Array;
  ignore?: readonly string[];
}

/** What the oracle answers to a key request. */
export interface OracleReply {
  key?: string;
  error?: string;
  /** The deterministic serialization that is hashed, base64, when asked with `debug`. */
  bytes?: string;
  /** Median seconds per key computation, when asked with `bench`. */
  seconds_per_call?: number;
  /** Seconds per call of each timing round, when asked with `bench`. */
  rounds?: number[];
}

/** Versions of the reference stack, as the running oracle reports them. */
export interface OracleInfo {
  python: string;
  protobuf: string;
  /** `cpp` for Debian's python3-protobuf. */
  backend: string;
  joblib: string;
  /** `flytekit` when flytekit's own code makes the keys (`--flytekit`), else `model`. */
  keys: string;
}

/** How to start the oracle. */
export interface OracleOptions {
  /**
   * The `flytekit/` folder of a flytekit source tree: keys then come from flytekit's own
   * `_calculate_cache_key` on its models (for scripts/flytekit_vectors.ts), not from our model.
   */
  flytekit?: string;
}

/** A Python timing of one key computation. */
export interface OracleBench {
  key: string;
  /** Median over the rounds of the mean seconds per call in a round. */
  secondsPerCall: number;
  /** Mean seconds per call of each round. */
  rounds: number[];
}

/** A running oracle process. Start it with {@link startOracle}. */
export class Oracle {
  readonly #child: ChildProcess;
  readonly #waiting: ((reply: Record<string, unknown>) => void)[] = [];
  #stderr = "";
  #exited: string | undefined;

  constructor(options: OracleOptions = {}) {
    const args = options.flytekit === undefined ? [] : ["--flytekit", options.flytekit];
    this.#child = spawn(PYTHON, [ORACLE_SCRIPT, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      let reply: Record<string, unknown>;
      try {
        reply = JSON.parse(line) as Record<string, unknown>;
      } catch {
        reply = { error: `the oracle wrote a line that is not JSON: ${line.slice(0, 200)}` };
      }
      this.#waiting.shift()?.(reply);
    });
    this.#child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    // A write after the process died fails asynchronously: the exit handler answers instead.
    this.#child.stdin!.on("error", () => {});
    this.#child.on("error", (error) => this.#fail(`the oracle did not start: ${error.message}`));
    this.#child.on("exit", (code, signal) => {
      const stderr = this.#stderr.trim();
      this.#fail(`the oracle exited (${signal ?? code})${stderr ? `: ${stderr}` : ""}`);
    });
  }

  #fail(reason: string): void {
    this.#exited ??= reason;
    for (const resolve of this.#waiting.splice(0)) resolve({ error: this.#exited });
  }

  #send(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.#exited !== undefined) return Promise.resolve({ error: this.#exited });
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin!.write(JSON.stringify(request) + "\n");
    });
  }

  /**
   * The oracle's answer to one request, never rejected: errors come back as `error`.
   * `debug` asks for the serialized bytes too, `bench` for a timing of that many calls a round.
   */
  ask(request: OracleRequest, extra: { debug?: boolean; bench?: number } = {}): Promise<
    OracleReply
  > {
    let inputs: string;
    try {
      const bytes = request.inputs instanceof Uint8Array
        ? request.inputs
        : toBinary(LiteralMapSchema, request.inputs);
      inputs = Buffer.from(bytes).toString("base64");
    } catch (error) {
      return Promise.resolve({ error: `toBinary failed on the JS side: ${String(error)}` });
    }
    return this.#send({
      task: request.task,
      version: request.version,
      ignore: request.ignore ?? [],
      inputs,
      ...extra,
    }) as Promise<OracleReply>;
  }

  /** flytekit's key for these inputs; rejects with what the oracle reports as an error. */
  async key(
    task: string,
    version: string,
    inputs: LiteralMap | Uint8Array,
    ignore: readonly string[] = [],
  ): Promise<string> {
    const reply = await this.ask({ task, version, inputs, ignore });
    if (typeof reply.key !== "string") throw new Error(`oracle: ${reply.error}`);
    return reply.key;
  }

  /** The bytes flytekit hashes for these inputs: placed, deterministically serialized. */
  async deterministicBytes(
    inputs: LiteralMap | Uint8Array,
    ignore: readonly string[] = [],
  ): Promise<Uint8Array> {
    const reply = await this.ask({ task: "", version: "", inputs, ignore }, { debug: true });
    if (typeof reply.bytes !== "string") throw new Error(`oracle: ${reply.error}`);
    return new Uint8Array(Buffer.from(reply.bytes, "base64"));
  }

  /**
   * Times the Python key computation for these inputs: the median over 5 rounds of `calls`
   * calls each, from the parsed LiteralMap (placement, a new LiteralMap, deterministic
   * serialization, joblib.hash; parsing excluded), with `time.perf_counter`.
   */
  async bench(
    task: string,
    version: string,
    inputs: LiteralMap | Uint8Array,
    calls: number,
    ignore: readonly string[] = [],
  ): Promise<OracleBench> {
    if (!Number.isSafeInteger(calls) || calls < 1) {
      throw new RangeError(`bench: calls must be a positive integer, got ${calls}`);
    }
    const reply = await this.ask({ task, version, inputs, ignore }, { bench: calls });
    if (typeof reply.key !== "string" || typeof reply.seconds_per_call !== "number") {
      throw new Error(`oracle: ${reply.error}`);
    }
    return { key: reply.key, secondsPerCall: reply.seconds_per_call, rounds: reply.rounds ?? [] };
  }

  /** Versions of Python, protobuf (and its backend) and joblib in the running oracle. */
  async info(): Promise<OracleInfo> {
    const reply = await this.#send({ info: true });
    if (typeof reply.protobuf !== "string") throw new Error(`oracle: ${reply.error}`);
    return reply as unknown as OracleInfo;
  }

  /** Ends the process and waits for it to exit. */
  async close(): Promise<void> {
    if (this.#exited !== undefined) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.stdin!.end();
    await exited;
  }
}

/**
 * Starts the oracle and waits until it answers (the .proto files compiled, the modules
 * imported). `undefined` when the reference stack is not installed (see
 * {@link oracleAvailability} for why); rejects when it is but the process fails.
 */
export async function startOracle(options: OracleOptions = {}): Promise<Oracle | undefined> {
  if (!oracleAvailability().ok) return undefined;
  const oracle = new Oracle(options);
  try {
    await oracle.info();
  } catch (error) {
    await oracle.close();
    throw error;
  }
  return oracle;
}

/**
 * `oracle` when the reference stack is available; otherwise the test is skipped, or fails under
 * CI (`CI` set), where a missing package must never pass as a skip.
 */
export function requireOracle<O>(
  t: TestContext,
  availability: OracleAvailability,
  oracle: O | undefined,
): O | undefined {
  if (!availability.ok) {
    if (process.env.CI) {
      assert.fail(
        `the reference stack is missing in CI (it must never skip): ${availability.reason}`,
      );
    }
    t.skip(availability.reason);
    return undefined;
  }
  assert.ok(oracle, "the oracle did not start");
  return oracle;
}
