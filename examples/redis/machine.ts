/**
 * One "machine" of the Redis example: a slow cached task whose results live in a shared Redis
 * server, so that what one machine computed, the others get. Entries are signed with a team
 * secret (`signingKey`): whoever can write to the server but lacks it cannot make the task
 * return results it never produced.
 *
 * `node --import tsx examples/redis/machine.ts <redis url> <machine name>`
 */
import process from "node:process";
import { cachedTask, t, TaskCache } from "local-task-cache";
import { RedisAdapter } from "local-task-cache/adapters/redis";

const [url, machine] = process.argv.slice(2);
const cache = new TaskCache(
  new RedisAdapter({ url: url! }, { prefix: "examples:", maxAge: 24 * 3600_000 }),
  {
    maxAge: 24 * 3600_000,
    // In a team: a secret from the environment (the same on every machine), never in the code.
    signingKey: process.env.TEAM_CACHE_KEY ?? "example secret: use your team's own",
  },
);

/** A "training run": slow, and the same result for the same inputs on any machine. */
const train = cachedTask({
  name: "examples.redis.train",
  version: "1",
  inputs: { dataset: t.string, epochs: t.int },
  outputs: { accuracy: t.float, ranOn: t.string },
  cache,
}, async ({ dataset, epochs }) => {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const accuracy = 1 - 1 / (epochs + [...dataset].length);
  return { accuracy: Math.round(accuracy * 1e4) / 1e4, ranOn: machine! };
});

for (const epochs of [10, 20]) {
  const started = performance.now();
  const { accuracy, ranOn } = await train({ dataset: "mnist", epochs });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const how = ranOn === machine ? "ran here" : `from the cache, computed on ${ranOn}`;
  console.log(`${machine}: train(mnist, ${epochs}) = ${accuracy} in ${seconds} s (${how})`);
}
await cache.close();
