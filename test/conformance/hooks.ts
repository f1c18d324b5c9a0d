/**
 * The conformance suite's damage and foreign-data hooks for the adapters that keep bytes outside
 * the process: Deno KV (any runtime, through the `KvLike` the adapter uses) and files (`node:fs`,
 * in Node, Deno and Bun). Not imported by the suite itself, which runs in browsers too.
 *
 * @module
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CacheAdapter } from "../../src/adapter.ts";
import type { FsAdapter } from "../../src/adapters/fs.ts";
import type { KvKey, KvLike } from "../../src/adapters/deno_kv.ts";
import {
  assert,
  assertBytes,
  type ConformanceOptions,
  fail,
  patternBytes,
} from "./adapter_suite.ts";

type Hooks = Required<Pick<ConformanceOptions, "damage" | "foreign">>;

/** A copy of `bytes` with its middle byte changed. */
function flipped(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[copy.length >> 1]! ^= 0x5a;
  return copy;
}

/**
 * Hooks for a `DenoKvAdapter` over the database `kvOf(adapter)` with `prefix`: `damage` changes a
 * byte of every stored value (inline heads, the value of a hashed key's head, every chunk);
 * `foreign` writes records beside the prefix (a sibling prefix, the prefix's own key, another
 * application's).
 */
export function kvHooks(
  kvOf: (adapter: CacheAdapter) => KvLike,
  prefix: KvKey = ["local-task-cache"],
): Hooks {
  return {
    damage: async (adapter) => {
      const kv = kvOf(adapter);
      let damaged = 0;
      for await (const record of kv.list<unknown>({ prefix })) {
        const part = record.key[prefix.length];
        let value = record.value;
        if ((part === "h" || part === "c") && value instanceof Uint8Array) {
          value = flipped(value);
        } else if (part === "h" && (value as { v?: unknown })?.v instanceof Uint8Array) {
          value = { ...(value as object), v: flipped((value as { v: Uint8Array }).v) };
        } else continue;
        const done = await kv.atomic().set(record.key as KvKey, value).commit();
        if (!done.ok) fail(`cannot damage ${String(record.key)}`);
        damaged++;
      }
      if (damaged === 0) fail("nothing to damage: no value records under the prefix");
    },
    foreign: async (adapter) => {
      const kv = kvOf(adapter);
      const records: [KvKey, Uint8Array][] = [
        [[`${String(prefix[0])}-2`, ...prefix.slice(1), "h", "k", "k"], patternBytes(10, 1)],
        [prefix, patternBytes(10, 2)],
        [["app", "settings"], patternBytes(10, 3)],
      ];
      const operation = kv.atomic();
      for (const [key, value] of records) operation.set(key, value);
      if (!(await operation.commit()).ok) fail("cannot write the foreign records");
      return async () => {
        for (const [key, value] of records) {
          const read = (await kv.get(key)).value; // a Buffer from the Node client
          assert(read instanceof Uint8Array, `the foreign record ${String(key)} is there`);
          assertBytes(new Uint8Array(read), value, `the foreign record ${String(key)}`);
        }
      };
    },
  };
}

/**
 * Hooks for an `FsAdapter`: `damage` changes a byte in the value of every entry file
 * (`*.ltc`); `foreign` writes files of other names into its directory.
 */
export function fsHooks(): Hooks {
  const directoryOf = (adapter: CacheAdapter) => (adapter as FsAdapter).directory;
  return {
    damage: async (adapter) => {
      const directory = directoryOf(adapter);
      const entries = (await readdir(directory)).filter((name) => name.endsWith(".ltc"));
      if (entries.length === 0) fail("nothing to damage: no entry files");
      for (const name of entries) {
        const path = join(directory, name);
        const file = new Uint8Array(await readFile(path));
        file[file.length - 1]! ^= 0x5a; // the value is at the end of the file
        await writeFile(path, file);
      }
    },
    foreign: async (adapter) => {
      const directory = directoryOf(adapter);
      const files: [string, Uint8Array][] = [
        ["notes.txt", patternBytes(10, 1)],
        ["results.ltc.bak", patternBytes(10, 2)],
        [".tmp-mine", patternBytes(10, 3)],
      ];
      for (const [name, bytes] of files) await writeFile(join(directory, name), bytes);
      return async () => {
        for (const [name, bytes] of files) {
          const read = await readFile(join(directory, name));
          assertBytes(new Uint8Array(read), bytes, `the foreign file ${name}`);
        }
        await Promise.all(files.map(([name]) => rm(join(directory, name))));
      };
    },
  };
}
