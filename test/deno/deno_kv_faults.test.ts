/// <reference lib="deno.ns" />
/// <reference lib="deno.unstable" />
/**
 * DenoKvAdapter under faults, in real Deno processes on one KV file: a writer killed with
 * SIGKILL in the middle of chunked 10 MiB sets, and two processes reading and writing the same
 * keys at once.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DenoKvAdapter } from "../../src/adapters/deno_kv.ts";
import { stampProblem } from "../support/stamped.ts";
import { killedLength } from "./workers/kv_workload.ts";

const WORKER = new URL("./workers/kv_worker.ts", import.meta.url).pathname;

function start(args: (string | number)[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", WORKER, ...args.map(String)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  // (A TextDecoder, not a TextDecoderStream: with the DOM types too, its pair does not fit.)
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text.split("\n")[0]!;
}

async function countUnder(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let count = 0;
  for await (const _ of kv.list({ prefix })) count++;
  return count;
}

test("a writer killed mid chunked 10 MiB set: old value or miss, never a mix; no orphans after the next write", async () => {
  const directory = await Deno.makeTempDir({ prefix: "ltc-kv-faults-" });
  const path = `${directory}/cache.kv`;
  try {
    let hits = 0, orphansSeen = 0;
    for (let round = 0; round < 6; round++) {
      const child = start(["writer", path, round + 1]);
      assert.equal(await firstLine(child.stdout), "ready");
      await new Promise((resolve) => setTimeout(resolve, 300 + ((round * 797) % 900)));
      child.kill("SIGKILL");
      await child.status;
      const kv = await Deno.openKv(path);
      const adapter = new DenoKvAdapter({ kv });
      const value = await adapter.get("key-0");
      if (value !== undefined) {
        hits++;
        assert.equal(stampProblem(value, 0, killedLength), undefined, `round ${round}`);
      }
      const heads = await countUnder(kv, ["local-task-cache", "h"]);
      const chunks = await countUnder(kv, ["local-task-cache", "c"]);
      const expected = value === undefined ? 0 : Math.ceil(value.length / (63 * 1024));
      orphansSeen += chunks - expected;
      // The next write of the key removes whatever the killed writer left.
      await adapter.set("key-0", Uint8Array.of(round));
      assert.deepEqual(await adapter.get("key-0"), Uint8Array.of(round));
      assert.equal(await countUnder(kv, ["local-task-cache", "c"]), 0, "no chunks left");
      assert.equal(heads <= 1, true);
      kv.close();
    }
    console.log(
      `6 writers killed; ${hits} reads found an older whole value; ${orphansSeen} orphaned chunks cleaned`,
    );
    assert.ok(orphansSeen > 0, "some kills landed mid-write");
    const adapter = new DenoKvAdapter({ path });
    await adapter.set("key-0", new Uint8Array(200_000));
    await adapter.clear();
    const kv = await Deno.openKv(path);
    // Nothing but the clear epoch, which a chunked set started before the clear checks.
    assert.equal(await countUnder(kv, ["local-task-cache"]), 1, "clear leaves its epoch only");
    assert.notEqual((await kv.get(["local-task-cache", "e"])).value, null, "the epoch record");
    kv.close();
    await adapter.close();
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

test("two Deno processes on one KV file: every read is a miss or an exact value", async () => {
  const directory = await Deno.makeTempDir({ prefix: "ltc-kv-mixed-" });
  const path = `${directory}/cache.kv`;
  try {
    const children = [1, 2].map((writer) => start(["mixed", path, writer, 300, 6, writer * 7919]));
    const reports = await Promise.all(children.map(async (child) => {
      const line = await firstLine(child.stdout);
      assert.equal((await child.status).code, 0);
      return JSON.parse(line) as { reads: number; hits: number; problems: string[] };
    }));
    assert.deepEqual(reports.flatMap((report) => report.problems), []);
    const hits = reports.reduce((sum, report) => sum + report.hits, 0);
    assert.ok(hits > 0, "reads hit values written by either process");
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});
