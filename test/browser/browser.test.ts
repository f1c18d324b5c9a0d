/**
 * The library in a real Chromium (Debian's, driven by playwright-core): IndexedDbAdapter through
 * the conformance suite, LocalTaskCache with its IndexedDB default, persistence across a reload,
 * two pages on the same keys at once, and keys equal to flytekit's and to Node's, in a page and
 * in a dedicated worker.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test, type TestContext } from "node:test";
import { calculateCacheKey } from "../../src/key.ts";
import { arbitraryLiteralMap, Random } from "../support/arbitrary.ts";
import { md5Cases } from "../support/md5_cases.ts";
import { valueSampleKeys } from "../support/value_samples.ts";
import {
  type Browser,
  type BrowserResult,
  launch,
  requireChromium,
  serve,
  type Site,
} from "./harness.ts";

let site: Site | undefined;
let browser: Browser | undefined;

before(async () => {
  site = await serve({
    page: "test/browser/page.ts",
    worker: "test/browser/worker.ts",
    persist: "test/browser/persist.ts",
  });
});
after(async () => {
  await browser?.close();
  await site?.close();
});

async function open(t: TestContext, name = "page") {
  if (!requireChromium(t)) return undefined;
  browser ??= await launch();
  const page = await browser.context.newPage();
  await page.goto(`${site!.url}/${name}.html`);
  await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true);
  return page;
}

async function report(t: TestContext, results: BrowserResult[]) {
  assert.ok(results.length > 10, `${results.length} tests ran in the browser`);
  for (const result of results) {
    await t.test(result.name, () => {
      if (!result.ok) assert.fail(result.error);
    });
  }
}

test("in a page: conformance suite, LocalTaskCache default, flytekit's vectors", async (t) => {
  const page = await open(t);
  if (!page) return;
  await report(
    t,
    await page.evaluate(() =>
      (globalThis as never as { runSuite(): Promise<BrowserResult[]> }).runSuite()
    ),
  );
  await page.close();
});

test("in a dedicated worker: the same tests", async (t) => {
  const page = await open(t);
  if (!page) return;
  await report(
    t,
    await page.evaluate(() =>
      (globalThis as never as { runSuiteInWorker(): Promise<BrowserResult[]> }).runSuiteInWorker()
    ),
  );
  await page.close();
});

test("keys computed in a page and in a worker equal Node's: 100 generated maps, JS values", async (t) => {
  const page = await open(t);
  if (!page) return;
  const node = [
    ...Array.from(
      { length: 100 },
      (_, i) => calculateCacheKey(`task ${i}`, "1", arbitraryLiteralMap(new Random(i + 1))),
    ),
    ...valueSampleKeys(),
  ];
  const inPage = await page.evaluate(
    (n) => (globalThis as never as { sharedKeys(n: number): string[] }).sharedKeys(n),
    100,
  );
  const inWorker = await page.evaluate(
    (n) =>
      (globalThis as never as { sharedKeysInWorker(n: number): Promise<string[]> })
        .sharedKeysInWorker(n),
    100,
  );
  assert.deepEqual(inPage, node);
  assert.deepEqual(inWorker, node);
  await page.close();
});

test("the portable MD5 in a page equals node:crypto's on random lengths, offsets and splits", async (t) => {
  const page = await open(t);
  if (!page) return;
  for (const seed of [1, 2]) {
    const inPage: string[] = await page.evaluate(
      ([s, n]) =>
        (globalThis as never as { md5Digests(s: number, n: number): string[] }).md5Digests(s, n),
      [seed, 300] as const,
    );
    const cases = md5Cases(seed, 300);
    assert.equal(inPage.length, cases.length);
    cases.forEach(({ label, parts }, i) => {
      const reference = createHash("md5");
      for (const part of parts) reference.update(part);
      assert.equal(inPage[i], reference.digest("hex"), label);
    });
  }
  await page.close();
});

test("entries persist across a page reload", async (t) => {
  const page = await open(t, "persist");
  if (!page) return;
  const call = (action: string) =>
    page.evaluate(
      (a) => (globalThis as never as { persist(a: string): Promise<string> }).persist(a),
      action,
    );
  assert.equal(await call("get"), "miss");
  assert.equal(await call("set"), "stored");
  await page.reload();
  await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true);
  assert.equal(await call("get"), "hit");
  await page.close();
});

test("two pages of one origin on the same keys at once: every read is a miss or exact", async (t) => {
  const first = await open(t, "persist");
  if (!first) return;
  const second = await open(t, "persist");
  const run = (page: NonNullable<typeof first>, writer: number) =>
    page.evaluate(
      (w) =>
        (globalThis as never as {
          mixed(w: number): Promise<{ reads: number; hits: number; problems: string[] }>;
        }).mixed(w),
      writer,
    );
  const reports = await Promise.all([run(first, 1), run(second!, 2)]);
  assert.deepEqual(reports.flatMap((r) => r.problems), []);
  assert.ok(reports.reduce((sum, r) => sum + r.hits, 0) > 0, "reads hit");
  await first.close();
  await second!.close();
});

test("two pages call one cached task at once: Web Locks run it once", async (t) => {
  const first = await open(t, "persist");
  if (!first) return;
  const second = await open(t, "persist");
  const call = (page: NonNullable<typeof first>) =>
    page.evaluate(() => (globalThis as never as { flight(): Promise<string> }).flight());
  const results = await Promise.all([call(first), call(second!)]);
  assert.deepEqual(results, ["ran 1 time: 42", "ran 1 time: 42"]);
  await first.close();
  await second!.close();
});

test("another tab's upgrade: the adapter steps aside, then reopens at the new version", async (t) => {
  const first = await open(t, "persist");
  if (!first) return;
  const second = await open(t, "persist");
  type Api = {
    keepOpen(n: string): Promise<string>;
    keptGet(): Promise<number[] | undefined>;
    rawUpgrade(n: string, v: number): Promise<string>;
  };
  assert.equal(
    await first.evaluate(() => (globalThis as never as Api).keepOpen("upgrade-db")),
    "open",
  );
  const upgraded = await second!.evaluate(() =>
    (globalThis as never as Api).rawUpgrade("upgrade-db", 2)
  );
  assert.equal(upgraded, "upgraded to 2", "the upgrade was not blocked by the open adapter");
  assert.deepEqual(await first.evaluate(() => (globalThis as never as Api).keptGet()), [1, 2, 3]);
  await first.close();
  await second!.close();
});

test("a full quota: NO_SPACE, and the entries already there are intact", async (t) => {
  if (!requireChromium(t)) return;
  // A browser and an origin of its own: the quota is set before the origin stores anything.
  const own = await launch();
  const ownSite = await serve({ persist: "test/browser/persist.ts" });
  try {
    const page = await own.context.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", {
      origin: ownSite.url,
      quotaSize: 2 * 1024 * 1024,
    });
    await page.goto(`${ownSite.url}/persist.html`);
    await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true);
    const seen = await page.evaluate(() =>
      (globalThis as never as { quota(n: string): Promise<string[]> }).quota("quota-db")
    );
    assert.deepEqual(seen, ["CacheError:NO_SPACE", "small=7", "huge=absent"]);
  } finally {
    await own.close();
    await ownSite.close();
  }
});
