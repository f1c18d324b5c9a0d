/**
 * {@link ModelRules} (src/keys/flytekit_models.ts) applied by the deterministic encoder: which
 * messages the rules leave as they are, how they name a field, the writers of the messages
 * they replace (refused, or times held at whole microseconds as Python's `datetime` and
 * `timedelta` hold them), and {@link checkTimes} for parts of a key's inputs that are not
 * written but must still convert.
 *
 * @module
 */
import { type DescField, type Message, ScalarType } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import type { ModelRules } from "./flytekit_models.ts";
import type { MessageWriter } from "./message_writer.ts";
import { located, PathedError, rangeError, typeError, within } from "./pathed_error.ts";
import { int32Reader, int64Reader } from "./scalar_writer.ts";
import { showValue } from "../internal/describe.ts";

/** Whether `rules` leave messages of every one of `typeNames` as they are. */
export function leftAsIs(typeNames: readonly string[], rules: ModelRules): boolean {
  const fieldRules = [...rules.materialized, ...rules.jsonStructs.keys()];
  return typeNames.every((name) =>
    !rules.times.has(name) && !rules.refused.has(name) &&
    !fieldRules.some((key) => key.startsWith(`${name}.`))
  );
}

/** How {@link ModelRules} name a field: `"<type name>.<local name>"`. */
export function ruleKey(field: DescField): string {
  return `${field.parent.typeName}.${field.localName}`;
}

/** A message the rules replace: refused, or a time held at whole microseconds. */
export function specialWriter(typeName: string, rules: ModelRules): MessageWriter | undefined {
  const refused = rules.refused.get(typeName);
  if (refused !== undefined) {
    return () => {
      throw typeError(refused);
    };
  }
  const time = rules.times.get(typeName);
  if (time === undefined) return undefined;
  return (writer, message) => {
    if (typeof message !== "object" || message === null || message.$typeName !== typeName) {
      throw typeError(`expected a ${typeName} message, got ${showValue(message)}`);
    }
    const [whole, rest] = pythonTime(time, message);
    if (whole !== 0n) writer.tag(1, WireType.Varint).int64(whole);
    if (rest !== 0n) writer.tag(2, WireType.Varint).int32(Number(rest) * 1000);
  };
}

const readSeconds = int64Reader(ScalarType.INT64);
const readNanos = int32Reader(ScalarType.INT32);

/**
 * A Timestamp or Duration as Python holds it and writes it back: whole seconds and
 * microseconds, refused out of the range of Python's `datetime` or `timedelta`.
 */
function pythonTime(time: "datetime" | "timedelta", message: Message): [bigint, bigint] {
  const fields = message as unknown as { seconds: unknown; nanos: unknown };
  let s: bigint, n: number;
  try {
    s = readSeconds(fields.seconds);
  } catch (error) {
    within(error, ".seconds");
  }
  try {
    n = readNanos(fields.nanos);
  } catch (error) {
    within(error, ".nanos");
  }
  // ToDatetime and ToTimedelta: whole microseconds, the nanoseconds rounded toward zero.
  const us = s * 1_000_000n + BigInt(Math.trunc(n / 1000));
  const [min, max, range] = time === "datetime"
    ? [MIN_DATETIME_US, MAX_DATETIME_US, "the years 1 to 9999 of Python's datetime"]
    : [MIN_TIMEDELTA_US, MAX_TIMEDELTA_US, "the ±999999999 days of Python's timedelta"];
  if (us < min || us > max) {
    throw rangeError(
      `${s} s ${n} ns is outside ${range}: flytekit cannot key it (it raises OverflowError)`,
    );
  }
  // FromDatetime: nanos never negative; FromTimedelta: nanos with the sign of the seconds.
  let whole = us / 1_000_000n;
  let rest = us % 1_000_000n;
  if (time === "datetime" && rest < 0n) {
    whole -= 1n;
    rest += 1_000_000n;
  }
  return [whole, rest];
}

/**
 * Checks, without writing anything, that every time message inside `value` (at any depth) is
 * one the rules' Python types can hold: for parts of a key's inputs that flytekit converts to
 * its models but leaves out of the key (ignored inputs, values cut down to their hash).
 *
 * @throws {RangeError} naming `name()` and the path to the first time out of range.
 */
export function checkTimes(value: unknown, rules: ModelRules, name: () => string): void {
  if (rules.times.size === 0) return;
  const stack: [unknown, string][] = [[value, ""]];
  // Each object once: a cycle (which has no key anyway) must not loop.
  const seen = new Set<object>();
  while (stack.length !== 0) {
    const [item, path] = stack.pop()!;
    if (typeof item !== "object" || item === null || ArrayBuffer.isView(item)) continue;
    if (seen.has(item)) continue;
    seen.add(item);
    const typeName = (item as { $typeName?: unknown }).$typeName;
    const time = typeof typeName === "string" ? rules.times.get(typeName) : undefined;
    if (time !== undefined) {
      try {
        pythonTime(time, item as Message);
      } catch (error) {
        if (error instanceof PathedError) error.path.unshift(path);
        throw located(error, name());
      }
      continue;
    }
    if (typeName === undefined && isOneof(item)) {
      // Named by its case alone, as the encoder names it.
      stack.push([item.value, `${path}.${String(item.case)}`]);
      continue;
    }
    for (const [key, child] of Object.entries(item)) {
      if (key === "$typeName" || key === "$unknown") continue;
      const segment = Array.isArray(item)
        ? `[${key}]`
        : typeName === undefined
        ? `[${JSON.stringify(key)}]`
        : isOneof(child)
        ? ""
        : `.${key}`;
      stack.push([child, path + segment]);
    }
  }
}

function isOneof(value: unknown): value is { case: unknown; value: unknown } {
  return typeof value === "object" && value !== null && !("$typeName" in value) &&
    "case" in value && "value" in value;
}

/** 0001-01-01T00:00:00 and 9999-12-31T23:59:59.999999, in microseconds since 1970. */
const MIN_DATETIME_US = -62_135_596_800_000_000n;
const MAX_DATETIME_US = 253_402_300_799_999_999n;
/** timedelta(days=-999999999) and timedelta(days=999999999, seconds=86399, microseconds=999999). */
const MIN_TIMEDELTA_US = -86_399_999_913_600_000_000n;
const MAX_TIMEDELTA_US = 86_399_999_999_999_999_999n;
