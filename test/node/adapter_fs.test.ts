import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { defaultCacheDirectory, FsAdapter } from "../../src/adapters/fs.ts";
import { CacheError } from "../../src/errors.ts";
import { adapterConformance, patternBytes } from "../conformance/adapter_suite.ts";

const directories: string[] = [];
test.after(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));

async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-fs-"));
  directories.push(directory);
  return directory;
}

async function freshAdapter(): Promise<FsAdapter> {
  return new FsAdapter({ directory: join(await freshDirectory(), "cache") });
}

adapterConformance(test, { open: freshAdapter });

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<CacheError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CacheError, `expected a CacheError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected a CacheError ${code}, got success`);
}

test("the directory is created with mode 0700 and files with mode 0600", async () => {
  const previous = process.umask(0o000);
  try {
    const adapter = await freshAdapter();
    await adapter.set("k", Uint8Array.of(1, 2, 3));
    assert.equal((await stat(adapter.directory)).mode & 0o777, 0o700);
    const [name] = await readdir(adapter.directory);
    assert.equal((await stat(join(adapter.directory, name!))).mode & 0o777, 0o600);
  } finally {
    process.umask(previous);
  }
});

test("files are named from a hash of the key: nothing escapes the directory", async () => {
  const adapter = await freshAdapter();
  const keys = ["../../etc/passwd", "/absolute", "a/b\\c", "\0", "x".repeat(10_000), "CON"];
  for (const key of keys) await adapter.set(key, new TextEncoder().encode(key));
  const names = await readdir(adapter.directory);
  assert.equal(names.length, keys.length);
  for (const name of names) assert.match(name, /^[0-9a-f]{64}\.entry$/);
  for (const key of keys) {
    assert.deepEqual(await adapter.get(key), new TextEncoder().encode(key));
  }
});

test("keys differing only in unpaired surrogates are different entries", async () => {
  const adapter = await freshAdapter();
  const keys = ["\uD800", "\uDC00", "\uFFFD", "\uD800\uDC00", "\uDC00\uD800", "?"];
  for (const [i, key] of keys.entries()) await adapter.set(key, Uint8Array.of(i));
  for (const [i, key] of keys.entries()) assert.deepEqual(await adapter.get(key), Uint8Array.of(i));
});

test("get returns a plain Uint8Array, not a Buffer", async () => {
  const adapter = await freshAdapter();
  for (const size of [0, 10, 100_000]) {
    await adapter.set("k", patternBytes(size));
    const value = await adapter.get("k");
    assert.equal(Object.getPrototypeOf(value), Uint8Array.prototype);
  }
});

test("clear removes its own entries and leftover temporary files, nothing else", async () => {
  const adapter = await freshAdapter();
  await adapter.set("a", Uint8Array.of(1));
  await adapter.set("b", Uint8Array.of(2));
  const foreign = ["notes.txt", "0123.entry", `${"a".repeat(64)}.entry.bak`];
  for (const name of foreign) await writeFile(join(adapter.directory, name), "mine");
  await mkdir(join(adapter.directory, "subdirectory"));
  const leftover = `${"f".repeat(64)}.entry.0123456789abcdef.tmp`;
  await writeFile(join(adapter.directory, leftover), "partial");
  await adapter.clear();
  assert.deepEqual((await readdir(adapter.directory)).sort(), [...foreign, "subdirectory"].sort());
  assert.equal(await adapter.get("a"), undefined);
  for (const name of foreign) {
    assert.equal(await readFile(join(adapter.directory, name), "utf8"), "mine");
  }
});

test("clear of a directory that does not exist yet is a no-op", async () => {
  const adapter = await freshAdapter();
  await adapter.clear();
  assert.equal(await adapter.get("k"), undefined);
});

test("every flipped byte or truncation reads as a miss, removes the file; set works again", async () => {
  const entries = new Map<string, Uint8Array>([
    ["empty", new Uint8Array(0)],
    ["small", patternBytes(5, 2)],
    ["odd key length", patternBytes(1001, 3)],
    ["large ∑ 😀", patternBytes(300_000, 4)],
  ]);
  let damaged = 0;
  for (const [key, value] of entries) {
    // One entry per directory: its only file is the entry's.
    const adapter = await freshAdapter();
    await adapter.set(key, value);
    const path = join(adapter.directory, (await readdir(adapter.directory))[0]!);
    const size = (await stat(path)).size;
    const offsets = [0, 3, 4, 8, 12, 16, 23, 24, 25, size - value.length, size - 1];
    for (const offset of [...new Set(offsets)].filter((o) => o >= 0 && o < size)) {
      await adapter.set(key, value);
      const bytes = await readFile(path);
      bytes[offset]! ^= 0x40;
      await writeFile(path, bytes);
      assert.equal(await adapter.get(key), undefined, `${key}: byte ${offset} flipped`);
      await assert.rejects(stat(path), { code: "ENOENT" }, "the damaged file is removed");
      damaged++;
    }
    for (const length of [0, 1, 23, 24, Math.floor(size / 2), size - 1]) {
      if (length >= size) continue;
      await adapter.set(key, value);
      await truncate(path, length);
      assert.equal(await adapter.get(key), undefined, `${key}: truncated to ${length}`);
      await assert.rejects(stat(path), { code: "ENOENT" });
      damaged++;
    }
    await adapter.set(key, value);
    await writeFile(path, new Uint8Array([...(await readFile(path)), 0]));
    assert.equal(await adapter.get(key), undefined, `${key}: a byte appended`);
    await adapter.set(key, value);
    assert.deepEqual(await adapter.get(key), value, `${key}: set works after damage`);
  }
  assert.ok(damaged > 40, `damaged ${damaged} files`);
});

test("an entry file holding another key reads as a miss", async () => {
  const adapter = await freshAdapter();
  await adapter.set("first", Uint8Array.of(1));
  const [first] = await readdir(adapter.directory);
  await adapter.set("other", Uint8Array.of(2));
  const other = (await readdir(adapter.directory)).find((name) => name !== first)!;
  await writeFile(join(adapter.directory, other), await readFile(join(adapter.directory, first!)));
  assert.equal(await adapter.get("other"), undefined);
  assert.deepEqual(await adapter.get("first"), Uint8Array.of(1));
});

test("a directory path that is a file: NOT_A_DIRECTORY on set and get", async () => {
  const file = join(await freshDirectory(), "a-file");
  await writeFile(file, "not a directory");
  for (const directory of [file, join(file, "below")]) {
    const adapter = new FsAdapter({ directory });
    await rejectsWith(adapter.set("k", Uint8Array.of(1)), "NOT_A_DIRECTORY");
    if (directory !== file) await rejectsWith(adapter.get("k"), "NOT_A_DIRECTORY");
  }
  assert.equal(await readFile(file, "utf8"), "not a directory");
});

test("after close, every method rejects with CLOSED", async () => {
  const adapter = await freshAdapter();
  await adapter.close();
  await adapter.close();
  await rejectsWith(adapter.get("k"), "CLOSED");
  await rejectsWith(adapter.set("k", Uint8Array.of(1)), "CLOSED");
  await rejectsWith(adapter.delete("k"), "CLOSED");
  await rejectsWith(adapter.clear(), "CLOSED");
});

test("bad options and values are TypeErrors", async () => {
  assert.throws(() => new FsAdapter({ directory: "" }), TypeError);
  assert.throws(() => new FsAdapter({} as never), /options.directory/);
  const adapter = await freshAdapter();
  await assert.rejects(adapter.set("k", [1, 2] as never), TypeError);
});

test("defaultCacheDirectory: LOCAL_TASK_CACHE_DIR, then the per-user cache directory", () => {
  assert.equal(defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "/x/y" }), "/x/y");
  if (process.platform === "linux") {
    assert.equal(
      defaultCacheDirectory({ XDG_CACHE_HOME: "/c", HOME: "/h" }),
      "/c/local-task-cache",
    );
    assert.equal(defaultCacheDirectory({ HOME: "/h" }), "/h/.cache/local-task-cache");
    assert.equal(
      defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "", HOME: "/h" }),
      "/h/.cache/local-task-cache",
    );
  }
});

/** A tmpfs mounted for the test (CI runs as root); skipped outside CI when mount is refused. */
async function mountTmpfs(t: TestContext, options: string): Promise<string | undefined> {
  const directory = await freshDirectory();
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", directory], { stdio: "pipe" });
  } catch (error) {
    const reason = `cannot mount a tmpfs (needs root): ${String(error).split("\n")[0]}`;
    if (process.env.CI) assert.fail(reason);
    t.skip(reason);
    return undefined;
  }
  t.after(() => execFileSync("umount", ["-l", directory]));
  return directory;
}

test("a full disk: NO_SPACE, existing entries intact, no temporary file left", async (t) => {
  const mount = await mountTmpfs(t, "size=256k,mode=0755");
  if (mount === undefined) return;
  const adapter = new FsAdapter({ directory: join(mount, "cache") });
  await adapter.set("kept", patternBytes(1000, 1));
  await adapter.set("replaced", patternBytes(1000, 2));
  await rejectsWith(adapter.set("replaced", patternBytes(1 << 20, 3)), "NO_SPACE");
  await rejectsWith(adapter.set("new", patternBytes(1 << 20, 4)), "NO_SPACE");
  assert.deepEqual(await adapter.get("kept"), patternBytes(1000, 1));
  assert.deepEqual(await adapter.get("replaced"), patternBytes(1000, 2));
  assert.equal(await adapter.get("new"), undefined);
  assert.equal((await readdir(adapter.directory)).filter((n) => n.endsWith(".tmp")).length, 0);
  await adapter.set("small", Uint8Array.of(9));
  assert.deepEqual(await adapter.get("small"), Uint8Array.of(9));
});

test("a read-only file system: PERMISSION_DENIED on set, entries still readable", async (t) => {
  const mount = await mountTmpfs(t, "size=1m,mode=0755");
  if (mount === undefined) return;
  const adapter = new FsAdapter({ directory: join(mount, "cache") });
  await adapter.set("kept", Uint8Array.of(1, 2, 3));
  execFileSync("mount", ["-o", "remount,ro", mount]);
  await rejectsWith(adapter.set("kept", Uint8Array.of(4)), "PERMISSION_DENIED");
  await rejectsWith(adapter.set("new", Uint8Array.of(4)), "PERMISSION_DENIED");
  await rejectsWith(adapter.delete("kept"), "PERMISSION_DENIED");
  assert.deepEqual(await adapter.get("kept"), Uint8Array.of(1, 2, 3));
  const fresh = new FsAdapter({ directory: join(mount, "elsewhere") });
  const error = await rejectsWith(fresh.set("k", Uint8Array.of(1)), "PERMISSION_DENIED");
  assert.match(error.message, /read-only/);
  assert.equal((error.cause as { code?: string }).code, "EROFS");
});
