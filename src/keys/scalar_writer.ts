/**
 * Scalars on the wire, for the deterministic encoder: the writer of each scalar type (its
 * value's type checked, integers checked against the range of their field), the wire type of
 * each, and strings, refused when they hold an unpaired surrogate.
 *
 * @module
 */
import { ScalarType } from "@bufbuild/protobuf";
import { FLOAT32_MAX, INT32_MAX, INT32_MIN, UINT32_MAX, WireType } from "@bufbuild/protobuf/wire";
import type { ByteWriter } from "./byte_writer.ts";
import { rangeError, typeError } from "./pathed_error.ts";
import { showValue } from "../internal/describe.ts";
import { INT64_MAX, INT64_MIN, UINT64_MAX } from "../internal/integers.ts";
import { isWellFormed, loneSurrogateIndex } from "../internal/unicode.ts";

/** A check that an integer is in the range of a field of `type`. */
export function rangeCheck(type: ScalarType): (value: bigint | number) => void {
  let min: bigint | number, max: bigint | number, name: string;
  switch (type) {
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      [min, max, name] = [INT64_MIN, INT64_MAX, "int64 (-2^63 .. 2^63-1)"];
      break;
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      [min, max, name] = [0n, UINT64_MAX, "uint64 (0 .. 2^64-1)"];
      break;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      [min, max, name] = [0, UINT32_MAX, "uint32 (0 .. 2^32-1)"];
      break;
    default:
      [min, max, name] = [INT32_MIN, INT32_MAX, "int32 (-2^31 .. 2^31-1)"];
  }
  return (value) => {
    if (value < min || value > max) {
      throw rangeError(`${showValue(value)} is out of range for ${name}`);
    }
  };
}

/** A 64-bit integer field's value as a bigint: bigints, safe integers and decimal strings. */
export function int64Reader(type: ScalarType): (value: unknown) => bigint {
  const check = rangeCheck(type);
  return (value) => {
    let big: bigint;
    if (typeof value === "bigint") big = value;
    else if (typeof value === "number" && Number.isSafeInteger(value)) big = BigInt(value);
    else if (typeof value === "string" && /^-?\d+$/.test(value)) big = BigInt(value);
    else throw typeError(`expected a bigint for a 64-bit integer, got ${showValue(value)}`);
    check(big);
    return big;
  };
}

export function int32Reader(type: ScalarType): (value: unknown) => number {
  const check = rangeCheck(type);
  return (value) => {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      throw typeError(`expected an integer number, got ${showValue(value)}`);
    }
    check(value);
    return value;
  };
}

export function scalarWriter(type: ScalarType): (writer: ByteWriter, value: unknown) => void {
  switch (type) {
    case ScalarType.STRING:
      return (writer, value) => {
        if (typeof value !== "string") {
          throw typeError(`expected a string, got ${showValue(value)}`);
        }
        writeString(writer, value);
      };
    case ScalarType.BYTES:
      return (writer, value) => {
        if (!(value instanceof Uint8Array)) {
          throw typeError(`expected a Uint8Array, got ${showValue(value)}`);
        }
        writer.bytes(value);
      };
    case ScalarType.BOOL:
      return (writer, value) => {
        if (typeof value !== "boolean") {
          throw typeError(`expected a boolean, got ${showValue(value)}`);
        }
        writer.bool(value);
      };
    case ScalarType.DOUBLE:
      return (writer, value) => {
        if (typeof value !== "number") {
          throw typeError(`expected a number, got ${showValue(value)}`);
        }
        writer.double(value);
      };
    case ScalarType.FLOAT:
      return (writer, value) => {
        if (typeof value !== "number") {
          throw typeError(`expected a number, got ${showValue(value)}`);
        }
        if (Number.isFinite(value) && Math.abs(value) > FLOAT32_MAX) {
          throw rangeError(`${value} is out of range for float (32-bit)`);
        }
        writer.float(value);
      };
  }
  const int64 = int64Reader(type);
  const int32 = int32Reader(type);
  switch (type) {
    case ScalarType.INT64:
      return (writer, value) => writer.int64(int64(value));
    case ScalarType.SINT64:
      return (writer, value) => writer.sint64(int64(value));
    case ScalarType.SFIXED64:
      return (writer, value) => writer.sfixed64(int64(value));
    case ScalarType.UINT64:
      return (writer, value) => writer.uint64(int64(value));
    case ScalarType.FIXED64:
      return (writer, value) => writer.fixed64(int64(value));
    case ScalarType.SINT32:
      return (writer, value) => writer.sint32(int32(value));
    case ScalarType.SFIXED32:
      return (writer, value) => writer.sfixed32(int32(value));
    case ScalarType.UINT32:
      return (writer, value) => writer.uint32(int32(value));
    case ScalarType.FIXED32:
      return (writer, value) => writer.fixed32(int32(value));
    default:
      return (writer, value) => writer.int32(int32(value));
  }
}

export function wireTypeOf(type: ScalarType): WireType {
  switch (type) {
    case ScalarType.BYTES:
    case ScalarType.STRING:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.FLOAT:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

/**
 * Writes `text` as length-prefixed UTF-8. A string holding an unpaired surrogate is refused:
 * Python protobuf refuses it too, and replacing it with U+FFFD would give two inputs one key.
 */
export function writeString(writer: ByteWriter, text: string): void {
  if (!isWellFormed(text)) {
    const index = loneSurrogateIndex(text);
    const unit = text.charCodeAt(index).toString(16).toUpperCase();
    throw typeError(
      `string ${showValue(text)} holds an unpaired surrogate (U+${unit} at index ${index}); ` +
        "it is not valid UTF-8 and cannot be part of a key",
    );
  }
  writer.string(text);
}
