/**
 * RedisAdapter against a real redis-server started by this file: the conformance suite (values
 * up to 100 MiB), prefixes, a client the program owns, values past proto-max-bulk-len, the
 * server's own expiry, hand-damaged entries, long and odd metadata, and version 0.1's entries.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Buffer } from "node:buffer";
import { createClient, RESP_TYPES } from "redis";
import { RedisAdapter, type RedisClientLike } from "../../../src/adapters/redis.ts";
import type { GetOptions } from "../../../src/adapter.ts";
import { CacheError } from "../../../src/errors.ts";
import { adapterConformance, listEntries, patternBytes } from "../../conformance/adapter_suite.ts";
import { startRedis } from "../../support/redis_server.ts";

const server = await startRedis(["--proto-max-bulk-len", "200mb"]);
test.after(() => server.stop());

let opened = 0;
/** An adapter with a prefix of its own, on the file's server. */
function freshAdapter(options: { maxAge?: number } = {}): RedisAdapter {
  return new RedisAdapter({ url: server.url }, { prefix: `test-${++opened}:`, ...options });
}

/** A client of the test's own, for looking at the server directly. */
async function rawClient() {
  const client = createClient({ url: server.url });
  client.on("error", () => {});
  await client.connect();
  return client;
}

adapterConformance(test, {
  open: () => Promise.resolve(freshAdapter()),
  largestValue: 100 * 1024 * 1024,
  chunks: true,
});

test("adapters with other prefixes do not see each other; clear keeps other keys", async () => {
  const raw = await rawClient();
  const a = freshAdapter();
  const b = freshAdapter();
  try {
    await raw.set("unrelated", "stays");
    await a.set("k", patternBytes(10, 1), { taskName: "t", cacheVersion: "1" });
    await b.set("k", patternBytes(10, 2), { taskName: "t", cacheVersion: "1" });
    assert.deepEqual(await a.get("k"), patternBytes(10, 1));
    assert.deepEqual(await b.get("k"), patternBytes(10, 2));
    for (let i = 0; i < 1200; i++) await a.set(`many-${i}`, patternBytes(4, i));
    assert.equal((await listEntries(a)).length, 1201, "SCAN walks every batch");
    await a.clear();
    assert.equal((await listEntries(a)).length, 0);
    assert.deepEqual(await b.get("k"), patternBytes(10, 2), "another prefix survives clear");
    assert.equal(await raw.get("unrelated"), "stays", "a key outside the prefix survives");
  } finally {
    await Promise.all([a.close(), b.close()]);
    await raw.del("unrelated");
    await raw.close();
  }
});

test("a glob character in the prefix does not widen clear", async () => {
  const star = new RedisAdapter({ url: server.url }, { prefix: "glob*:" });
  const other = new RedisAdapter({ url: server.url }, { prefix: "globX:" });
  try {
    await other.set("k", patternBytes(3));
    await star.set("k", patternBytes(3));
    await star.clear();
    assert.equal((await listEntries(star)).length, 0);
    assert.deepEqual(await other.get("k"), patternBytes(3));
  } finally {
    await other.clear();
    await Promise.all([star.close(), other.close()]);
  }
});

test("a client the program owns is used and never closed by the adapter", async () => {
  const client = await rawClient();
  const adapter = new RedisAdapter(
    { client: client as unknown as RedisClientLike },
    { prefix: `owned-${++opened}:` },
  );
  await adapter.set("k", patternBytes(100), { taskName: "t", cacheVersion: "1" });
  assert.deepEqual(await adapter.get("k"), patternBytes(100));
  await adapter.close();
  assert.ok(client.isReady, "the program's client is still open");
  await assert.rejects(adapter.get("k"), (e) => e instanceof CacheError && e.code === "CLOSED");
  assert.equal(await client.ping(), "PONG");
  await client.close();
});

test("a value past the server's proto-max-bulk-len is TOO_LARGE, and nothing is written", async () => {
  const raw = await rawClient();
  await raw.configSet("proto-max-bulk-len", "1mb");
  const adapter = freshAdapter();
  try {
    await adapter.set("k", patternBytes(1000, 1));
    await assert.rejects(
      adapter.set("k", patternBytes(2 * 1024 * 1024, 2)),
      (e) =>
        e instanceof CacheError && e.code === "TOO_LARGE" && /proto-max-bulk-len/.test(e.message),
    );
    assert.deepEqual(await adapter.get("k"), patternBytes(1000, 1), "the old value stands");
    await assert.rejects(
      adapter.set("new", patternBytes(2 * 1024 * 1024, 3)),
      (e) => e instanceof CacheError && e.code === "TOO_LARGE",
    );
    assert.equal(await adapter.get("new"), undefined);
    assert.deepEqual((await listEntries(adapter)).map((e) => e.key), ["k"]);
  } finally {
    await adapter.close();
    await raw.configSet("proto-max-bulk-len", "200mb");
    await raw.close();
  }
});

test("maxAge is a server-side expiry too; an overwrite without maxAge keeps it", async () => {
  const adapter = freshAdapter({ maxAge: 60_000 });
  const raw = await rawClient();
  const withoutMaxAge = new RedisAdapter({ url: server.url }, { prefix: adapter.prefix });
  try {
    await adapter.set("k", patternBytes(10));
    const ttl = await raw.pTTL(`${adapter.prefix}entry2:sk`);
    assert.ok(ttl > 50_000 && ttl <= 60_000, `the entry expires on the server (pttl ${ttl})`);
    await withoutMaxAge.set("k", patternBytes(11));
    const kept = await raw.pTTL(`${adapter.prefix}entry2:sk`);
    assert.ok(kept > 50_000 && kept <= ttl, `the overwrite keeps the expiry (pttl ${kept})`);
    assert.deepEqual(await adapter.get("k"), patternBytes(11));
    const short = freshAdapter({ maxAge: 50 });
    await short.set("gone", patternBytes(10));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await raw.exists(`${short.prefix}entry2:sgone`), 0, "Redis removed it itself");
    assert.equal(await short.get("gone"), undefined);
    await short.close();
  } finally {
    await Promise.all([adapter.close(), withoutMaxAge.close()]);
    await raw.close();
  }
});

test("an entry damaged or torn by hand reads as a miss, is not listed, and goes", async () => {
  const adapter = freshAdapter();
  const raw = await rawClient();
  const name = `${adapter.prefix}entry2:sk`;
  // Each damage, done to a whole entry of a 10-byte value for task "t" at version "1" (a header
  // of 36 + 2 + 2 bytes).
  const damages: [string, () => Promise<unknown>][] = [
    ["another magic", () => raw.setRange(name, 0, "XTR2")],
    ["a byte more", () => raw.append(name, "x")],
    ["cut short", () => raw.sendCommand(["SET", name, "LTR2"])],
    ["cut in the value", async () => {
      const whole = await raw.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(name);
      await raw.set(name, whole!.subarray(0, whole!.length - 1));
    }],
    [
      "a task name length past the end",
      () => raw.setRange(name, 28, Buffer.from([0xff, 0xff, 0, 0])),
    ],
    ["an odd task name length", () => raw.setRange(name, 28, Buffer.from([3]))],
    ["a creation time that is not a time", () => raw.setRange(name, 12, Buffer.alloc(8, 0xff))],
    ["empty", () => raw.set(name, "")],
    ["a hash", async () => {
      await raw.del(name);
      await raw.hSet(name, "v", "x");
    }],
  ];
  try {
    for (const [what, damage] of damages) {
      await adapter.set("k", patternBytes(10), { taskName: "t", cacheVersion: "1" });
      assert.deepEqual(await adapter.get("k"), patternBytes(10), "whole before");
      await damage();
      assert.equal((await listEntries(adapter)).length, 0, `${what}: not listed`);
      assert.equal(await adapter.get("k"), undefined, `${what}: a miss`);
      assert.equal(await raw.exists(name), 0, `${what}: and it is removed`);
    }
  } finally {
    await adapter.close();
    await raw.close();
  }
});

test("long and odd task names and versions are kept and listed exactly", async () => {
  const adapter = freshAdapter();
  try {
    const cases = [
      { taskName: "t".repeat(5000), cacheVersion: "v".repeat(3000) },
      { taskName: "lone \ud800 surrogate", cacheVersion: "\udc00" },
      { taskName: "", cacheVersion: "" },
    ];
    for (const [i, metadata] of cases.entries()) {
      await adapter.set(`k${i}`, patternBytes(i * 1000, i), metadata);
      assert.deepEqual(await adapter.get(`k${i}`, { expect: metadata }), patternBytes(i * 1000, i));
    }
    const listed = (await listEntries(adapter)).sort((a, b) => a.key < b.key ? -1 : 1);
    assert.deepEqual(
      listed.map(({ key, taskName, cacheVersion, size }) => ({
        key,
        taskName,
        cacheVersion,
        size,
      })),
      cases.map((metadata, i) => ({ key: `k${i}`, ...metadata, size: i * 1000 })),
    );
  } finally {
    await adapter.close();
  }
});

test("version 0.1's entries (hashes under entry:) read as misses, are not listed, and clear removes them", async () => {
  const adapter = freshAdapter();
  const raw = await rawClient();
  const old = `${adapter.prefix}entry:sk`;
  try {
    await raw.hSet(old, { v: "bytes", m: '{"t":"t","c":"1","s":1}', r: "1" });
    assert.equal(await adapter.get("k"), undefined, "a miss");
    assert.equal((await listEntries(adapter)).length, 0, "not listed");
    await adapter.set("k", patternBytes(10), { taskName: "t", cacheVersion: "1" });
    assert.deepEqual(await adapter.get("k"), patternBytes(10), "the new entry beside it");
    assert.equal(await raw.exists(old), 1, "a 0.1 process still reads its own");
    await adapter.clear();
    assert.equal(await raw.exists(old), 0, "clear removes it");
    assert.equal(await adapter.get("k"), undefined);
  } finally {
    await adapter.close();
    await raw.close();
  }
});

test("large values stored in turn and at once each read back exactly (memory reused between stores)", async () => {
  const adapter = freshAdapter();
  try {
    const sizes = [70_000, 1_500_000, 200_000, 3_000_000, 100_000, 5_000_000, 65_000, 1_000_000];
    for (const [i, size] of sizes.entries()) {
      await adapter.set(`in turn ${i}`, patternBytes(size, i));
    }
    await Promise.all(
      sizes.map((size, i) => adapter.set(`at once ${i}`, patternBytes(size, i + 50))),
    );
    for (const [i, size] of sizes.entries()) {
      assert.deepEqual(await adapter.get(`in turn ${i}`), patternBytes(size, i), `in turn ${i}`);
      assert.deepEqual(
        await adapter.get(`at once ${i}`),
        patternBytes(size, i + 50),
        `at once ${i}`,
      );
    }
  } finally {
    await adapter.close();
  }
});

test("GetOptions.expect: an entry of another task or version reads as a miss and stays", async () => {
  const adapter = freshAdapter();
  try {
    await adapter.set("k", patternBytes(10), { taskName: "t", cacheVersion: "1" });
    const get = (taskName: string, cacheVersion: string) =>
      adapter.get("k", { expect: { taskName, cacheVersion } } as GetOptions);
    assert.equal(await get("other", "1"), undefined, "another task");
    assert.equal(await get("t", "2"), undefined, "another version");
    assert.deepEqual(await get("t", "1"), patternBytes(10), "the entry's own task and version");
    assert.equal((await listEntries(adapter)).length, 1, "a mismatch does not remove it");
    // The names are compared as stored (UTF-16 code units), not decoded: the same length,
    // code units past one byte, surrogate pairs.
    assert.equal(await get("u", "1"), undefined, "another task of the same length");
    await adapter.set("n", patternBytes(11), { taskName: "tâsk✓😀", cacheVersion: "v\u0100" });
    const getN = (taskName: string, cacheVersion: string) =>
      adapter.get("n", { expect: { taskName, cacheVersion } } as GetOptions);
    assert.deepEqual(await getN("tâsk✓😀", "v\u0100"), patternBytes(11), "its own names");
    assert.equal(await getN("tâsk✓😁", "v\u0100"), undefined, "a low surrogate differs");
    assert.equal(await getN("tâsk✓😀", "v\u0000"), undefined, "a high byte differs");
    assert.equal(await getN("tâsk✓", "v\u0100"), undefined, "a prefix of the task name");
    // An entry stored without metadata is any task's.
    await adapter.set("m", patternBytes(12));
    assert.deepEqual(
      await adapter.get("m", { expect: { taskName: "t", cacheVersion: "1" } }),
      patternBytes(12),
    );
  } finally {
    await adapter.close();
  }
});

test("bad arguments are TypeErrors that never show a URL's password", () => {
  assert.throws(
    () => new RedisAdapter({ url: "http://user:s3cret@host:6379" }),
    (e) => e instanceof TypeError && /scheme http/.test(e.message) && !/s3cret/.test(e.message),
  );
  assert.throws(() => new RedisAdapter({} as never), /expected \{ url/);
  assert.throws(() => new RedisAdapter({ client: {} } as never), /client of the npm package/);
  assert.throws(() => new RedisAdapter({ url: server.url }, { maxAge: -1 }), /maxAge/);
});

test("a user and password in the URL; a wrong password is PERMISSION_DENIED", async () => {
  const raw = await rawClient();
  await raw.sendCommand(["ACL", "SETUSER", "cache", "on", ">right-password", "~*", "+@all"]);
  const url = (password: string) => server.url.replace("//", `//cache:${password}@`);
  const good = new RedisAdapter({ url: url("right-password") }, { prefix: `acl-${++opened}:` });
  const bad = new RedisAdapter({ url: url("wrong-password") }, { connectTimeoutMs: 2000 });
  try {
    await good.set("k", patternBytes(5));
    assert.deepEqual(await good.get("k"), patternBytes(5));
    await assert.rejects(
      bad.get("k"),
      (e) =>
        e instanceof CacheError && e.code === "PERMISSION_DENIED" && /password/.test(e.message) &&
        !/wrong-password/.test(e.message),
    );
  } finally {
    await Promise.all([good.close(), bad.close()]);
    await raw.sendCommand(["ACL", "DELUSER", "cache"]);
    await raw.close();
  }
});
