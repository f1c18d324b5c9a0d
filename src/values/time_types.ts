/**
 * The value types of Python's `datetime` and `timedelta`: a `Date` as a
 * `google.protobuf.Timestamp`, milliseconds as a `google.protobuf.Duration`, each converted as
 * protobuf's Python helpers and CPython's `timedelta` convert them, down to the rounding.
 * Private to the package.
 *
 * @module
 */
import { create } from "@bufbuild/protobuf";
import {
  type Duration,
  DurationSchema,
  type Timestamp,
  TimestampSchema,
} from "@bufbuild/protobuf/wkt";
import { describeValue } from "../internal/describe.ts";
import { MAX_SAFE_BIGINT } from "../internal/integers.ts";
import { expected, fail } from "./fail.ts";
import { primitiveLiteral, primitiveOf } from "./literal_shapes.ts";
import type { ValueType } from "./schema.ts";

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the range of Python's datetime. */
const DATETIME_MIN_MS = -62135596800000;
const DATETIME_MAX_MS = 253402300799999;

/** `t.datetime`: a Python `datetime` (in UTC) as a `Date`. */
export const datetimeType: ValueType<Date> = {
  name: "datetime",
  toLiteral(value, path) {
    if (!(value instanceof Date)) return expected(path, "a Date (t.datetime)", value);
    const ms = value.getTime();
    if (Number.isNaN(ms)) fail(path, "the Date is invalid (its time is NaN)");
    if (ms < DATETIME_MIN_MS || ms > DATETIME_MAX_MS) {
      fail(
        path,
        `${value.toISOString()} is outside the years 1 to 9999 of Python's datetime ` +
          "(and of google.protobuf.Timestamp)",
      );
    }
    const seconds = Math.floor(ms / 1000);
    const timestamp: Timestamp = create(TimestampSchema, {
      seconds: BigInt(seconds),
      nanos: (ms - seconds * 1000) * 1_000_000,
    });
    return primitiveLiteral({ case: "datetime", value: timestamp });
  },
  fromLiteral(literal, path) {
    const timestamp = primitiveOf(literal, path, "t.datetime", "datetime");
    const { seconds, nanos } = timestamp;
    if (!Number.isInteger(nanos) || Math.abs(nanos) >= 1e9) {
      fail(path, `the timestamp has nanos ${nanos}, outside -999999999 .. 999999999`);
    }
    // Milliseconds, rounded down (toward the past): a Date holds no more.
    const totalNanos = seconds * 1_000_000_000n + BigInt(nanos);
    let ms = totalNanos / 1_000_000n;
    if (ms * 1_000_000n > totalNanos) ms -= 1n;
    if (ms < -8_640_000_000_000_000n || ms > 8_640_000_000_000_000n) {
      fail(path, `the timestamp (${seconds} seconds) is beyond the range of a Date`);
    }
    return new Date(Number(ms));
  },
};

/** The range of Python's `timedelta`, in microseconds. */
const TIMEDELTA_MIN_US = -999_999_999n * 86_400_000_000n;
const TIMEDELTA_MAX_US = 1_000_000_000n * 86_400_000_000n - 1n;

/** C's `round`: halves away from zero (`Math.round` takes them up). */
function cRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Whole microseconds in `ms` milliseconds, exactly as Python's `timedelta(milliseconds=ms)`
 * computes them (CPython's `delta_new` and `accum`): the integer part exactly, the fraction
 * times 1000 in double arithmetic, what is left under a microsecond rounded half to even
 * (`0.0015` and `0.0025` both give `2n`). `ms` must be finite. This is how `t.duration` rounds.
 */
export function millisecondsToMicroseconds(ms: number): bigint {
  const whole = Math.trunc(ms);
  const fraction = ms - whole; // exact, as C's modf
  let us = BigInt(whole) * 1000n;
  if (fraction === 0) return us;
  const scaled = fraction * 1000;
  const scaledWhole = Math.trunc(scaled);
  us += BigInt(scaledWhole);
  const leftover = scaled - scaledWhole;
  if (leftover === 0) return us;
  let rounded = cRound(leftover);
  if (Math.abs(rounded - leftover) === 0.5) {
    const odd = Number(us & 1n);
    rounded = 2 * cRound((leftover + odd) * 0.5) - odd;
  }
  return us + BigInt(rounded);
}

/** `t.duration`: a Python `timedelta`, given in milliseconds. */
export const durationType: ValueType<number> = {
  name: "duration",
  toLiteral(value, path) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return expected(path, "a finite number of milliseconds (t.duration)", value);
    }
    const us = millisecondsToMicroseconds(value);
    if (us < TIMEDELTA_MIN_US || us > TIMEDELTA_MAX_US) {
      fail(
        path,
        `${describeValue(value)} milliseconds is outside the range of Python's timedelta ` +
          "(±999999999 days)",
      );
    }
    // As Duration.FromTimedelta: seconds and nanos with the same sign.
    const duration: Duration = create(DurationSchema, {
      seconds: us / 1_000_000n,
      nanos: Number(us % 1_000_000n) * 1000,
    });
    return primitiveLiteral({ case: "duration", value: duration });
  },
  fromLiteral(literal, path) {
    const { seconds, nanos } = primitiveOf(literal, path, "t.duration", "duration");
    if (!Number.isInteger(nanos) || Math.abs(nanos) >= 1e9) {
      fail(path, `the duration has nanos ${nanos}, outside -999999999 .. 999999999`);
    }
    // As Duration.ToTimedelta: whole microseconds, nanoseconds rounded toward zero.
    const us = seconds * 1_000_000n + BigInt(Math.trunc(nanos / 1000));
    // One rounding while the microseconds are exact as a number; beyond, whole milliseconds
    // (exact as a bigint) first.
    if (us >= -MAX_SAFE_BIGINT && us <= MAX_SAFE_BIGINT) return Number(us) / 1000;
    return Number(us / 1000n) + Number(us % 1000n) / 1000;
  },
};
