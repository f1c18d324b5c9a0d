/**
 * The Deno benchmark (bench/deno.ts, Deno-only) from Node: runs it with the `deno` of
 * node_modules and renders its figures (the KV comparison; DenoKvAdapter at scale is part of
 * bench/scale.ts).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { DENO, type Goal, metText, progress, ratio, ROOT, skipped, table } from "./report.ts";
import { formatMicros, sig3 } from "./stats.ts";

export const DENO_KV = "TaskCache + DenoKvAdapter";
export const RAW_KV = "raw Deno.Kv";
export const DENO_FS = "TaskCache + FsAdapter";
/** Goal: ours within this factor of raw Deno KV at 1 KiB. */
const GOAL = 1.2;

export interface DenoResult {
  kv: { label: string; sides: Record<string, { set: number; get: number }> }[];
}

/** Runs bench/deno.ts --json (its progress goes to our stderr); `undefined` if it fails. */
export async function benchDeno(): Promise<DenoResult | undefined> {
  progress("deno: DenoKvAdapter vs raw Deno.Kv and FsAdapter (bench/deno.ts)");
  const child = spawn(
    DENO,
    ["run", "-A", "--unstable-kv", "bench/deno.ts", "--json"],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => stdout += chunk);
  const status = await new Promise<number | null>((resolve) => {
    child.on("error", () => resolve(null));
    child.on("close", resolve);
  });
  if (status !== 0) {
    skipped("Deno benchmark", `bench/deno.ts exited with ${status} (see its stderr above)`);
    return undefined;
  }
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as DenoResult;
}

export function denoTable(result: DenoResult): string {
  const rows = result.kv.flatMap(({ label, sides }) =>
    (["set", "get"] as const).map((op) => {
      const ours = sides[DENO_KV]![op], raw = sides[RAW_KV]?.[op], fs = sides[DENO_FS]![op];
      return [
        label,
        op,
        formatMicros(ours),
        raw === undefined ? "n/a (over 64 KiB)" : formatMicros(raw),
        raw === undefined ? "" : `${sig3(ours / raw)}x`,
        raw === undefined ? "" : metText(ours / raw <= GOAL),
        formatMicros(fs),
        ratio(ours, fs),
      ];
    })
  );
  return table(
    [
      "output",
      "op",
      DENO_KV,
      RAW_KV,
      "ours / raw",
      `goal (≤ ${GOAL}x)`,
      "TaskCache + FsAdapter (Deno)",
      "Fs / KV",
    ],
    rows,
  );
}

export function denoGoals(result: DenoResult): Goal[] {
  const small = result.kv.find((r) => r.label === "1 KiB")!.sides;
  return (["set", "get"] as const).map((op) => {
    const times = small[DENO_KV]![op] / small[RAW_KV]![op];
    return {
      area: "Deno KV",
      goal: `1 KiB ${op}: ours within ${GOAL}x of raw Deno.Kv`,
      measured: `${formatMicros(small[DENO_KV]![op])} vs ${formatMicros(small[RAW_KV]![op])}: ${
        sig3(times)
      }x raw's time`,
      met: times <= GOAL,
      margin: GOAL / times,
    };
  });
}
