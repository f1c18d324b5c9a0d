/**
 * Signed entries (TaskCache's signingKey): the seal against node:crypto's HMAC-SHA256 over the
 * documented layout, and on real stores (memory, a directory, a real redis-server): an entry
 * written with another key, without one, or changed in Redis by hand reads as a miss, is
 * reported as INVALID_SEAL, and a cached task runs again and stores a signed result.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "redis";
import type { CacheAdapter } from "../../../src/adapter.ts";
import { FsAdapter } from "../../../src/adapters/fs.ts";
import { MemoryAdapter } from "../../../src/adapters/memory.ts";
import { RedisAdapter } from "../../../src/adapters/redis.ts";
import { CacheError } from "../../../src/errors.ts";
import { calculateCacheKey } from "../../../src/keys/key.ts";
import { SEAL_LENGTH, Signer } from "../../../src/core/signing.ts";
import { cachedTask } from "../../../src/core/task.ts";
import type { CacheEvent } from "../../../src/core/events.ts";
import { TaskCache } from "../../../src/core/task_cache.ts";
import { t } from "../../../src/values/values.ts";
import { integer, literalMap, string } from "../../support/literals.ts";
import { startRedis } from "../../support/redis_server.ts";

const server = await startRedis();
const directories: string[] = [];
test.after(async () => {
  await server.stop();
  await Promise.all(directories.map((d) => rm(d, { recursive: true, force: true })));
});

const TEAM_KEY = "the team's secret, 32 bytes long";
const OTHER_KEY = new Uint8Array(32).fill(7);

/** The documented layout, computed with node:crypto instead of @noble/hashes. */
function referenceSeal(
  secret: string,
  key: string,
  task: string,
  version: string,
  value: Uint8Array,
) {
  const mac = createHmac("sha256", secret).update("local-task-cache seal v1\0");
  for (const text of [key, task, version]) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(text.length);
    mac.update(length).update(Buffer.from(text, "utf16le"));
  }
  return new Uint8Array(mac.update(value).digest());
}

test("the seal is HMAC-SHA256 over the documented layout (node:crypto as the reference)", async () => {
  const signer = new Signer(TEAM_KEY);
  for (
    const [key, task, version] of [["k", "t", "1"], ["t-ü🔑-2-abc", "t-ü🔑", ""], ["", "", ""]]
  ) {
    const value = new Uint8Array([1, 2, 3, 250]);
    const sealed = await signer.seal(key!, { taskName: task!, cacheVersion: version! }, value);
    assert.equal(sealed.length, value.length + SEAL_LENGTH);
    assert.deepEqual(sealed.subarray(0, value.length), value);
    assert.deepEqual(
      sealed.subarray(value.length),
      referenceSeal(TEAM_KEY, key!, task!, version!, value),
    );
  }
  const metadata = { taskName: "t", cacheVersion: "1" };
  const sealed = await signer.seal("k", metadata, new Uint8Array([9]));
  assert.deepEqual(await signer.open("k", metadata, sealed), new Uint8Array([9]));
  assert.equal(await signer.open("k2", metadata, sealed), undefined, "another key");
  assert.equal(await signer.open("k", { taskName: "u", cacheVersion: "1" }, sealed), undefined);
  assert.equal(await signer.open("k", { taskName: "t", cacheVersion: "2" }, sealed), undefined);
  assert.equal(await signer.open("k", metadata, sealed.subarray(0, 10)), undefined, "too short");
  // Moving a character between the task name and the version changes what is signed.
  const a = await signer.seal("k", { taskName: "ab", cacheVersion: "c" }, new Uint8Array());
  assert.equal(await signer.open("k", { taskName: "a", cacheVersion: "bc" }, a), undefined);
  assert.throws(() => new Signer("short"), /at least 16 bytes/);
  assert.throws(() => new Signer(42 as never), /signingKey must be a Uint8Array or a string/);
});

async function stores(): Promise<[string, () => Promise<CacheAdapter>][]> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-signing-"));
  directories.push(directory);
  const memory = new MemoryAdapter();
  const prefix = `signing-${Math.random()}:`;
  return [
    ["memory", () => Promise.resolve(memory)],
    ["a directory", () => Promise.resolve(new FsAdapter({ directory }))],
    ["Redis", () => Promise.resolve(new RedisAdapter({ url: server.url }, { prefix }))],
  ];
}

test("on every store: another key, no key, or none at all -> a miss reported as INVALID_SEAL", async () => {
  const inputs = literalMap({ n: integer(3n) });
  const outputs = literalMap({ o0: string("nine") });
  for (const [name, open] of await stores()) {
    const signed = new TaskCache(await open(), { signingKey: TEAM_KEY });
    const other = new TaskCache(await open(), { signingKey: OTHER_KEY });
    const unsigned = new TaskCache(await open());
    const errors: CacheEvent[] = [];
    signed.on("error", (event) => errors.push(event));
    await signed.set("t", "1", inputs, [], outputs);
    assert.deepEqual(await signed.get("t", "1", inputs), outputs, `${name}: a signed hit`);
    assert.equal(errors.length, 0);
    assert.equal(await other.get("t", "1", inputs), undefined, `${name}: another key misses`);

    await other.set("t", "1", inputs, [], literalMap({ o0: string("forged") }));
    assert.equal(await signed.get("t", "1", inputs), undefined, `${name}: another key's entry`);
    await unsigned.set("t", "1", inputs, [], literalMap({ o0: string("unsigned") }));
    assert.equal(await signed.get("t", "1", inputs), undefined, `${name}: an unsigned entry`);
    assert.equal(errors.length, 2, `${name}: both reported`);
    for (const event of errors) {
      assert.ok(event.error instanceof CacheError && event.error.code === "INVALID_SEAL");
      assert.equal(event.key, calculateCacheKey("t", "1", inputs));
      assert.equal(event.operation, "get");
    }
    const stats = await signed.stats();
    assert.equal(stats.errors, 2);
    assert.equal(stats.misses, 2);
    await signed.close();
    if (name !== "memory") await Promise.all([other.close(), unsigned.close()]);
  }
});

test("Redis: a value changed by hand reads as a miss; the task runs again, signed", async () => {
  const prefix = `by-hand-${Math.random()}:`;
  const cache = new TaskCache(new RedisAdapter({ url: server.url }, { prefix }), {
    signingKey: TEAM_KEY,
  });
  const errors: CacheEvent[] = [];
  cache.on("error", (event) => errors.push(event));
  let runs = 0;
  const square = cachedTask(
    { name: "test.signed_square", version: "1", inputs: { n: t.int }, outputs: t.int, cache },
    ({ n }) => {
      runs++;
      return Promise.resolve(n * n);
    },
  );
  const raw = createClient({ url: server.url });
  raw.on("error", () => {});
  await raw.connect();
  try {
    assert.equal(await square({ n: 12 }), 144);
    assert.equal(await square({ n: 12 }), 144);
    assert.equal(runs, 1, "a signed hit");
    const [name] = await raw.keys(`${prefix}entry2:*`);
    assert.ok(name !== undefined);
    const stored = await raw.withTypeMapping({ 36: Buffer }).get(name) as unknown as Buffer;
    // Someone with write access to the server but not the key changes the result: 144 -> 145
    // (in the value, after the entry's header: redis_format.ts).
    const forged = Buffer.from(stored);
    const at = forged.indexOf(144, 36 + forged.readUInt32LE(28) + forged.readUInt32LE(32));
    assert.ok(at >= 0, "the stored integer is where a forger would change it");
    forged[at] = 145;
    await raw.set(name, forged);
    assert.equal(await square({ n: 12 }), 144, "the forged value is never returned");
    assert.equal(runs, 2, "the task ran again");
    // Reported on each read of it (the lookup, and the look again under the lease).
    assert.ok(errors.length >= 1);
    for (const event of errors) assert.equal((event.error as CacheError).code, "INVALID_SEAL");
    assert.equal(await square({ n: 12 }), 144);
    assert.equal(runs, 2, "the re-stored result is signed");
  } finally {
    await raw.close();
    await cache.close();
  }
});
