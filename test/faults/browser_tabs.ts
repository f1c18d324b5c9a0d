/**
 * Part 3: in each browser engine (Chromium, Firefox, WebKit; `LTC_BROWSERS` picks some),
 * several tabs and dedicated workers on ONE IndexedDB database running the mixed workload at
 * once (test/support/stamped.ts's `mixedWorkload` through TaskCache, with deletes, prunes and
 * clears), then tabs closed abruptly while large sets from the tab and its worker (in WebKit:
 * the tab alone, see phase 2) are in flight. After each round a fresh tab checks: every key
 * reads as a miss or an exact stamped value of a writer that ran, the `entries` and `meta`
 * stores agree, the listing works, and a set and get round-trip.
 *
 * Also part 4's IndexedDB damage (`browserDamage`), in a browser of its own per engine.
 *
 * @module
 */
import {
  type Browser,
  call,
  type Engine,
  engine,
  missing,
  type Page,
  selectedEngines,
  serve,
  type Site,
  waitReady,
} from "../browser/harness.ts";
import type { WriterReport } from "./browser_support.ts";
import { type Part, type PartContext, sleep, withTimeout } from "./common.ts";

const TABS = 3;
const KEYS = 6;
const OPS = 120;

type Verdict = { hits: number; records: number; problems: string[] };
type StormSeen = { begin: number; end: number; error: number; errors: string[] };
type Damaged = {
  counters: Record<string, number>;
  violations: { kind: string; detail: string; count?: number }[];
};

/** The engines of this run, each installed (else skipped, or failed under CI). */
async function engines(ctx: PartContext): Promise<Engine[]> {
  const found: Engine[] = [];
  for (const current of await Promise.all(selectedEngines().map(engine))) {
    const reason = missing(current);
    if (ctx.require(reason === undefined, current.title, reason ?? "")) found.push(current);
  }
  return found;
}

/** A browser of `current` and the suite's pages served. */
async function start(current: Engine): Promise<{ browser: Browser; site: Site }> {
  const site = await serve({
    faults: "test/faults/browser_page.ts",
    faults_worker: "test/faults/browser_worker.ts",
  });
  try {
    return {
      browser: await withTimeout(current.launch(), 30_000, `launching ${current.title}`),
      site,
    };
  } catch (error) {
    await site.close();
    throw error;
  }
}

async function openTab(ctx: PartContext, current: Engine, browser: Browser, site: Site) {
  ctx.count(`browser.${current.name}-tabs`);
  const page = await withTimeout(
    browser.newPage(`${site.url}/faults.html`),
    20_000,
    `opening a ${current.title} tab`,
  );
  await withTimeout(waitReady(page), 20_000, `a ${current.title} tab getting ready`);
  return page;
}

/** Reports the page's uncaught errors, then closes it. */
async function closeTab(ctx: PartContext, current: Engine, page: Page): Promise<void> {
  for (const error of await call<string[]>(page, "pageErrors")) {
    ctx.violation("page-error", `${current.title}: ${error}`);
  }
  await page.close();
}

export const browserTabs: Part = async (ctx) => {
  const list = await engines(ctx);
  for (const [i, current] of list.entries()) {
    await tabsIn(ctx, current, ctx.remaining() / (list.length - i));
  }
};

async function tabsIn(ctx: PartContext, current: Engine, budgetMs: number): Promise<void> {
  const { title, name } = current;
  const ends = Date.now() + budgetMs;
  const { browser, site } = await start(current);
  const writers: number[] = [];
  try {
    const fresh = async (label: string) => {
      const page = await openTab(ctx, current, browser, site);
      const result = await withTimeout(
        call<Verdict>(page, "verify", { keys: KEYS, writers }),
        30_000,
        `checking in a fresh ${title} tab after ${label}`,
      );
      ctx.count("check.fresh-tabs");
      ctx.count("check.values-left", result.hits);
      for (const problem of result.problems) {
        ctx.violation("fresh-tab-check", `${title}, ${label}: ${problem}`);
      }
      await closeTab(ctx, current, page);
    };

    // Phase 1: tabs and their workers at once, rounds for 40% of the budget.
    const phaseEnd = Date.now() + budgetMs * 0.4;
    for (let round = 0; round === 0 || Date.now() < phaseEnd; round++) {
      const roundStarted = Date.now();
      const tabs = await Promise.all(
        Array.from({ length: TABS }, () => openTab(ctx, current, browser, site)),
      );
      const runs = tabs.map((page, i) => {
        const writer = round * 100 + i + 1;
        const workerWriter = round * 100 + 50 + i + 1;
        writers.push(writer, workerWriter);
        ctx.count(`browser.${name}-workers`);
        return call<WriterReport[]>(page, "mixedTab", {
          writer,
          workerWriters: [workerWriter],
          ops: OPS,
          keys: KEYS,
          seed: ctx.subSeed(),
        });
      });
      const reports = (await withTimeout(
        Promise.all(runs),
        60_000,
        `round ${round} of the mixed workload in ${title}`,
      )).flat();
      for (const report of reports) {
        ctx.countAll(report.counters);
        for (const problem of report.problems) {
          ctx.violation("inexact-read", `${title}, writer ${report.writer}: ${problem}`);
        }
        for (const error of report.errors) ctx.violation("operation-threw", `${title}: ${error}`);
      }
      await Promise.all(tabs.map((page) => closeTab(ctx, current, page)));
      ctx.count(`browser.${name}-mixed-rounds`);
      await fresh(`mixed round ${round}`);
      ctx.log(`${title} mixed round ${round}: ${Date.now() - roundStarted} ms`);
    }

    // Phase 2: a tab (and its worker) closed abruptly while large sets are in flight. Not
    // with a worker in WebKit: there a dedicated worker stopped in the middle of a write (its
    // tab closed, or `terminate()`) holds the database from every other tab until WebKit ends
    // the tab's process (about 20 s after a close here; while the page lives, never), with
    // plain IndexedDB too (a worker of raw puts, no library): a defect of WebKit's that would
    // only time this part out (README, "Where it runs").
    const withWorker = name !== "webkit";
    for (let round = 0; round < 3 || ends - Date.now() > 4_000; round++) {
      const page = await openTab(ctx, current, browser, site);
      const writer = 900 + round;
      const workerWriter = 950 + round;
      writers.push(writer, workerWriter);
      await call(page, "startStorm", {
        writer,
        workerWriter,
        keys: KEYS,
        seed: ctx.subSeed(),
        worker: withWorker,
      });
      if (withWorker) ctx.count(`browser.${name}-workers`);
      // Some sets complete, others are in flight when the tab goes.
      const until = Date.now() + 150 + ctx.random.below(900);
      let seen: StormSeen;
      do {
        await sleep(10);
        seen = await call<StormSeen>(page, "stormSeen");
      } while (Date.now() < until || seen.begin === 0);
      for (const error of seen.errors) {
        ctx.violation("operation-threw", `${title}: storm set before the close: ${error}`);
      }
      const inFlight = seen.begin - seen.end - seen.error;
      await closeTab(ctx, current, page);
      ctx.count(`browser.${name}-tabs-closed-mid-write`);
      ctx.count(`browser.${name}-sets-completed-before-close`, seen.end);
      ctx.count(`browser.${name}-sets-in-flight-at-close`, inFlight);
      await fresh(`closing a tab with ${inFlight} set(s) in flight`);
    }
  } finally {
    await browser.close().catch(() => {});
    await site.close();
  }
}

/** Part 4's IndexedDB damage, in a browser of its own per engine, within `budgetMs` in all. */
export async function browserDamage(ctx: PartContext, budgetMs: number): Promise<void> {
  const ends = Date.now() + budgetMs;
  const list = await engines(ctx);
  for (const [i, current] of list.entries()) {
    const launched = Date.now();
    const share = (ends - launched) / (list.length - i);
    const { browser, site } = await start(current);
    try {
      const page = await openTab(ctx, current, browser, site);
      const left = Math.max(2_000, share - (Date.now() - launched));
      const result = await withTimeout(
        call<Damaged>(page, "damageIdb", { seed: ctx.subSeed(), budgetMs: left }),
        left + 30_000,
        `the IndexedDB damage in ${current.title}`,
      );
      ctx.countAll(result.counters);
      for (const violation of result.violations) {
        ctx.violation(violation.kind, `${current.title}: ${violation.detail}`, violation.count);
      }
      await closeTab(ctx, current, page);
    } finally {
      await browser.close().catch(() => {});
      await site.close();
    }
  }
}
