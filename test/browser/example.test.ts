/** The example notebook (examples/browser) in Chromium: run the cell twice, see the hit. */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { serveExample } from "../../examples/browser/serve.ts";
import { launch, requireChromium, ROOT } from "./harness.ts";

test("the example notebook: a miss, then a hit, and the entry listed; a screenshot", async (t) => {
  if (!requireChromium(t)) return;
  const site = await serveExample();
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${site.url}/`);
    await page.waitForSelector("body[data-ready=true]");
    await page.fill("#n", "2000000");
    await page.click("#run");
    await page.waitForSelector("#log div:nth-child(1)");
    await page.click("#run");
    await page.waitForSelector("#log div:nth-child(2)");
    const outcomes = await page.$$eval(
      "#log div",
      (lines) => lines.map((l) => l.getAttribute("data-outcome")),
    );
    assert.deepEqual(outcomes, ["miss", "hit"]);
    const text = await page.textContent("#log");
    assert.match(text ?? "", /148933 primes below 2000000[\s\S]*148933 primes below 2000000/);
    const entries = await page.$$eval("#entries li", (items) => items.map((i) => i.textContent));
    assert.equal(entries.length, 1);
    assert.match(
      entries[0] ?? "",
      /^notebook\.primes_below-1-[0-9a-f]{32} \(notebook\.primes_below v1, \d+ B, read /,
    );
    await mkdir(join(ROOT, "test-results"), { recursive: true });
    await page.screenshot({
      path: join(ROOT, "test-results", "example-notebook.png"),
      fullPage: true,
    });
    await page.click("#clear");
    await page.waitForFunction(() =>
      document.querySelector("#entries li")?.textContent === "(none)"
    );
  } finally {
    await browser.close();
    await site.close();
  }
});
