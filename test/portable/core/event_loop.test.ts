/**
 * The event loop stays free while a 200 MiB output is stored and read back through
 * `TaskCache`, over memory, files and Deno KV (the runtime's own in Deno, `@deno/kv` in Node):
 * a timer ticking every millisecond records the longest gap between its ticks, and how long
 * the thread ran in it, which must stay under 50 ms. Runs in Node and in Deno.
 *
 * On a loaded machine a gap also holds the time the thread waited for a core (other processes
 * had them): where Linux tells how long the thread ran (`/proc/thread-self/schedstat`), that
 * time is what is bounded; elsewhere the gap itself. Either is measured again while it is over
 * the bound, up to `ATTEMPTS` times: work done in one piece (encoding or summing 200 MiB takes
 * 0.3-1.2 s) is over the bound in every attempt, so the test still fails on it.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { LiteralMap } from "../../../gen/flyteidl/core/literals_pb.ts";
import type { CacheAdapter } from "../../../src/adapter.ts";
import { DenoKvAdapter, type KvLike } from "../../../src/adapters/deno_kv.ts";
import { FsAdapter } from "../../../src/adapters/fs.ts";
import { MemoryAdapter } from "../../../src/adapters/memory.ts";
import { TaskCache } from "../../../src/core/task_cache.ts";
import { patternBytes } from "../../conformance/adapter_suite.ts";
import { binary, collection, integer, literalMap } from "../../support/literals.ts";

const MiB = 1024 * 1024;
/** The longest the event loop may be held up in one stretch, in milliseconds. */
const BOUND_MS = 50;
const ATTEMPTS = 6;

const directories: string[] = [];
const databases: KvLike[] = [];
test.after(async () => {
  for (const kv of databases) kv.close();
  await Promise.all(directories.map((d) => rm(d, { recursive: true, force: true })));
});

async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-event-loop-"));
  directories.push(directory);
  return directory;
}

/** Deno's own KV in Deno; the npm client `@deno/kv` in Node. */
async function openKv(path: string): Promise<KvLike> {
  const deno = (globalThis as { Deno?: { openKv(path: string): Promise<KvLike> } }).Deno;
  const kv = deno !== undefined
    ? await deno.openKv(path)
    : await (await import("@deno/kv")).openKv(path);
  databases.push(kv);
  return kv;
}

const ADAPTERS: [string, () => Promise<CacheAdapter>][] = [
  ["MemoryAdapter", () => Promise.resolve(new MemoryAdapter())],
  ["FsAdapter", async () => new FsAdapter({ directory: await temporaryDirectory() })],
  [
    "DenoKvAdapter",
    async () => new DenoKvAdapter({ kv: await openKv(join(await temporaryDirectory(), "kv")) }),
  ],
];

/** Why an adapter cannot run here (the README's "Where it runs"), or `false`. */
function notHere(adapterName: string): string | false {
  const bun = (globalThis as { Bun?: unknown }).Bun !== undefined;
  return bun && adapterName === "DenoKvAdapter"
    ? "DenoKvAdapter is not supported in Bun: @deno/kv refuses Bun (V8's serialization format)"
    : false;
}

/** `length` bytes that are not all alike (a 1 MiB pattern, repeated). */
function bytesOf(length: number, seed: number): Uint8Array {
  const pattern = patternBytes(MiB, seed);
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += MiB) bytes.set(pattern.subarray(0, length - at), at);
  return bytes;
}

/** The outputs: one 200 MiB binary, and 400 binaries of 512 KiB (the encoder's many pieces). */
const OUTPUTS: [string, () => LiteralMap][] = [
  ["one 200 MiB binary", () => literalMap({ o: binary(bytesOf(200 * MiB, 1)) })],
  [
    "400 binaries of 512 KiB",
    () =>
      literalMap({
        o: collection(
          ...Array.from({ length: 400 }, (_, i) => binary(bytesOf(MiB / 2, i + 2))),
        ),
      }),
  ],
];

/** How long this thread has run, in ms (Linux), or `undefined`. */
function threadTime(): number | undefined {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/**
 * The longest time between two ticks of a 1 ms timer while `work` runs (`gap`), and the
 * longest the thread ran between two ticks (`ran`: the gap where that cannot be told), in ms.
 */
async function longestGap<T>(
  work: () => Promise<T>,
): Promise<{ gap: number; ran: number; result: T }> {
  let last = performance.now();
  let lastRun = threadTime();
  let gap = 0;
  let ran = 0;
  const tick = () => {
    const now = performance.now();
    const run = threadTime();
    gap = Math.max(gap, now - last);
    ran = Math.max(ran, run === undefined || lastRun === undefined ? now - last : run - lastRun);
    last = now;
    lastRun = run;
  };
  const timer = setInterval(tick, 1);
  try {
    const result = await work();
    tick();
    return { gap, ran, result };
  } finally {
    clearInterval(timer);
  }
}

/** `work` measured, again while it is over the bound; every attempt's figures. */
async function measured<T>(
  work: () => Promise<T>,
): Promise<{ passed: boolean; attempts: string; result: T }> {
  const attempts: string[] = [];
  for (;;) {
    const { gap, ran, result } = await longestGap(work);
    attempts.push(`ran ${ran.toFixed(1)} ms in a gap (longest gap ${gap.toFixed(1)} ms)`);
    if (ran <= BOUND_MS || attempts.length === ATTEMPTS) {
      return { passed: ran <= BOUND_MS, attempts: attempts.join("; "), result };
    }
  }
}

/** A digest of the output's bytes, the binaries in order. */
function digestOf(value: LiteralMap | undefined): string {
  const hash = createHash("sha256");
  const visit = (node: unknown) => {
    if (node instanceof Uint8Array) hash.update(node);
    else if (typeof node === "object" && node !== null) {
      for (const child of Object.values(node)) visit(child);
    }
  };
  visit(value);
  return hash.digest("hex");
}

for (const [adapterName, open] of ADAPTERS) {
  for (const [outputName, output] of OUTPUTS) {
    const name =
      `${adapterName}: storing and reading ${outputName} never holds the event loop ${BOUND_MS} ms`;
    test(name, { skip: notHere(adapterName) }, async () => {
      const cache = new TaskCache(await open());
      try {
        const inputs = literalMap({ n: integer(1n) });
        const value = output();
        const expected = digestOf(value);
        const stored = await measured(() => cache.set("t", "1", inputs, [], value));
        const read = await measured(() => cache.get("t", "1", inputs));
        assert.equal(digestOf(read.result), expected, "the output read back is the one stored");
        assert.ok(stored.passed, `set held the event loop up: ${stored.attempts}`);
        assert.ok(read.passed, `get held the event loop up: ${read.attempts}`);
      } finally {
        await cache.close();
      }
    });
  }
}
