/**
 * Serves the example notebook on localhost: `node --import tsx examples/browser/serve.ts`
 * (or `npm run example:browser`), then open the printed address.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, serve } from "../../test/browser/harness.ts";

export function serveExample() {
  const html = readFileSync(join(ROOT, "examples/browser/index.html"), "utf8");
  return serve({ main: "examples/browser/main.ts" }, { "/": ["text/html", html] });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const site = await serveExample();
  console.log(`The example notebook: ${site.url}/ (Ctrl-C stops the server)`);
}
