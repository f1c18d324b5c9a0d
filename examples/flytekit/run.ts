/**
 * The flytekit example in one command (`npm run example:flytekit`): Python (flytekit's code
 * path) and Node cache the same task in flytekit's directory, `~/.flyte/local-cache` (under
 * `$HOME`), and each hits what the other stored:
 *
 *     python: square(3) = 9 (miss: computed and stored)
 *     node: square(3) = 9 (hit)
 *     node: square(4) = 16 (miss: computed and stored)
 *     python: square(4) = 16 (hit)
 *
 * Run it again and every line is a hit. `local-task-cache --flytekit list` shows the entries,
 * `--flytekit clear` removes them.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const python = (n: number) => execFileSync("/usr/bin/python3", [here("square.py"), String(n)]);
const node = (n: number) =>
  execFileSync(process.execPath, [
    "--no-warnings",
    "--import",
    "tsx",
    here("square.ts"),
    String(n),
  ]);

for (const line of [python(3), node(3), node(4), python(4)]) {
  process.stdout.write(line.toString());
}
