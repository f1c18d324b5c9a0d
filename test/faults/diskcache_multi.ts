/**
 * Part 7: flytekit's cache shared. Two JavaScript processes (Node >= 22.13 with `node:sqlite`)
 * run the file workload on ONE DiskcacheAdapter directory, SIGKILLed at random and started
 * again, while a Python process runs flytekit's LocalTaskCache path (Debian's diskcache, keys
 * from the oracle) on the same directory: gets, sets, deletes and clears. Every read on either
 * side must be a miss or exactly a value written for its key. Afterwards Python's
 * `Cache.check()` may report only what a killed writer can leave (a value file whose row was not
 * committed, or its empty folders: at most one of each per kill; diskcache itself leaves the
 * same when a Python writer dies), `len(cache)` equals the rows, and once `check(fix=True)`
 * (diskcache's own repair) has run, the cache is clean and works from both sides.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { toBinary } from "@bufbuild/protobuf";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { DiskcacheAdapter } from "../../src/adapters/diskcache.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import { FlytekitCache, flytekitCacheAvailability } from "../compat/flytekit_cache.ts";
import { churn } from "./churn.ts";
import { FAULTS, LineChild, type Part, ROOT } from "./common.ts";
import { fsLength, inputsFor, outputsFor, outputsProblem, TASK, VERSION } from "./workload.ts";

const CHILD = join(FAULTS, "diskcache_child.ts");
const NODE22 = join(ROOT, ".engines/node22/node_modules/.bin/node");
const PROCESSES = 2;
const KEYS = 12;
/** Python's writer number in the stamps of the values it stores. */
const PYTHON_WRITER = 10_000;
const RESERVE_MS = 10_000;

/** A Node that has `node:sqlite` unflagged (>= 22.13): this one, or the engines' Node 22. */
function nodeWithSqlite(): string | undefined {
  const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
  if (major > 22 || (major === 22 && minor >= 13)) return process.execPath;
  return existsSync(NODE22) ? NODE22 : undefined;
}

export const diskcacheMulti: Part = async (ctx) => {
  const python = flytekitCacheAvailability();
  const node = nodeWithSqlite();
  if (!ctx.require(python.ok, "Python diskcache", python.ok ? "" : python.reason)) return;
  if (
    !ctx.require(
      node !== undefined,
      "Node >= 22.13",
      "node:sqlite is needed to write diskcache's database (scripts/install-engines.sh)",
    )
  ) return;
  const home = await mkdtemp(join(tmpdir(), "ltc-faults-diskcache-"));
  ctx.undoIfKilled("rm", home);
  const directory = join(home, ".flyte", "local-cache");
  const flytekit = new FlytekitCache(home);
  try {
    await flytekit.check(); // flytekit creates the cache first
    const values = [];
    for (let seq = 0; seq < 60; seq++) {
      const key = seq % KEYS;
      const bytes = toBinary(LiteralMapSchema, outputsFor(key, PYTHON_WRITER, seq, fsLength));
      values.push([key, Buffer.from(bytes).toString("base64")]);
    }
    const inputs = Array.from(
      { length: KEYS },
      (_, key) => Buffer.from(toBinary(LiteralMapSchema, inputsFor(key))).toString("base64"),
    );
    ctx.log(`${PROCESSES} JavaScript processes and Python on ${directory}`);
    const pythonRun = flytekit.request("churn", {
      seconds: Math.max(2, (ctx.remaining() - RESERVE_MS) / 1000),
      seed: ctx.subSeed(),
      task: TASK,
      version: VERSION,
      inputs,
      values,
    });
    const { writers, kills } = await churn(ctx, {
      processes: PROCESSES,
      reserveMs: RESERVE_MS,
      pause: { min: 300, spread: 900 },
      spawn: (writer) =>
        new LineChild(node!, [
          "--import",
          "tsx",
          CHILD,
          directory,
          String(writer),
          String(ctx.subSeed()),
          String(KEYS),
        ]),
    });
    writers.add(PYTHON_WRITER);
    const report = await pythonRun as {
      counters: Record<string, number>;
      reads: [number, number, number, string][];
      problems: string[];
    };
    ctx.countAll(report.counters, "python.");
    for (const problem of report.problems) ctx.violation("inexact-read", `python: ${problem}`);
    for (const [key, writer, seq, md5] of report.reads) {
      const expected = toBinary(LiteralMapSchema, outputsFor(key, writer, seq, fsLength));
      if (!writers.has(writer) || createHash("md5").update(expected).digest("hex") !== md5) {
        ctx.violation("inexact-read", `python read key ${key}: not writer ${writer}'s seq ${seq}`);
      }
    }
    ctx.count("python.reads-verified", report.reads.length);

    // What is left: exact values only, from JavaScript.
    const cache = new TaskCache(new DiskcacheAdapter({ directory }), { maxSize: Infinity });
    for (let key = 0; key < KEYS; key++) {
      const stored = await cache.get(TASK, VERSION, inputsFor(key));
      if (stored === undefined) continue;
      ctx.count("check.values-left");
      const problem = outputsProblem(stored, key, fsLength, (writer) => writers.has(writer));
      if (problem !== undefined) {
        ctx.violation("inexact-read", `after the run, key ${key}: ${problem}`);
      }
    }

    // diskcache's own check: only what killed writers can leave.
    const checked = await flytekit.check();
    ctx.count("check.rows", checked.rows);
    if (checked.len !== checked.rows) {
      ctx.violation("python-check", `len(cache) ${checked.len} != ${checked.rows} rows`);
    }
    const orphans = checked.warnings.filter((w) => /^unknown file: .*\.val$/.test(w));
    const emptyDirs = checked.warnings.filter((w) => /^empty directory: /.test(w));
    const others = checked.warnings.filter((w) => !orphans.includes(w) && !emptyDirs.includes(w));
    ctx.count("check.orphan-value-files", orphans.length);
    ctx.count("check.empty-folders", emptyDirs.length);
    for (const warning of others) ctx.violation("python-check", warning);
    if (orphans.length > kills || emptyDirs.length > 2 * kills) {
      ctx.violation(
        "python-check",
        `${orphans.length} orphan files, ${emptyDirs.length} empty folders after ${kills} kills`,
      );
    }
    const fixed = await flytekit.request("fix");
    if ((fixed.warnings as string[]).length > 0) {
      ctx.violation("python-check", `after check(fix=True): ${fixed.warnings}`);
    }

    // Both sides still work on it (JavaScript writing in a runtime that can).
    const outputs = outputsFor(0, 999_999, 1, fsLength);
    const once = new LineChild(node!, [
      "--import",
      "tsx",
      CHILD,
      directory,
      "999999",
      "1",
      "1",
      "once",
    ]);
    const exit = await once.exited;
    if (exit.code !== 0) ctx.violation("child-crashed", `the last writer: ${once.stderr}`);
    const seen = await flytekit.get({ task: TASK, version: VERSION, inputs: inputsFor(0) });
    const expected = toBinary(LiteralMapSchema, outputs);
    if (seen === undefined || Buffer.compare(Buffer.from(seen), Buffer.from(expected)) !== 0) {
      ctx.violation("round-trip", "Python did not read back what JavaScript stored after the run");
    }
    await flytekit.request("clear");
    const end = await flytekit.check();
    if (end.warnings.length > 0 || end.len !== 0) {
      ctx.violation("python-check", `after clear: ${end.warnings.join("; ")} (len ${end.len})`);
    }
    await cache.close();
  } finally {
    await flytekit.close();
    await rm(home, { recursive: true, force: true });
  }
};
