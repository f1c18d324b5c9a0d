/** A page for the persistence and two-page tests: LocalTaskCache and a shared-key workload. */
import { IndexedDbAdapter } from "../../src/adapters/indexeddb.ts";
import { LocalTaskCache } from "../../src/local_task_cache.ts";
import { integer, literalMap, string } from "../support/literals.ts";
import { stampedValue, stampProblem } from "../support/stamped.ts";

const inputs = literalMap({ n: integer(42n) });
const length = (writer: number, seq: number) => 16 + ((writer * 7919 + seq * 104729) % 200_000);

async function persist(action: string): Promise<string> {
  if (action === "set") {
    await LocalTaskCache.set("persist.task", "1", inputs, [], literalMap({ o: string("kept") }));
    return "stored";
  }
  return (await LocalTaskCache.get("persist.task", "1", inputs, [])) === undefined ? "miss" : "hit";
}

/** 300 random gets and sets of 5 keys shared with another page, checking every read. */
async function mixed(writer: number) {
  const adapter = new IndexedDbAdapter({ databaseName: "two-pages" });
  let state = writer * 7919;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  let reads = 0, hits = 0;
  const problems: string[] = [];
  for (let seq = 0; seq < 300; seq++) {
    const key = Math.floor(random() * 5);
    if (random() < 0.5) {
      await adapter.set(`key-${key}`, stampedValue(key, writer, seq, length(writer, seq)));
    } else {
      reads++;
      const value = await adapter.get(`key-${key}`);
      if (value === undefined) continue;
      hits++;
      const problem = stampProblem(value, key, length);
      if (problem !== undefined) problems.push(problem);
    }
  }
  await adapter.close();
  return { reads, hits, problems };
}

Object.assign(globalThis, { persist, mixed, ready: true });
