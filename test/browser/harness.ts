/**
 * Real Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core,
 * pages served from 127.0.0.1 with test code bundled by esbuild for the browser (with the
 * package's browser runtime: `#runtime` is src/runtime/browser.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Chromium, or a skip outside CI / a failure in CI when it is not installed. */
export function requireChromium(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  const reason = `${CHROMIUM} is missing (Debian package chromium)`;
  if (process.env.CI) assert.fail(`Chromium is missing in CI: ${reason}`);
  t.skip(reason);
  return false;
}

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
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile (one origin's storage persists across its pages). */
export async function launch(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), "ltc-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
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
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** One test's outcome inside the browser. */
export interface BrowserResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}
