/** The worker entry of the browser tests: runs what the page asks and posts the results. */
import { runSuite, sharedKeys, workerFlight } from "./suite.ts";

type Request = { run: "suite" } | { run: "keys"; count: number } | { run: "flight" };
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  postMessage(value: unknown): void;
};

scope.onmessage = async (event) => {
  const message = event.data;
  scope.postMessage(
    message.run === "suite"
      ? await runSuite()
      : message.run === "flight"
      ? await workerFlight()
      : sharedKeys(message.count),
  );
};
