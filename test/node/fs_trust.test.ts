/**
 * Who can change the results in an `FsAdapter` directory, with real owners and modes: a
 * directory another user owns or could write (or replace, through a parent) is refused with
 * `UNSAFE_DIRECTORY`; entries and leases of another user are not trusted; `shared: true`
 * accepts a directory shared on purpose. Run as root (as CI does): the files are given to other
 * users with chown, and what a non-root user sees is checked with that user's effective uid
 * (`process.seteuid`), and in a Deno process that may not ask for its uid.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmod,
  chown,
  lchown,
  mkdir,
  mkdtemp,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { FsAdapter } from "../../src/adapters/fs.ts";
import { utf16le } from "../../src/internal/checksum.ts";
import { CacheError } from "../../src/errors.ts";

/** Two users that own nothing on this machine. */
const ALICE = 41_001;
const MALLORY = 41_002;
const PROBE = fileURLToPath(new URL("./workers/fs_probe.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const directories: string[] = [];
test.after(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));

/** A fresh directory (mode 0755, so that other users can reach what is in it). */
async function freshRoot(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-trust-"));
  directories.push(directory);
  await chmod(directory, 0o755);
  return directory;
}

/** Changing owners needs root: fails in CI, where the test must run; skips elsewhere. */
function needsRoot(t: TestContext): boolean {
  if (process.geteuid?.() === 0) return true;
  const reason = "changing owners needs root";
  if (process.env.CI) assert.fail(`${reason} (CI must run this test)`);
  t.skip(reason);
  return false;
}

function entryFile(directory: string, key: string): string {
  return join(directory, `${bytesToHex(sha256(utf16le(key)))}.ltc`);
}

async function rejectsUnsafe(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CacheError, `expected a CacheError, got ${error}`);
    assert.equal(error.code, "UNSAFE_DIRECTORY", error.message);
    assert.match(error.message, pattern);
    return;
  }
  assert.fail("expected UNSAFE_DIRECTORY, got success");
}

/** Every operation of a fresh adapter on `directory`, each refused. */
async function everyOperationRefused(directory: string, pattern: RegExp): Promise<void> {
  const adapter = new FsAdapter({ directory });
  await rejectsUnsafe(adapter.get("k"), pattern);
  await rejectsUnsafe(adapter.set("k", Uint8Array.of(1)), pattern);
  await rejectsUnsafe(adapter.delete("k"), pattern);
  await rejectsUnsafe(adapter.clear(), pattern);
  await rejectsUnsafe(adapter.acquireLease("k", 1000), pattern);
  await rejectsUnsafe(
    (async () => {
      for await (const _ of adapter.entries()) assert.fail("nothing is listed");
    })(),
    pattern,
  );
}

/** Runs `body` with the effective uid of `uid` (root again afterwards). */
async function asUser<T>(uid: number, body: () => Promise<T>): Promise<T> {
  process.seteuid!(uid);
  try {
    return await body();
  } finally {
    process.seteuid!(0);
  }
}

test("a directory another user owns is refused (chown in the message); shared accepts it", async (t) => {
  if (!needsRoot(t)) return;
  const directory = join(await freshRoot(), "cache");
  await new FsAdapter({ directory }).set("k", Uint8Array.of(1, 2));
  await chown(directory, ALICE, ALICE);
  await everyOperationRefused(directory, new RegExp(`owned by user ${ALICE}.*chown 0 `));
  const shared = new FsAdapter({ directory, shared: true });
  assert.deepEqual(await shared.get("k"), Uint8Array.of(1, 2));
  await shared.set("k", Uint8Array.of(3));
  assert.deepEqual(await shared.get("k"), Uint8Array.of(3));
});

test("a directory group or others can write is refused with chmod 700 as the fix", async (t) => {
  if (!needsRoot(t)) return;
  const directory = join(await freshRoot(), "cache");
  const adapter = new FsAdapter({ directory });
  await adapter.set("k", Uint8Array.of(1));
  for (const mode of [0o770, 0o720, 0o707, 0o777, 0o1777]) {
    await chmod(directory, mode);
    await everyOperationRefused(directory, new RegExp(`mode ${mode.toString(8)}.*chmod 700 `));
  }
  await chmod(directory, 0o700);
  assert.deepEqual(await new FsAdapter({ directory }).get("k"), Uint8Array.of(1), "fixed");
  await chmod(directory, 0o755); // readable by others is fine
  assert.deepEqual(await new FsAdapter({ directory }).get("k"), Uint8Array.of(1));
});

test("a parent others can write (without the sticky bit) or own is refused; /tmp-like is fine", async (t) => {
  if (!needsRoot(t)) return;
  const root = await freshRoot();
  const parent = join(root, "parent");
  const directory = join(parent, "cache");
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await chmod(parent, 0o777);
  await everyOperationRefused(directory, /other users can write to .*parent above it.*go-w/);
  await chmod(parent, 0o1777); // sticky, as /tmp: no one can move another's directory
  await new FsAdapter({ directory }).set("k", Uint8Array.of(1));
  await chmod(parent, 0o755);
  await chown(parent, ALICE, ALICE);
  await everyOperationRefused(directory, new RegExp(`parent above it is owned by user ${ALICE}`));
  // A symbolic link on the way that another user owns (and so can point elsewhere).
  await chown(parent, 0, 0);
  const link = join(root, "link");
  await symlink(directory, link);
  await lchown(link, MALLORY, MALLORY);
  await everyOperationRefused(link, new RegExp(`link above it is owned by user ${MALLORY}`));
  await lchown(link, 0, 0);
  assert.deepEqual(await new FsAdapter({ directory: link }).get("k"), Uint8Array.of(1));
});

test("entries and leases another user owns are not trusted: misses, unlisted, removed", async (t) => {
  if (!needsRoot(t)) return;
  const directory = join(await freshRoot(), "cache");
  const adapter = new FsAdapter({ directory });
  await adapter.set("planted", Uint8Array.of(6, 6, 6));
  await adapter.set("kept", Uint8Array.of(1));
  await chown(entryFile(directory, "planted"), MALLORY, MALLORY);
  const listed = [];
  for await (const entry of adapter.entries()) listed.push(entry.key);
  assert.deepEqual(listed, ["kept"], "another user's entry is not listed");
  assert.equal(await adapter.get("planted"), undefined, "another user's entry is a miss");
  await assert.rejects(stat(entryFile(directory, "planted")), { code: "ENOENT" }, "removed");
  assert.deepEqual(await adapter.get("kept"), Uint8Array.of(1));
  // A shared directory trusts everyone who can write there.
  await adapter.set("planted", Uint8Array.of(6, 6, 6));
  await chown(entryFile(directory, "planted"), MALLORY, MALLORY);
  assert.deepEqual(
    await new FsAdapter({ directory, shared: true }).get("planted"),
    Uint8Array.of(6, 6, 6),
  );
  // Another user's fresh lease is taken over.
  const lease = join(directory, `${bytesToHex(sha256(utf16le("name")))}.lease`);
  await writeFile(lease, JSON.stringify({ owner: "m", expiresAt: Date.now() + 600_000 }));
  await chown(lease, MALLORY, MALLORY);
  const taken = await adapter.acquireLease("name", 10_000);
  assert.ok(taken, "taken over");
  assert.equal((await stat(lease)).uid, 0, "ours now");
  await taken.release();
});

test("as a non-root user: its own and root's files are trusted, another user's are not", async (t) => {
  if (!needsRoot(t)) return;
  if (typeof process.seteuid !== "function") assert.fail("process.seteuid is missing");
  const root = await freshRoot();
  const mine = join(root, "alice");
  const system = join(root, "system"); // root's, read-only for alice
  const others = join(root, "mallory");
  await new FsAdapter({ directory: mine }).set("root's", Uint8Array.of(0));
  await new FsAdapter({ directory: system }).set("root's", Uint8Array.of(0));
  await new FsAdapter({ directory: others }).set("k", Uint8Array.of(1));
  await chmod(entryFile(system, "root's"), 0o644);
  await chmod(entryFile(mine, "root's"), 0o644);
  await chmod(system, 0o755);
  await chown(mine, ALICE, ALICE);
  await chown(others, MALLORY, MALLORY);
  await asUser(ALICE, async () => {
    const adapter = new FsAdapter({ directory: mine });
    await adapter.set("alice's", Uint8Array.of(1));
    assert.equal((await stat(entryFile(mine, "alice's"))).uid, ALICE);
    assert.deepEqual(await adapter.get("alice's"), Uint8Array.of(1));
    assert.deepEqual(await adapter.get("root's"), Uint8Array.of(0), "root's entry is trusted");
    assert.deepEqual(
      await new FsAdapter({ directory: system }).get("root's"),
      Uint8Array.of(0),
      "a directory of root's that only root can write is trusted",
    );
    await everyOperationRefused(others, new RegExp(`owned by user ${MALLORY}`));
  });
  await chown(entryFile(mine, "alice's"), MALLORY, MALLORY);
  await chmod(entryFile(mine, "alice's"), 0o644); // readable, so that only its owner counts
  await asUser(ALICE, async () => {
    assert.equal(await new FsAdapter({ directory: mine }).get("alice's"), undefined);
  });
  assert.deepEqual(await readdir(mine), [`${bytesToHex(sha256(utf16le("root's")))}.ltc`]);
});

test("Deno without --allow-sys: the user is found from a file of its own", async (t) => {
  if (!needsRoot(t)) return;
  const root = await freshRoot();
  const mine = join(root, "mine");
  const others = join(root, "others");
  await mkdir(mine, { mode: 0o700 });
  await mkdir(others, { mode: 0o700 });
  await chown(others, ALICE, ALICE);
  const probe = (directory: string) => {
    const child = spawnSync(
      join(ROOT, "node_modules", ".bin", "deno"),
      ["run", "--allow-read", "--allow-write", "--allow-env", PROBE, directory],
      { cwd: ROOT, encoding: "utf8" },
    );
    assert.equal(child.status, 0, child.stderr);
    return JSON.parse(child.stdout);
  };
  assert.deepEqual(probe(mine), { set: "ok", get: "ok", delete: "ok", clear: "ok" });
  const refused = "UNSAFE_DIRECTORY";
  assert.deepEqual(probe(others), { set: refused, get: refused, delete: refused, clear: refused });
  assert.deepEqual(await readdir(others), [], "no probe file is left");
});

test("Deno's default, Deno KV in the cache directory, refuses an unsafe directory too", async (t) => {
  if (!needsRoot(t)) return;
  const directory = join(await freshRoot(), "kv");
  await mkdir(directory, { mode: 0o700 });
  const clear = () =>
    spawnSync(join(ROOT, "node_modules", ".bin", "deno"), [
      "eval",
      "--unstable-kv",
      `import { LocalTaskCache } from "./src/mod.ts";
       try { await LocalTaskCache.clear(); console.log("ok"); }
       catch (error) { console.log(error.code); }
       await LocalTaskCache.close();`,
    ], { cwd: ROOT, encoding: "utf8", env: { ...process.env, LOCAL_TASK_CACHE_DIR: directory } })
      .stdout.trim();
  await chmod(directory, 0o777);
  assert.equal(clear(), "UNSAFE_DIRECTORY");
  assert.deepEqual(await readdir(directory), [], "no database was opened");
  await chmod(directory, 0o700);
  assert.equal(clear(), "ok");
  assert.ok((await readdir(directory)).includes("cache.kv"));
});
