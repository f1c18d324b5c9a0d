/**
 * Processes running one cached task on shared storage (test/node/workers/task_process.ts), for
 * the single flight tests in Node and in Deno.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";

/** A runtime a task process can run in. */
export type TaskRuntime = "node" | "deno" | "bun";

/** How each runtime runs the TypeScript worker, from the project's root. */
function runner(runtime: TaskRuntime): string[] {
  const bin = (name: string) => join(process.cwd(), "node_modules/.bin", name);
  const deno = "Deno" in globalThis ? process.execPath : bin("deno");
  if (runtime === "deno") return [deno, "run", "-A", "--unstable-kv"];
  if (runtime === "bun") return [bin("bun"), "run"];
  return ["Deno" in globalThis ? "node" : process.execPath, "--import", "tsx"];
}

/**
 * Starts a process calling the task `test.slow_square` (lease 3 s) on `store` (a directory, or
 * `kv:<path>` for a Deno KV file under Deno, or `redis:<prefix>|<url>`), logging each run to `log`; `exited` resolves to
 * its output. `mode` "hold" makes it hang while it holds the task's lease (alive, renewing it),
 * to be killed; "sync" makes the task body synchronous for `runMs`. `waitTimeoutMs` bounds its
 * wait for another holder (then its output ends with a line `timeout`).
 * The process runs in `runtime` (default: the one running this).
 */
export function taskProcess(
  store: string,
  log: string,
  runMs: number,
  mode = "",
  waitTimeoutMs?: number,
  runtime: TaskRuntime = ("Deno" in globalThis) ? "deno" : "node",
) {
  const [command, ...options] = runner(runtime);
  const child = spawn(
    command!,
    [
      ...options,
      "test/node/workers/task_process.ts",
      store,
      log,
      String(runMs),
      mode,
      ...(waitTimeoutMs === undefined ? [] : [String(waitTimeoutMs)]),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<string>((resolve, reject) => {
    child.on(
      "exit",
      (code, signal) =>
        code === 0
          ? resolve(output.trim())
          : reject(new Error(`${runtime} exit ${code ?? signal}`)),
    );
  });
  return { child, exited };
}

/** The runs logged so far (one pid per line). */
export async function runsLogged(log: string): Promise<string[]> {
  return (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean);
}
