/**
 * Part 3: several Chromium tabs and dedicated workers on ONE IndexedDB database running the
 * mixed workload at once (test/support/stamped.ts's `mixedWorkload` through TaskCache, with
 * deletes, prunes and clears), then tabs closed abruptly while large sets from the tab and its
 * worker are in flight. After each round a fresh tab checks: every key reads as a miss or an
 * exact stamped value of a writer that ran, the `entries` and `meta` stores agree, the listing
 * works, and a set and get round-trip.
 *
 * Also part 4's IndexedDB damage (`browserDamage`), in a browser of its own.
 *
 * @module
 */
import { existsSync } from "node:fs";
import type { Page } from "playwright-core";
import { type Browser, launch, serve, type Site } from "../browser/harness.ts";
import type { WriterReport } from "./browser_support.ts";
import {
  CHROMIUM_PATH,
  describeError,
  type Part,
  type PartContext,
  sleep,
  withTimeout,
} from "./common.ts";

const TABS = 3;
const KEYS = 6;
const OPS = 120;

type Api = {
  mixedTab(options: {
    writer: number;
    workerWriters: number[];
    ops: number;
    keys: number;
    seed: number;
  }): Promise<WriterReport[]>;
  startStorm(
    options: { writer: number; workerWriter: number; keys: number; seed: number },
  ): string;
  verify(options: { keys: number; writers: number[] }): Promise<{
    hits: number;
    records: number;
    problems: string[];
  }>;
  damageIdb(options: { seed: number; budgetMs: number }): Promise<{
    counters: Record<string, number>;
    violations: { kind: string; detail: string; count?: number }[];
  }>;
};

/** A browser and the suite's pages served, or `undefined` (skipped or failed) without Chromium. */
async function start(ctx: PartContext): Promise<{ browser: Browser; site: Site } | undefined> {
  if (
    !ctx.require(
      existsSync(CHROMIUM_PATH),
      "Chromium",
      `${CHROMIUM_PATH} is missing (Debian package chromium)`,
    )
  ) {
    return undefined;
  }
  const site = await serve({
    faults: "test/faults/browser_page.ts",
    faults_worker: "test/faults/browser_worker.ts",
  });
  try {
    return { browser: await withTimeout(launch(), 30_000, "launching Chromium"), site };
  } catch (error) {
    await site.close();
    throw error;
  }
}

async function openTab(ctx: PartContext, browser: Browser, site: Site): Promise<Page> {
  const page = await browser.context.newPage();
  ctx.count("browser.tabs");
  page.on("pageerror", (error) => ctx.violation("page-error", describeError(error)));
  await page.goto(`${site.url}/faults.html`);
  await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true, null, {
    timeout: 20_000,
  });
  return page;
}

export const browserTabs: Part = async (ctx) => {
  const started = await start(ctx);
  if (started === undefined) return;
  const { browser, site } = started;
  const writers: number[] = [];
  try {
    const fresh = async (label: string) => {
      const page = await openTab(ctx, browser, site);
      const result = await withTimeout(
        page.evaluate(
          (options) => (globalThis as never as Api).verify(options),
          { keys: KEYS, writers },
        ),
        30_000,
        `checking in a fresh tab after ${label}`,
      );
      ctx.count("check.fresh-tabs");
      ctx.count("check.values-left", result.hits);
      for (const problem of result.problems) {
        ctx.violation("fresh-tab-check", `${label}: ${problem}`);
      }
      await page.close();
    };

    // Phase 1: tabs and their workers at once, rounds for 40% of the budget.
    const phaseEnd = Date.now() + ctx.budgetMs * 0.4;
    for (let round = 0; round === 0 || Date.now() < phaseEnd; round++) {
      const roundStarted = Date.now();
      const tabs = await Promise.all(
        Array.from({ length: TABS }, () => openTab(ctx, browser, site)),
      );
      const runs = tabs.map((page, i) => {
        const writer = round * 100 + i + 1;
        const workerWriter = round * 100 + 50 + i + 1;
        writers.push(writer, workerWriter);
        ctx.count("browser.workers");
        return page.evaluate(
          (options) => (globalThis as never as Api).mixedTab(options),
          { writer, workerWriters: [workerWriter], ops: OPS, keys: KEYS, seed: ctx.subSeed() },
        );
      });
      const reports = (await withTimeout(
        Promise.all(runs),
        60_000,
        `round ${round} of the mixed workload`,
      )).flat();
      for (const report of reports) {
        ctx.countAll(report.counters);
        for (const problem of report.problems) {
          ctx.violation("inexact-read", `writer ${report.writer}: ${problem}`);
        }
        for (const error of report.errors) ctx.violation("operation-threw", error);
      }
      await Promise.all(tabs.map((page) => page.close()));
      ctx.count("browser.mixed-rounds");
      await fresh(`mixed round ${round}`);
      ctx.log(`mixed round ${round}: ${Date.now() - roundStarted} ms`);
    }

    // Phase 2: a tab (and its worker) closed abruptly while large sets are in flight.
    for (let round = 0; round < 3 || ctx.remaining() > 4_000; round++) {
      const page = await openTab(ctx, browser, site);
      const writer = 900 + round;
      const workerWriter = 950 + round;
      writers.push(writer, workerWriter);
      const seen = { begin: 0, end: 0, error: 0 };
      let closing = false;
      page.on("console", (message) => {
        const [word, event, ...rest] = message.text().split(" ");
        if (word !== "storm" || closing) return;
        if (event === "begin" || event === "end") seen[event]++;
        else if (event === "error") {
          seen.error++;
          ctx.violation("operation-threw", `storm set before the close: ${rest.join(" ")}`);
        }
      });
      await page.evaluate(
        (options) => (globalThis as never as Api).startStorm(options),
        { writer, workerWriter, keys: KEYS, seed: ctx.subSeed() },
      );
      ctx.count("browser.workers");
      // Some sets complete, others are in flight when the tab goes.
      const wait = 150 + ctx.random.below(900);
      const until = Date.now() + wait;
      while (Date.now() < until || seen.begin === 0) await sleep(10);
      closing = true;
      const inFlight = seen.begin - seen.end - seen.error;
      await page.close();
      ctx.count("browser.tabs-closed-mid-write");
      ctx.count("browser.sets-completed-before-close", seen.end);
      ctx.count("browser.sets-in-flight-at-close", inFlight);
      await fresh(`closing a tab with ${inFlight} set(s) in flight`);
    }
  } finally {
    await browser.close().catch(() => {});
    await site.close();
  }
};

/** Part 4's IndexedDB damage, in a browser of its own. */
export async function browserDamage(ctx: PartContext, budgetMs: number): Promise<void> {
  const launched = Date.now();
  const started = await start(ctx);
  if (started === undefined) return;
  const { browser, site } = started;
  try {
    const page = await openTab(ctx, browser, site);
    const left = Math.max(2_000, budgetMs - (Date.now() - launched));
    const result = await withTimeout(
      page.evaluate(
        (options) => (globalThis as never as Api).damageIdb(options),
        { seed: ctx.subSeed(), budgetMs: left },
      ),
      left + 30_000,
      "the IndexedDB damage",
    );
    ctx.countAll(result.counters);
    for (const violation of result.violations) {
      ctx.violation(violation.kind, violation.detail, violation.count);
    }
    await page.close();
  } finally {
    await browser.close().catch(() => {});
    await site.close();
  }
}
