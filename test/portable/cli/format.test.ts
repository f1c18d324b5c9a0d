/**
 * src/cli/format.ts: the command line tool's parsing of durations and sizes, and its formatting
 * of sizes, ages, keys, counts, filters and tables. The tool end to end is in
 * test/node/cli.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  describeFilter,
  escapeControl,
  formatAge,
  formatBytes,
  formatTable,
  isoDate,
  parseDuration,
  parseSize,
  plural,
  shortKey,
} from "../../../src/cli/format.ts";

test("durations, sizes, ages and tables", () => {
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("15m"), 900_000);
  assert.equal(parseDuration("12h"), 43_200_000);
  assert.equal(parseDuration("7d"), 604_800_000);
  assert.equal(parseDuration("2w"), 1_209_600_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("1500"), 1500);
  assert.equal(parseDuration("1.5s"), 1500);
  for (const bad of ["", "s", "-5s", "5 s", "5y", "5M", "5s5", "Infinity", "1e3"]) {
    assert.equal(parseDuration(bad), undefined, bad);
  }
  assert.equal(parseSize("500MB"), 500_000_000);
  assert.equal(parseSize("1GiB"), 1024 ** 3);
  assert.equal(parseSize("1.5GB"), 1_500_000_000);
  assert.equal(parseSize("100k"), 102_400);
  assert.equal(parseSize("2m"), 2 * 1024 ** 2);
  assert.equal(parseSize("1kb"), 1000);
  assert.equal(parseSize("12345"), 12_345);
  assert.equal(parseSize("0"), 0);
  assert.equal(parseSize("7 B"), 7);
  for (const bad of ["", "MB", "-1", "1e3", "12XB", "1.5.5", "99999999999999999999"]) {
    assert.equal(parseSize(bad), undefined, bad);
  }
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(5 * 1024 ** 3), "5.0 GiB");
  const now = 1_700_000_000_000;
  assert.equal(formatAge(now - 500, now), "just now");
  assert.equal(formatAge(now - 42_000, now), "42s ago");
  assert.equal(formatAge(now - 180_000, now), "3m ago");
  assert.equal(formatAge(now - 5 * 3_600_000, now), "5h ago");
  assert.equal(formatAge(now - 12 * 86_400_000, now), "12d ago");
  assert.equal(formatAge(now + 60_000, now), "in the future");
  assert.equal(shortKey("t-v1-7b8aa689be1c6dfb6c7059b9483342ec", "t", "v1"), "7b8aa689be1c");
  assert.equal(shortKey("some-other-key", "t", "v1"), "some-other-key");
  assert.equal(shortKey("k".repeat(40), "", ""), `${"k".repeat(21)}...`);
  assert.equal(
    formatTable([{ title: "A" }, { title: "NUM", right: true }], [["long", "1"], ["x", "22"]]),
    "A     NUM\nlong    1\nx      22\n",
  );
});

test("counts, dates, filters and escapes", () => {
  assert.equal(plural(0, "entry", "entries"), "0 entries");
  assert.equal(plural(1, "entry", "entries"), "1 entry");
  assert.equal(plural(2, "entry remains", "entries remain"), "2 entries remain");
  assert.equal(isoDate(0), "1970-01-01T00:00:00.000Z");
  assert.equal(isoDate(Number.NaN), null);
  assert.equal(describeFilter({}), "");
  assert.equal(describeFilter({ cacheVersion: "v1" }), ' of cache version "v1"');
  assert.equal(
    describeFilter({ taskName: "t\n", cacheVersion: "v1" }),
    ' of task "t\\n" at cache version "v1"',
  );
  assert.equal(
    escapeControl("a\\b\r\t\x07\x9b\u202e\u2028ok"),
    "a\\\\b\\r\\t\\x07\\x9b\\u202e\\u2028ok",
  );
});
