/**
 * Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core, headless,
 * with a fresh profile; a quota is set per origin through the DevTools protocol.
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium as playwright, type Page as PlaywrightPage } from "playwright-core";
import type { Browser, Engine, LaunchOptions, Page } from "./harness.ts";

export const CHROMIUM = "/usr/bin/chromium";

function wrap(page: PlaywrightPage): Page {
  return {
    evaluate: (fn, arg) => page.evaluate(fn as never, arg as never),
    reload: async () => void await page.reload(),
    screenshot: async (path) => void await page.screenshot({ path, fullPage: true }),
    close: () => page.close(),
  };
}

async function launch(options: LaunchOptions = {}): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), "ltc-chromium-"));
  const context = await playwright.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
  return {
    newPage: async (url) => {
      const page = await context.newPage();
      if (options.quotaBytes !== undefined) {
        const cdp = await context.newCDPSession(page);
        await cdp.send("Storage.overrideQuotaForOrigin", {
          origin: new URL(url).origin,
          quotaSize: options.quotaBytes,
        });
      }
      await page.goto(url);
      return wrap(page);
    },
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Chromium through playwright-core. */
export const chromium: Engine = {
  name: "chromium",
  title: "Chromium",
  requires: [[CHROMIUM, "chromium"]],
  quota: true,
  launch,
};
