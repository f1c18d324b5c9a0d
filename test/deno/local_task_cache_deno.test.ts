/// <reference lib="deno.ns" />
/**
 * LocalTaskCache's default storage in Deno: Deno KV with --unstable-kv, FsAdapter without; a
 * second Deno process sees the first one's entries either way.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

const WORKER = new URL("./workers/local_task_cache.ts", import.meta.url).pathname;

async function run(directory: string, flags: string[], command: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", ...flags, WORKER, command],
    env: { LOCAL_TASK_CACHE_DIR: directory },
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout).trim();
}

async function names(directory: string): Promise<string[]> {
  const found = [];
  for await (const entry of Deno.readDir(directory)) found.push(entry.name);
  return found;
}

test("with --unstable-kv: Deno KV in LOCAL_TASK_CACHE_DIR/cache.kv, seen by another process", async () => {
  const directory = await Deno.makeTempDir({ prefix: "ltc-deno-default-" });
  try {
    assert.equal(await run(directory, ["--unstable-kv"], "get"), "miss");
    assert.equal(await run(directory, ["--unstable-kv"], "set"), "stored");
    assert.equal(await run(directory, ["--unstable-kv"], "get"), "hit");
    const files = await names(directory);
    assert.ok(files.includes("cache.kv"), files.join());
    assert.ok(!files.some((name) => name.endsWith(".ltc")), files.join());
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

test("without --unstable-kv: FsAdapter files in LOCAL_TASK_CACHE_DIR", async () => {
  const directory = await Deno.makeTempDir({ prefix: "ltc-deno-default-" });
  try {
    assert.equal(await run(directory, [], "set"), "stored");
    assert.equal(await run(directory, [], "get"), "hit");
    const files = await names(directory);
    assert.ok(files.some((name) => name.endsWith(".ltc")), files.join());
    assert.ok(!files.includes("cache.kv"), files.join());
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});
