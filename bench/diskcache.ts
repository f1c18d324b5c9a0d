/**
 * The flytekit cache benchmark: `TaskCache` over `DiskcacheAdapter` against Python's diskcache
 * on flytekit's path (`LocalTaskCache.set` / `get`: key + store, bench/store.py) and
 * diskcache alone, each on a directory of its own, for 1 KiB, 64 KiB and 1 MiB outputs, key
 * computation included on our side. The stores take turns within each round; the table gives
 * µs per operation and the ratios (their time / ours: above 1, we are faster).
 *
 * Needs a runtime whose SQLite writes diskcache's database (Node >= 22.5, Deno, Bun):
 * `npm run bench:diskcache` runs it on the engines' Node 22.
 *
 * @module
 */
import process from "node:process";
import { DiskcacheAdapter } from "../src/adapters/diskcache.ts";
import { TaskCache } from "../src/core/task_cache.ts";
import { DISK_ROUNDS, jsContender, SERIES, timeTurns, withDiskcache } from "./disk.ts";
import { diskWorkload } from "./inputs.ts";
import { probePython } from "./python.ts";
import { progress, ratio, table } from "./report.ts";
import { formatMicros } from "./stats.ts";

const TASK = "bench.task";
const VERSION = "1";
const OURS = "ours: TaskCache + DiskcacheAdapter";

const python = probePython();
if (python.diskSkipped !== undefined) {
  console.error(`bench:diskcache needs Python's diskcache: ${python.diskSkipped}`);
  process.exit(1);
}
const rows: string[][] = [];
for (
  const w of [
    diskWorkload("1 KiB", 1024, 200, DISK_ROUNDS),
    diskWorkload("64 KiB", 64 * 1024, 100, DISK_ROUNDS),
    diskWorkload("1 MiB", 1024 * 1024, 50, DISK_ROUNDS),
  ]
) {
  progress(`diskcache ${w.label}: ${w.values.length} entries x ${DISK_ROUNDS + 1} rounds`);
  const ours = await jsContender(OURS, w, (directory) => {
    const cache = new TaskCache(new DiskcacheAdapter({ directory }));
    return {
      set: (inputs, value) => cache.set(TASK, VERSION, inputs, [], value),
      get: (inputs) => cache.get(TASK, VERSION, inputs, []),
      close: () => cache.close(),
    };
  });
  const times = await timeTurns(w, [ours, await withDiskcache(w)]);
  for (const op of ["set", "get"] as const) {
    const mine = times[OURS]![op];
    const keyed = times[SERIES.diskcacheKeyed]?.[op];
    const plain = times[SERIES.diskcachePlain]?.[op];
    rows.push([
      `${w.label} (${w.values.length}/round)`,
      op,
      formatMicros(mine),
      keyed === undefined ? "n/a" : formatMicros(keyed),
      ratio(mine, keyed),
      plain === undefined ? "n/a" : formatMicros(plain),
      ratio(mine, plain),
    ]);
  }
}
console.log(
  `\nflytekit's cache directory, µs per operation (median of ${DISK_ROUNDS} rounds), ` +
    `${process.release.name} ${process.version}, Python ${python.version}:\n`,
);
console.log(table(
  ["output", "op", OURS, SERIES.diskcacheKeyed, "ratio", SERIES.diskcachePlain, "ratio"],
  rows,
));
