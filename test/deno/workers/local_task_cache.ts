/// <reference lib="deno.ns" />
/**
 * `LocalTaskCache` with the runtime's default storage, for test/deno/local_task_cache_deno.test.ts:
 * `set` stores an output for a fixed input, `get` prints whether it hits.
 */
import { LocalTaskCache } from "../../../src/core/local_task_cache.ts";
import { integer, literalMap, string } from "../../support/literals.ts";

const inputs = literalMap({ n: integer(7n) });
if (Deno.args[0] === "set") {
  await LocalTaskCache.set("deno.task", "1", inputs, [], literalMap({ o0: string("stored") }));
  console.log("stored");
} else {
  const outputs = await LocalTaskCache.get("deno.task", "1", inputs, []);
  const value = outputs?.literals.o0?.value;
  console.log(value?.case === "scalar" ? "hit" : "miss");
}
await LocalTaskCache.close();
