/**
 * Part 1: several Node processes on ONE FsAdapter directory, each a random mix of TaskCache get,
 * set, delete, clear, prune (a small maxSize), deleteEntries and a cachedTask with single flight
 * (test/faults/fs_child.ts), with stamped values; the parent SIGKILLs random processes at random
 * moments and starts them again. Every read must be a miss or exactly a value written for its
 * key; afterwards the directory holds only entries, leases and the temporary files of killed
 * writers (which `clear` removes), every listed entry reads back at its listed size, and the cache
 * still works.
 *
 * @module
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsAdapter } from "../../src/adapters/fs.ts";
import { toBinaryDeterministic } from "../../src/keys/deterministic.ts";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { TaskCache, taskCacheInternals } from "../../src/core/task_cache.ts";
import { checkRoundTrip, checkValuesLeft } from "./cache_checks.ts";
import { churnNodeProcesses } from "./churn.ts";
import { describeError, FAULTS, type Part } from "./common.ts";
import { fsLength, TASK } from "./workload.ts";

const CHILD = join(FAULTS, "fs_child.ts");
const PROCESSES = 4;
const KEYS = 12;
/** Temporary files a killed process can leave: a set's, and a lease renewal's. */
const TEMPORARIES_PER_KILL = 2;
/** What the churn leaves of the budget for stopping and checking. */
const RESERVE_MS = 10_000;

export const fsMulti: Part = async (ctx) => {
  const directory = await mkdtemp(join(tmpdir(), "ltc-faults-fs-"));
  ctx.undoIfKilled("rm", directory);
  try {
    ctx.log(`${PROCESSES} processes on ${directory}, killed at random for the budget`);
    const { writers, kills } = await churnNodeProcesses(ctx, {
      processes: PROCESSES,
      reserveMs: RESERVE_MS,
      script: CHILD,
      args: (writer, seed) => [directory, String(writer), String(seed), String(KEYS)],
    });

    // What is left: exact values only; every listed entry reads back at its size.
    const cache = new TaskCache(new FsAdapter({ directory }), { maxSize: Infinity });
    await checkValuesLeft(ctx, cache, KEYS, fsLength, writers);
    try {
      const entries = await cache.entries();
      ctx.count("check.entries-listed", entries.length);
      for (const entry of entries) {
        if (entry.taskName !== TASK && entry.taskName !== "faults.task") {
          ctx.violation("entry-metadata", `an entry of task ${JSON.stringify(entry.taskName)}`);
        }
        const value = await taskCacheInternals().lookup(cache, entry.key, entry);
        if (value === undefined) {
          ctx.violation("entry-metadata", `listed entry ${entry.key} reads as a miss`);
        } else {
          const size = toBinaryDeterministic(LiteralMapSchema, value, "value").length;
          if (size !== entry.size) {
            ctx.violation(
              "entry-metadata",
              `${entry.key}: listed ${entry.size} bytes, read ${size}`,
            );
          }
        }
      }
    } catch (error) {
      ctx.violation("entries-threw", describeError(error));
    }

    const names = await readdir(directory);
    const temporaries = names.filter((name) => /^\.tmp-[0-9a-f]{32}$/.test(name));
    const leases = names.filter((name) => /^[0-9a-f]{64}\.lease$/.test(name));
    // Besides entries, temporaries and leases: the running total of the size limit.
    const others = names.filter((name) =>
      !/^[0-9a-f]{64}\.ltc$/.test(name) && !temporaries.includes(name) &&
      !leases.includes(name) && name !== "ltc-usage.log"
    );
    ctx.count("check.temporaries-left", temporaries.length);
    ctx.count("check.leases-left", leases.length);
    if (others.length > 0) ctx.violation("stray-files", `unexpected files: ${others.join(", ")}`);
    if (temporaries.length > kills * TEMPORARIES_PER_KILL) {
      ctx.violation(
        "stray-files",
        `${temporaries.length} temporary files left, more than ${kills} killed processes leave`,
      );
    }
    if (leases.length > kills) {
      ctx.violation("stray-files", `${leases.length} leases left by ${kills} killed processes`);
    }

    // The next clear removes everything; the cache works afterwards.
    await cache.clear();
    const after = await readdir(directory);
    if (after.length > 0) ctx.violation("stray-files", `after clear: ${after.join(", ")}`);
    await checkRoundTrip(ctx, cache, fsLength);
    await cache.close();
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
};
