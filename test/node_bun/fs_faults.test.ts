/**
 * FsAdapter under faults, with real processes and real files: writers killed with SIGKILL in
 * the middle of large sets, and several processes reading and writing the same keys at once.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { FsAdapter } from "../../src/adapters/fs.ts";
import { KILLED_KEYS, killedLength, mixedLength, workloadProblem } from "./workers/fs_workload.ts";

const WORKER = fileURLToPath(new URL("./workers/fs_worker.ts", import.meta.url));
const TEMPORARY = /^\.tmp-/;

function startWorker(args: (string | number)[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", WORKER, ...args.map(String)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
}

/** Resolves to the lines a child prints, one at a time. */
function lineReader(child: ChildProcess): () => Promise<string> {
  let text = "";
  const waiting: ((line: string) => void)[] = [];
  const lines: string[] = [];
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n")) {
      lines.push(text.slice(0, end));
      text = text.slice(end + 1);
    }
    while (lines.length > 0 && waiting.length > 0) waiting.shift()!(lines.shift()!);
  });
  return () =>
    lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((resolve, reject) => {
      waiting.push(resolve);
      child.once("exit", (code) => reject(new Error(`the worker exited (${code}) silently`)));
    });
}

async function withDirectory(run: (directory: string) => Promise<void>): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-faults-"));
  try {
    await run(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

async function temporaryFiles(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => TEMPORARY.test(name));
}

test("writers killed with SIGKILL mid-set: every get is undefined or an exact value", async () => {
  await withDirectory(async (directory) => {
    const adapter = new FsAdapter({ directory });
    const rounds = 15;
    const present = new Set<number>();
    let hits = 0, killedMidWrite = 0;
    let seed = 20_240_601;
    for (let round = 1; round <= rounds; round++) {
      const before = round === 1 ? 0 : (await temporaryFiles(directory)).length;
      const child = startWorker(["writer", directory, round]);
      const exited = once(child, "exit");
      assert.equal(await lineReader(child)(), "ready");
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      await new Promise((resolve) => setTimeout(resolve, 50 + (seed % 500)));
      child.kill("SIGKILL");
      const [, signal] = await exited;
      assert.equal(signal, "SIGKILL", "the writer was killed, not finished");
      if ((await temporaryFiles(directory)).length > before) killedMidWrite++;
      for (let key = 0; key < KILLED_KEYS; key++) {
        const value = await adapter.get(`key-${key}`);
        if (value === undefined) {
          // Nobody deletes: a key once present stays present (the old value or a new one).
          assert.ok(!present.has(key), `round ${round}: key ${key} was lost`);
          continue;
        }
        present.add(key);
        hits++;
        const problem = workloadProblem(value, key, killedLength, round, KILLED_KEYS);
        assert.equal(problem, undefined, `round ${round}, key ${key}: ${problem}`);
      }
    }
    assert.ok(hits > 0, "some writes completed before the kills");
    assert.ok(killedMidWrite > 0, "some writer was killed with its temporary file unrenamed");
    // Temporary files of killed writers are left behind; clear removes them, and the entries.
    await adapter.clear();
    assert.deepEqual(await readdir(directory), []);
    await adapter.set("key-0", Uint8Array.of(1, 2, 3));
    assert.deepEqual(await adapter.get("key-0"), Uint8Array.of(1, 2, 3));
    console.log(
      `${rounds} writers killed (${killedMidWrite} with a temporary file); ${hits} exact hits`,
    );
  });
});

test("4 processes x 500 random operations on shared keys: reads are exact or misses", async () => {
  await withDirectory(async (directory) => {
    const keys = 10;
    const workers = [1, 2, 3, 4].map((writer) => {
      const child = startWorker(["mixed", directory, writer, 500, keys, writer * 7919]);
      return { child, exited: once(child, "exit"), nextLine: lineReader(child) };
    });
    for (const worker of workers) assert.equal(await worker.nextLine(), "ready");
    for (const worker of workers) worker.child.stdin!.end("go\n"); // all at once
    const reports = await Promise.all(workers.map(async (worker) => {
      const line = await worker.nextLine();
      const [code] = await worker.exited;
      assert.equal(code, 0, "the worker exits cleanly");
      return JSON.parse(line) as {
        reads: number;
        hits: number;
        sets: number;
        deletes: number;
        clears: number;
        problems: string[];
        errors: string[];
      };
    }));
    assert.deepEqual(reports.flatMap((report) => report.problems), [], "no inexact read");
    assert.deepEqual(reports.flatMap((report) => report.errors), [], "no operation failed");
    const total = (field: "reads" | "hits" | "sets" | "deletes" | "clears") =>
      reports.reduce((sum, report) => sum + report[field], 0);
    assert.ok(total("hits") > total("reads") / 4, `reads hit (${total("hits")}/${total("reads")})`);
    // What is left is exact too, and no temporary file remains.
    const adapter = new FsAdapter({ directory });
    for (let key = 0; key < keys; key++) {
      const value = await adapter.get(`key-${key}`);
      if (value !== undefined) assert.equal(workloadProblem(value, key, mixedLength, 4), undefined);
    }
    assert.deepEqual(await temporaryFiles(directory), []);
    console.log(
      `${total("reads")} reads (${total("hits")} hits), ${total("sets")} sets, ` +
        `${total("deletes")} deletes, ${total("clears")} clears`,
    );
  });
});
