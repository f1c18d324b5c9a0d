/**
 * The library in real browsers, the same test code in each engine (Chromium, Firefox, WebKit;
 * `LTC_BROWSERS` picks some): IndexedDbAdapter and MemoryAdapter through the conformance suite,
 * LocalTaskCache with its IndexedDB default, persistence across a reload, two pages on the same
 * keys at once, cachedTask's single flight across two pages and across two workers through Web
 * Locks, another tab's upgrade, a full quota, and keys equal to flytekit's and to Node's, in a
 * page and in a dedicated worker.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test, type TestContext } from "node:test";
import { calculateCacheKey } from "../../src/keys/key.ts";
import { arbitraryLiteralMap, Random } from "../support/arbitrary.ts";
import { md5Cases } from "../support/md5_cases.ts";
import { valueSampleKeys } from "../support/value_samples.ts";
import {
  type Browser,
  type BrowserResult,
  call,
  engine,
  type Page,
  requireEngine,
  selectedEngines,
  serve,
  type Site,
  waitReady,
} from "./harness.ts";

let site: Site | undefined;
before(async () => {
  site = await serve({
    page: "test/browser/page.ts",
    worker: "test/browser/worker.ts",
    persist: "test/browser/persist.ts",
  });
});
after(() => site?.close());

async function report(t: TestContext, results: BrowserResult[]) {
  assert.ok(results.length > 10, `${results.length} tests ran in the browser`);
  for (const result of results) {
    await t.test(result.name, () => {
      if (!result.ok) assert.fail(result.error);
    });
  }
}

for (const current of await Promise.all(selectedEngines().map(engine))) {
  describe(current.title, () => {
    let browser: Browser | undefined;
    after(() => browser?.close());

    async function open(t: TestContext, name = "page"): Promise<Page | undefined> {
      if (!requireEngine(t, current)) return undefined;
      browser ??= await current.launch();
      const page = await browser.newPage(`${site!.url}/${name}.html`);
      await waitReady(page);
      return page;
    }

    test(`${current.title}, in a page: conformance suite, LocalTaskCache default, flytekit's vectors`, async (t) => {
      const page = await open(t);
      if (!page) return;
      await report(t, await call(page, "runSuite"));
      await page.close();
    });

    test(`${current.title}, in a dedicated worker: the same tests`, async (t) => {
      const page = await open(t);
      if (!page) return;
      await report(t, await call(page, "runSuiteInWorker"));
      await page.close();
    });

    test(`${current.title}: keys computed in a page and in a worker equal Node's: 100 generated maps, JS values`, async (t) => {
      const page = await open(t);
      if (!page) return;
      const node = [
        ...Array.from(
          { length: 100 },
          (_, i) => calculateCacheKey(`task ${i}`, "1", arbitraryLiteralMap(new Random(i + 1))),
        ),
        ...valueSampleKeys(),
      ];
      assert.deepEqual(await call(page, "sharedKeys", 100), node);
      assert.deepEqual(await call(page, "sharedKeysInWorker", 100), node);
      await page.close();
    });

    test(`${current.title}: the portable MD5 in a page equals node:crypto's on random lengths, offsets and splits`, async (t) => {
      const page = await open(t);
      if (!page) return;
      for (const seed of [1, 2]) {
        const inPage: string[] = await call<string[]>(page, "md5Digests", seed, 300);
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

    test(`${current.title}: entries persist across a page reload`, async (t) => {
      const page = await open(t, "persist");
      if (!page) return;
      assert.equal(await call(page, "persist", "get"), "miss");
      assert.equal(await call(page, "persist", "set"), "stored");
      await page.reload();
      await waitReady(page);
      assert.equal(await call(page, "persist", "get"), "hit");
      await page.close();
    });

    test(`${current.title}: two pages of one origin on the same keys at once: every read is a miss or exact`, async (t) => {
      const first = await open(t, "persist");
      if (!first) return;
      const second = (await open(t, "persist"))!;
      type Report = { reads: number; hits: number; problems: string[] };
      const reports = await Promise.all([
        call<Report>(first, "mixed", 1),
        call<Report>(second, "mixed", 2),
      ]);
      assert.deepEqual(reports.flatMap((r) => r.problems), []);
      assert.ok(reports.reduce((sum, r) => sum + r.hits, 0) > 0, "reads hit");
      await first.close();
      await second.close();
    });

    test(`${current.title}: two pages call one cached task at once: Web Locks run it once`, async (t) => {
      const first = await open(t, "persist");
      if (!first) return;
      const second = (await open(t, "persist"))!;
      const results = await Promise.all([call(first, "flight"), call(second, "flight")]);
      assert.deepEqual(results, ["ran 1 time: 42", "ran 1 time: 42"]);
      await first.close();
      await second.close();
    });

    test(`${current.title}: two dedicated workers call one cached task at once: Web Locks run it once`, async (t) => {
      const page = await open(t);
      if (!page) return;
      const seen = await call<{ ran: boolean; result: number }[]>(page, "flightInWorkers");
      assert.deepEqual(seen.map((s) => s.result), [42, 42]);
      assert.equal(seen.filter((s) => s.ran).length, 1, JSON.stringify(seen));
      await page.close();
    });

    test(`${current.title}: another tab's upgrade: the adapter steps aside, then reopens at the new version`, async (t) => {
      const first = await open(t, "persist");
      if (!first) return;
      const second = (await open(t, "persist"))!;
      assert.equal(await call(first, "keepOpen", "upgrade-db"), "open");
      assert.equal(
        await call(second, "rawUpgrade", "upgrade-db", 2),
        "upgraded to 2",
        "the upgrade was not blocked by the open adapter",
      );
      assert.deepEqual(await call(first, "keptGet"), [1, 2, 3]);
      await first.close();
      await second.close();
    });

    test(`${current.title}: a full quota: NO_SPACE, and the entries already there are intact`, async (t) => {
      if (!requireEngine(t, current)) return;
      if (current.quota !== true) {
        t.skip(current.quota);
        return;
      }
      // A browser and an origin of their own: the quota is set before the origin stores anything.
      const own = await current.launch({ quotaBytes: 2 * 1024 * 1024 });
      const ownSite = await serve({ persist: "test/browser/persist.ts" });
      try {
        const page = await own.newPage(`${ownSite.url}/persist.html`);
        await waitReady(page);
        assert.deepEqual(await call(page, "quota", "quota-db"), [
          "CacheError:NO_SPACE",
          "small=7",
          "huge=absent",
        ]);
      } finally {
        await own.close();
        await ownSite.close();
      }
    });
  });
}
