/**
 * The dedicated worker of part 3: runs a writer of the mixed workload, or a storm of large sets
 * (test/faults/browser_support.ts), as its page asks.
 *
 * @module
 */
import { runWriter, storm } from "./browser_support.ts";

type Request =
  | { run: "writer"; writer: number; ops: number; keys: number; seed: number }
  | { run: "storm"; writer: number; keys: number; seed: number };

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  postMessage(value: unknown): void;
};

scope.onmessage = async (event) => {
  const request = event.data;
  if (request.run === "writer") {
    scope.postMessage(
      await runWriter(request.writer, request.ops, request.keys, request.seed),
    );
  } else {
    storm(
      request.writer,
      request.keys,
      request.seed,
      2,
      (progress, detail) => scope.postMessage({ event: progress, detail }),
    );
  }
};
