/**
 * Runs every FsAdapter operation once on a directory and prints one JSON line with the outcome
 * of each: "ok", "miss", or the CacheError code. For test/portable/adapters/fs.test.ts, which starts
 * it as an unprivileged user to see permission failures even when the tests run as root.
 *
 * Usage: `fs_probe.ts <directory>`
 */
import { FsAdapter } from "../../../src/adapters/fs.ts";
import { CacheError } from "../../../src/errors.ts";

const adapter = new FsAdapter({ directory: process.argv[2]! });

async function outcome(operation: () => Promise<unknown>): Promise<string> {
  try {
    return (await operation()) === undefined ? "miss" : "ok";
  } catch (error) {
    return error instanceof CacheError ? error.code : `not a CacheError: ${String(error)}`;
  }
}

const result = {
  set: await outcome(() => adapter.set("key", Uint8Array.of(1)).then(() => true)),
  get: await outcome(() => adapter.get("key")),
  delete: await outcome(() => adapter.delete("key")),
  clear: await outcome(() => adapter.clear().then(() => true)),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
