/// <reference lib="deno.ns" />
/**
 * RedisAdapter and TieredAdapter in a real Deno, over the npm package redis (npm: import), on a
 * real redis-server started by this file: the conformance suite. Run: deno test -A test/deno/
 */
import { test } from "node:test";
import { MemoryAdapter } from "../../src/adapters/memory.ts";
import { RedisAdapter } from "../../src/adapters/redis.ts";
import { TieredAdapter } from "../../src/adapters/tiered.ts";
import { adapterConformance } from "../conformance/adapter_suite.ts";
import { startRedis } from "../support/redis_server.ts";

const server = await startRedis();
test.after(() => server.stop());

let opened = 0;
const redis = () => new RedisAdapter({ url: server.url }, { prefix: `deno-${++opened}:` });

adapterConformance((name, fn) => test(`Redis in Deno: ${name}`, fn), {
  open: () => Promise.resolve(redis()),
});

adapterConformance((name, fn) => test(`memory in front of Redis in Deno: ${name}`, fn), {
  open: () => Promise.resolve(new TieredAdapter([new MemoryAdapter(), redis()])),
});
