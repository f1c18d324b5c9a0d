import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

test("gen/ is exactly what `npm run generate` makes", (t) => {
  if (spawnSync("protoc", ["--version"]).error) {
    const why = "protoc is not installed (Debian package protobuf-compiler)";
    if (process.env.CI) assert.fail(`${why}: .ci/run must install it`);
    t.skip(why);
    return;
  }
  const out = mkdtempSync(join(tmpdir(), "ltc-gen-"));
  try {
    const run = spawnSync(process.execPath, [join(root, "scripts/generate.mjs"), out], {
      encoding: "utf8",
    });
    assert.equal(run.status, 0, run.stderr);
    const gen = join(root, "gen");
    assert.deepEqual(files(out), files(gen), "the same files");
    for (const file of files(gen)) {
      assert.equal(
        readFileSync(join(gen, file), "utf8"),
        readFileSync(join(out, file), "utf8"),
        `gen/${file} differs from the generator's output: run npm run generate, never edit gen/ by hand`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
