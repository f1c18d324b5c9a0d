/**
 * The JavaScript side of the example: the same task as square.py, a `cachedTask` on flytekit's
 * own cache directory (`~/.flyte/local-cache`), so either side hits what the other computed.
 * Writing needs SQLite that accepts diskcache's schema: Node >= 22.13, Deno or Bun.
 *
 *     node --import tsx examples/flytekit/square.ts 3
 *
 * @module
 */
import process from "node:process";
import { cachedTask, LocalTaskCache, t } from "local-task-cache";

await LocalTaskCache.initialize({ flytekit: true });

let ran = false;
const square = cachedTask({
  name: "examples.flytekit.square",
  version: "1",
  inputs: { n: t.int },
  outputs: t.int,
}, ({ n }) => {
  ran = true;
  return n * n;
});

const n = Number(process.argv[2]);
const result = await square({ n });
console.log(`node: square(${n}) = ${result} (${ran ? "miss: computed and stored" : "hit"})`);
await LocalTaskCache.close();
