/**
 * A process working on one FsAdapter directory, for test/node/fs_faults.test.ts.
 *
 * `writer <dir> <writer>`: sets large stamped values under keys 0..2 until killed; prints
 * "ready" before its first write.
 * `mixed <dir> <writer> <ops> <keys> <seed>`: random gets and sets on shared keys; prints one
 * JSON line: { reads, hits, problems }.
 */
import { FsAdapter } from "../../../src/adapters/fs.ts";
import { stampedValue, stampProblem } from "../../support/stamped.ts";
import { KILLED_KEYS, killedLength, mixedLength } from "./fs_workload.ts";

const [mode, directory, writerText, ...rest] = process.argv.slice(2);
const writer = Number(writerText);

if (mode === "writer") {
  const adapter = new FsAdapter({ directory: directory! });
  process.stdout.write("ready\n");
  for (let seq = 0;; seq++) {
    const key = seq % KILLED_KEYS;
    await adapter.set(`key-${key}`, stampedValue(key, writer, seq, killedLength(writer, seq)));
  }
} else if (mode === "mixed") {
  const [ops, keys, seed] = rest.map(Number) as [number, number, number];
  const adapter = new FsAdapter({ directory: directory! });
  let state = seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  let reads = 0, hits = 0;
  const problems: string[] = [];
  for (let seq = 0; seq < ops; seq++) {
    const key = Math.floor(random() * keys);
    if (random() < 0.5) {
      await adapter.set(`key-${key}`, stampedValue(key, writer, seq, mixedLength(writer, seq)));
    } else {
      reads++;
      const value = await adapter.get(`key-${key}`);
      if (value === undefined) continue;
      hits++;
      const problem = stampProblem(value, key, mixedLength);
      if (problem !== undefined) problems.push(problem);
    }
  }
  process.stdout.write(JSON.stringify({ reads, hits, problems }) + "\n");
} else {
  throw new Error(`unknown mode ${mode}`);
}
