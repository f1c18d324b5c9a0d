/**
 * DiskcacheAdapter: the conformance suite on a real diskcache directory.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DiskcacheAdapter } from "../../src/adapters/diskcache.ts";
import { adapterConformance } from "../conformance/adapter_suite.ts";

const directories: string[] = [];
test.after(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));

async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-diskcache-"));
  directories.push(directory);
  return directory;
}

adapterConformance(test, {
  open: async () => new DiskcacheAdapter({ directory: join(await freshDirectory(), "cache") }),
});
