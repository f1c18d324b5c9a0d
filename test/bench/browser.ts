/**
 * The browser benchmark, in Debian's Chromium: get and set of 1 KiB and 1 MiB outputs through
 * TaskCache over IndexedDbAdapter (key included) against idb-keyval and localforage storing the
 * same bytes under the same keys, in one page, taking turns; and the size of the entry plus the
 * IndexedDB adapter, bundled for the browser, minified and gzipped. Prints Markdown.
 *
 *   node --import tsx test/bench/browser.ts
 */
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { browserBuild, launch, ROOT, serve } from "../browser/harness.ts";
import { join } from "node:path";

/** The entry and the IndexedDB adapter, as an app bundling them would ship them. */
async function bundleSize(): Promise<{ minified: number; gzipped: number }> {
  const built = await esbuild.build({
    ...browserBuild({ bundle: join(ROOT, "test/bench/browser_entry.ts") }, true),
  });
  const code = built.outputFiles?.[0]?.contents ?? new Uint8Array(0);
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

type Times = Record<string, Record<string, { set: number; get: number }>>;

const site = await serve({ bench: "test/bench/browser_page.ts" });
const browser = await launch();
let times: Times;
try {
  const page = await browser.context.newPage();
  await page.goto(`${site.url}/bench.html`);
  await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true);
  times = await page.evaluate(() => (globalThis as never as { bench(): Promise<Times> }).bench());
} finally {
  await browser.close();
  await site.close();
}
const size = await bundleSize();
const us = (value: number) =>
  value >= 1000 ? `${(value / 1000).toPrecision(3)} ms` : `${value.toPrecision(3)} µs`;
console.log(
  "| output | op | TaskCache + IndexedDbAdapter | idb-keyval | ours / idb-keyval | goal (≤ 1.2x) | localforage | ratio |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const [label, sides] of Object.entries(times)) {
  for (const op of ["set", "get"] as const) {
    const ours = sides["TaskCache + IndexedDbAdapter"]![op];
    const keyval = sides["idb-keyval"]![op];
    const forage = sides["localforage"]![op];
    const times = ours / keyval;
    console.log(
      `| ${label} | ${op} | ${us(ours)} | ${us(keyval)} | ${times.toPrecision(3)}x | ${
        times <= 1.2 ? "met" : "NOT met"
      } | ${us(forage)} | ${(forage / ours).toPrecision(3)}x |`,
    );
  }
}
console.log(
  `\nBundle of the entry and the IndexedDB adapter (esbuild, browser, minified): ${
    (size.minified / 1024).toFixed(1)
  } KiB, ${(size.gzipped / 1024).toFixed(1)} KiB gzipped.`,
);
