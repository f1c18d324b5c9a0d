/**
 * DiskcacheAdapter: the conformance suite on a real diskcache directory (where the runtime's
 * SQLite can write it), the binding each runtime gets, path expansion as diskcache does it, and
 * `get`'s `expect` on rows with and without task metadata, the error naming what to install
 * where no SQLite binding loads (Node 20 without better-sqlite3), and the refusal of a directory
 * other users could change (UNSAFE_DIRECTORY, as FsAdapter's). The tests against Python's diskcache
 * are in adapter_diskcache_python.test.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  DiskcacheAdapter,
  expandCachePath,
  flytekitCacheDirectory,
} from "../../../src/adapters/diskcache.ts";
import { sweepTemporaries } from "../../../src/adapters/diskcache_files.ts";
import { CacheError } from "../../../src/errors.ts";
import { adapterConformance, patternBytes } from "../../conformance/adapter_suite.ts";

const directories: string[] = [];
test.after(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));

async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-diskcache-"));
  directories.push(directory);
  return directory;
}

const freshAdapter = async () =>
  new DiskcacheAdapter({ directory: join(await freshDirectory(), "cache") });

const probe = await freshAdapter();
const binding = await probe.binding();
await probe.close();

/** The binding each runtime must get, and whether it can write diskcache's database. */
function expectedBinding(): { name: string; writable: boolean } {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun !== undefined) return { name: "bun:sqlite", writable: true };
  if (versions.deno !== undefined) return { name: "node:sqlite", writable: true };
  const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
  return major > 22 || (major === 22 && minor >= 13)
    ? { name: "node:sqlite", writable: true }
    : { name: "better-sqlite3", writable: false };
}

test("each runtime gets its SQLite binding; only better-sqlite3 reads only", () => {
  assert.deepEqual(binding, expectedBinding());
});

if (binding.writable) {
  adapterConformance(test, { open: freshAdapter });

  test("expect: a row of another task misses and stays; a row without metadata is accepted", async () => {
    const adapter = await freshAdapter();
    try {
      await adapter.set("a-b-c", patternBytes(10), { taskName: "a-b", cacheVersion: "c" });
      const other = { taskName: "a", cacheVersion: "b-c" };
      assert.equal(await adapter.get("a-b-c", { expect: other } as never), undefined);
      const same = { taskName: "a-b", cacheVersion: "c" };
      assert.deepEqual(await adapter.get("a-b-c", { expect: same } as never), patternBytes(10));
      await adapter.set("flytekit-row", patternBytes(11)); // as flytekit writes: no metadata
      assert.deepEqual(
        await adapter.get("flytekit-row", { expect: other } as never),
        patternBytes(11),
      );
    } finally {
      await adapter.close();
    }
  });
} else {
  test("read-only binding: an absent cache reads as empty, writes fail saying what to use", async () => {
    const adapter = await freshAdapter();
    try {
      assert.equal(await adapter.get("k"), undefined);
      const listed = [];
      for await (const entry of adapter.entries()) listed.push(entry);
      assert.deepEqual(listed, []);
      await assert.rejects(adapter.set("k", patternBytes(3)), (error) => {
        assert.ok(error instanceof CacheError);
        assert.equal(error.code, "PERMISSION_DENIED");
        assert.match(error.message, /better-sqlite3.*Node >= 22\.13, Deno or Bun/);
        return true;
      });
    } finally {
      await adapter.close();
    }
  });

  test("without better-sqlite3 (and node:sqlite), the error names what to install", async () => {
    // Node 20 with better-sqlite3 made unresolvable by a module hook, in a process of its own.
    const hooks = 'export async function resolve(s, c, next) { if (s === "better-sqlite3") ' +
      '{ const e = new Error("Cannot find package"); e.code = "ERR_MODULE_NOT_FOUND"; throw e; } ' +
      "return next(s, c); }";
    const register = 'import { register } from "node:module"; ' +
      `register("data:text/javascript,${encodeURIComponent(hooks)}");`;
    const adapterUrl = new URL("../../../src/adapters/diskcache.ts", import.meta.url).href;
    const script = `import { DiskcacheAdapter } from ${JSON.stringify(adapterUrl)};
      try { await new DiskcacheAdapter({ directory: process.argv[1] }).get("k"); console.log("no error"); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const run = spawnSync(process.execPath, [
      "--import",
      `data:text/javascript,${encodeURIComponent(register)}`,
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      script,
      join(await freshDirectory(), "cache"),
    ], { encoding: "utf8", cwd: fileURLToPath(new URL("../../..", import.meta.url)) });
    const { code, message } = JSON.parse(run.stdout.trim().split("\n").pop()!);
    assert.equal(code, "IO", run.stderr);
    assert.match(message, /npm install better-sqlite3@12/);
    assert.match(message, /Node >= 22\.13/);
  });
}

test("paths are expanded as diskcache expands them (expanduser, expandvars)", () => {
  const home = process.env.HOME ?? homedir();
  assert.equal(expandCachePath("~/.flyte/local-cache"), `${home}/.flyte/local-cache`);
  assert.equal(flytekitCacheDirectory(), `${home}/.flyte/local-cache`);
  assert.equal(expandCachePath("~"), home);
  assert.equal(expandCachePath("$HOME/x/${HOME}"), `${home}/x/${home}`);
  assert.equal(
    expandCachePath("/a/$LTC_SURELY_UNSET_VARIABLE/b"),
    "/a/$LTC_SURELY_UNSET_VARIABLE/b",
  );
  assert.equal(expandCachePath("/a/~/b"), "/a/~/b");
});

test("after close, calls fail with CLOSED", async () => {
  const adapter = await freshAdapter();
  await adapter.close();
  await assert.rejects(
    adapter.get("k"),
    (error) => error instanceof CacheError && error.code === "CLOSED",
  );
});

test("killed writers' temporaries go once an hour old: the top folder's at every sweep, the value folders' once a day", async () => {
  const directory = await freshDirectory();
  const hourAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
  const temporary = async (folder: string, name: string, stale: boolean) => {
    await mkdir(join(directory, folder), { recursive: true });
    const path = join(directory, folder, name);
    await writeFile(path, "x");
    if (stale) await utimes(path, hourAgo, hourAgo);
    return path;
  };
  const exists = (path: string) => stat(path).then(() => true, () => false);
  const stale = await temporary("ab/cd", "cache.db-ltc-0123.tmp", true);
  const fresh = await temporary("ab/ce", "cache.db-ltc-4567.tmp", false);
  const value = await temporary("ab/ce", "0123456789abcdef0123456789ab.val", true);
  const top = await temporary(".", "cache.db-ltc-89ab.tmp", true);
  await sweepTemporaries(directory);
  assert.equal(await exists(stale), false, "a stale one in a value folder");
  assert.equal(await exists(join(directory, "ab/cd")), false, "its folder, left empty");
  assert.equal(await exists(fresh), true, "a fresh one (a writer at work) stays");
  assert.equal(await exists(value), true, "value files stay, however old");
  assert.equal(await exists(top), false, "a stale one in the top folder");
  const later = await temporary("ab/cd", "cache.db-ltc-cdef.tmp", true);
  const laterTop = await temporary(".", "cache.db-ltc-cdef.tmp", true);
  await sweepTemporaries(directory);
  assert.equal(await exists(later), true, "the value folders wait a day for the next look");
  assert.equal(await exists(laterTop), false, "the top folder is looked through every time");
});

/** Every operation of a fresh adapter on `directory`, each refused with `UNSAFE_DIRECTORY`. */
async function everyOperationRefused(directory: string, pattern: RegExp): Promise<void> {
  const adapter = new DiskcacheAdapter({ directory });
  const list = async () => {
    for await (const _ of adapter.entries()) { /* the first step fails */ }
  };
  try {
    for (
      const operation of [
        () => adapter.get("k"),
        () => adapter.set("k", patternBytes(1)),
        () => adapter.delete("k"),
        () => adapter.clear(),
        list,
        () => adapter.acquireLease("k", 1000),
      ]
    ) {
      await assert.rejects(operation(), (error) => {
        assert.ok(error instanceof CacheError, `expected a CacheError, got ${error}`);
        assert.equal(error.code, "UNSAFE_DIRECTORY", error.message);
        assert.match(error.message, pattern);
        assert.match(error.message, /shared: true/);
        return true;
      });
    }
  } finally {
    await adapter.close();
  }
}

/** A directory with one entry `k` (5 bytes) in it, written by a trusting adapter. */
async function cacheWithEntry(directory: string): Promise<void> {
  const adapter = new DiskcacheAdapter({ directory });
  await adapter.set("k", patternBytes(5));
  await adapter.close();
}

/** Whether `shared: true` reads the entry `cacheWithEntry` wrote. */
async function sharedReads(directory: string): Promise<void> {
  const shared = new DiskcacheAdapter({ directory, shared: true });
  try {
    assert.deepEqual(await shared.get("k"), patternBytes(5));
  } finally {
    await shared.close();
  }
}

if (binding.writable && process.platform !== "win32") {
  test("a directory group or others can write is refused (chmod in the message); shared accepts it", async () => {
    const directory = join(await freshDirectory(), "cache");
    await cacheWithEntry(directory);
    chmodSync(directory, 0o775);
    await everyOperationRefused(directory, /other users can write to it.*chmod 700/);
    await sharedReads(directory);
    chmodSync(directory, 0o755);
    const again = new DiskcacheAdapter({ directory });
    try {
      assert.deepEqual(await again.get("k"), patternBytes(5), "its entries stay");
    } finally {
      await again.close();
    }
  });

  test("a directory another user owns, or one below a directory they own, is refused (as root)", async (t) => {
    if (process.getuid?.() !== 0) {
      const reason = "needs root, to give directories to another user";
      if (process.env.CI) assert.fail(`${reason} (CI must run this test)`);
      t.skip(reason);
      return;
    }
    const owned = join(await freshDirectory(), "cache");
    await cacheWithEntry(owned);
    chownSync(owned, 12345, 12345);
    await everyOperationRefused(owned, /owned by user 12345.*chown/);
    await sharedReads(owned);

    const parent = join(await freshDirectory(), "theirs");
    mkdirSync(parent, { mode: 0o755 });
    const below = join(parent, "cache");
    await cacheWithEntry(below);
    chownSync(parent, 12345, 12345);
    await everyOperationRefused(below, /above it is owned by user 12345/);
    await sharedReads(below);
  });
}
