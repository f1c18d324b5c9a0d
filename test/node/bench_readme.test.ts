/**
 * The README's benchmark summary is what bench/report.json renders to (bench/readme.ts):
 * the README and the report never disagree.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  comparable,
  readmeSummary,
  SUMMARY_END,
  SUMMARY_START,
  summaryIn,
  withSummary,
} from "../../bench/readme.ts";
import type { BenchReport } from "../../bench/report.ts";

const root = new URL("../../", import.meta.url);
const readme = readFileSync(new URL("README.md", root), "utf8");
const report = JSON.parse(readFileSync(new URL("bench/report.json", root), "utf8")) as BenchReport;

test("the README's benchmark summary is bench/report.json's, as npm run bench writes it", () => {
  const summary = summaryIn(readme);
  assert.ok(summary !== undefined, `README.md has the markers ${SUMMARY_START} ... ${SUMMARY_END}`);
  assert.equal(
    comparable(summary),
    comparable(readmeSummary(report)),
    "run npm run bench:render to write the summary of bench/report.json into README.md",
  );
  assert.match(summary, new RegExp(report.machine.date.replace(/[.]/g, "\\.")));
});

test("a changed figure changes the summary; a README without the markers is refused", () => {
  const changed = structuredClone(report);
  changed.goals = [{ area: "Disk (Node)", goal: "a goal", measured: "0.5x", met: false }];
  const rewritten = withSummary(readme, changed);
  assert.notEqual(comparable(summaryIn(rewritten)!), comparable(summaryIn(readme)!));
  assert.match(summaryIn(rewritten)!, /0 of 1 goals met in this run; \*\*1 NOT met\*\*/);
  assert.equal(
    comparable(summaryIn(withSummary(rewritten, report))!),
    comparable(summaryIn(readme)!),
  );
  assert.throws(() => withSummary("# no markers\n", report), /markers/);
});
