/**
 * A real `redis-server` for a test file: started on a free loopback port with persistence off,
 * killed (and restarted on the same port) when a test says so, stopped at the end. Runs under
 * Node and Deno (node: modules only). A missing redis-server fails the test with what to
 * install; it never skips.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** Where Debian's package `redis-server` puts the server. */
export const REDIS_SERVER = "/usr/bin/redis-server";

/** A running server. */
export interface RedisServer {
  /** The loopback port it listens on. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** The server's working directory (removed by `stop`). */
  readonly directory: string;
  /** Kills the server with `signal` (default SIGKILL) and waits for it to be gone. */
  kill(signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** Stops (`SIGSTOP`: it keeps its connections but answers nothing) or resumes (`SIGCONT`) it. */
  pause(paused: boolean): void;
  /** Starts it again on the same port (after `kill`), with the same settings. */
  restart(): Promise<void>;
  /** Kills it and removes its directory. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the system's pick for port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === "object" && address !== null) resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

/** Starts redis-server on `port`; resolves when it accepts connections, rejects if it quits. */
function launch(
  port: number,
  directory: string,
  args: readonly string[],
): Promise<ChildProcess> {
  const child = spawn(REDIS_SERVER, [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    directory,
    ...args,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Uint8Array) => {
      output += new TextDecoder().decode(chunk);
      if (output.includes("Ready to accept connections")) {
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        child.stderr!.resume();
        child.off("exit", onExit);
        resolve(child);
      }
    };
    const onExit = () => reject(new Error(`redis-server on port ${port} quit:\n${output}`));
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", onExit);
    child.once("error", (error) => reject(error));
  });
}

/**
 * Starts a redis-server on a free loopback port (trying other ports if one was taken meanwhile),
 * without persistence; `args` are more server options (e.g. `["--maxmemory", "8mb"]`).
 *
 * @example
 * ```ts
 * const server = await startRedis();
 * try {
 *   // ... new RedisAdapter({ url: server.url }) ...
 * } finally {
 *   await server.stop();
 * }
 * ```
 */
export async function startRedis(args: readonly string[] = []): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(
      `${REDIS_SERVER} is missing: install Debian's package redis-server (apt-get install ` +
        "redis-server; .ci/run does) to run the Redis tests",
    );
  }
  const directory = await mkdtemp(join(tmpdir(), "ltc-redis-"));
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, directory, args);
    } catch (error) {
      if (attempt >= 10 || !/Address already in use/i.test(String(error))) {
        await rm(directory, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const exited = (server: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (server.exitCode !== null || server.signalCode !== null) resolve();
      else server.once("exit", () => resolve());
    });
  // A test file that ends without stopping it (a failure before its `after`) does not leave it.
  const orphanGuard = () => {
    child?.kill("SIGKILL");
    rmSync(directory, { recursive: true, force: true });
  };
  process.once("exit", orphanGuard);
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    directory,
    async kill(signal = "SIGKILL") {
      if (child === undefined) return;
      const dying = child;
      child = undefined;
      dying.kill(signal);
      await exited(dying);
    },
    pause(paused) {
      child?.kill(paused ? "SIGSTOP" : "SIGCONT");
    },
    async restart() {
      if (child !== undefined) throw new Error("restart: the server is still running");
      for (let attempt = 0;; attempt++) {
        try {
          child = await launch(port, directory, args);
          return;
        } catch (error) {
          // The old socket may linger a moment.
          if (attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    async stop() {
      process.off("exit", orphanGuard);
      await server.kill();
      await rm(directory, { recursive: true, force: true });
    },
  };
  return server;
}
