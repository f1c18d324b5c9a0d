/**
 * The README's benchmark summary, generated from the same report.json as bench/report.md and
 * the chart, so that the three never disagree: `npm run bench` (and `npm run bench:render`)
 * writes it between two markers of README.md, and test/node/bench_readme.test.ts checks that
 * the README holds what bench/report.json renders to.
 *
 * @module
 */
import { goalsSummary, runLines } from "./markdown.ts";
import type { BenchReport } from "./report.ts";

/** The line before the generated summary in README.md. */
export const SUMMARY_START =
  "<!-- The benchmark summary: generated from bench/report.json by npm run bench; do not edit -->";
/** The line after it. */
export const SUMMARY_END = "<!-- End of the generated benchmark summary -->";

/** The summary: the run, the goals, the bundle's size. */
export function readmeSummary(r: BenchReport): string {
  const bundle = r.browser?.bundle;
  return `${runLines(r)}
Goals of the issues, in the run of this report (\`bench/report.md\` has every table):

${goalsSummary(r)}${
    bundle === undefined ? "" : `
Bundle of the entry and the IndexedDB adapter (esbuild, browser, minified): ${
      (bundle.minified / 1024).toFixed(1)
    } KiB, ${(bundle.gzipped / 1024).toFixed(1)} KiB gzipped.
`
  }`;
}

/** The text between the markers of `readme` (`undefined` without them). */
export function summaryIn(readme: string): string | undefined {
  const start = readme.indexOf(SUMMARY_START), end = readme.indexOf(SUMMARY_END);
  if (start === -1 || end < start) return undefined;
  return readme.slice(start + SUMMARY_START.length, end).trim();
}

/** `readme` with the summary of `r` between its markers; throws without them. */
export function withSummary(readme: string, r: BenchReport): string {
  const start = readme.indexOf(SUMMARY_START), end = readme.indexOf(SUMMARY_END);
  if (start === -1 || end < start) {
    throw new Error(
      `README.md: the markers of the benchmark summary are missing: ${SUMMARY_START}`,
    );
  }
  return `${readme.slice(0, start + SUMMARY_START.length)}\n\n${readmeSummary(r).trim()}\n\n${
    readme.slice(end)
  }`;
}

/**
 * Markdown as `deno fmt` may lay it out, reduced to what it says: table cells trimmed (and
 * their rules to `---`), lines trimmed, blank lines kept, wrapped prose joined.
 */
export function comparable(markdown: string): string {
  return markdown.trim().split(/\n\s*\n/).map((block) =>
    block.split("\n").map((line) =>
      line.trim().startsWith("|")
        ? line.trim().split("|").map((cell) => /^\s*:?-+:?\s*$/.test(cell) ? "---" : cell.trim())
          .join("|")
        : line.trim()
    ).join(block.trim().startsWith("|") ? "\n" : " ")
  ).join("\n\n");
}
