/**
 * FsAdapter: the conformance suite on a real directory, plus what only a file system has:
 * modes, foreign files, damaged files, a file where the directory should be, permissions, a
 * read-only file system and a full disk (the last two on a tmpfs mounted by the test as root).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  truncate,
  unlink,
  writeFile,
} from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { FsAdapter } from "../../../src/adapters/fs.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { utf16le } from "../../../src/internal/checksum.ts";
import { CacheError } from "../../../src/errors.ts";
import { adapterConformance, patternBytes } from "../../conformance/adapter_suite.ts";
import { fsHooks } from "../../conformance/hooks.ts";

const PROBE = fileURLToPath(new URL("../../node/workers/fs_probe.ts", import.meta.url));
const ENTRY = /^[0-9a-f]{64}\.ltc$/;
const TEMPORARY = /^\.tmp-/;

const directories: string[] = [];
test.after(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));

async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-fs-"));
  directories.push(directory);
  return directory;
}

/** An adapter on a directory that does not exist yet (its first `set` creates it). */
async function freshAdapter(): Promise<FsAdapter> {
  return new FsAdapter({ directory: join(await freshDirectory(), "cache") });
}

adapterConformance(test, { open: freshAdapter, leases: true, chunks: true, ...fsHooks() });

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

/** The names of the entry files in `directory`. */
async function entryFiles(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => ENTRY.test(name));
}

async function temporaryFiles(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => TEMPORARY.test(name));
}

test("the directory is created with mode 0700 (parents too) and files with mode 0600", async () => {
  for (const umask of [0o000, 0o022, 0o077]) {
    const previous = process.umask(umask);
    try {
      const root = await freshDirectory();
      const directory = join(root, "a", "b");
      const adapter = new FsAdapter({ directory });
      await adapter.set("k", Uint8Array.of(1, 2, 3));
      await adapter.set("k", Uint8Array.of(4)); // a replaced entry keeps the mode
      await adapter.set("other", new Uint8Array(2 << 20)); // and a large one (asynchronous)
      for (const path of [join(root, "a"), directory]) {
        assert.equal((await stat(path)).mode & 0o777, 0o700, `umask ${umask.toString(8)}`);
      }
      const names = await readdir(directory);
      assert.equal(names.length, 2);
      for (const name of names) {
        assert.equal((await stat(join(directory, name))).mode & 0o777, 0o600, name);
      }
    } finally {
      process.umask(previous);
    }
  }
});

test("files are named from a hash of the key: nothing escapes the directory", async () => {
  const root = await freshDirectory();
  const adapter = new FsAdapter({ directory: join(root, "cache") });
  const keys = ["../../etc/passwd", "/absolute", "a/b\\c", "\0", "x".repeat(100_000), "CON", ""];
  for (const key of keys) await adapter.set(key, new TextEncoder().encode(key.slice(0, 100)));
  assert.deepEqual(await readdir(root), ["cache"], "nothing is written outside the directory");
  const names = await readdir(adapter.directory);
  assert.equal(names.length, keys.length);
  for (const name of names) assert.match(name, ENTRY);
  for (const key of keys) {
    assert.deepEqual(await adapter.get(key), new TextEncoder().encode(key.slice(0, 100)));
  }
});

test("keys differing only in lone surrogates are different entries", async () => {
  const adapter = await freshAdapter();
  const keys = ["\uD800", "\uDC00", "\uFFFD", "\uD800\uDC00", "\uDC00\uD800", "?", "\uD800x"];
  for (const [i, key] of keys.entries()) await adapter.set(key, Uint8Array.of(i));
  assert.equal((await entryFiles(adapter.directory)).length, keys.length, "one file per key");
  for (const [i, key] of keys.entries()) {
    assert.deepEqual(await adapter.get(key), Uint8Array.of(i), JSON.stringify(key));
  }
  assert.equal(await adapter.get("\uDBFF"), undefined);
});

test("get returns a plain Uint8Array, not a Buffer, at every size", async () => {
  const adapter = await freshAdapter();
  for (const size of [0, 10, 100_000, 1 << 20, (1 << 20) + 1, 3 << 20]) {
    const value = patternBytes(size, size);
    await adapter.set("k", value);
    const read = await adapter.get("k");
    assert.equal(Object.getPrototypeOf(read), Uint8Array.prototype, `${size} bytes`);
    assert.deepEqual(read, value);
  }
});

test("clear removes its own entries and leftover temporary files, nothing else", async () => {
  const adapter = await freshAdapter();
  await adapter.set("a", Uint8Array.of(1));
  await adapter.set("b", Uint8Array.of(2));
  const foreign = [
    "notes.txt",
    "0123.ltc",
    `${"a".repeat(64)}.ltc.bak`,
    `${"A".repeat(64)}.ltc`,
    ".tmp-notours",
    ".tmp-0123",
  ];
  for (const name of foreign) await writeFile(join(adapter.directory, name), "mine");
  await mkdir(join(adapter.directory, "subdirectory"));
  await writeFile(join(adapter.directory, "subdirectory", `${"b".repeat(64)}.ltc`), "mine");
  // What a writer killed between creating and renaming its temporary file leaves behind.
  const leftovers = [`.tmp-${"0".repeat(32)}`, `.tmp-${"0123456789abcdef".repeat(2)}`];
  for (const name of leftovers) await writeFile(join(adapter.directory, name), "partial");
  await adapter.clear();
  assert.deepEqual((await readdir(adapter.directory)).sort(), [...foreign, "subdirectory"].sort());
  for (const name of foreign) {
    assert.equal(await readFile(join(adapter.directory, name), "utf8"), "mine");
  }
  assert.deepEqual(await readdir(join(adapter.directory, "subdirectory")), [
    `${"b".repeat(64)}.ltc`,
  ]);
  assert.equal(await adapter.get("a"), undefined);
  await adapter.set("a", Uint8Array.of(3));
  assert.deepEqual(await adapter.get("a"), Uint8Array.of(3));
});

test("a directory that does not exist is empty: get misses, delete and clear do nothing", async () => {
  const adapter = await freshAdapter();
  assert.equal(await adapter.get("k"), undefined);
  assert.equal(await adapter.delete("k"), false);
  await adapter.clear();
  await assert.rejects(stat(adapter.directory), { code: "ENOENT" }, "nothing was created");
});

test("a directory removed under the adapter is created again by the next set", async () => {
  const adapter = await freshAdapter();
  await adapter.set("k", Uint8Array.of(1));
  await rm(adapter.directory, { recursive: true });
  assert.equal(await adapter.get("k"), undefined);
  await adapter.set("k", Uint8Array.of(2));
  assert.deepEqual(await adapter.get("k"), Uint8Array.of(2));
});

test("the running total, kept open between stores, follows a journal removed or replaced", async () => {
  const directory = await freshDirectory();
  const adapter = new FsAdapter({ directory });
  const other = new FsAdapter({ directory }); // as another process would
  await adapter.correctStoredBytes(0, undefined);
  await adapter.set("a", new Uint8Array(10));
  assert.equal(await other.storedBytes(), 10);
  // Replaced (a compaction elsewhere): the next record goes to the journal in its place.
  const record = new Uint8Array(8);
  new DataView(record.buffer).setFloat64(0, 100, true);
  await writeFile(join(directory, "replacement"), record, { mode: 0o600 });
  await rename(join(directory, "replacement"), join(directory, "ltc-usage.log"));
  await adapter.set("b", new Uint8Array(5));
  assert.equal(await other.storedBytes(), 105);
  assert.equal(await adapter.storedBytes(), 105);
  // Removed (a clear elsewhere): none kept, and a store does not start one.
  await unlink(join(directory, "ltc-usage.log"));
  await adapter.set("c", new Uint8Array(1));
  assert.equal(await other.storedBytes(), undefined);
  await adapter.correctStoredBytes(16, undefined);
  await adapter.set("d", new Uint8Array(4));
  assert.equal(await other.storedBytes(), 20);
  if (process.platform === "linux") {
    const journals = async () =>
      (await Promise.all(
        (await readdir("/proc/self/fd")).map((fd) =>
          readlink(`/proc/self/fd/${fd}`).catch(() => "")
        ),
      )).filter((target) => target === join(directory, "ltc-usage.log")).length;
    assert.equal(await journals(), 1, "kept open between stores");
    await adapter.close();
    assert.equal(await journals(), 0, "closed by close()");
  }
  await other.close();
});

test("every flipped byte or truncation reads as a miss and removes the file; set works again", async () => {
  const adapter = await freshAdapter();
  const entries = new Map<string, Uint8Array>([
    ["empty", new Uint8Array(0)],
    ["small", patternBytes(5, 2)],
    ["an odd key ∑ 😀 \uD800", patternBytes(1001, 3)],
    ["large", patternBytes(300_000, 4)],
    ["over the synchronous limit", patternBytes((1 << 20) + 5, 5)],
  ]);
  // Which file is which entry's: the one that appears when it is stored.
  const files = new Map<string, string>();
  for (const [key, value] of entries) {
    const before = new Set(await entryFiles(adapter.directory).catch(() => []));
    await adapter.set(key, value);
    const added = (await entryFiles(adapter.directory)).filter((name) => !before.has(name));
    assert.equal(added.length, 1);
    files.set(key, join(adapter.directory, added[0]!));
  }
  const othersIntact = async (damaged: string) => {
    for (const [key, value] of entries) {
      if (key !== damaged) assert.deepEqual(await adapter.get(key), value, `${key} is intact`);
    }
  };
  let cases = 0;
  for (const [key, value] of entries) {
    const path = files.get(key)!;
    const size = (await stat(path)).size;
    const keyEnd = size - value.length; // the header is 20 bytes, then the key, then the value
    const offsets = [0, 3, 4, 7, 8, 11, 12, 19, 20, keyEnd - 1, keyEnd, keyEnd + 1];
    offsets.push(keyEnd + Math.floor(value.length / 2), size - 1);
    for (const offset of new Set(offsets.filter((o) => o >= 0 && o < size))) {
      for (const flip of [0x01, 0x80, 0xff]) {
        await adapter.set(key, value);
        const bytes = await readFile(path);
        bytes[offset]! ^= flip;
        await writeFile(path, bytes);
        assert.equal(await adapter.get(key), undefined, `${key}: byte ${offset} ^ ${flip}`);
        await assert.rejects(stat(path), { code: "ENOENT" }, "the damaged file is removed");
        cases++;
      }
    }
    const lengths = [0, 1, 4, 19, 20, keyEnd, Math.floor(size / 2), size - 1];
    for (const length of new Set(lengths.filter((l) => l < size))) {
      await adapter.set(key, value);
      await truncate(path, length);
      assert.equal(await adapter.get(key), undefined, `${key}: truncated to ${length}`);
      await assert.rejects(stat(path), { code: "ENOENT" }, "the truncated file is removed");
      cases++;
    }
    await adapter.set(key, value);
    await writeFile(path, Buffer.concat([await readFile(path), Uint8Array.of(0)]));
    assert.equal(await adapter.get(key), undefined, `${key}: a byte appended`);
    await writeFile(path, "not an entry at all");
    assert.equal(await adapter.get(key), undefined, `${key}: a foreign file`);
    await othersIntact(key);
    await adapter.set(key, value);
    assert.deepEqual(await adapter.get(key), value, `${key}: set works after the damage`);
  }
  assert.ok(cases > 150, `${cases} damaged files`);
  assert.deepEqual(await temporaryFiles(adapter.directory), []);
});

test("an entry file holding another key's entry reads as a miss", async () => {
  const adapter = await freshAdapter();
  await adapter.set("first", Uint8Array.of(1));
  const [first] = await entryFiles(adapter.directory);
  await adapter.set("other", Uint8Array.of(2));
  const other = (await entryFiles(adapter.directory)).find((name) => name !== first)!;
  await writeFile(join(adapter.directory, other), await readFile(join(adapter.directory, first!)));
  assert.equal(await adapter.get("other"), undefined);
  assert.deepEqual(await entryFiles(adapter.directory), [first], "the wrong file is removed");
  assert.deepEqual(await adapter.get("first"), Uint8Array.of(1));
});

test("sets racing clears and deletes never fail and leave no temporary file", async () => {
  const adapter = await freshAdapter();
  for (let round = 0; round < 20; round++) {
    const value = patternBytes(1000 + round, round);
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => adapter.set(`k${i % 3}`, value)),
      adapter.clear(),
      adapter.delete("k0"),
      adapter.set(`big${round % 2}`, patternBytes((1 << 20) + 100, round)),
      adapter.clear(),
    ]);
    for (const key of ["k0", "k1", "k2"]) {
      const read = await adapter.get(key);
      assert.ok(read === undefined || Buffer.compare(read, value) === 0, `${key} is exact`);
    }
  }
  assert.deepEqual(await temporaryFiles(adapter.directory), []);
});

test("a directory path that is a file: NOT_A_DIRECTORY from every operation", async () => {
  // `get` rejects rather than missing: a cache that can never store anything is a
  // misconfiguration to report, not an empty cache.
  const file = join(await freshDirectory(), "a-file");
  await writeFile(file, "not a directory");
  for (const directory of [file, join(file, "below"), join(file, "below", "deeper")]) {
    const adapter = new FsAdapter({ directory });
    const error = await rejectsWith(adapter.set("k", Uint8Array.of(1)), "NOT_A_DIRECTORY");
    assert.ok(error.message.includes(directory), "the message names the path");
    // FsAdapter: cannot <action>: <advice> (<what node:fs said>)
    assert.match(
      error.message,
      /^FsAdapter: cannot .+: .*choose another directory \(.+\)$/s,
    );
    assert.ok(error.cause instanceof Error, "the cause is the original error");
    await rejectsWith(adapter.set("k", new Uint8Array(2 << 20)), "NOT_A_DIRECTORY");
    await rejectsWith(adapter.get("k"), "NOT_A_DIRECTORY");
    await rejectsWith(adapter.delete("k"), "NOT_A_DIRECTORY");
    await rejectsWith(adapter.clear(), "NOT_A_DIRECTORY");
  }
  assert.equal(await readFile(file, "utf8"), "not a directory");
});

test("after close, every method rejects with CLOSED; close twice is harmless", async () => {
  const adapter = await freshAdapter();
  await adapter.set("k", Uint8Array.of(1));
  await adapter.close();
  await adapter.close();
  const closed = await rejectsWith(adapter.get("k"), "CLOSED");
  assert.match(closed.message, /^FsAdapter: cannot .+: the adapter is closed; open a new one$/);
  await rejectsWith(adapter.set("k", Uint8Array.of(1)), "CLOSED");
  await rejectsWith(adapter.delete("k"), "CLOSED");
  await rejectsWith(adapter.clear(), "CLOSED");
  assert.deepEqual(
    await new FsAdapter({ directory: adapter.directory }).get("k"),
    Uint8Array.of(1),
  );
});

test("bad options, keys and values are TypeErrors", async () => {
  assert.throws(() => new FsAdapter({ directory: "" }), TypeError);
  assert.throws(() => new FsAdapter({} as never), /options.directory/);
  assert.throws(() => new FsAdapter(undefined as never), TypeError);
  const adapter = await freshAdapter();
  await assert.rejects(adapter.set("k", [1, 2] as never), TypeError);
  await assert.rejects(adapter.get(1 as never), TypeError);
});

/** Fails in CI, where the test must run; skips elsewhere, saying why. */
function unavailable(t: TestContext, reason: string): void {
  if (process.env.CI) assert.fail(`${reason} (CI must run this test)`);
  t.skip(reason);
}

test("permission denied: PERMISSION_DENIED from every operation", async (t) => {
  const root = await freshDirectory();
  const locked = join(root, "locked");
  const seeded = new FsAdapter({ directory: locked });
  await seeded.set("key", Uint8Array.of(1));
  await chmod(root, 0o755);
  await chmod(locked, 0o700);
  const below = join(locked, "below"); // its parent cannot be written: mkdir fails
  let outcomes: Record<string, string>[];
  if (process.getuid?.() === 0) {
    // Root ignores modes: ask an unprivileged user (nobody) to do it.
    outcomes = [];
    for (const directory of [locked, below]) {
      const child = spawnSync(process.execPath, ["--import", "tsx", PROBE, directory], {
        uid: 65534,
        gid: 65534,
        cwd: process.cwd(),
        encoding: "utf8",
        env: { ...process.env, HOME: root },
      });
      if (child.error || child.status !== 0) {
        unavailable(t, `cannot run a process as nobody: ${child.error ?? child.stderr}`);
        return;
      }
      outcomes.push(JSON.parse(child.stdout));
    }
  } else {
    await chmod(locked, 0o000);
    try {
      outcomes = [];
      for (const directory of [locked, below]) {
        const adapter = new FsAdapter({ directory });
        const outcome = (operation: Promise<unknown>) =>
          operation.then(() => "ok", (error) => error instanceof CacheError ? error.code : error);
        outcomes.push({
          set: await outcome(adapter.set("key", Uint8Array.of(1))),
          get: await outcome(adapter.get("key")),
          delete: await outcome(adapter.delete("key")),
          clear: await outcome(adapter.clear()),
        });
      }
    } finally {
      await chmod(locked, 0o700);
    }
  }
  const denied = "PERMISSION_DENIED";
  assert.deepEqual(outcomes[0], { set: denied, get: denied, delete: denied, clear: denied });
  assert.equal(outcomes[1]!.set, denied, "creating a directory where that is not allowed");
  assert.deepEqual(await seeded.get("key"), Uint8Array.of(1), "the entry is untouched");
});

/** A tmpfs mounted for the test (CI runs as root). */
async function mountTmpfs(t: TestContext, options: string): Promise<string | undefined> {
  const directory = await freshDirectory();
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", directory], { stdio: "pipe" });
  } catch (error) {
    unavailable(t, `cannot mount a tmpfs (needs root): ${String(error).split("\n")[0]}`);
    return undefined;
  }
  t.after(() => execFileSync("umount", ["-l", directory]));
  return directory;
}

test("a full disk: NO_SPACE, existing entries intact, no temporary file left", async (t) => {
  const mount = await mountTmpfs(t, "size=64k,mode=0755");
  if (mount === undefined) return;
  const adapter = new FsAdapter({ directory: join(mount, "cache") });
  await adapter.set("kept", patternBytes(1000, 1));
  await adapter.set("replaced", patternBytes(1000, 2));
  for (const size of [100_000, 1 << 20, 3 << 20]) { // synchronous and asynchronous writes
    const error = await rejectsWith(adapter.set("replaced", patternBytes(size, 3)), "NO_SPACE");
    assert.match(
      error.message,
      /^FsAdapter: cannot store the cache entry .+: the disk is full; free some space .*\(.+\)$/s,
    );
    assert.equal((error.cause as { code?: string }).code, "ENOSPC");
    await rejectsWith(adapter.set("new", patternBytes(size, 4)), "NO_SPACE");
    assert.deepEqual(await temporaryFiles(adapter.directory), [], "the temporary file is removed");
  }
  assert.deepEqual(await adapter.get("kept"), patternBytes(1000, 1));
  assert.deepEqual(await adapter.get("replaced"), patternBytes(1000, 2));
  assert.equal(await adapter.get("new"), undefined);
  await adapter.set("small", Uint8Array.of(9));
  assert.deepEqual(await adapter.get("small"), Uint8Array.of(9));
});

test("a read-only file system: PERMISSION_DENIED on writes, entries still readable", async (t) => {
  const mount = await mountTmpfs(t, "size=1m,mode=0755");
  if (mount === undefined) return;
  const adapter = new FsAdapter({ directory: join(mount, "cache") });
  await adapter.set("kept", Uint8Array.of(1, 2, 3));
  execFileSync("mount", ["-o", "remount,ro", mount]);
  await rejectsWith(adapter.set("kept", Uint8Array.of(4)), "PERMISSION_DENIED");
  await rejectsWith(adapter.set("new", Uint8Array.of(4)), "PERMISSION_DENIED");
  await rejectsWith(adapter.delete("kept"), "PERMISSION_DENIED");
  await rejectsWith(adapter.clear(), "PERMISSION_DENIED");
  assert.deepEqual(await adapter.get("kept"), Uint8Array.of(1, 2, 3));
  assert.equal(await adapter.get("new"), undefined);
  // Creating the directory fails with the real cause (a recursive mkdir would say ENOENT).
  for (const directory of [join(mount, "elsewhere"), join(mount, "else", "where")]) {
    const fresh = new FsAdapter({ directory });
    const error = await rejectsWith(fresh.set("k", Uint8Array.of(1)), "PERMISSION_DENIED");
    assert.match(error.message, /^FsAdapter: cannot .+: the file system is read-only; .+ \(.+\)$/s);
    assert.equal((error.cause as { code?: string }).code, "EROFS");
  }
});

/** The file name of `name`'s entry (`.ltc`) or lease (`.lease`): a SHA-256 of its UTF-16LE. */
function fileName(name: string, extension: ".ltc" | ".lease"): string {
  return bytesToHex(sha256(utf16le(name))) + extension;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

type StrangeKind = "fifo" | "socket" | "device" | "directory" | "symlink";
const STRANGE_KINDS: StrangeKind[] = ["fifo", "socket", "device", "directory", "symlink"];

/**
 * Puts a strange file of `kind` at `path`: a real FIFO (mkfifo), a listening unix socket, a
 * character device (/dev/zero made with mknod as root, else a symbolic link to it), a
 * directory holding a file, or a symbolic link to `target`. Resolves to a function that tidies up after it.
 */
async function makeStrange(
  kind: StrangeKind,
  path: string,
  target: string,
): Promise<() => Promise<void>> {
  switch (kind) {
    case "fifo":
      execFileSync("mkfifo", ["-m", "600", path]);
      break;
    case "socket": {
      // Bound at a short path, then moved: a socket's path is cut at about 100 bytes.
      const short = join(tmpdir(), `ltc-socket-${process.pid}-${Date.now()}`);
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(short, resolve));
      await rename(short, path);
      return () => new Promise((resolve) => server.close(() => resolve()));
    }
    case "device":
      if (process.getuid?.() === 0) execFileSync("mknod", ["-m", "600", path, "c", "1", "5"]);
      else await symlink("/dev/zero", path);
      break;
    case "directory": // not empty: Deno's unlink removes an empty directory
      await mkdir(path);
      await writeFile(join(path, "inside"), "not ours");
      break;
    case "symlink":
      await symlink(target, path);
      break;
  }
  return () => Promise.resolve();
}

/**
 * Runs `body`, failing instead of hanging if it blocks on one of `fifos`: a watchdog process
 * opens them for writing after 30 s (which would unblock a reader stuck in `open`) and the test
 * then fails, since the watchdog must never get that far.
 */
async function withoutBlocking<T>(fifos: string[], body: () => Promise<T>): Promise<T> {
  const watchdog = spawn(
    "sh",
    ["-c", 'sleep 30; for f in "$@"; do : > "$f"; done', "sh", ...fifos],
    {
      stdio: "ignore",
    },
  );
  const exited = once(watchdog, "exit");
  try {
    return await body();
  } finally {
    watchdog.kill("SIGKILL");
    const [code] = await exited;
    assert.equal(code, null, "the watchdog had to unblock a FIFO: the operation blocked on it");
  }
}

test("a FIFO, socket, device, directory or symbolic link at an entry path: a miss, no hang", async () => {
  const elsewhere = await freshAdapter();
  await elsewhere.set("k", Uint8Array.of(1, 2, 3));
  const real = join(elsewhere.directory, fileName("k", ".ltc"));
  for (const kind of STRANGE_KINDS) {
    const adapter = await freshAdapter();
    await adapter.set("other", Uint8Array.of(9));
    const path = join(adapter.directory, fileName("k", ".ltc"));
    const tidy = await makeStrange(kind, path, real);
    try {
      await withoutBlocking(kind === "fifo" ? [path] : [], async () => {
        // A link to a valid entry of the same key would be a hit if it were followed.
        assert.equal(await adapter.get("k"), undefined, kind);
        assert.deepEqual(
          (await collect(adapter.entries())).map((entry) => entry.key),
          ["other"],
          `${kind}: listed`,
        );
      });
      if (kind === "directory") {
        assert.ok((await lstat(path)).isDirectory(), "a directory is not removed");
        await rejectsWith(adapter.set("k", Uint8Array.of(4)), "IO");
      } else {
        await assert.rejects(lstat(path), { code: "ENOENT" }, `${kind}: removed`);
        await adapter.set("k", Uint8Array.of(4));
        assert.deepEqual(await adapter.get("k"), Uint8Array.of(4), `${kind}: set works again`);
      }
      assert.deepEqual(await temporaryFiles(adapter.directory), [], "no temporary file left");
      await adapter.clear();
      assert.deepEqual(
        await readdir(adapter.directory),
        kind === "directory" ? [fileName("k", ".ltc")] : [],
        `${kind}: clear removes the rest`,
      );
    } finally {
      await tidy();
    }
  }
  assert.deepEqual(await elsewhere.get("k"), Uint8Array.of(1, 2, 3), "the link's target is intact");
});

test("clear and listing keep working with directories named like temporary files and leases", async () => {
  const adapter = await freshAdapter();
  await adapter.set("a", Uint8Array.of(1));
  const names = [`.tmp-${"0".repeat(32)}`, fileName("lease", ".lease")];
  for (const name of names) {
    await mkdir(join(adapter.directory, name));
    await writeFile(join(adapter.directory, name, "inside"), "not ours");
  }
  assert.deepEqual((await collect(adapter.entries())).map((entry) => entry.key), ["a"]);
  await adapter.clear();
  assert.deepEqual((await readdir(adapter.directory)).sort(), names.sort(), "directories stay");
  await adapter.set("a", Uint8Array.of(2));
  assert.deepEqual(await adapter.get("a"), Uint8Array.of(2));
});

test("a foreign file is not read whole: only its header, then it is a miss", async () => {
  const adapter = await freshAdapter();
  await adapter.set("k", Uint8Array.of(1));
  const path = join(adapter.directory, fileName("k", ".ltc"));
  // 64 MiB of a foreign file whose start looks like our magic: a sparse file, so reading it
  // whole would cost the process 64 MiB.
  await writeFile(path, "LTC2");
  await truncate(path, 64 << 20);
  const before = process.memoryUsage().arrayBuffers;
  assert.equal(await adapter.get("k"), undefined);
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 16 << 20, `get read ${grown} bytes of buffers for a foreign file`);
  await assert.rejects(lstat(path), { code: "ENOENT" }, "removed");
});

test("a lease path holding a FIFO, socket, device, link, absurd or huge lease is taken over", async () => {
  const elsewhere = await freshAdapter();
  const held = await elsewhere.acquireLease("name", 3_600_000);
  assert.ok(held, "a fresh lease elsewhere");
  const fresh = join(elsewhere.directory, fileName("name", ".lease"));
  const cases: [string, (path: string) => Promise<() => Promise<void>>][] = [
    ...STRANGE_KINDS.filter((kind) => kind !== "directory").map((
      kind,
    ): [string, (path: string) => Promise<() => Promise<void>>] => [
      kind,
      (path) => makeStrange(kind, path, fresh),
    ]),
    ...[1e300, Number.MAX_VALUE, Date.now() + 365 * 24 * 3600_000].map((
      expiresAt,
    ): [string, (path: string) => Promise<() => Promise<void>>] => [
      `expiry ${expiresAt}`,
      async (path) => {
        await writeFile(path, JSON.stringify({ owner: "x", expiresAt }), { mode: 0o600 });
        return () => Promise.resolve();
      },
    ]),
    ["a huge file", async (path) => {
      await writeFile(path, `{"owner":"x","expiresAt":${Date.now() + 60_000}}`);
      await truncate(path, 256 << 20); // sparse
      return () => Promise.resolve();
    }],
  ];
  for (const [what, make] of cases) {
    const adapter = await freshAdapter();
    await adapter.set("k", Uint8Array.of(1)); // creates the directory
    const path = join(adapter.directory, fileName("name", ".lease"));
    const tidy = await make(path);
    try {
      const lease = await withoutBlocking(
        what === "fifo" ? [path] : [],
        () => adapter.acquireLease("name", 10_000),
      );
      assert.ok(lease, `${what}: taken over`);
      const info = await lstat(path);
      assert.ok(info.isFile() && info.size < 1024, `${what}: our own lease is in place`);
      await lease.release();
      assert.deepEqual(await readdir(adapter.directory), [fileName("k", ".ltc")], what);
    } finally {
      await tidy();
    }
  }
  // A directory cannot be taken over: a CacheError, so the caller runs without a lease.
  const adapter = await freshAdapter();
  await adapter.set("k", Uint8Array.of(1));
  await mkdir(join(adapter.directory, fileName("name", ".lease")));
  const error = await rejectsWith(adapter.acquireLease("name", 10_000), "IO");
  assert.match(error.message, /^FsAdapter: cannot .+: a directory sits where the lease file goes/);
  await held.release();
});
