/**
 * RedisAdapter against a real redis-server started by this file: the conformance suite (values
 * up to 100 MiB), prefixes, a client the program owns, values past proto-max-bulk-len, the
 * server's own expiry, and hand-damaged entries.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "redis";
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

test("maxAge is a server-side expiry too", async () => {
  const adapter = freshAdapter({ maxAge: 60_000 });
  const raw = await rawClient();
  try {
    await adapter.set("k", patternBytes(10));
    const ttl = await raw.pTTL(`${adapter.prefix}entry:sk`);
    assert.ok(ttl > 50_000 && ttl <= 60_000, `the entry expires on the server (pttl ${ttl})`);
    const short = freshAdapter({ maxAge: 50 });
    await short.set("gone", patternBytes(10));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await raw.exists(`${short.prefix}entry:sgone`), 0, "Redis removed it itself");
    assert.equal(await short.get("gone"), undefined);
    await short.close();
  } finally {
    await adapter.close();
    await raw.close();
  }
});

test("an entry damaged or torn by hand reads as a miss and goes", async () => {
  const adapter = freshAdapter();
  const raw = await rawClient();
  try {
    for (const [field, value] of [["m", "not json"], ["m", '{"t":1}']]) {
      await adapter.set("k", patternBytes(10), { taskName: "t", cacheVersion: "1" });
      await raw.hSet(`${adapter.prefix}entry:sk`, field!, value!);
      assert.equal((await listEntries(adapter)).length, 0, "a damaged entry is not listed");
      assert.equal(await adapter.get("k"), undefined, `${field} = ${value}: a miss`);
      assert.equal(await raw.exists(`${adapter.prefix}entry:sk`), 0, "and it is removed");
    }
    for (const field of ["v", "m"]) {
      await adapter.set("k", patternBytes(10), { taskName: "t", cacheVersion: "1" });
      await raw.hDel(`${adapter.prefix}entry:sk`, field);
      assert.equal((await listEntries(adapter)).length, 0, "a torn entry is not listed");
      assert.equal(await adapter.get("k"), undefined, `without ${field}: a miss`);
    }
  } finally {
    await adapter.close();
    await raw.close();
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
