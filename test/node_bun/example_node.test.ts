/**
 * The Node example, as the README runs it: the three-task pipeline twice (the second run from
 * the cache), again in a new process (all hits), and the CLI on its cache.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";

const tsx = (...args: string[]) =>
  execFileSync(process.execPath, ["--import", "tsx", ...args], { encoding: "utf8" });

const TASKS = ["examples.pipeline.load", "examples.pipeline.clean", "examples.pipeline.summarize"];

test("examples/node/pipeline.ts: misses, then hits; a new process hits; the CLI lists it", async () => {
  const directory = await mkdtemp(join(tmpdir(), "ltc-example-"));
  try {
    const first = tsx("examples/node/pipeline.ts", directory).split("\n");
    assert.equal(first[0], first[0]!.replace(/hit/g, ""), `the first run misses: ${first[0]}`);
    for (const task of TASKS) {
      assert.match(first[0]!, new RegExp(`${task}: miss`));
      assert.match(first[2]!, new RegExp(`${task}: hit`));
    }
    assert.equal(first[1], first[3], "both runs give the same result");
    const again = tsx("examples/node/pipeline.ts", directory).split("\n");
    assert.doesNotMatch(again.join("\n"), /: miss/, "a new process gets everything from disk");
    assert.equal(again[1], first[1]);
    const listed = JSON.parse(tsx("src/cli/main.ts", "--dir", directory, "list", "--json"));
    assert.deepEqual(listed.map((e: { taskName: string }) => e.taskName).sort(), [...TASKS].sort());
    assert.match(tsx("src/cli/main.ts", "--dir", directory, "stats"), /3/);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
