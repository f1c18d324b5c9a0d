/**
 * cachedTask in Deno over Deno KV: several Deno processes on one KV file run the task once, a
 * task longer than twice its lease (async or synchronous) keeps it while another process waits,
 * and a holder killed mid-task blocks the others only until its lease expires.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runsLogged, taskProcess } from "../support/task_processes.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("three Deno processes on one KV file: one run, one result for all", async () => {
  const directory = await mkdtemp(join(tmpdir(), "ltc-deno-task-"));
  try {
    const log = join(directory, "runs.log");
    await writeFile(log, "");
    const store = `kv:${join(directory, "cache.kv")}`;
    const outputs = await Promise.all(
      [1, 2, 3].map(() => taskProcess(store, log, 1500).exited),
    );
    assert.deepEqual(outputs, ["144", "144", "144"]);
    assert.equal((await runsLogged(log)).length, 1, "the task ran once");
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test("a Deno holder killed mid-task: another process runs it once the lease expires", async () => {
  const directory = await mkdtemp(join(tmpdir(), "ltc-deno-task-"));
  try {
    const log = join(directory, "runs.log");
    await writeFile(log, "");
    const store = `kv:${join(directory, "cache.kv")}`;
    const holder = taskProcess(store, log, 0, "hold");
    holder.exited.catch(() => {});
    while ((await runsLogged(log)).length === 0) await sleep(20);
    holder.child.kill("SIGKILL");
    assert.equal(await taskProcess(store, log, 10).exited, "144");
    assert.equal((await runsLogged(log)).length, 2, "the task ran again after the holder died");
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test("a Deno holder killed in a synchronous body (its lease made to last the waiters' bound) is seen gone at once", async () => {
  const directory = await mkdtemp(join(tmpdir(), "ltc-deno-task-"));
  try {
    const log = join(directory, "runs.log");
    await writeFile(log, "");
    const store = `kv:${join(directory, "cache.kv")}`;
    const holder = taskProcess(store, log, 60_000, "sync");
    holder.exited.catch(() => {});
    while ((await runsLogged(log)).length === 0) await sleep(20);
    holder.child.kill("SIGKILL");
    const started = Date.now();
    assert.equal(await taskProcess(store, log, 10).exited, "144");
    const waited = Date.now() - started;
    assert.equal((await runsLogged(log)).length, 2, "the task ran again after the holder died");
    // Its lease had 10 minutes left: only the holder's death, seen on this host, ends it sooner.
    assert.ok(waited < 60_000, `waited ${waited} ms`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

for (const mode of ["", "sync"]) {
  const body = mode === "sync" ? "a synchronous" : "an asynchronous";
  test(`Deno KV: ${body} task of 7 s (over twice its 3 s lease): a second process waits`, async () => {
    const directory = await mkdtemp(join(tmpdir(), "ltc-deno-task-"));
    try {
      const log = join(directory, "runs.log");
      await writeFile(log, "");
      const store = `kv:${join(directory, "cache.kv")}`;
      const holder = taskProcess(store, log, 7000, mode);
      holder.exited.catch(() => {});
      while ((await runsLogged(log)).length === 0) await sleep(20);
      assert.equal(await taskProcess(store, log, 10).exited, "144");
      assert.equal(await holder.exited, "144");
      assert.equal((await runsLogged(log)).length, 1, "the second process did not run the task");
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
}
