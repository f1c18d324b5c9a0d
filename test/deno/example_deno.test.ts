/**
 * The Deno example, as the README runs it: the pipeline twice on Deno KV (the second run from
 * the cache), then again in a new process (all hits).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";

test("examples/deno/pipeline.ts: misses then hits on Deno KV; a new process hits", async () => {
  const directory = await mkdtemp(join(tmpdir(), "ltc-deno-example-"));
  const run = () =>
    execFileSync(process.execPath, [
      "run",
      "--unstable-kv",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "examples/deno/pipeline.ts",
      directory,
    ], { encoding: "utf8" }).split("\n");
  try {
    const first = run();
    assert.match(first[0]!, /tokenize: miss.*count: miss.*top: miss/);
    assert.match(first[2]!, /tokenize: hit.*count: hit.*top: hit/);
    assert.equal(first[1], "  top words: it, of, the (of 13)");
    assert.equal(first[3], first[1]);
    const again = run();
    assert.doesNotMatch(again.join("\n"), /: miss/);
    assert.match(first[4]!, /3 entries/);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
