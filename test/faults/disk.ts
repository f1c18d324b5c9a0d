/**
 * Part 5: a full disk and a read-only file system, on a small tmpfs mounted as root (as CI
 * runs; elsewhere without root the part is skipped, saying why; under CI it fails).
 *
 * - Full: entries stored, then the file system filled to the last byte. Every TaskCache.set
 *   (small, medium, over 4 MiB; new keys and replacements) rejects with CacheError NO_SPACE
 *   and emits an "error" event; the entries already there read back exactly; no temporary
 *   file is left; a cachedTask still returns its result (a hit without running, a miss by
 *   running, its store failing quietly into the "error" event); freeing space makes sets work.
 * - Read-only (remounted ro): sets, deletes and clears reject with PERMISSION_DENIED, gets and
 *   the listing still work, a cachedTask still returns its results (and takes no lease).
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readdirSync, rmSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsAdapter } from "../../src/adapters/fs.ts";
import { CacheError } from "../../src/errors.ts";
import { cachedTask } from "../../src/core/task.ts";
import type { CacheEvent } from "../../src/core/events.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import { t } from "../../src/values/values.ts";
import { describeError, type Part, type PartContext } from "./common.ts";
import { inputsFor, MiB, outputsFor, outputsProblem, TASK, VERSION } from "./workload.ts";

const SIZE = "2m";

export const disk: Part = async (ctx) => {
  const mount = await mkdtemp(join(tmpdir(), "ltc-faults-tmpfs-"));
  ctx.undoIfKilled("rm", mount);
  let mounted = false;
  try {
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", `size=${SIZE},mode=0755`, "tmpfs", mount], {
        stdio: "pipe",
      });
      mounted = true;
      ctx.undoIfKilled("umount", mount);
    } catch (error) {
      ctx.require(
        false,
        "tmpfs",
        `cannot mount a tmpfs (needs root): ${String(error).split("\n")[0]}`,
      );
      return;
    }
    await run(ctx, mount);
  } finally {
    if (mounted) {
      try {
        execFileSync("umount", ["-l", mount], { stdio: "pipe" });
      } catch (error) {
        ctx.violation("cleanup", `umount ${mount} failed: ${describeError(error)}`);
      }
    }
    await rm(mount, { recursive: true, force: true });
  }
};

/** Stamped outputs of `size` bytes for key number `key`. */
const outputs = (key: number, size: number) => outputsFor(key, 1, key, () => size);

async function run(ctx: PartContext, mount: string): Promise<void> {
  const directory = join(mount, "cache");
  const cache = new TaskCache(new FsAdapter({ directory }), { maxSize: Infinity });
  const errors: CacheEvent[] = [];
  cache.on("error", (event) => errors.push(event));
  let runs = 0;
  const task = cachedTask({
    name: "faults.disk.task",
    version: "1",
    inputs: { n: t.int },
    outputs: t.string,
    cache,
    leaseMs: 2_000,
  }, ({ n }) => {
    runs++;
    return `square ${n * n}`;
  });

  /** Calls the task: it must return its result, running only when `runsExpected`. */
  const call = async (n: number, runsExpected: boolean, label: string) => {
    const before = runs;
    ctx.count("task.calls");
    try {
      const result = await task({ n });
      if (result !== `square ${n * n}`) ctx.violation("task", `${label}: returned ${result}`);
      if ((runs > before) !== runsExpected) {
        ctx.violation(
          "task",
          `${label}: the task ${runs > before ? "ran" : "did not run"} (expected it ${
            runsExpected ? "to run" : "not to"
          })`,
        );
      }
    } catch (error) {
      ctx.violation("task", `${label}: the call threw ${describeError(error)}`);
    }
  };

  /** `work` must reject with CacheError `code`, and emit one error event with it (sets). */
  const refused = async (
    label: string,
    code: string,
    work: () => Promise<unknown>,
    emits = true,
  ) => {
    const events = errors.length;
    try {
      await work();
      ctx.violation("not-refused", `${label}: succeeded, expected CacheError ${code}`);
    } catch (error) {
      if (!(error instanceof CacheError) || error.code !== code) {
        ctx.violation(
          "wrong-error",
          `${label}: ${describeError(error)}, expected CacheError ${code}`,
        );
      } else ctx.count(`result.refused-${code}`);
    }
    const emitted = errors.slice(events);
    if (
      emits &&
      !emitted.some((event) => event.error instanceof CacheError && event.error.code === code)
    ) {
      ctx.violation("no-error-event", `${label}: no "error" event with ${code}`);
    }
  };

  /** The kept entries read back exactly. */
  const intact = async (label: string, keys: number[]) => {
    for (const key of keys) {
      ctx.count("op.get");
      try {
        const stored = await cache.get(TASK, VERSION, inputsFor(key));
        const problem = stored === undefined
          ? "a miss"
          : outputsProblem(stored, key, () => sizes.get(key)!);
        if (problem !== undefined) ctx.violation("entry-lost", `${label}: key ${key}: ${problem}`);
      } catch (error) {
        ctx.violation("entry-lost", `${label}: key ${key}: get threw ${describeError(error)}`);
      }
    }
  };

  const temporaries = () => readdirSync(directory).filter((name) => name.startsWith(".tmp-"));

  // Entries, and a task result, stored while there is room.
  const sizes = new Map([[0, 10_000], [1, 50_000], [2, 300]]);
  for (const [key, size] of sizes) {
    await cache.set(TASK, VERSION, inputsFor(key), [], outputs(key, size));
  }
  await call(1, true, "a first call while there is room");

  // Fill the file system to its last byte.
  ctx.count("fault.disk-full");
  const filler = join(mount, "filler");
  const fd = openSync(filler, "w");
  let filled = 0;
  try {
    for (let chunk = 256 * 1024; chunk >= 1; chunk = Math.floor(chunk / 2)) {
      const bytes = new Uint8Array(chunk).fill(0x5a);
      for (;;) {
        try {
          filled += writeSync(fd, bytes);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  ctx.note(`filled the ${SIZE} tmpfs with ${filled} bytes`);

  for (const size of [10, 20_000, 200_000, 4 * MiB + 1]) {
    ctx.count("op.set");
    await refused(
      `full: a new ${size}-byte entry`,
      "NO_SPACE",
      () => cache.set(TASK, VERSION, inputsFor(10), [], outputs(10, size)),
    );
    ctx.count("op.set");
    await refused(
      `full: replacing an entry with ${size} bytes`,
      "NO_SPACE",
      () => cache.set(TASK, VERSION, inputsFor(1), [], outputs(1, size + 7)),
    );
  }
  if (temporaries().length > 0) {
    ctx.violation("stray-files", `full: temporary files left: ${temporaries().join(", ")}`);
  }
  await intact("full", [...sizes.keys()]);
  const before = errors.length;
  await call(1, false, "full: a stored result");
  await call(2, true, "full: a new result");
  if (!errors.slice(before).some((event) => (event.error as CacheError)?.code === "NO_SPACE")) {
    ctx.violation("no-error-event", "full: the task's failed store emitted no NO_SPACE event");
  }
  await call(2, true, "full: the result that could not be stored, again");
  try {
    await cache.entries();
    await cache.stats();
  } catch (error) {
    ctx.violation("listing", `full: ${describeError(error)}`);
  }

  // Room again: sets work.
  rmSync(filler);
  await cache.set(TASK, VERSION, inputsFor(10), [], outputs(10, 1000));
  sizes.set(10, 1000);
  await intact("space freed", [...sizes.keys()]);

  // Read-only.
  ctx.count("fault.read-only");
  execFileSync("mount", ["-o", "remount,ro", mount], { stdio: "pipe" });
  for (const key of [11, 0]) {
    ctx.count("op.set");
    await refused(
      `read-only: a set of key ${key}`,
      "PERMISSION_DENIED",
      () => cache.set(TASK, VERSION, inputsFor(key), [], outputs(key, 100)),
    );
  }
  const { calculateCacheKey } = await import("../../src/keys/key.ts");
  ctx.count("op.delete");
  await refused(
    "read-only: a delete",
    "PERMISSION_DENIED",
    () => cache.adapter.delete(calculateCacheKey(TASK, VERSION, inputsFor(0))),
    false,
  );
  ctx.count("op.clear");
  await refused("read-only: a clear", "PERMISSION_DENIED", () => cache.clear(), false);
  await intact("read-only", [...sizes.keys()]);
  const beforeRo = errors.length;
  await call(1, false, "read-only: a stored result");
  await call(3, true, "read-only: a new result");
  if (
    !errors.slice(beforeRo).some((event) =>
      (event.error as CacheError)?.code === "PERMISSION_DENIED"
    )
  ) {
    ctx.violation("no-error-event", "read-only: the task's failed store emitted no event");
  }
  try {
    const entries = await cache.entries();
    if (entries.length !== sizes.size + 1) {
      ctx.violation(
        "listing",
        `read-only: ${entries.length} entries listed, ${sizes.size + 1} stored`,
      );
    }
  } catch (error) {
    ctx.violation("listing", `read-only: ${describeError(error)}`);
  }
  ctx.count("check.error-events", errors.length);
  ctx.count("task.runs", runs);
  await cache.close();
}
