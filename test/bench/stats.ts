/**
 * Timing helpers for the benchmarks: medians of repeated runs, and ratios.
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

/** `12.3 µs`, `4.56 ms`. */
export function formatMicros(us: number): string {
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  if (us >= 10) return `${us.toFixed(1)} µs`;
  return `${us.toFixed(2)} µs`;
}

/** How many times faster `ours` is than `theirs`: `3.4x`. */
export function speedup(ours: number, theirs: number): string {
  return `${(theirs / ours).toFixed(2)}x`;
}
