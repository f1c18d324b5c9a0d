/**
 * Whether a field is written, for the deterministic encoder: proto3's implicit-presence
 * scalars are left out at their default, explicit-presence fields and message fields whenever
 * they are set.
 *
 * @module
 */
import { type DescField, type Message, ScalarType } from "@bufbuild/protobuf";
import { isEmptyRecord } from "../internal/entries.ts";

const IMPLICIT_PRESENCE = 2;

/** Set and not an empty JSON object (anything else goes on for the writer to refuse). */
export function isNonEmptyStruct(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return true;
  return !isEmptyRecord(value);
}

/** Whether a field outside a oneof is set, by the presence rules of its file's syntax. */
export function presenceCheck(
  field: DescField,
): (value: unknown, message: Message, localName: string) => boolean {
  switch (field.fieldKind) {
    // A list or map field is always there in a protobuf-es message: anything but an array (an
    // object) goes on for the writer to refuse, `undefined` included.
    case "list":
      return (value) => !Array.isArray(value) || value.length > 0;
    case "map":
      // An empty map writes no entries: no need to count them here.
      return () => true;
    case "message":
      return (value) => value !== undefined;
  }
  if (field.presence !== IMPLICIT_PRESENCE) {
    // Explicit presence: defaults of proto2 fields live on the prototype.
    return (value, message, localName) =>
      value !== undefined && Object.prototype.hasOwnProperty.call(message, localName);
  }
  if (field.fieldKind === "enum") return (value) => value !== 0;
  switch (field.scalar) {
    case ScalarType.BOOL:
      return (value) => value !== false;
    case ScalarType.STRING:
      return (value) => value !== "";
    case ScalarType.BYTES:
      return (value) => !(value instanceof Uint8Array) || value.byteLength > 0;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      // Python protobuf compares the bits: -0.0 is written.
      return (value) => !Object.is(value, 0);
    default:
      // 0, 0n and "0" alike.
      return (value) => value != 0;
  }
}
