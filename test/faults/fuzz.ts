/**
 * Part 6: random and malformed inputs through `calculateCacheKey` and the value conversions
 * (test/faults/fuzz_cases.ts), in a child process (test/faults/fuzz_child.ts) watched case by
 * case: only `TypeError` (`ConversionError`), `RangeError` and `CacheError` may be thrown, and
 * a case that runs past its timeout (a hang) or takes the process down is a violation; the run
 * goes on with the next case in a new process.
 *
 * @module
 */
import { join } from "node:path";
import { clip, FAULTS, LineChild, type Part } from "./common.ts";

/** Past this, a case hangs. */
const CASE_TIMEOUT_MS = 5_000;
/** At most this many cases. */
const MAX_CASES = 6_000;

export const fuzz: Part = async (ctx) => {
  const seed = ctx.seed;
  const until = ctx.deadline - 2_000;
  let next = 0;
  while (next < MAX_CASES && Date.now() < until - 1_000) {
    const child = new LineChild(process.execPath, [
      "--import",
      "tsx",
      join(FAULTS, "fuzz_child.ts"),
      String(seed),
      String(next),
      String(MAX_CASES - 1),
      String(until),
    ]);
    ctx.count("processes");
    let current: { index: number; since: number } | undefined;
    let done: number | undefined;
    let hung = false;
    child.onLine((line) => {
      const [word, indexText, kind, ...rest] = line.split(" ");
      const index = Number(indexText);
      if (word === "begin") current = { index, since: Date.now() };
      else if (word === "done") done = index;
      else if (word === "ok" || word === "bad") {
        current = undefined;
        next = index + 1;
        ctx.count("fuzz.cases");
        ctx.count(`fuzz.${kind}`);
        if (word === "ok") ctx.count(`result.${rest[0]}`);
        else {
          ctx.violation(
            "fuzz",
            `case ${index} (${kind}; seed ${seed}): ${JSON.parse(rest.join(" ")) as string}`,
          );
        }
      }
    });
    const watchdog = setInterval(() => {
      if (current !== undefined && Date.now() - current.since > CASE_TIMEOUT_MS) {
        hung = true;
        child.kill("SIGKILL");
      }
    }, 100);
    const exit = await child.exited;
    clearInterval(watchdog);
    if (hung && current !== undefined) {
      ctx.count("fuzz.cases");
      ctx.violation(
        "fuzz-hang",
        `case ${current.index} (seed ${seed}) ran past ${CASE_TIMEOUT_MS} ms: killed`,
      );
      next = current.index + 1;
    } else if (done === undefined) {
      ctx.count("fuzz.cases");
      const at = current?.index ?? next;
      ctx.violation(
        "fuzz-crash",
        `case ${at} (seed ${seed}) took the process down (${exit.code ?? exit.signal}): ` +
          clip(child.stderr, 800),
      );
      next = at + 1;
    } else {
      next = done;
      break;
    }
  }
  ctx.note(`cases run ${ctx.counters["fuzz.cases"] ?? 0} (case timeout ${CASE_TIMEOUT_MS} ms)`);
};
