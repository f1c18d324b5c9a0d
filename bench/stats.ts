/**
 * Timing helpers for the benchmarks: medians of repeated rounds, ratios, 3 significant digits.
 *
 * @module
 */

/** The median of `values`. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Microseconds per call of `fn`: the median over `rounds` rounds of `iterations` calls each,
 * after one warm-up round.
 */
export async function timePerCall(
  fn: () => unknown,
  { iterations, rounds = 7 }: { iterations: number; rounds?: number },
): Promise<number> {
  const samples: number[] = [];
  for (let round = -1; round < rounds; round++) {
    const started = performance.now();
    for (let i = 0; i < iterations; i++) {
      const result = fn();
      // Only asynchronous work pays for an await.
      if (result instanceof Promise) await result;
    }
    const perCall = ((performance.now() - started) * 1000) / iterations;
    if (round >= 0) samples.push(perCall);
  }
  return median(samples);
}

/** Microseconds per call of `fn` over one round of `iterations` calls. */
export function roundTime(fn: () => unknown, iterations: number): number {
  const started = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return ((performance.now() - started) * 1000) / iterations;
}

/** `x` with 3 significant digits, without an exponent: `12.3`, `0.0875`, `1230`. */
export function sig3(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const rounded = Number(x.toPrecision(3));
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(rounded))));
  return rounded.toFixed(Math.min(digits, 20));
}

/** A duration in µs as `12.3 µs`, `4.56 ms`, `1.23 s` (3 significant digits). */
export function formatMicros(us: number): string {
  const rounded = Number(us.toPrecision(3));
  if (rounded >= 1e6) return `${sig3(us / 1e6)} s`;
  if (rounded >= 1000) return `${sig3(us / 1000)} ms`;
  return `${sig3(us)} µs`;
}

/** How many times faster `ours` is than `theirs` (their time / ours): `3.40x`. */
export function speedup(ours: number, theirs: number): string {
  return `${sig3(theirs / ours)}x`;
}

/** A store measured by `inTurns`: the set and the get of entry `i` of round `round`. */
export interface TurnSide {
  name: string;
  set(round: number, i: number): Promise<unknown>;
  /** Resolves to `undefined` or `null` on a miss, which fails the benchmark. */
  get(round: number, i: number): Promise<unknown>;
}

/**
 * µs per set and per get of each side, in turns: in every round, each side in turn (the order
 * rotating from round to round) sets `batch` new entries and gets them back; the medians over
 * `rounds` rounds, after `warmUp` rounds not counted. Short turns (a few operations) make a
 * drift in the machine's load (a shared VM, a store's background work) fall on every side
 * alike, where long turns let it fall on one side's whole turn; a turn must still last many
 * times the clock's resolution (Firefox and WebKit give `performance.now()` to the
 * millisecond).
 */
export async function inTurns(
  sides: readonly TurnSide[],
  { batch, rounds, warmUp = 3 }: { batch: number; rounds: number; warmUp?: number },
): Promise<Record<string, { set: number; get: number }>> {
  const samples = new Map(
    sides.map((side) => [side.name, { set: [] as number[], get: [] as number[] }]),
  );
  for (let round = 0; round < warmUp + rounds; round++) {
    const first = round % sides.length;
    for (const side of [...sides.slice(first), ...sides.slice(0, first)]) {
      let started = performance.now();
      for (let i = 0; i < batch; i++) await side.set(round, i);
      const set = ((performance.now() - started) * 1000) / batch;
      started = performance.now();
      for (let i = 0; i < batch; i++) {
        if ((await side.get(round, i)) == null) throw new Error(`${side.name}: a miss`);
      }
      const get = ((performance.now() - started) * 1000) / batch;
      if (round >= warmUp) {
        samples.get(side.name)!.set.push(set);
        samples.get(side.name)!.get.push(get);
      }
    }
  }
  return Object.fromEntries(
    [...samples].map(([name, s]) => [name, { set: median(s.set), get: median(s.get) }]),
  );
}
