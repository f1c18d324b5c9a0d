/**
 * The MD5 benchmark: the portable MD5 of src/keys/md5.ts against `@noble/hashes`' (the one keys used
 * before) and `node:crypto`'s, in Node and in a Chromium page (bench/browser_page.ts), on
 * the sizes keys hash: flytekit's stable-key example (2.6 KB), 1000 integer inputs (17 KB) and
 * a 1 MiB Binary. The sides take turns in every round; medians, as MB/s.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { md5 as nobleMd5 } from "@noble/hashes/legacy.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { md5Hex } from "../src/keys/md5.ts";
import { patternBytes } from "../test/conformance/adapter_suite.ts";
import { openBenchPage } from "./browser.ts";
import { type Goal, metText, mismatch, progress, skipped, table } from "./report.ts";
import { median, roundTime, sig3 } from "./stats.ts";

/** The sides, by id. */
export const MD5_SIDES = {
  nodeOurs: "Node: src/keys/md5.ts",
  nodeNoble: "Node: @noble/hashes",
  nodeNative: "Node: node:crypto",
  chromiumOurs: "Chromium: src/keys/md5.ts",
  chromiumNoble: "Chromium: @noble/hashes",
} as const;
export type Md5Side = keyof typeof MD5_SIDES;

/** The sizes timed: bytes, label, calls per round. */
export const MD5_SIZES: readonly [number, string, number][] = [
  [2_600, "2.6 KB (stable-key example)", 2000],
  [16_800, "17 KB (1000 integer inputs)", 400],
  [1024 * 1024, "1 MiB (one 1 MiB Binary)", 6],
];
/** Goal: ours at least this many times @noble/hashes' speed in browsers. */
export const MD5_GOAL = 3;
const ROUNDS = 9;

export interface Md5Result {
  size: number;
  label: string;
  /** MB/s by side (10^6 bytes per second), the median of the rounds. */
  mbps: Partial<Record<Md5Side, number>>;
}

/** The bytes every side hashes for a size (the page makes the same ones). */
export function md5Input(size: number): Uint8Array {
  return patternBytes(size, 7);
}

export async function benchMd5(): Promise<Md5Result[]> {
  progress("md5: src/keys/md5.ts vs @noble/hashes vs node:crypto, in Node and Chromium");
  type Round = (size: number, iterations: number) => Promise<{ us: number; digest: string }>;
  const local = (hash: (data: Uint8Array) => string): Round => (size, iterations) => {
    const data = md5Input(size);
    return Promise.resolve({ us: roundTime(() => hash(data), iterations), digest: hash(data) });
  };
  const sides: Partial<Record<Md5Side, Round>> = {
    nodeOurs: local((data) => md5Hex([data])),
    nodeNoble: local((data) => bytesToHex(nobleMd5(data))),
    nodeNative: local((data) => createHash("md5").update(data).digest("hex")),
  };
  const page = await openBenchPage().catch((error) => {
    skipped("MD5 in Chromium", String(error).split("\n")[0]!);
    return undefined;
  });
  if (page !== undefined) {
    const inPage = (impl: "ours" | "noble"): Round => (size, iterations) =>
      page.page.evaluate(
        ([impl, size, iterations]) =>
          (globalThis as never as {
            md5Round(impl: string, size: number, n: number): { us: number; digest: string };
          }).md5Round(impl, size, iterations),
        [impl, size, iterations] as const,
      );
    sides.chromiumOurs = inPage("ours");
    sides.chromiumNoble = inPage("noble");
  }
  const results: Md5Result[] = [];
  try {
    for (const [size, label, iterations] of MD5_SIZES) {
      const samples: Partial<Record<Md5Side, number[]>> = {};
      const reference = createHash("md5").update(md5Input(size)).digest("hex");
      const names = Object.keys(sides) as Md5Side[];
      for (let round = -1; round < ROUNDS; round++) {
        for (let turn = 0; turn < names.length; turn++) {
          const side = names[(round + 1 + turn) % names.length]!;
          const { us, digest } = await sides[side]!(size, iterations);
          if (digest !== reference) {
            mismatch(
              `MD5 of ${label}: ${MD5_SIDES[side]} gave ${digest}, node:crypto ${reference}`,
            );
          }
          if (round >= 0) (samples[side] ??= []).push(us);
        }
      }
      const mbps: Partial<Record<Md5Side, number>> = {};
      for (const [side, values] of Object.entries(samples)) {
        mbps[side as Md5Side] = size / median(values);
      }
      results.push({ size, label, mbps });
    }
  } finally {
    await page?.close();
  }
  return results;
}

const speed = (mbps: number | undefined) => mbps === undefined ? "n/a" : `${sig3(mbps)} MB/s`;
const times = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? "n/a" : `${sig3(a / b)}x`;

export function md5Table(results: Md5Result[]): string {
  return table(
    [
      "input",
      ...Object.values(MD5_SIDES),
      "ours / noble (Node)",
      "ours / noble (Chromium)",
      `goal in Chromium (≥ ${MD5_GOAL}x)`,
      "ours / node:crypto (Node)",
    ],
    results.map((r) => [
      r.label,
      ...(Object.keys(MD5_SIDES) as Md5Side[]).map((side) => speed(r.mbps[side])),
      times(r.mbps.nodeOurs, r.mbps.nodeNoble),
      times(r.mbps.chromiumOurs, r.mbps.chromiumNoble),
      r.mbps.chromiumOurs === undefined || r.mbps.chromiumNoble === undefined
        ? "n/a"
        : metText(r.mbps.chromiumOurs / r.mbps.chromiumNoble >= MD5_GOAL),
      times(r.mbps.nodeOurs, r.mbps.nodeNative),
    ]),
  );
}

export function md5Goals(results: Md5Result[]): Goal[] {
  return results.map((r) => {
    const ours = r.mbps.chromiumOurs, noble = r.mbps.chromiumNoble;
    const x = ours === undefined || noble === undefined ? undefined : ours / noble;
    return {
      area: "MD5 (Chromium)",
      goal: `${r.label}: src/keys/md5.ts ≥ ${MD5_GOAL}x @noble/hashes' speed`,
      measured: x === undefined ? "n/a" : `${speed(ours)} vs ${speed(noble)}: ${sig3(x)}x`,
      met: x === undefined ? undefined : x >= MD5_GOAL,
      margin: x === undefined ? undefined : x / MD5_GOAL,
    };
  });
}
