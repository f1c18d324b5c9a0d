/**
 * The Python side of the benchmark: what of flytekit's stack this machine has, and a client for
 * the JSON-lines scripts bench/keys.py and bench/store.py.
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** Debian's Python, the one Debian's python3-protobuf, -joblib and -diskcache install into. */
export const PYTHON = "/usr/bin/python3";

const PROTOS = fileURLToPath(
  new URL("../node_modules/@flyteorg/flyteidl/protos/flyteidl/core/", import.meta.url),
);

/** What Python parts can run, with the reason when one cannot. */
export interface PythonStack {
  /** `3.11.2`, or why there is no Python. */
  version: string;
  /** Versions of the modules found (protobuf with its backend, joblib, diskcache). */
  modules: Record<string, string>;
  /** `undefined` when the key comparison can run, else why not. */
  keysSkipped: string | undefined;
  /** `undefined` when the diskcache comparison can run, else why not. */
  diskSkipped: string | undefined;
}

const PROBE = `
import json, sys
found, missing = {}, {}
try:
    from google.protobuf import __version__ as v
    from google.protobuf.internal import api_implementation
    found["protobuf"] = f"{v} ({api_implementation.Type()} backend)"
except Exception as error:
    missing["protobuf"] = repr(error)
for name in ("joblib", "diskcache"):
    try:
        found[name] = __import__(name).__version__
    except Exception as error:
        missing[name] = repr(error)
print(json.dumps({"version": sys.version.split()[0], "found": found, "missing": missing}))
`;

const DEBIAN_PACKAGES: Record<string, string> = {
  protobuf: "python3-protobuf",
  joblib: "python3-joblib",
  diskcache: "python3-diskcache",
};

/** Probes /usr/bin/python3, its modules, protoc and the .proto files. */
export function probePython(): PythonStack {
  if (!existsSync(PYTHON)) {
    const reason = `${PYTHON} is missing (Debian package python3)`;
    return { version: reason, modules: {}, keysSkipped: reason, diskSkipped: reason };
  }
  let probe: { version: string; found: Record<string, string>; missing: Record<string, string> };
  try {
    probe = JSON.parse(execFileSync(PYTHON, ["-c", PROBE], { encoding: "utf8" }));
  } catch (error) {
    const reason = `${PYTHON} does not run: ${String(error).split("\n")[0]}`;
    return { version: reason, modules: {}, keysSkipped: reason, diskSkipped: reason };
  }
  const missing = (names: string[]) => {
    const absent = names.filter((name) => name in probe.missing);
    if (absent.length === 0) return undefined;
    return `${PYTHON} lacks module(s) ${absent.join(", ")} (Debian ${
      absent.map((name) => DEBIAN_PACKAGES[name]).join(", ")
    }): ${absent.map((name) => probe.missing[name]).join("; ")}`;
  };
  let tools: string | undefined;
  try {
    execFileSync("protoc", ["--version"], { stdio: "pipe" });
  } catch {
    tools = "protoc is missing (Debian package protobuf-compiler)";
  }
  for (const file of ["literals.proto", "types.proto"]) {
    if (!existsSync(PROTOS + file)) tools = `${PROTOS}${file} is missing (npm ci)`;
  }
  const keysSkipped = tools ?? missing(["protobuf", "joblib"]);
  return {
    version: probe.version,
    modules: probe.found,
    keysSkipped,
    diskSkipped: keysSkipped ?? missing(["diskcache"]),
  };
}

/**
 * A child process that answers each JSON line on its stdin with one JSON line on its stdout, in
 * order. Its stderr goes to ours, so a Python traceback or a Node error is seen.
 */
export class JsonLinesProcess {
  readonly #child: ChildProcess;
  readonly #waiting: { resolve: (reply: unknown) => void; reject: (error: Error) => void }[] = [];
  #exited: Error | undefined;

  constructor(command: string, args: string[], label: string, cwd?: string) {
    this.#child = spawn(command, args, { cwd, stdio: ["pipe", "pipe", "inherit"] });
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      this.#waiting.shift()?.resolve(JSON.parse(line));
    });
    const exit = (reason: string) => {
      this.#exited = new Error(`${label} ${reason}`);
      for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#exited);
    };
    this.#child.on("error", (error) => exit(`failed: ${error.message}`));
    this.#child.on("exit", (code, signal) => exit(`exited (${signal ?? code})`));
  }

  /** The process's answer to `request`. */
  ask<T>(request: unknown): Promise<T> {
    if (this.#exited !== undefined) return Promise.reject(this.#exited);
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ resolve: resolve as (reply: unknown) => void, reject });
      this.#child.stdin!.write(JSON.stringify(request) + "\n");
    });
  }

  /** Ends the process. */
  async close(): Promise<void> {
    if (this.#exited !== undefined) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.stdin!.end();
    await exited;
  }
}

/** One of the Python scripts next to this module, run by /usr/bin/python3. */
export function pythonScript(name: string): JsonLinesProcess {
  return new JsonLinesProcess(PYTHON, [fileURLToPath(new URL(name, import.meta.url))], name);
}

/** Bytes as base64, for the JSON requests. */
export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
