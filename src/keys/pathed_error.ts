/**
 * The deterministic encoder's errors: a {@link PathedError} thrown where a value is refused
 * collects the path to that value (`.literals["a"].scalar`) while it travels up through the
 * writers, and {@link located} turns it into the `TypeError` or `RangeError` a caller sees,
 * `<name><path>: <reason>`.
 *
 * @module
 */

/**
 * An error on the way down, collecting the path to the offending value on the way up. Only
 * the encoder's entry points (src/keys/deterministic.ts, and `checkTimes`) turn it, with
 * {@link located}, into the `TypeError` or `RangeError` users see.
 */
export class PathedError extends Error {
  readonly path: string[] = [];
  constructor(readonly kind: "type" | "range", readonly reason: string) {
    super(reason);
  }
}

/** A value of the wrong type (a `TypeError` for the caller). */
export function typeError(reason: string): PathedError {
  return new PathedError("type", reason);
}

/** A value out of the range of its field (a `RangeError` for the caller). */
export function rangeError(reason: string): PathedError {
  return new PathedError("range", reason);
}

/** Prepends `segment` to the path of a `PathedError` and rethrows anything. */
export function within(error: unknown, segment: string): never {
  if (error instanceof PathedError) error.path.unshift(segment);
  throw error;
}

/**
 * `error` as the `TypeError` or `RangeError` a caller sees, `<name><path>: <reason>`, when it
 * is a {@link PathedError}; anything else as it is.
 */
export function located(error: unknown, name: string): unknown {
  if (!(error instanceof PathedError)) return error;
  const message = `${name}${error.path.join("")}: ${error.reason}`;
  return error.kind === "range" ? new RangeError(message) : new TypeError(message);
}
