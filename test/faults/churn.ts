/**
 * Parts 1 and 2's process churn: several workload processes on one storage, SIGKILLed at
 * random moments and started again (a new writer number each time), then asked to stop.
 *
 * A workload process prints (one line each): `ready`; `begin` and `end` around large sets;
 * `stats <json counters>` now and then; `problem <text>` for a read that is not exact;
 * `error <text>` for an operation that threw; `done <json counters>` once `stop` arrives.
 *
 * @module
 */
import { clip, LineChild, type PartContext, sleep } from "./common.ts";
import type { Counters } from "./workload.ts";

interface Incarnation {
  child: LineChild;
  writer: number;
  ready: Promise<string | undefined>;
  last: Counters;
  done?: Counters;
  /** It printed "ready". */
  started?: boolean;
  /** It is in the middle of a large set. */
  writing?: boolean;
}

export interface ChurnOptions {
  /** Processes at once. */
  processes: number;
  /** Starts the workload process of writer number `writer`. */
  spawn(writer: number): LineChild;
  /** Kills stop when this much of the budget is left (for stopping and checking). */
  reserveMs: number;
  /** The pause between two kills: from `min` to `min + spread` ms. */
  pause: { min: number; spread: number };
}

/** What the churn did: the writers that ran, and how many processes were killed. */
export interface ChurnResult {
  writers: Set<number>;
  kills: number;
}

export async function churn(ctx: PartContext, options: ChurnOptions): Promise<ChurnResult> {
  const writers = new Set<number>();
  const slots: Incarnation[] = [];
  let kills = 0;

  const start = (): Incarnation => {
    const writer = writers.size + 1;
    writers.add(writer);
    const child = options.spawn(writer);
    ctx.count("processes");
    let resolveReady: (line: string | undefined) => void = () => {};
    const incarnation: Incarnation = {
      child,
      writer,
      ready: new Promise((resolve) => (resolveReady = resolve)),
      last: {},
    };
    child.exited.then(() => resolveReady(undefined));
    child.onLine((line) => {
      const space = line.indexOf(" ");
      const [word, rest] = space < 0 ? [line, ""] : [line.slice(0, space), line.slice(space + 1)];
      if (word === "ready") {
        incarnation.started = true;
        resolveReady(line);
      } else if (word === "begin") incarnation.writing = true;
      else if (word === "end") incarnation.writing = false;
      else if (word === "stats") incarnation.last = JSON.parse(rest);
      else if (word === "done") incarnation.done = JSON.parse(rest);
      else if (word === "problem") ctx.violation("inexact-read", rest);
      else if (word === "error") ctx.violation("operation-threw", rest);
    });
    return incarnation;
  };

  const waitReady = async (incarnation: Incarnation) => {
    const line = await Promise.race([incarnation.ready, sleep(30_000).then(() => "timeout")]);
    if (line !== "ready") {
      ctx.violation(
        "child-crashed",
        `the process of writer ${incarnation.writer} did not start (${line}): ` +
          clip(incarnation.child.stderr, 1000),
      );
    }
  };

  const settle = (incarnation: Incarnation) => ctx.countAll(incarnation.done ?? incarnation.last);

  try {
    for (let i = 0; i < options.processes; i++) slots.push(start());
    for (const incarnation of slots) await waitReady(incarnation);

    // SIGKILL a random running process at a random moment, and start another in its place
    // (not waiting for it: the others go on being killed meanwhile).
    const restarts: Promise<void>[] = [];
    while (ctx.remaining() > options.reserveMs) {
      await sleep(options.pause.min + ctx.random.below(options.pause.spread));
      const running = slots.map((incarnation, slot) => ({ incarnation, slot }))
        .filter(({ incarnation }) => incarnation.started);
      if (running.length === 0) continue;
      const { incarnation: victim, slot } = running[ctx.random.below(running.length)]!;
      const midWrite = victim.writing === true;
      victim.child.kill("SIGKILL");
      const exit = await Promise.race([victim.child.exited, sleep(10_000).then(() => undefined)]);
      if (exit === undefined) {
        ctx.violation("hang", `writer ${victim.writer} did not die of SIGKILL within 10 s`);
        break;
      }
      if (exit.signal !== "SIGKILL") {
        ctx.violation(
          "child-crashed",
          `writer ${victim.writer} exited (${exit.code ?? exit.signal}) before it was killed: ` +
            clip(victim.child.stderr, 1000),
        );
      }
      kills++;
      ctx.count("kills");
      if (midWrite) ctx.count("kills-mid-large-set");
      settle(victim);
      const next = start();
      slots[slot] = next;
      restarts.push(waitReady(next));
    }
    await Promise.all(restarts);

    // The end: processes in the middle of a large set are killed there (what they leave is for
    // the checks to find); the others finish their operation and report.
    let stopping = [...slots];
    const endKills = Date.now() + 3_000;
    while (stopping.length > 1 && Date.now() < endKills) {
      if (!stopping.some((incarnation) => incarnation.writing)) {
        await sleep(2);
        continue;
      }
      await sleep(ctx.random.below(8));
      for (const incarnation of stopping.filter((incarnation) => incarnation.writing)) {
        incarnation.child.kill("SIGKILL");
        await incarnation.child.exited;
        kills++;
        ctx.count("kills");
        ctx.count("kills-mid-large-set");
        ctx.count("kills-at-the-end");
        settle(incarnation);
        stopping = stopping.filter((other) => other !== incarnation);
      }
    }
    for (const incarnation of stopping) incarnation.child.send("stop");
    for (const incarnation of stopping) {
      const exit = await Promise.race([incarnation.child.exited, sleep(20_000).then(() => null)]);
      if (exit === null) {
        ctx.violation(
          "hang",
          `writer ${incarnation.writer} did not stop within 20 s of being asked: ` +
            clip(incarnation.child.stderr),
        );
        incarnation.child.kill("SIGKILL");
        await incarnation.child.exited;
      } else if (exit.code !== 0 || incarnation.done === undefined) {
        ctx.violation(
          "child-crashed",
          `writer ${incarnation.writer} exited (${exit.code ?? exit.signal}) without its report: ` +
            clip(incarnation.child.stderr, 1000),
        );
      }
      settle(incarnation);
    }
  } finally {
    for (const incarnation of slots) incarnation.child.kill("SIGKILL");
    await Promise.all(slots.map((incarnation) => incarnation.child.exited));
  }
  return { writers, kills };
}

/**
 * {@link churn} of Node processes running the TypeScript `script` (through tsx) with the
 * arguments `args(writer, seed)`, killed every 0.4 to 1.6 s.
 */
export function churnNodeProcesses(
  ctx: PartContext,
  options: {
    processes: number;
    reserveMs: number;
    script: string;
    args: (writer: number, seed: number) => string[];
  },
): Promise<ChurnResult> {
  return churn(ctx, {
    processes: options.processes,
    reserveMs: options.reserveMs,
    pause: { min: 400, spread: 1200 },
    spawn: (writer) =>
      new LineChild(process.execPath, [
        "--import",
        "tsx",
        options.script,
        ...options.args(writer, ctx.subSeed()),
      ]),
  });
}
