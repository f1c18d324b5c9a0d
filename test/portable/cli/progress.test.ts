/** src/cli/progress.ts: the CLI's progress bar, as a terminal receives it. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ProgressBar } from "../../../src/cli/progress.ts";

test("the progress bar draws the first and last step and erases itself", () => {
  let shown = "";
  const bar = new ProgressBar((text) => (shown += text), "clearing");
  bar.done();
  bar.update(0, 0);
  assert.equal(shown, "", "nothing for 0 steps, nothing to erase");
  bar.update(1, 4);
  bar.update(4, 4);
  assert.equal(
    shown,
    `\rclearing [${"#".repeat(7)}${".".repeat(23)}] 1/4` +
      `\rclearing [${"#".repeat(30)}] 4/4`,
  );
  shown = "";
  bar.done();
  assert.equal(shown, `\r${" ".repeat(45)}\r`);
});
