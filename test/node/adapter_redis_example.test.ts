/**
 * examples/redis/two_machines.ts as the README runs it (`npm run example:redis`): it starts its
 * own redis-server, the second "machine" gets the first one's results, and the server is gone
 * afterwards.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { connect } from "node:net";
import process from "node:process";
import { test } from "node:test";

test("examples/redis: the second machine gets the first one's results", () => {
  const env = { ...process.env };
  delete env.REDIS_URL;
  const output = execFileSync(
    process.execPath,
    ["--import", "tsx", "examples/redis/two_machines.ts"],
    { encoding: "utf8", env },
  );
  const lines = output.trim().split("\n");
  const port = /^Redis at redis:\/\/127\.0\.0\.1:(\d+) \(started for this example\)$/.exec(
    lines[0]!,
  )?.[1];
  assert.ok(port !== undefined, output);
  assert.match(lines[1]!, /^machine-a: train\(mnist, 10\) = 0\.9333 in .* \(ran here\)$/);
  assert.match(lines[2]!, /^machine-a: train\(mnist, 20\) = 0\.96 in .* \(ran here\)$/);
  assert.match(
    lines[3]!,
    /^machine-b: train\(mnist, 10\) = 0\.9333 in .* \(from the cache, computed on machine-a\)$/,
  );
  assert.match(
    lines[4]!,
    /^machine-b: train\(mnist, 20\) = 0\.96 in .* \(from the cache, computed on machine-a\)$/,
  );
  return new Promise<void>((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    socket.on("connect", () => {
      socket.destroy();
      reject(new Error("the example's redis-server still runs"));
    });
    socket.on("error", () => resolve());
  });
});
