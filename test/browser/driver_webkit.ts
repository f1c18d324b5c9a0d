/**
 * WebKit for the browser tests: Debian's WebKitWebDriver (package webkit2gtk-driver) with the
 * MiniBrowser that WebKitGTK ships, driven by selenium-webdriver through `usingServer` (so that
 * selenium's manager downloads nothing). MiniBrowser has no headless mode: without a DISPLAY the
 * driver starts an Xvfb of its own. Pages are windows of one session, which answers one command
 * at a time: commands are queued, and `evaluate` starts its function and polls for the result,
 * so that calls in several pages run at once as they do in the other engines.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { Builder, type WebDriver } from "selenium-webdriver";
import type { Browser, Engine, Page } from "./harness.ts";

export const WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver";
export const MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
export const XVFB = "/usr/bin/Xvfb";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** An Xvfb on a display number it picks itself; resolves to the display, e.g. ":99". */
async function startXvfb(): Promise<{ display: string; child: ChildProcess }> {
  const child = spawn(
    XVFB,
    ["-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "1280x1024x24"],
    {
      stdio: ["ignore", "ignore", "pipe", "pipe"],
    },
  );
  let errors = "";
  child.stderr!.on("data", (chunk) => (errors += chunk));
  const display = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdio[3]!.on("data", (chunk) => {
      text += chunk;
      if (text.includes("\n")) resolve(`:${text.trim()}`);
    });
    child.on("exit", (code) => reject(new Error(`Xvfb exited with ${code}: ${errors}`)));
  });
  return { display, child };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(5_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/** What `evaluate` leaves in the page for the poll to find. */
type Outcome = { done: false } | { done: true; value?: unknown; error?: string };

async function launch(): Promise<Browser> {
  const xvfb = process.env.DISPLAY ? undefined : await startXvfb();
  let driverProcess: ChildProcess | undefined;
  let driver: WebDriver | undefined;
  try {
    const port = await freePort();
    driverProcess = spawn(WEBKIT_DRIVER, [`--port=${port}`, "--host=127.0.0.1"], {
      stdio: ["ignore", "ignore", "inherit"],
      env: xvfb ? { ...process.env, DISPLAY: xvfb.display } : process.env,
    });
    const server = `http://127.0.0.1:${port}`;
    for (let tries = 0;; tries++) {
      const up = await fetch(`${server}/status`).then((r) => r.ok, () => false);
      if (up) break;
      if (tries > 200) throw new Error(`${WEBKIT_DRIVER} did not answer on ${server}`);
      await sleep(25);
    }
    driver = await new Builder().usingServer(server).withCapabilities({
      browserName: "MiniBrowser",
      "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] },
    }).build();
  } catch (error) {
    await stop(driverProcess);
    await stop(xvfb?.child);
    throw error;
  }
  const session = driver;
  const home = await session.getWindowHandle();
  // One command at a time, each in its own window.
  let queue: Promise<unknown> = Promise.resolve();
  const inWindow = <T>(handle: string, work: () => Promise<T>): Promise<T> => {
    const next = queue.then(async () => {
      await session.switchTo().window(handle);
      return await work();
    });
    queue = next.catch(() => {});
    return next;
  };
  let calls = 0;

  const page = (handle: string): Page => ({
    evaluate: async <R, A>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R> => {
      const slot = `__ltcCall${calls++}`;
      await inWindow(handle, () =>
        session.executeScript(
          `const [slot, arg] = arguments;
          globalThis[slot] = { done: false };
          Promise.resolve().then(() => (${fn})(arg)).then(
            (value) => { globalThis[slot] = { done: true, value }; },
            (error) => {
              globalThis[slot] = { done: true, error: error instanceof Error ? error.name + ": " + error.message : String(error) };
            },
          );`,
          slot,
          arg,
        ));
      for (;;) {
        const outcome = await inWindow(handle, () =>
          session.executeScript(
            `const outcome = globalThis[arguments[0]];
            if (outcome?.done) delete globalThis[arguments[0]];
            return outcome ?? null;`,
            slot,
          )) as Outcome | null;
        if (outcome === null) throw new Error("the page navigated away during evaluate");
        if (outcome.done) {
          if (outcome.error !== undefined) throw new Error(outcome.error);
          return (outcome.value ?? undefined) as R;
        }
        await sleep(15);
      }
    },
    reload: () => inWindow(handle, () => session.navigate().refresh()),
    screenshot: async (path) =>
      await writeFile(path, await inWindow(handle, () => session.takeScreenshot()), "base64"),
    close: () => inWindow(handle, () => session.close()),
  });

  return {
    newPage: (url) =>
      inWindow(home, async () => {
        // A window, not a tab: MiniBrowser paints no background tab, and screenshots of one hang.
        await session.switchTo().newWindow("window");
        await session.get(url);
        return page(await session.getWindowHandle());
      }),
    close: async () => {
      await queue;
      await session.quit().catch(() => {});
      await stop(driverProcess);
      await stop(xvfb?.child);
    },
  };
}

/** WebKitGTK's MiniBrowser through WebKitWebDriver and selenium-webdriver. */
export const webkit: Engine = {
  name: "webkit",
  title: "WebKit",
  requires: [
    [WEBKIT_DRIVER, "webkit2gtk-driver"],
    [MINIBROWSER, "libwebkit2gtk-4.1-0"],
    [XVFB, "xvfb"],
  ],
  quota: "WebKit: WebKitWebDriver and MiniBrowser offer no way to set an origin's quota",
  launch,
};
