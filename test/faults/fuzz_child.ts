/**
 * The process that runs part 6's cases (test/faults/fuzz_cases.ts), so that the parent can tell
 * a case that hangs (or crashes the process) and go on after it.
 *
 * `node --import tsx test/faults/fuzz_child.ts <seed> <first case> <last case> <until (epoch ms)>`
 *
 * Prints `begin <i>` before each case and `ok <i> <kind> <result>` or
 * `bad <i> <kind> <json detail>` after it, then `done <next case>`.
 */
import { fuzzCase } from "./fuzz_cases.ts";

const [seed, first, last, until] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
];
const print = (line: string) => process.stdout.write(`${line}\n`);
let index = first;
for (; index <= last && Date.now() < until; index++) {
  const fuzz = fuzzCase(seed, index);
  print(`begin ${index}`);
  const outcome = fuzz.run();
  if ("violation" in outcome) {
    print(`bad ${index} ${fuzz.kind} ${JSON.stringify(outcome.violation)}`);
  } else print(`ok ${index} ${fuzz.kind} ${outcome.result}`);
}
print(`done ${index}`);
