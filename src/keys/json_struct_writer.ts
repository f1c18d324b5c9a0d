/**
 * `google.protobuf.Struct`, `Value` and `ListValue` written from their JSON form (protobuf-es
 * holds a Struct field as a `JsonObject`), for the deterministic encoder.
 *
 * @module
 */
import { isMessage, type JsonValue } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import type { ByteWriter } from "./byte_writer.ts";
import { sortCodePoints } from "./map_writer.ts";
import { typeError, within } from "./pathed_error.ts";
import { writeString } from "./scalar_writer.ts";
import { showValue } from "../internal/describe.ts";

// google.protobuf.Struct, Value and ListValue, written from their JSON form.
// Struct: map<string, Value> fields = 1. Value: oneof kind { NullValue null_value = 1;
// double number_value = 2; string string_value = 3; bool bool_value = 4; Struct struct_value = 5;
// ListValue list_value = 6; }. ListValue: repeated Value values = 1.

/**
 * `asJson`: as the value comes back from Python's `json_format.MessageToDict` and `Parse`,
 * which turn a NaN or an infinity into the string "NaN", "Infinity" or "-Infinity".
 */
export function writeJsonStruct(writer: ByteWriter, value: unknown, asJson: boolean): void {
  if (typeof value !== "object" || value === null || Array.isArray(value) || isMessage(value)) {
    throw typeError(`expected a JSON object for google.protobuf.Struct, got ${showValue(value)}`);
  }
  const record = value as Record<string, unknown>;
  const names = sortCodePoints(Object.keys(record));
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    try {
      writer.tag(1, WireType.LengthDelimited).fork();
      writer.tag(1, WireType.LengthDelimited);
      writeString(writer, name);
      writer.tag(2, WireType.LengthDelimited).fork();
      writeJsonValue(writer, record[name], asJson);
      writer.join();
      writer.join();
    } catch (error) {
      within(error, `[${JSON.stringify(name)}]`);
    }
  }
}

function writeJsonValue(writer: ByteWriter, value: unknown, asJson: boolean): void {
  const json = value as JsonValue;
  switch (typeof json) {
    case "number":
      if (asJson && !Number.isFinite(json)) {
        writer.tag(3, WireType.LengthDelimited);
        writer.string(Number.isNaN(json) ? "NaN" : json > 0 ? "Infinity" : "-Infinity");
        return;
      }
      writer.tag(2, WireType.Bit64).double(json);
      return;
    case "string":
      writer.tag(3, WireType.LengthDelimited);
      writeString(writer, json);
      return;
    case "boolean":
      writer.tag(4, WireType.Varint).bool(json);
      return;
    case "object":
      if (json === null) {
        writer.tag(1, WireType.Varint).int32(0);
        return;
      }
      if (Array.isArray(json)) {
        writer.tag(6, WireType.LengthDelimited).fork();
        for (let i = 0; i < json.length; i++) {
          writer.tag(1, WireType.LengthDelimited).fork();
          try {
            writeJsonValue(writer, json[i], asJson);
          } catch (error) {
            within(error, `[${i}]`);
          }
          writer.join();
        }
        writer.join();
        return;
      }
      writer.tag(5, WireType.LengthDelimited).fork();
      writeJsonStruct(writer, json, asJson);
      writer.join();
      return;
  }
  throw typeError(
    `expected a JSON value (null, number, string, boolean, array or object), got ${
      showValue(value)
    }`,
  );
}
