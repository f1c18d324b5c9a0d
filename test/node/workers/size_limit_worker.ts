/**
 * A process storing into one `FsAdapter` directory through a `TaskCache`, for
 * test/node/size_limit.test.ts:
 *
 *   size_limit_worker.ts <directory> <writer> <count> <maxSize | Infinity> <stores | mixed>
 *
 * Prints "ready", waits for a line on stdin (so that every worker starts at once), then stores
 * `count` entries under task `w<writer>` (entry i with an output of 200 + 37 * (i % 9) bytes);
 * `mixed` then stores entries 0 to 9 again with other sizes (replacing them) and deletes
 * entries 10 to 14. Prints "done".
 */
import { createInterface } from "node:readline";
import { FsAdapter } from "../../../src/adapters/fs.ts";
import { calculateCacheKey } from "../../../src/keys/key.ts";
import { TaskCache } from "../../../src/core/task_cache.ts";
import { binary, integer, literalMap } from "../../support/literals.ts";

const [directory, writer, countText, maxSizeText, mode] = process.argv.slice(2);
const count = Number(countText);
const task = `w${writer}`;
const cache = new TaskCache(new FsAdapter({ directory: directory! }), {
  maxSize: Number(maxSizeText),
});
const inputs = (i: number) => literalMap({ i: integer(BigInt(i)) });
const outputs = (size: number) => literalMap({ o0: binary(new Uint8Array(size).fill(5)) });

process.stdout.write("ready\n");
for await (const _ of createInterface({ input: process.stdin })) break;
for (let i = 0; i < count; i++) {
  await cache.set(task, "1", inputs(i), [], outputs(200 + 37 * (i % 9)));
}
if (mode === "mixed") {
  for (let i = 0; i < 10; i++) await cache.set(task, "1", inputs(i), [], outputs(90 + 11 * i));
  for (let i = 10; i < 15; i++) {
    await cache.adapter.delete(calculateCacheKey(task, "1", inputs(i)));
  }
}
await cache.close();
process.stdout.write("done\n");
