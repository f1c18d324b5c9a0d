/**
 * FsAdapter under faults, with real processes and real files: writers killed by SIGKILL in the
 * middle of large sets, and several processes reading and writing the same keys at once.
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
import { stampProblem } from "../support/stamped.ts";
import { KILLED_KEYS, killedLength, mixedLength } from "./workers/fs_workload.ts";

const WORKER = fileURLToPath(new URL("./workers/fs_worker.ts", import.meta.url));

function startWorker(args: (string | number)[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", WORKER, ...args.map(String)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
}

async function firstLine(child: ChildProcess): Promise<string> {
  let text = "";
  for await (const chunk of child.stdout!) {
    text += chunk;
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0]!;
}

async function withDirectory(run: (directory: string) => Promise<void>): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-faults-"));
  try {
    await run(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

test("writers killed with SIGKILL mid-set: every get is undefined or an exact value", async () => {
  await withDirectory(async (directory) => {
    const adapter = new FsAdapter({ directory });
    const rounds = 12;
    let hits = 0, leftovers = 0;
    let seed = 12345;
    for (let round = 0; round < rounds; round++) {
      const child = startWorker(["writer", directory, round + 1]);
      assert.equal(await firstLine(child), "ready");
      seed = (seed * 1103515245 + 12345) >>> 0;
      await new Promise((resolve) => setTimeout(resolve, 30 + (seed % 400)));
      child.kill("SIGKILL");
      await once(child, "exit");
      leftovers = Math.max(
        leftovers,
        (await readdir(directory)).filter((name) => name.endsWith(".tmp")).length,
      );
      for (let key = 0; key < KILLED_KEYS; key++) {
        const value = await adapter.get(`key-${key}`);
        if (value === undefined) continue;
        hits++;
        const problem = stampProblem(value, key, killedLength);
        assert.equal(problem, undefined, `round ${round}, key ${key}: ${problem}`);
      }
    }
    assert.ok(hits > 0, "some writes completed before the kills");
    // Temporary files of killed writers are left behind, and clear removes them.
    await adapter.clear();
    assert.deepEqual(await readdir(directory), []);
    await adapter.set("key-0", Uint8Array.of(1, 2, 3));
    assert.deepEqual(await adapter.get("key-0"), Uint8Array.of(1, 2, 3));
    console.log(
      `${rounds} writers killed; ${hits} exact hits; up to ${leftovers} temporary files left`,
    );
  });
});

test("4 processes x 500 random gets and sets on shared keys: reads are exact or misses", async () => {
  await withDirectory(async (directory) => {
    const workers = [1, 2, 3, 4].map((writer) =>
      startWorker(["mixed", directory, writer, 500, 10, writer * 7919])
    );
    const reports = await Promise.all(workers.map(async (child) => {
      const line = await firstLine(child);
      const [code] = await once(child, "exit");
      assert.equal(code, 0, "the worker exits cleanly");
      return JSON.parse(line) as { reads: number; hits: number; problems: string[] };
    }));
    const problems = reports.flatMap((report) => report.problems);
    assert.deepEqual(problems, []);
    const hits = reports.reduce((sum, report) => sum + report.hits, 0);
    const reads = reports.reduce((sum, report) => sum + report.reads, 0);
    assert.ok(hits > reads / 2, `most reads hit (${hits} of ${reads})`);
    // Whatever is left is exact too, and no temporary file remains.
    const adapter = new FsAdapter({ directory });
    for (let key = 0; key < 10; key++) {
      const value = await adapter.get(`key-${key}`);
      assert.ok(value, `key ${key} holds a value`);
      assert.equal(stampProblem(value, key, mixedLength), undefined);
    }
    assert.equal((await readdir(directory)).filter((name) => name.endsWith(".tmp")).length, 0);
  });
});
