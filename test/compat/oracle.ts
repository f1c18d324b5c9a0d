/**
 * A client of test/compat/oracle.py: flytekit's key algorithm on the reference stack (Debian's
 * python3-protobuf and python3-joblib, protoc, and the protos of @flyteorg/flyteidl).
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { toBinary } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";

/** Debian's Python: the one the Debian packages install their modules for. */
export const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./oracle.py", import.meta.url));
const PROTO = fileURLToPath(
  new URL(
    "../../node_modules/@flyteorg/flyteidl/protos/flyteidl/core/literals.proto",
    import.meta.url,
  ),
);

/** Whether the reference stack is installed, and what is missing if not. */
export function oracleAvailability(): { ok: true } | { ok: false; reason: string } {
  if (!existsSync(PYTHON)) return { ok: false, reason: `${PYTHON} is missing (Debian python3)` };
  if (!existsSync(PROTO)) return { ok: false, reason: `${PROTO} is missing (npm ci)` };
  try {
    execFileSync("protoc", ["--version"], { stdio: "pipe" });
  } catch {
    return { ok: false, reason: "protoc is missing (Debian protobuf-compiler)" };
  }
  try {
    execFileSync(PYTHON, ["-c", "import google.protobuf, joblib, msgpack"], { stdio: "pipe" });
  } catch (error) {
    const detail = String((error as { stderr?: unknown }).stderr ?? error).trim().split("\n").pop();
    return {
      ok: false,
      reason:
        `Python modules missing (Debian python3-protobuf python3-joblib python3-msgpack): ${detail}`,
    };
  }
  return { ok: true };
}

/** One key request. */
export interface OracleRequest {
  task: string;
  version: string;
  inputs: LiteralMap;
  ignore?: readonly string[];
}

/** What the oracle answers. */
export interface OracleReply {
  key?: string;
  error?: string;
  /** The deterministic serialization, base64, when asked with `debug`. */
  bytes?: string;
}

/** A running oracle process: requests are pipelined and answered in order. */
export class Oracle {
  readonly #child: ChildProcess;
  readonly #waiting: ((reply: OracleReply) => void)[] = [];
  #exited: string | undefined;

  constructor() {
    this.#child = spawn(PYTHON, [SCRIPT], { stdio: ["pipe", "pipe", "inherit"] });
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      this.#waiting.shift()?.(JSON.parse(line) as OracleReply);
    });
    this.#child.on("exit", (code, signal) => {
      this.#exited = `the oracle exited (${signal ?? code})`;
      for (const resolve of this.#waiting.splice(0)) resolve({ error: this.#exited });
    });
  }

  /** The oracle's answer to one request (`debug`: with the serialized bytes). */
  ask(request: OracleRequest, extra: { debug?: boolean } = {}): Promise<OracleReply> {
    if (this.#exited !== undefined) return Promise.resolve({ error: this.#exited });
    const line = JSON.stringify({
      task: request.task,
      version: request.version,
      ignore: request.ignore ?? [],
      inputs: Buffer.from(toBinary(LiteralMapSchema, request.inputs)).toString("base64"),
      ...extra,
    });
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin!.write(line + "\n");
    });
  }

  /** flytekit's key for the request; throws what the oracle reports as an error. */
  async key(request: OracleRequest): Promise<string> {
    const reply = await this.ask(request);
    if (reply.key === undefined) throw new Error(`oracle: ${reply.error}`);
    return reply.key;
  }

  /** Ends the process. */
  async close(): Promise<void> {
    if (this.#exited !== undefined) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.stdin!.end();
    await exited;
  }
}
