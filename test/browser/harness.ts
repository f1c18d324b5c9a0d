/**
 * The browser tests' harness: pages served from 127.0.0.1 with test code bundled by esbuild for
 * the browser (with the package's browser runtime: `#runtime` is src/runtime/browser.ts), and
 * one small interface over three real engines, each from its Debian package and driven by its
 * own thin driver: Chromium (driver_chromium.ts), Firefox (driver_firefox.ts) and WebKit
 * (driver_webkit.ts). The same test code runs in each.
 *
 * @module
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** esbuild options that build test and library code as a browser gets it. */
export function browserBuild(entryPoints: Record<string, string>, minify = false) {
  return {
    entryPoints,
    bundle: true,
    platform: "browser" as const,
    format: "esm" as const,
    target: "es2022",
    minify,
    write: false,
    outdir: "/",
    alias: { "#runtime": join(ROOT, "src/runtime/browser.ts") },
    logLevel: "warning" as const,
  };
}

export interface Site {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `pages` (name -> TypeScript entry, relative to the repository) at `/<name>.html` and
 * `/<name>.js`, plus any extra static `files` (path -> [content type, body]).
 */
export async function serve(
  pages: Record<string, string>,
  files: Record<string, [string, string]> = {},
): Promise<Site> {
  const entries = Object.fromEntries(
    Object.entries(pages).map(([name, path]) => [name, join(ROOT, path)]),
  );
  const built = await esbuild.build(browserBuild(entries));
  const body = new Map<string, [string, string | Uint8Array]>();
  for (const file of built.outputFiles ?? []) {
    body.set(file.path, ["text/javascript", file.contents]);
  }
  for (const name of Object.keys(pages)) {
    body.set(`/${name}.html`, [
      "text/html",
      `<!doctype html><meta charset="utf-8"><title>${name}</title>` +
      `<script type="module" src="/${name}.js"></script>`,
    ]);
  }
  for (const [path, file] of Object.entries(files)) body.set(path, file);
  const server: Server = createServer((request, response) => {
    const found = body.get(new URL(request.url ?? "/", "http://x").pathname);
    if (found === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": found[0], "cache-control": "no-store" }).end(
      found[1],
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A page (or a tab, or a window) of a browser under test. */
export interface Page {
  /**
   * Runs `fn` in the page with `arg` (both as JSON crosses the wire) and returns its awaited
   * result; a rejection is thrown here. `fn` must not refer to anything outside itself.
   */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** Reloads the page and waits for its load event. */
  reload(): Promise<void>;
  /** A PNG of the whole page. */
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

/** A running browser with one profile: its pages of one origin share their storage. */
export interface Browser {
  /** A new page at `url`, loaded. */
  newPage(url: string): Promise<Page>;
  /** Ends the browser and removes everything it left (profile, driver, display). */
  close(): Promise<void>;
}

/** How a browser is started. */
export interface LaunchOptions {
  /** The storage quota of the origins the browser opens, in bytes (see `Engine.quota`). */
  quotaBytes?: number;
}

/** An engine under test and how it is started. */
export interface Engine {
  name: EngineName;
  /** The engine's name in test titles and messages. */
  title: string;
  /** The files it needs, each with the Debian package that installs it. */
  requires: [path: string, debianPackage: string][];
  /**
   * `true` when `LaunchOptions.quotaBytes` limits the quota, or the reason the engine cannot
   * (a test that needs it says so by this reason).
   */
  quota: true | string;
  launch(options?: LaunchOptions): Promise<Browser>;
}

export type EngineName = "chromium" | "firefox" | "webkit";
export const ENGINE_NAMES: readonly EngineName[] = ["chromium", "firefox", "webkit"];

/** The engine called `name`, with its driver loaded. */
export async function engine(name: EngineName): Promise<Engine> {
  switch (name) {
    case "chromium":
      return (await import("./driver_chromium.ts")).chromium;
    case "firefox":
      return (await import("./driver_firefox.ts")).firefox;
    case "webkit":
      return (await import("./driver_webkit.ts")).webkit;
  }
}

/**
 * The engines to test: `LTC_BROWSERS` (a comma-separated list of chromium, firefox, webkit),
 * all three when it is unset.
 */
export function selectedEngines(): EngineName[] {
  const listed = process.env.LTC_BROWSERS;
  if (listed === undefined || listed === "") return [...ENGINE_NAMES];
  const names = listed.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!ENGINE_NAMES.includes(name as EngineName)) {
      throw new Error(`LTC_BROWSERS: unknown engine ${name}; known: ${ENGINE_NAMES.join(", ")}`);
    }
  }
  return names as EngineName[];
}

/** What is missing for `engine`, or `undefined` when everything is installed. */
export function missing(engine: Engine): string | undefined {
  const absent = engine.requires.filter(([path]) => !existsSync(path));
  if (absent.length === 0) return undefined;
  return absent.map(([path, pkg]) => `${path} is missing (Debian package ${pkg})`).join("; ");
}

/** `true` when `engine` is installed; else a skip outside CI, a failure in CI. */
export function requireEngine(t: TestContext, engine: Engine): boolean {
  const reason = missing(engine);
  if (reason === undefined) return true;
  if (process.env.CI) assert.fail(`${engine.title} is missing in CI: ${reason}`);
  t.skip(`${engine.title}: ${reason}`);
  return false;
}

/** Calls `globalThis[name](...args)` in the page and returns its awaited result. */
export function call<R>(page: Page, name: string, ...args: unknown[]): Promise<R> {
  return page.evaluate(
    ([fn, list]) => (globalThis as unknown as Record<string, (...a: unknown[]) => R>)[fn]!(...list),
    [name, args] as [string, unknown[]],
  );
}

/** Polls `fn` in the page until it returns true; fails after `timeoutMs`. */
export async function waitFor<A>(
  page: Page,
  fn: (arg: A) => boolean,
  arg?: A,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await page.evaluate(fn, arg))) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${fn}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the page's script has set `globalThis.ready`. */
export function waitReady(page: Page): Promise<void> {
  return waitFor(page, () => (globalThis as { ready?: boolean }).ready === true);
}

/** One test's outcome inside the browser. */
export interface BrowserResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}
