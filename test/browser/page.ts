/** The page entry of the browser tests: the suite in the page, and in a dedicated worker. */
import { md5Digests, runSuite, sharedKeys } from "./suite.ts";
import type { BrowserResult } from "./harness.ts";

function inWorker(
  message: { run: "suite" } | { run: "keys"; count: number } | { run: "flight" },
): Promise<unknown> {
  const worker = new Worker("/worker.js", { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage(message);
  });
}

Object.assign(globalThis, {
  runSuite,
  sharedKeys,
  md5Digests,
  runSuiteInWorker: () => inWorker({ run: "suite" }) as Promise<BrowserResult[]>,
  sharedKeysInWorker: (count: number) => inWorker({ run: "keys", count }) as Promise<string[]>,
  /** Two workers call one cached task at once: what each saw. */
  flightInWorkers: () => Promise.all([inWorker({ run: "flight" }), inWorker({ run: "flight" })]),
  ready: true,
});
