/**
 * The browser benchmark, in each engine of the browser tests (Debian's Chromium, Firefox ESR and
 * WebKitGTK, through test/browser/harness.ts): get and set of 1 KiB and 1 MiB outputs through
 * TaskCache over IndexedDbAdapter (key included) against idb-keyval and localforage storing the
 * same bytes under the same keys, in one page, taking turns; and the size of the entry plus the
 * IndexedDB adapter, bundled for the browser, minified and gzipped. The page
 * (bench/browser_page.ts) also times `calculateCacheKey` for bench/keys.ts.
 *
 * Part of `npm run bench`; alone, it prints its Markdown:
 *
 *   node --import tsx bench/browser.ts
 *
 * @module
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import {
  browserBuild,
  call,
  engine,
  type EngineName,
  type Page,
  ROOT,
  serve,
  waitReady,
} from "../test/browser/harness.ts";
import { type Goal, metText, ratio, skipped, table } from "./report.ts";
import { formatMicros, sig3 } from "./stats.ts";

/** The benchmark page, loaded in a fresh browser of one engine. */
export interface BenchPage {
  page: Page;
  close(): Promise<void>;
}

export async function openBenchPage(name: EngineName = "chromium"): Promise<BenchPage> {
  const site = await serve({ bench: "bench/browser_page.ts" });
  const browser = await (await engine(name)).launch().catch(async (error: unknown) => {
    await site.close();
    throw error;
  });
  try {
    const page = await browser.newPage(`${site.url}/bench.html`);
    await waitReady(page);
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
  return call(page, "keyRound", name, iterations);
}

/** µs per op: output label -> side -> set/get. */
export type BrowserTimes = Record<string, Record<string, { set: number; get: number }>>;

export interface BrowserResult {
  /** Chromium's. */
  times: BrowserTimes;
  /** The other engines' (absent from reports made before they were measured). */
  firefox?: BrowserTimes;
  webkit?: BrowserTimes;
  bundle: { minified: number; gzipped: number };
}

const ENGINES = [["chromium", "Chromium"], ["firefox", "Firefox"], ["webkit", "WebKit"]] as const;

/**
 * The times of each engine measured, with its title, by output in order of size (an engine
 * driven over WebDriver hands its object back with its keys in another order).
 */
function engineTimes(result: BrowserResult): [string, [string, BrowserTimes[string]][]][] {
  const times = { chromium: result.times, firefox: result.firefox, webkit: result.webkit };
  return ENGINES.flatMap(([name, title]) => {
    const outputs = times[name];
    if (outputs === undefined) return [];
    const sorted = Object.entries(outputs).sort(([a], [b]) => a.localeCompare(b));
    return [[title, sorted] as [string, [string, BrowserTimes[string]][]]];
  });
}

export const OURS = "TaskCache + IndexedDbAdapter";
const GOAL = 1.2;

/** The entry and the IndexedDB adapter, as an app bundling them would ship them. */
async function bundleSize(): Promise<{ minified: number; gzipped: number }> {
  const built = await esbuild.build({
    ...browserBuild({ bundle: join(ROOT, "bench/browser_entry.ts") }, true),
  });
  const code = built.outputFiles?.[0]?.contents ?? new Uint8Array(0);
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

/** The IndexedDB comparison in one engine, in a browser of its own. */
async function timesIn(name: EngineName): Promise<BrowserTimes> {
  const bench = await openBenchPage(name);
  try {
    return await call<BrowserTimes>(bench.page, "bench");
  } finally {
    await bench.close();
  }
}

/**
 * The IndexedDB comparison in each engine (Firefox and WebKit noted and left out if they
 * fail) and the bundle's size.
 */
export async function benchBrowser(): Promise<BrowserResult> {
  const result: BrowserResult = { times: await timesIn("chromium"), bundle: await bundleSize() };
  for (const name of ["firefox", "webkit"] as const) {
    try {
      result[name] = await timesIn(name);
    } catch (error) {
      skipped(`IndexedDB in ${name}`, String(error).split("\n")[0]!);
    }
  }
  return result;
}

export function browserTable(result: BrowserResult): string {
  const rows = engineTimes(result).flatMap(([title, times]) =>
    times.flatMap(([label, sides]) =>
      (["set", "get"] as const).map((op) => {
        const ours = sides[OURS]![op], keyval = sides["idb-keyval"]![op];
        const forage = sides["localforage"]![op];
        return [
          title,
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
    )
  );
  return table(
    [
      "engine",
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
  return engineTimes(result).flatMap(([title, times]) =>
    times.flatMap(([label, sides]) =>
      (["set", "get"] as const).map((op) => {
        const ratio = sides[OURS]![op] / sides["idb-keyval"]![op];
        return {
          area: `IndexedDB (${title})`,
          goal: `${label} ${op}: ours within ${GOAL}x of idb-keyval`,
          measured: `${sig3(ratio)}x idb-keyval's time`,
          met: ratio <= GOAL,
          margin: GOAL / ratio,
        };
      })
    )
  );
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const result = await benchBrowser();
  console.log(browserTable(result));
}
