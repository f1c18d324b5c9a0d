/// <reference lib="deno.ns" />
/// <reference lib="deno.unstable" />
/**
 * DenoKvAdapter's running total of the values' sizes (the size limit's), in a real Deno on KV
 * files (test/support/kv_total.ts; in Node over @deno/kv: test/node/adapter_deno_kv.test.ts).
 */
import { test } from "node:test";
import { kvTotalTests } from "../support/kv_total.ts";

const temporary: string[] = [];
test.after(async () => {
  for (const path of temporary) await Deno.remove(path, { recursive: true }).catch(() => {});
});

kvTotalTests(test, (path) => Deno.openKv(path), async () => {
  const directory = await Deno.makeTempDir({ prefix: "ltc-kv-total-" });
  temporary.push(directory);
  return `${directory}/cache.kv`;
});
