/**
 * Processes sharing one real redis-server (started by this file): two Node processes, a Deno
 * and a Bun process get each other's results, run a task once between them, and a holder killed with
 * SIGKILL blocks the others only until its lease expires.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  runsLogged,
  taskProcess as startTaskProcess,
  type TaskRuntime,
} from "../support/task_processes.ts";
import { startRedis } from "../support/redis_server.ts";

const server = await startRedis();
const directory = await mkdtemp(join(tmpdir(), "ltc-redis-processes-"));
test.after(async () => {
  await server.stop();
  await rm(directory, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A Node, Deno or Bun process calling the task `test.slow_square` on the server. */
function taskProcess(runtime: TaskRuntime, prefix: string, log: string, runMs: number, mode = "") {
  return startTaskProcess(`redis:${prefix}|${server.url}`, log, runMs, mode, undefined, runtime);
}

let runs = 0;
async function freshLog(): Promise<{ log: string; prefix: string }> {
  const log = join(directory, `runs-${++runs}.log`);
  await writeFile(log, "");
  return { log, prefix: `processes-${runs}:` };
}

test("a result stored by one Node process is a hit for another, for Deno and for Bun", async () => {
  const { log, prefix } = await freshLog();
  assert.equal(await taskProcess("node", prefix, log, 10).exited, "144");
  assert.equal((await runsLogged(log)).length, 1);
  assert.equal(await taskProcess("node", prefix, log, 10).exited, "144");
  assert.equal(await taskProcess("deno", prefix, log, 10).exited, "144");
  assert.equal(await taskProcess("bun", prefix, log, 10).exited, "144");
  assert.equal((await runsLogged(log)).length, 1, "the other processes hit");
});

test("two Node processes, a Deno and a Bun process started together run the task once", async () => {
  const { log, prefix } = await freshLog();
  const results = await Promise.all([
    taskProcess("node", prefix, log, 1500).exited,
    taskProcess("node", prefix, log, 1500).exited,
    taskProcess("deno", prefix, log, 1500).exited,
    taskProcess("bun", prefix, log, 1500).exited,
  ]);
  assert.deepEqual(results, ["144", "144", "144", "144"]);
  assert.equal((await runsLogged(log)).length, 1, `one run: ${await runsLogged(log)}`);
});

test("a holder killed with SIGKILL blocks the others only until its lease expires", async () => {
  const { log, prefix } = await freshLog();
  const holder = taskProcess("node", prefix, log, 0, "hold");
  holder.exited.catch(() => {});
  while ((await runsLogged(log)).length === 0) await sleep(20); // it holds the lease, running
  // Killed mid-task, its lease back at its 3 s: the task body logs as it starts, while the lease
  // still lasts the waiters' bound (made so for a body's synchronous part, which a timer cannot
  // renew); the holder brings it back as soon as the body's synchronous part returns.
  await sleep(300);
  holder.child.kill("SIGKILL");
  const started = Date.now();
  const results = await Promise.all([
    taskProcess("node", prefix, log, 10).exited,
    taskProcess("deno", prefix, log, 10).exited,
  ]);
  const waited = Date.now() - started;
  assert.deepEqual(results, ["144", "144"]);
  assert.equal((await runsLogged(log)).length, 2, "the task ran once more after the holder died");
  assert.ok(waited < 10_000, `waited ${waited} ms for a 3 s lease`);
});
