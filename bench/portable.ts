/**
 * `calculateCacheKey` as a runtime without a native MD5 gets it (a browser): run by
 * bench/run.ts as `node --import tsx bench/portable.ts`, it sends `#runtime` to
 * src/runtime/browser.ts before loading the key module, so the exported function uses the
 * portable MD5 (src/keys/md5.ts), then times it on the cases of inputs.ts.
 *
 * One JSON request per line on stdin, `{ "name": case name, "iterations": n }`, one answer per
 * line on stdout, `{ "key": the case's key, "us": µs per call over one round of n calls }`.
 * The caller runs the rounds, interleaved with its own, and takes the median.
 *
 * @module
 */
import { register } from "node:module";
import { createInterface } from "node:readline";
import { keyCases } from "./inputs.ts";
import { roundTime } from "./stats.ts";

const browserRuntime = new URL("../src/runtime/browser.ts", import.meta.url).href;
// Registered after tsx's hooks, so asked first; tsx then resolves and loads the .ts file.
register(
  "data:text/javascript," + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  return next(specifier === "#runtime" ? ${JSON.stringify(browserRuntime)} : specifier, context);
}`),
);

const runtime = (await import("#runtime")) as { nativeMd5Hex?: unknown };
if (runtime.nativeMd5Hex !== undefined) {
  throw new Error("portable.ts: #runtime still has a native MD5; the redirect did not apply");
}
const { calculateCacheKey } = await import("../src/keys/key.ts");

const cases = new Map(keyCases().map((c) => [c.name, c]));
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "") continue;
  const request = JSON.parse(line) as { name: string; iterations: number };
  const c = cases.get(request.name);
  if (c === undefined) throw new Error(`portable.ts: no case ${JSON.stringify(request.name)}`);
  const call = () => calculateCacheKey(c.taskName, c.cacheVersion, c.inputs);
  const us = roundTime(call, request.iterations);
  process.stdout.write(JSON.stringify({ key: call(), us }) + "\n");
}
