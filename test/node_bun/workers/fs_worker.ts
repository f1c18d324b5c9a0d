/**
 * A process working on one FsAdapter directory, for test/node_bun/fs_faults.test.ts.
 *
 * - `writer <directory> <writer>`: sets stamped 4-8 MiB values (seq 0 to 5) under
 *   `key-<seq % 3>`, over and over and one loop per key at once, until it is killed; prints
 *   "ready" before its first write.
 * - `mixed <directory> <writer> <ops> <keys> <seed>`: prints "ready", waits for a line on
 *   stdin (so that all workers start together), then does `ops` random operations on
 *   `key-0` .. `key-<keys - 1>` (50% get, 44% set, 5% delete, 1% clear) and prints one JSON
 *   line: `{ reads, hits, sets, deletes, clears, problems, errors }`. A problem is a read that
 *   is not exactly a value written for its key; an error is an operation that threw.
 */
import { createInterface } from "node:readline";
import { FsAdapter } from "../../../src/adapters/fs.ts";
import { stampedValue } from "../../support/stamped.ts";
import { KILLED_KEYS, killedLength, mixedLength, workloadProblem } from "./fs_workload.ts";

const [mode, directory, writerText, ...rest] = process.argv.slice(2);
const writer = Number(writerText);
const adapter = new FsAdapter({ directory: directory! });

if (mode === "writer") {
  // Values made up front (two per key), so that the writer spends its time in `set` and a
  // kill nearly always lands in the middle of one.
  const values = Array.from(
    { length: 2 * KILLED_KEYS },
    (_, seq) => stampedValue(seq % KILLED_KEYS, writer, seq, killedLength(writer, seq)),
  );
  process.stdout.write("ready\n");
  // One loop per key, concurrently: while one computes its checksum, the others write.
  await Promise.all(
    Array.from({ length: KILLED_KEYS }, async (_, key) => {
      for (let seq = key;; seq = (seq + KILLED_KEYS) % values.length) {
        await adapter.set(`key-${key}`, values[seq]!);
      }
    }),
  );
} else if (mode === "mixed") {
  const [ops, keys, seed] = rest.map(Number) as [number, number, number];
  let state = seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  process.stdout.write("ready\n");
  const lines = createInterface({ input: process.stdin });
  await new Promise((resolve) => lines.once("line", resolve));
  lines.close();
  const report = { reads: 0, hits: 0, sets: 0, deletes: 0, clears: 0 };
  const problems: string[] = [];
  const errors: string[] = [];
  for (let seq = 0; seq < ops; seq++) {
    const key = Math.floor(random() * keys);
    const choice = random();
    try {
      if (choice < 0.5) {
        report.reads++;
        const value = await adapter.get(`key-${key}`);
        if (value === undefined) continue;
        report.hits++;
        const problem = workloadProblem(value, key, mixedLength, 4);
        if (problem !== undefined) problems.push(`writer ${writer} op ${seq}: ${problem}`);
      } else if (choice < 0.94) {
        report.sets++;
        const value = stampedValue(key, writer, seq, mixedLength(writer, seq));
        await adapter.set(`key-${key}`, value);
      } else if (choice < 0.99) {
        report.deletes++;
        await adapter.delete(`key-${key}`);
      } else {
        report.clears++;
        await adapter.clear();
      }
    } catch (error) {
      errors.push(`writer ${writer} op ${seq}: ${String(error)}`);
    }
  }
  process.stdout.write(`${JSON.stringify({ ...report, problems, errors })}\n`);
} else {
  throw new Error(`fs_worker: unknown mode ${mode}`);
}
