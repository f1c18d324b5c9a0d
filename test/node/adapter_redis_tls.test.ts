/**
 * RedisAdapter over TLS, against a real redis-server started by this file with a TLS port only
 * and a certificate made for the test (openssl): a client the program makes with its own
 * authority works; a `rediss://` URL to a server whose certificate no trusted authority signed
 * fails with UNAVAILABLE, saying why.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "redis";
import { RedisAdapter, type RedisClientLike } from "../../src/adapters/redis.ts";
import { CacheError } from "../../src/errors.ts";
import { patternBytes } from "../conformance/adapter_suite.ts";
import { startRedis } from "../support/redis_server.ts";

const OPENSSL = "/usr/bin/openssl";
if (!existsSync(OPENSSL)) {
  throw new Error(`${OPENSSL} is missing: install Debian's package openssl (.ci/run does)`);
}
const certificates = await mkdtemp(join(tmpdir(), "ltc-redis-tls-"));
const cert = join(certificates, "cert.pem");
const key = join(certificates, "key.pem");
execFileSync(OPENSSL, [
  ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
  ...["-keyout", key, "-out", cert, "-subj", "/CN=localhost"],
  ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
], { stdio: "ignore" });
// The server listens with TLS only (`--port 0`), on a port the helper found free.
const tlsPort = await startRedis([]).then(async (plain) => {
  await plain.stop();
  return plain.port;
});
const server = await startRedis([
  ...["--port", "0", "--tls-port", String(tlsPort)],
  ...["--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", cert],
  ...["--tls-auth-clients", "no"],
]);
test.after(async () => {
  await server.stop();
  await rm(certificates, { recursive: true, force: true });
});

test("a TLS client the program makes (its own authority) stores and reads", async () => {
  const client = createClient({
    socket: {
      host: "127.0.0.1",
      port: tlsPort,
      tls: true,
      reconnectStrategy: false,
      ca: await readFile(cert, "utf8"),
      servername: "localhost",
    },
    disableOfflineQueue: true,
  });
  client.on("error", () => {});
  await client.connect();
  const adapter = new RedisAdapter({ client: client as unknown as RedisClientLike });
  try {
    await adapter.set("k", patternBytes(1000), { taskName: "t", cacheVersion: "1" });
    assert.deepEqual(await adapter.get("k"), patternBytes(1000));
  } finally {
    await adapter.close();
    await client.close();
  }
});

test("rediss:// to a certificate no trusted authority signed: UNAVAILABLE, saying why", async () => {
  const adapter = new RedisAdapter({ url: `rediss://localhost:${tlsPort}` });
  try {
    await assert.rejects(
      adapter.get("k"),
      (e) => e instanceof CacheError && e.code === "UNAVAILABLE" && /certificate/i.test(e.message),
    );
  } finally {
    await adapter.close();
  }
});
