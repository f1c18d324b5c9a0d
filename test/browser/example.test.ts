/**
 * The example notebook (examples/browser) in each engine: run the cell twice, see the hit, list
 * and clear the entry; a screenshot per engine in test-results/.
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { serveExample } from "../../examples/browser/serve.ts";
import { engine, requireEngine, ROOT, selectedEngines, waitFor } from "./harness.ts";

for (const current of await Promise.all(selectedEngines().map(engine))) {
  test(`${current.title}: the example notebook: a miss, then a hit, and the entry listed; a screenshot`, async (t) => {
    if (!requireEngine(t, current)) return;
    const site = await serveExample();
    const browser = await current.launch();
    try {
      const page = await browser.newPage(`${site.url}/`);
      await waitFor(page, () => document.body?.dataset.ready === "true");
      const runAndWait = (lines: number) =>
        page.evaluate((n) => {
          (document.querySelector("#run") as HTMLButtonElement).click();
          return n;
        }, lines).then((n) =>
          waitFor(page, (count) => document.querySelectorAll("#log div").length >= count, n)
        );
      await page.evaluate(() => {
        (document.querySelector("#n") as HTMLInputElement).value = "2000000";
      });
      await runAndWait(1);
      await runAndWait(2);
      const seen = await page.evaluate(() => ({
        outcomes: [...document.querySelectorAll("#log div")].map((line) =>
          line.getAttribute("data-outcome")
        ),
        log: document.querySelector("#log")?.textContent ?? "",
        entries: [...document.querySelectorAll("#entries li")].map((item) => item.textContent),
      }));
      assert.deepEqual(seen.outcomes, ["miss", "hit"]);
      assert.match(seen.log, /148933 primes below 2000000[\s\S]*148933 primes below 2000000/);
      assert.equal(seen.entries.length, 1);
      assert.match(
        seen.entries[0] ?? "",
        /^notebook\.primes_below-1-[0-9a-f]{32} \(notebook\.primes_below v1, \d+ B, read /,
      );
      await mkdir(join(ROOT, "test-results"), { recursive: true });
      await page.screenshot(join(ROOT, "test-results", `example-notebook-${current.name}.png`));
      await page.evaluate(() => (document.querySelector("#clear") as HTMLButtonElement).click());
      await waitFor(page, () => document.querySelector("#entries li")?.textContent === "(none)");
    } finally {
      await browser.close();
      await site.close();
    }
  });
}
