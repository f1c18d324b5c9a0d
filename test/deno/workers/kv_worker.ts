/// <reference lib="deno.ns" />
/// <reference lib="deno.unstable" />
/**
 * A Deno process working on one KV file, for test/deno/deno_kv_faults.test.ts.
 *
 * `writer <path> <writer>`: sets 10 MiB stamped values under key 0 until killed; prints "ready".
 * `mixed <path> <writer> <ops> <keys> <seed>`: random gets and sets of shared keys; prints one
 * JSON line: { reads, hits, problems }.
 */
import { DenoKvAdapter } from "../../../src/adapters/deno_kv.ts";
import { mixedWorkload, stampedValue } from "../../support/stamped.ts";
import { killedLength, mixedLength } from "./kv_workload.ts";

const [mode, path, writerText, ...rest] = Deno.args;
const writer = Number(writerText);
const adapter = new DenoKvAdapter({ path: path! });
const print = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text + "\n"));

if (mode === "writer") {
  print("ready");
  for (let seq = 0;; seq++) {
    await adapter.set("key-0", stampedValue(0, writer, seq, killedLength(writer, seq)));
  }
} else if (mode === "mixed") {
  const [ops, keys, seed] = rest.map(Number) as [number, number, number];
  const report = await mixedWorkload(adapter, { writer, ops, keys, seed, lengthOf: mixedLength });
  await adapter.close();
  print(JSON.stringify(report));
} else {
  throw new Error(`unknown mode ${mode}`);
}
