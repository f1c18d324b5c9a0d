/**
 * examples/flytekit, as the README runs it (`npm run example:flytekit`, on the engines' Node 22):
 * Python on flytekit's code path and Node cache the same task in flytekit's directory under a
 * temporary HOME; each hits what the other stored, and a second run is all hits.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { flytekitCacheAvailability } from "../compat/flytekit_cache.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NODE22 = join(ROOT, ".engines/node22/node_modules/.bin/node");

test("examples/flytekit: Python and Node hit each other's results", async (t) => {
  const availability = flytekitCacheAvailability();
  const missing = !availability.ok
    ? availability.reason
    : existsSync(NODE22)
    ? undefined
    : `${NODE22} is missing (scripts/install-engines.sh)`;
  if (missing !== undefined) {
    if (process.env.CI) assert.fail(`missing in CI: ${missing}`);
    t.skip(missing);
    return;
  }
  const home = await mkdtemp(join(tmpdir(), "ltc-example-flytekit-"));
  try {
    const run = () =>
      execFileSync(NODE22, ["--no-warnings", "--import", "tsx", "examples/flytekit/run.ts"], {
        cwd: ROOT,
        env: { ...process.env, HOME: home },
        encoding: "utf8",
      }).trim().split("\n");
    assert.deepEqual(run(), [
      "python: square(3) = 9 (miss: computed and stored)",
      "node: square(3) = 9 (hit)",
      "node: square(4) = 16 (miss: computed and stored)",
      "python: square(4) = 16 (hit)",
    ]);
    assert.deepEqual(run(), [
      "python: square(3) = 9 (hit)",
      "node: square(3) = 9 (hit)",
      "node: square(4) = 16 (hit)",
      "python: square(4) = 16 (hit)",
    ]);
    assert.ok(existsSync(join(home, ".flyte", "local-cache", "cache.db")));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
