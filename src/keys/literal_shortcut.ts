/**
 * A shortcut of the deterministic encoder (src/keys/deterministic.ts) for the literals keys
 * meet most: a `flyteidl.core.Literal` holding a scalar primitive (integer, float, string,
 * boolean) or a binary, with no hash, no metadata and no unknown fields.
 *
 * The generic encoder reads every field through a compiled closure and a property name held in
 * a variable, which the engines cannot specialize across the many message types (about 200 ns
 * a literal). These literals are written here with plain property reads instead, to the same
 * bytes; any other literal, and any value the shortcut does not recognize exactly (a wrong type,
 * an integer out of range, a string that is not well formed), goes to the generic writer, which
 * writes it or refuses it with its path. The encoder uses it only where the rules leave these
 * messages as they are (src/keys/flytekit_models.ts does).
 *
 * In a `map<string, Literal>` (the inputs of a key), such a literal is written with its entry
 * in one go ({@link writeLiteralEntry}), every length counted before its bytes are written, so
 * that no message is moved to make room for its length (a binary of a few KiB was moved twice).
 *
 * @module
 */
import { WireType } from "@bufbuild/protobuf/wire";
import {
  BinarySchema,
  LiteralSchema,
  PrimitiveSchema,
  ScalarSchema,
} from "../../gen/flyteidl/core/literals_pb.ts";
import type { ByteWriter } from "./byte_writer.ts";
import { isEmptyRecord } from "../internal/entries.ts";
import { INT64_MAX, INT64_MIN } from "../internal/integers.ts";

/**
 * The type names the shortcut writes itself: rules touching any of them turn it off. Taken from
 * the schemas, as the very strings protobuf-es puts in its messages' `$typeName`: the engines
 * then compare them by reference, where a literal string of the same text is compared character
 * by character (the schemas' names are built at run time, and not interned).
 */
export const SHORTCUT_TYPES: readonly string[] = [
  LiteralSchema.typeName,
  ScalarSchema.typeName,
  PrimitiveSchema.typeName,
  BinarySchema.typeName,
];
const [LITERAL, SCALAR, PRIMITIVE, BINARY] = SHORTCUT_TYPES;

/** What the shortcut reads of a message: protobuf-es's fields, unchecked until it checks them. */
interface Fields {
  $typeName?: unknown;
  $unknown?: unknown;
  value?: unknown;
  hash?: unknown;
  metadata?: unknown;
  tag?: unknown;
}

/**
 * The Literal writer with the shortcut in front of `generic` (the encoder's own Literal writer,
 * which takes every literal the shortcut leaves).
 */
export function literalShortcut<W extends (writer: ByteWriter, message: never) => void>(
  generic: W,
  isWellFormed: (text: string) => boolean,
): W {
  const write = (writer: ByteWriter, message: Fields): void => {
    if (
      message.$typeName === LITERAL && message.hash === "" && message.$unknown === undefined &&
      isEmptyObject(message.metadata)
    ) {
      const value = message.value as { case?: unknown; value?: unknown } | undefined;
      if (value?.case === "scalar" && writeScalar(writer, value.value as Fields, isWellFormed)) {
        return;
      }
    }
    generic(writer, message as never);
  };
  return write as unknown as W;
}

/** Writes `Literal.scalar` (tag included) and answers true, or writes nothing and answers false. */
function writeScalar(
  writer: ByteWriter,
  scalar: Fields,
  isWellFormed: (text: string) => boolean,
): boolean {
  if (typeof scalar !== "object" || scalar === null) return false;
  if (scalar.$typeName !== SCALAR || scalar.$unknown !== undefined) return false;
  const oneof = scalar.value as { case?: unknown; value?: unknown } | undefined;
  const inner = oneof?.value as Fields | undefined;
  if (typeof inner !== "object" || inner === null || inner.$unknown !== undefined) return false;
  if (oneof!.case === "primitive" && inner.$typeName === PRIMITIVE) {
    const primitive = inner.value as { case?: unknown; value?: unknown } | undefined;
    const v = primitive?.value;
    switch (primitive?.case) {
      case "integer": {
        if (typeof v !== "bigint") return false;
        // Exact below 2^53: a small non-negative integer needs no bigint comparison.
        const n = Number(v);
        if (n >= 0 && n <= SMALL) {
          const buf = writer.room(9);
          writer.position = writeSmallInteger(buf, writer.position, n);
          return true;
        }
        if (v < INT64_MIN || v > INT64_MAX) return false;
        open(writer);
        writer.tag(1, WireType.Varint).int64(v);
        break;
      }
      case "floatValue":
        if (typeof v !== "number") return false;
        open(writer);
        writer.tag(2, WireType.Bit64).double(v);
        break;
      case "stringValue":
        if (typeof v !== "string" || !isWellFormed(v)) return false;
        open(writer);
        writer.tag(3, WireType.LengthDelimited).string(v);
        break;
      case "boolean":
        if (typeof v !== "boolean") return false;
        open(writer);
        writer.tag(4, WireType.Varint).bool(v);
        break;
      default:
        return false;
    }
    writer.join().join();
    return true;
  }
  if (oneof!.case === "binary" && inner.$typeName === BINARY) {
    const bytes = inner.value, tag = inner.tag;
    if (!(bytes instanceof Uint8Array) || typeof tag !== "string" || !isWellFormed(tag)) {
      return false;
    }
    const tagLength = asciiLength(tag);
    if (tagLength < 0) {
      // Literal.scalar, then Scalar.binary (field 3), their lengths filled in after.
      writer.tag(1, WireType.LengthDelimited).fork().tag(3, WireType.LengthDelimited).fork();
      if (bytes.length !== 0) writer.tag(1, WireType.LengthDelimited).bytes(bytes);
      writer.tag(2, WireType.LengthDelimited).string(tag);
      writer.join().join();
      return true;
    }
    // The lengths known up front: a large binary is not moved to make room for them.
    const binary = field(bytes.length) + field(tagLength);
    writer.tag(1, WireType.LengthDelimited).uint32(1 + varintSize(binary) + binary);
    writer.tag(3, WireType.LengthDelimited).uint32(binary);
    if (bytes.length !== 0) writer.tag(1, WireType.LengthDelimited).bytes(bytes);
    if (tag !== "") writer.tag(2, WireType.LengthDelimited).string(tag);
    return true;
  }
  return false;
}

/** The largest integer written by {@link writeSmallInteger}: its varint takes 4 bytes. */
const SMALL = 0xfff_ffff;

/**
 * Writes the fields of a Literal holding the integer `n` (0 to {@link SMALL}) from `at` in
 * `buf` (room for 9 bytes): Literal.scalar, Scalar.primitive, Primitive.integer, their lengths
 * known up front. Answers where it ended.
 */
function writeSmallInteger(buf: Uint8Array, at: number, n: number): number {
  const size = varintSize(n);
  buf[at] = 0x0a;
  buf[at + 1] = 3 + size;
  buf[at + 2] = 0x0a;
  buf[at + 3] = 1 + size;
  buf[at + 4] = 0x08;
  at += 5;
  while (n > 0x7f) {
    buf[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[at++] = n;
  return at;
}

/** What {@link writeLiteralEntry} writes in the Scalar: the kinds of value it takes. */
const INTEGER = 0, NEGATIVE = 1, FLOAT = 2, STRING = 3, BOOLEAN = 4, BYTES = 5;

/**
 * Writes the entry `name` -> `literal` of a `map<string, Literal>` field `fieldNo` (1 to 15)
 * in one go, every length known before a byte is written (no message is moved to make room for
 * its length), when `name` is ASCII and the literal a plain scalar: no hash, no metadata, no
 * unknown fields, and an integer of up to 53 bits, a float, a boolean, an ASCII string, or a
 * binary with an ASCII tag. Answers false, having written nothing, otherwise.
 */
export function writeLiteralEntry(
  writer: ByteWriter,
  fieldNo: number,
  name: string,
  literal: unknown,
): boolean {
  if (
    !isObject(literal) || literal.$typeName !== LITERAL || literal.hash !== "" ||
    literal.$unknown !== undefined || !isEmptyObject(literal.metadata)
  ) {
    return false;
  }
  const value = literal.value as { case?: unknown; value?: unknown } | undefined;
  if (value?.case !== "scalar") return false;
  const scalar = value.value as Fields | undefined;
  if (!isObject(scalar) || scalar.$typeName !== SCALAR || scalar.$unknown !== undefined) {
    return false;
  }
  const oneof = scalar.value as { case?: unknown; value?: unknown } | undefined;
  const inner = oneof?.value as Fields | undefined;
  if (!isObject(inner) || inner.$unknown !== undefined) return false;
  let kind: number;
  // The Primitive's or the Binary's own bytes, and what else is asked for along the way.
  let innerLength: number;
  let n = 0, text = "", bytes: Uint8Array | undefined, v: unknown;
  if (oneof!.case === "primitive") {
    if (inner.$typeName !== PRIMITIVE) return false;
    const primitive = inner.value as { case?: unknown; value?: unknown } | undefined;
    v = primitive?.value;
    switch (primitive?.case) {
      case "integer":
        if (typeof v !== "bigint") return false;
        // Exact below 2^53 in size: no bigint comparison is needed.
        n = Number(v);
        // The most common entry: every length fits in one byte.
        if (n >= 0 && n <= SMALL && name.length <= 100) {
          return writeSmallIntegerEntry(writer, fieldNo, name, n);
        }
        if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) {
          kind = INTEGER;
          innerLength = 1 + varintSize53(n);
        } else if (n < 0 && n >= -Number.MAX_SAFE_INTEGER) {
          // Two's complement in 64 bits: ten bytes.
          kind = NEGATIVE;
          innerLength = 11;
        } else return false;
        break;
      case "floatValue":
        if (typeof v !== "number") return false;
        kind = FLOAT;
        innerLength = 9;
        break;
      case "stringValue":
        if (typeof v !== "string") return false;
        text = v;
        n = asciiLength(text);
        if (n < 0) return false;
        kind = STRING;
        innerLength = 1 + varintSize(n) + n;
        break;
      case "boolean":
        if (typeof v !== "boolean") return false;
        kind = BOOLEAN;
        innerLength = 2;
        break;
      default:
        return false;
    }
  } else if (oneof!.case === "binary") {
    if (inner.$typeName !== BINARY) return false;
    const data = inner.value, tag = inner.tag;
    if (!(data instanceof Uint8Array) || typeof tag !== "string") return false;
    n = asciiLength(tag);
    if (n < 0) return false;
    kind = BYTES;
    bytes = data;
    text = tag;
    innerLength = field(data.length) + field(n);
  } else return false;
  const nameLength = name.length;
  const scalarLength = 1 + varintSize(innerLength) + innerLength;
  const literalLength = 1 + varintSize(scalarLength) + scalarLength;
  const entryLength = 1 + varintSize(nameLength) + nameLength + 1 + varintSize(literalLength) +
    literalLength;
  // Tags and lengths (6 tags and up to 6 varints of lengths, 5 bytes each at most), an
  // integer's varint (8 bytes at most) or a boolean, the name, and a string's bytes: a binary's
  // bytes and tag are written after, with their own room.
  let buf = writer.room(40 + nameLength + (kind === STRING ? n : 0));
  let at = writer.position;
  buf[at++] = (fieldNo << 3) | WireType.LengthDelimited;
  at = writeVarint(buf, at, entryLength);
  buf[at++] = 0x0a;
  at = writeVarint(buf, at, nameLength);
  for (let i = 0; i < nameLength; i++) {
    const unit = name.charCodeAt(i);
    // Not ASCII: the position was not moved, so nothing is written.
    if (unit > 0x7f) return false;
    buf[at++] = unit;
  }
  buf[at++] = 0x12;
  at = writeVarint(buf, at, literalLength);
  // Literal.scalar, then Scalar.primitive (field 1) or Scalar.binary (field 3).
  buf[at++] = 0x0a;
  at = writeVarint(buf, at, scalarLength);
  buf[at++] = kind === BYTES ? 0x1a : 0x0a;
  at = writeVarint(buf, at, innerLength);
  switch (kind) {
    case INTEGER:
      buf[at++] = 0x08;
      writer.position = writeVarint(buf, at, n);
      return true;
    case NEGATIVE:
      buf[at++] = 0x08;
      writer.position = at;
      writer.int64(v as bigint);
      return true;
    case FLOAT:
      buf[at++] = 0x11;
      writer.position = at;
      writer.double(v as number);
      return true;
    case STRING:
      buf[at++] = 0x1a;
      at = writeVarint(buf, at, n);
      for (let i = 0; i < n; i++) buf[at++] = text.charCodeAt(i);
      writer.position = at;
      return true;
    case BOOLEAN:
      buf[at++] = 0x20;
      buf[at++] = v ? 1 : 0;
      writer.position = at;
      return true;
  }
  writer.position = at;
  if (bytes!.length !== 0) writer.tag(1, WireType.LengthDelimited).bytes(bytes!);
  if (n !== 0) {
    buf = writer.room(6 + n);
    at = writer.position;
    buf[at++] = 0x12;
    at = writeVarint(buf, at, n);
    for (let i = 0; i < n; i++) buf[at++] = text.charCodeAt(i);
    writer.position = at;
  }
  return true;
}

/**
 * Writes the entry `name` (ASCII, up to 100 units) -> a plain Literal holding the integer `n`
 * (0 to {@link SMALL}), as {@link writeLiteralEntry} does; answers false, having written
 * nothing, if `name` is not ASCII.
 */
function writeSmallIntegerEntry(
  writer: ByteWriter,
  fieldNo: number,
  name: string,
  n: number,
): boolean {
  const length = name.length;
  const literalLength = 5 + varintSize(n);
  // Key (tag, length, name) and value (tag, length, literal): under 128 bytes, one length byte.
  const buf = writer.room(4 + length + 2 + literalLength);
  let at = writer.position;
  buf[at++] = (fieldNo << 3) | WireType.LengthDelimited;
  buf[at++] = 2 + length + 2 + literalLength;
  buf[at++] = 0x0a;
  buf[at++] = length;
  for (let i = 0; i < length; i++) {
    const unit = name.charCodeAt(i);
    // Not ASCII: the position was not moved, so nothing is written.
    if (unit > 0x7f) return false;
    buf[at++] = unit;
  }
  buf[at++] = 0x12;
  buf[at++] = literalLength;
  writer.position = writeSmallInteger(buf, at, n);
  return true;
}

/** Writes `n` (0 to 2^53 - 1) as a varint from `at` in `buf`; answers where it ended. */
function writeVarint(buf: Uint8Array, at: number, n: number): number {
  while (n > 0xffff_ffff) {
    buf[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  while (n > 0x7f) {
    buf[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[at++] = n;
  return at;
}

/** The size of the varint of `n` (0 to 2^53 - 1). */
function varintSize53(n: number): number {
  if (n < 0x1000_0000) return varintSize(n);
  let size = 4;
  for (n = Math.floor(n / 0x1000_0000); n > 0; n = Math.floor(n / 0x80)) size++;
  return size;
}

/** Literal.scalar, then Scalar.primitive (field 1): two messages to `join`. */
function open(writer: ByteWriter): void {
  writer.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).fork();
}

/** The size of a length-delimited field of `length` bytes (field number below 16): 0 if empty. */
function field(length: number): number {
  return length === 0 ? 0 : 1 + varintSize(length) + length;
}

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : n < 0x1000_0000 ? 4 : 5;
}

/** The length of `text` if it is ASCII (its UTF-8 length then), else -1. */
function asciiLength(text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return -1;
  return text.length;
}

function isObject(value: unknown): value is Fields {
  return typeof value === "object" && value !== null;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    isEmptyRecord(value);
}
