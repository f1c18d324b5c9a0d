/**
 * The frame of a Node workload process of the fault suite (test/faults/fs_child.ts,
 * test/faults/redis_child.ts): the line protocol of test/faults/churn.ts around one `churn`
 * (test/faults/workload.ts) until `stop` arrives on stdin.
 *
 * @module
 */
import { churn, type ChurnOptions, type Counters } from "./workload.ts";

/** Prints `ready`, churns until told to stop, prints `done <counters>`, and exits. */
export async function churnUntilStopped(
  options: Omit<ChurnOptions, "print" | "stopping" | "counters">,
): Promise<never> {
  const counters: Counters = {};
  const print = (line: string) => process.stdout.write(`${line}\n`);
  let stopping = false;
  process.stdin.setEncoding("utf8").on("data", (text: string) => {
    if (text.includes("stop")) stopping = true;
  });
  print("ready");
  await churn({ ...options, print, stopping: () => stopping, counters });
  print(`done ${JSON.stringify(counters)}`);
  await options.cache.close().catch(() => {});
  process.exit(0);
}
