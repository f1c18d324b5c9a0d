/**
 * Firefox for the browser tests: Debian's firefox-esr driven by puppeteer-core over WebDriver
 * BiDi (no geckodriver), headless, with a fresh profile that puppeteer removes on close. A quota
 * is Firefox's global temporary-storage limit (preference
 * `dom.quotaManager.temporaryStorage.fixedLimit`), which bounds each origin's group too.
 *
 * @module
 */
import puppeteer, { type Page as PuppeteerPage } from "puppeteer-core";
import type { Browser, Engine, LaunchOptions, Page } from "./harness.ts";

export const FIREFOX = "/usr/bin/firefox-esr";

function wrap(page: PuppeteerPage): Page {
  return {
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    reload: async () => void await page.reload(),
    screenshot: async (path) => void await page.screenshot({ path, fullPage: true }),
    close: () => page.close(),
  };
}

async function launch(options: LaunchOptions = {}): Promise<Browser> {
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX,
    headless: true,
    extraPrefsFirefox: options.quotaBytes === undefined ? {} : {
      "dom.quotaManager.temporaryStorage.fixedLimit": Math.ceil(options.quotaBytes / 1024),
    },
  });
  return {
    newPage: async (url) => {
      const page = await browser.newPage();
      await page.goto(url);
      return wrap(page);
    },
    close: () => browser.close(),
  };
}

/** Firefox ESR through puppeteer-core. */
export const firefox: Engine = {
  name: "firefox",
  title: "Firefox",
  requires: [[FIREFOX, "firefox-esr"]],
  quota: true,
  launch,
};
