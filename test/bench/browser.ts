/**
 * The browser benchmark, in Debian's Chromium: get and set of 1 KiB and 1 MiB outputs through
 * TaskCache over IndexedDbAdapter (key included) against idb-keyval and localforage storing the
 * same bytes under the same keys, in one page, taking turns; and the size of the entry plus the
 * IndexedDB adapter, bundled for the browser, minified and gzipped. The page
 * (test/bench/browser_page.ts) also times `calculateCacheKey` for test/bench/keys.ts.
 *
 * Part of `npm run bench`; alone, it prints its Markdown:
 *
 *   node --import tsx test/bench/browser.ts
 *
 * @module
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import type { Page } from "playwright-core";
import { browserBuild, launch, ROOT, serve } from "../browser/harness.ts";
import { type Goal, metText, ratio, table } from "./report.ts";
import { formatMicros, sig3 } from "./stats.ts";

/** The benchmark page, loaded in a fresh headless Chromium. */
export interface BenchPage {
  page: Page;
  close(): Promise<void>;
}

export async function openBenchPage(): Promise<BenchPage> {
  const site = await serve({ bench: "test/bench/browser_page.ts" });
  const browser = await launch().catch(async (error) => {
    await site.close();
    throw error;
  });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${site.url}/bench.html`);
    await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true);
    return {
      page,
      close: async () => {
        await browser.close();
        await site.close();
      },
    };
  } catch (error) {
    await browser.close();
    await site.close();
    throw error;
  }
}

/** One timing round of `calculateCacheKey` in the page: the case's key, µs per call. */
export function keyRoundInPage(
  page: Page,
  name: string,
  iterations: number,
): Promise<{ key: string; us: number }> {
  return page.evaluate(
    ([name, iterations]) =>
      (globalThis as never as {
        keyRound(name: string, iterations: number): { key: string; us: number };
      }).keyRound(name, iterations),
    [name, iterations] as const,
  );
}

/** µs per op: output label -> side -> set/get. */
export type BrowserTimes = Record<string, Record<string, { set: number; get: number }>>;

export interface BrowserResult {
  times: BrowserTimes;
  bundle: { minified: number; gzipped: number };
}

export const OURS = "TaskCache + IndexedDbAdapter";
const GOAL = 1.2;

/** The entry and the IndexedDB adapter, as an app bundling them would ship them. */
async function bundleSize(): Promise<{ minified: number; gzipped: number }> {
  const built = await esbuild.build({
    ...browserBuild({ bundle: join(ROOT, "test/bench/browser_entry.ts") }, true),
  });
  const code = built.outputFiles?.[0]?.contents ?? new Uint8Array(0);
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

/** The IndexedDB comparison (in a Chromium of its own) and the bundle's size. */
export async function benchBrowser(): Promise<BrowserResult> {
  const bench = await openBenchPage();
  let times: BrowserTimes;
  try {
    times = await bench.page.evaluate(() =>
      (globalThis as never as { bench(): Promise<BrowserTimes> }).bench()
    );
  } finally {
    await bench.close();
  }
  return { times, bundle: await bundleSize() };
}

export function browserTable(result: BrowserResult): string {
  const rows = Object.entries(result.times).flatMap(([label, sides]) =>
    (["set", "get"] as const).map((op) => {
      const ours = sides[OURS]![op], keyval = sides["idb-keyval"]![op];
      const forage = sides["localforage"]![op];
      return [
        label,
        op,
        formatMicros(ours),
        formatMicros(keyval),
        `${sig3(ours / keyval)}x`,
        metText(ours / keyval <= GOAL),
        formatMicros(forage),
        ratio(ours, forage),
      ];
    })
  );
  return table(
    [
      "output",
      "op",
      OURS,
      "idb-keyval",
      "ours / idb-keyval",
      `goal (≤ ${GOAL}x)`,
      "localforage",
      "localforage / ours",
    ],
    rows,
  ) +
    `\nBundle of the entry and the IndexedDB adapter (esbuild, browser, minified): ${
      (result.bundle.minified / 1024).toFixed(1)
    } KiB, ${(result.bundle.gzipped / 1024).toFixed(1)} KiB gzipped.\n`;
}

export function browserGoals(result: BrowserResult): Goal[] {
  return Object.entries(result.times).flatMap(([label, sides]) =>
    (["set", "get"] as const).map((op) => {
      const times = sides[OURS]![op] / sides["idb-keyval"]![op];
      return {
        area: "IndexedDB (Chromium)",
        goal: `${label} ${op}: ours within ${GOAL}x of idb-keyval`,
        measured: `${sig3(times)}x idb-keyval's time`,
        met: times <= GOAL,
        margin: GOAL / times,
      };
    })
  );
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const result = await benchBrowser();
  console.log(browserTable(result));
}
