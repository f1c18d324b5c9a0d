/**
 * Two processes, as if on two machines, sharing one cache through Redis: the first computes, the
 * second gets the first one's results. Run it with `npm run example:redis`.
 *
 * It uses the server at `REDIS_URL` if set; otherwise it starts a throwaway `redis-server` (from
 * your PATH, persistence off) on a free loopback port and stops it at the end.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import process from "node:process";

/** A redis-server of our own on a free loopback port, and its URL. */
async function throwawayServer(): Promise<{ url: string; server: ChildProcess }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const server = spawn("redis-server", args, { stdio: ["ignore", "pipe", "inherit"] });
  server.on("error", () => {
    console.error("redis-server is not on your PATH: install Redis, or set REDIS_URL");
    process.exit(1);
  });
  await new Promise<void>((resolve) => {
    let output = "";
    server.stdout!.on("data", (chunk) => {
      output += chunk;
      if (output.includes("Ready to accept connections")) resolve();
    });
  });
  return { url: `redis://127.0.0.1:${port}`, server };
}

const own = process.env.REDIS_URL ? undefined : await throwawayServer();
const url = process.env.REDIS_URL ?? own!.url;
console.log(`Redis at ${url}${own ? " (started for this example)" : ""}`);
try {
  for (const machine of ["machine-a", "machine-b"]) {
    execFileSync(
      process.execPath,
      ["--import", "tsx", "examples/redis/machine.ts", url, machine],
      { stdio: "inherit" },
    );
  }
} finally {
  if (own !== undefined) {
    own.server.kill();
    await new Promise((resolve) => own.server.once("exit", resolve));
  }
}
