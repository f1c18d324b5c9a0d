/**
 * Part 2: several Deno processes on ONE Deno KV file (DenoKvAdapter({ path })), each a random
 * mix of TaskCache get, set (inline and chunked values up to 1.1 MiB), delete, prune, clear and
 * a cachedTask with single flight (test/faults/deno/kv_child.ts), with stamped values; the parent
 * SIGKILLs random processes at random moments and starts them again. Every read must be a miss
 * or exactly a value written for its key. Afterwards a Deno process inspects the KV file (keys
 * under the prefix): heads and metadata paired, chunks complete, the chunks of killed writers
 * gone after the next write of their key, nothing left after a clear, the cache working.
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { churn } from "./churn.ts";
import {
  absorbReport,
  DENO,
  denoAvailable,
  FAULTS,
  LineChild,
  type Part,
  withTimeout,
} from "./common.ts";

const CHILD = join(FAULTS, "deno", "kv_child.ts");
const PROCESSES = 3;
const KEYS = 8;
const RESERVE_MS = 10_000;

export const kvMulti: Part = async (ctx) => {
  if (!ctx.require(denoAvailable(), "Deno", `${DENO} is missing (npm ci installs it)`)) return;
  const directory = await mkdtemp(join(tmpdir(), "ltc-faults-kv-"));
  ctx.undoIfKilled("rm", directory);
  const path = join(directory, "cache.kv");
  const deno = (args: string[]) =>
    new LineChild(DENO, ["run", "-A", "--unstable-kv", CHILD, ...args], {
      env: { ...process.env, NO_COLOR: "1" },
    });
  try {
    ctx.log(`${PROCESSES} Deno processes on ${path}, killed at random for the budget`);
    const { writers } = await churn(ctx, {
      processes: PROCESSES,
      reserveMs: RESERVE_MS,
      pause: { min: 400, spread: 1200 },
      spawn: (writer) => deno(["work", path, String(writer), String(ctx.subSeed()), String(KEYS)]),
    });

    const checker = deno(["check", path, [...writers].join(","), String(KEYS)]);
    ctx.count("processes");
    try {
      const line = await checker.nextLine(30_000, "the Deno KV check");
      const exit = await withTimeout(checker.exited, 10_000, "the Deno KV check's exit");
      absorbReport(ctx, "check-failed", line, exit, checker.stderr);
    } finally {
      checker.kill();
      await checker.exited;
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
};
