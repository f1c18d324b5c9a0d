/**
 * The deterministic encoder's walker: a writer compiled once per message descriptor (and set
 * of {@link ModelRules}) from protobuf-es's generated descriptors, writing the fields in
 * field-number order, the members of a oneof, lists, message-typed values in every local form
 * protobuf-es gives them (a message, a `JsonObject` for a Struct, an unboxed wrapper), and the
 * unknown fields after the known ones. Scalars, maps, Structs and the rules' own writers are
 * in the modules beside it.
 *
 * @module
 */
import {
  create,
  type DescField,
  type DescMessage,
  type Message,
  ScalarType,
} from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import type { ByteWriter } from "./byte_writer.ts";
import type { ModelRules } from "./flytekit_models.ts";
import { leftAsIs, ruleKey, specialWriter } from "./apply_model_rules.ts";
import { isNonEmptyStruct, presenceCheck } from "./field_presence.ts";
import { writeJsonStruct } from "./json_struct_writer.ts";
import { literalShortcut, SHORTCUT_TYPES } from "./literal_shortcut.ts";
import { compileEntries, compileMap } from "./map_writer.ts";
import { typeError, within } from "./pathed_error.ts";
import { scalarWriter, wireTypeOf } from "./scalar_writer.ts";
import { showValue } from "../internal/describe.ts";
import { isWellFormed } from "../internal/unicode.ts";

const STRUCT = "google.protobuf.Struct";

/** Writes the fields of one message (no tag, no length). */
export type MessageWriter = (writer: ByteWriter, message: Message) => void;
/** Writes one value (no tag). */
export type ValueWriter = (writer: ByteWriter, value: unknown) => void;

/**
 * Writes the entries of a map: `names` sorted in place first, unless `sorted` says they are in
 * order already (string keys by code point, as `sortCodePoints` sorts them).
 */
export type EntriesWriter = (
  writer: ByteWriter,
  names: string[],
  valueOf: (name: string) => unknown,
  sorted?: boolean,
) => void;

/** Compiled writers, by rules and message. */
const compiled = new WeakMap<ModelRules, WeakMap<DescMessage, MessageWriter>>();

/**
 * The writer of messages of `desc` as `rules` write them, compiled on first use and kept (with
 * the writers of every message type it reaches) for as long as `desc` and `rules` live.
 */
export function writerFor(desc: DescMessage, rules: ModelRules): MessageWriter {
  // The last one asked for, without the lookups: keys ask for the same one again and again.
  if (desc === last.desc && rules === last.rules) return last.writer;
  let writers = compiled.get(rules);
  if (writers === undefined) compiled.set(rules, writers = new WeakMap());
  const writer = writers.get(desc) ?? compileMessage(desc, rules, writers);
  if (writers.get(desc) === writer) last = { desc, rules, writer };
  return writer;
}

let last: { desc?: DescMessage; rules?: ModelRules; writer: MessageWriter } = {
  writer: () => {},
};

let lastEntries: { desc?: DescMessage; rules?: ModelRules; writer: EntriesWriter } = {
  writer: () => {},
};

/**
 * The writer of the entries of the one field of `desc`, a map with string keys (a
 * `LiteralMap`), given the entries' names (sorted in place, unless sorted already) and a
 * function answering each name's value.
 *
 * @throws {Error} when `desc` is not such a message (a mistake of the caller's).
 */
export function entriesWriterFor(desc: DescMessage, rules: ModelRules): EntriesWriter {
  if (desc === lastEntries.desc && rules === lastEntries.rules) return lastEntries.writer;
  const field = desc.fields[0];
  if (
    desc.fields.length !== 1 || field?.fieldKind !== "map" || field.mapKey !== ScalarType.STRING
  ) {
    throw new Error(`${desc.typeName} is not a message of one map field with string keys`);
  }
  const writeEntries = entriesWriter(field, rules);
  const segment = "." + field.localName;
  const writer: EntriesWriter = (writer, names, valueOf, sorted) => {
    try {
      writeEntries(writer, names, valueOf, sorted);
    } catch (error) {
      within(error, segment);
    }
  };
  lastEntries = { desc, rules, writer };
  return writer;
}

function compileMessage(
  desc: DescMessage,
  rules: ModelRules,
  writers: WeakMap<DescMessage, MessageWriter>,
): MessageWriter {
  const typeName = desc.typeName;
  const special = specialWriter(typeName, rules);
  if (special !== undefined) {
    writers.set(desc, special);
    return special;
  }
  const fieldWriters: MessageWriter[] = [];
  const keepUnknown = !rules.dropUnknown;
  const writeMessage: MessageWriter = (writer, message) => {
    if (typeof message !== "object" || message === null || message.$typeName !== typeName) {
      throw typeError(`expected a ${typeName} message, got ${showValue(message)}`);
    }
    for (let i = 0; i < fieldWriters.length; i++) fieldWriters[i]!(writer, message);
    const unknown = message.$unknown;
    if (unknown !== undefined && keepUnknown) {
      for (const { no, wireType, data } of unknown) writer.tag(no, wireType).raw(data);
    }
  };
  // Registered before the fields compile, so recursive types find it instead of looping.
  const registered = typeName === SHORTCUT_TYPES[0] && leftAsIs(SHORTCUT_TYPES, rules)
    ? literalShortcut(writeMessage, isWellFormed)
    : writeMessage;
  writers.set(desc, registered);
  const sorted = desc.fields.concat().sort((a, b) => a.number - b.number);
  for (let i = 0; i < sorted.length;) {
    const oneof = sorted[i]!.oneof;
    if (oneof === undefined) {
      fieldWriters.push(compileField(sorted[i++]!, rules));
      continue;
    }
    // A run of members of one oneof, next to each other in field-number order: at most one is
    // set, so one lookup of its case picks the member to write (or none).
    const run: DescField[] = [];
    while (i < sorted.length && sorted[i]!.oneof === oneof) run.push(sorted[i++]!);
    fieldWriters.push(
      compileOneofRun(
        oneof.localName,
        run,
        new Set(oneof.fields.map((f) => f.localName)),
        rules,
      ),
    );
  }
  return registered;
}

function compileOneofRun(
  oneofName: string,
  members: DescField[],
  allMembers: ReadonlySet<string>,
  rules: ModelRules,
): MessageWriter {
  const writers = new Map<unknown, ValueWriter>();
  for (const field of members) writers.set(field.localName, compileFieldValue(field, rules));
  return (writer, message) => {
    const oneof = (message as Record<string, unknown>)[oneofName] as
      | { case?: unknown; value?: unknown }
      | undefined;
    const write = writers.get(oneof?.case);
    if (write === undefined) {
      // Unset, or a member written by another run of this oneof; anything else is no oneof.
      if (
        typeof oneof === "object" && oneof !== null &&
        (oneof.case === undefined || allMembers.has(oneof.case as string))
      ) {
        return;
      }
      within(
        typeError(
          `expected { case, value } with a case among ${[...allMembers].join(", ")}, got ` +
            showValue(oneof),
        ),
        "." + oneofName,
      );
    }
    try {
      write(writer, oneof!.value);
    } catch (error) {
      // The case is the member's local name.
      within(error, "." + String(oneof!.case));
    }
  };
}

function compileField(field: DescField, rules: ModelRules): MessageWriter {
  const localName = field.localName;
  const segment = "." + localName;
  const write = compileFieldValue(field, rules);
  if (field.fieldKind === "message" && rules.materialized.has(ruleKey(field))) {
    // Written when unset too, as the default message (or an empty Struct).
    const desc = field.message;
    let fallback: unknown;
    return (writer, message) => {
      let value = (message as Record<string, unknown>)[localName];
      if (value === undefined) {
        value = fallback ??= desc.typeName === STRUCT ? {} : create(desc);
      }
      try {
        write(writer, value);
      } catch (error) {
        within(error, segment);
      }
    };
  }
  const isSet = field.fieldKind === "message" && rules.jsonStructs.get(ruleKey(field))?.dropEmpty
    ? isNonEmptyStruct
    : presenceCheck(field);
  return (writer, message) => {
    const value = (message as Record<string, unknown>)[localName];
    if (!isSet(value, message, localName)) return;
    try {
      write(writer, value);
    } catch (error) {
      within(error, segment);
    }
  };
}

/** Writes a field's whole value, tags included, once the field is known to be set. */
function compileFieldValue(field: DescField, rules: ModelRules): ValueWriter {
  const fieldNo = field.number;
  switch (field.fieldKind) {
    case "scalar":
    case "enum": {
      const type = field.fieldKind === "enum" ? ScalarType.INT32 : field.scalar;
      const wireType = wireTypeOf(type);
      const writeScalar = scalarWriter(type);
      return (writer, value) => {
        writer.tag(fieldNo, wireType);
        writeScalar(writer, value);
      };
    }
    case "message":
      return childWriter(field, field.message, rules);
    case "list":
      return compileList(field, rules);
    case "map":
      return compileMap(entriesWriter(field, rules));
  }
}

function expectArray(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw typeError(`expected an array, got ${showValue(value)}`);
  return value;
}

function compileList(field: DescField & { fieldKind: "list" }, rules: ModelRules): ValueWriter {
  const fieldNo = field.number;
  if (field.listKind === "message") {
    const writeChild = childWriter(field, field.message, rules);
    return (writer, value) => {
      const items = expectArray(value);
      for (let i = 0; i < items.length; i++) {
        try {
          writeChild(writer, items[i]);
        } catch (error) {
          within(error, `[${i}]`);
        }
      }
    };
  }
  const type = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
  const writeScalar = scalarWriter(type);
  const eachItem = (writer: ByteWriter, items: unknown[], tag: () => void) => {
    for (let i = 0; i < items.length; i++) {
      tag();
      try {
        writeScalar(writer, items[i]);
      } catch (error) {
        within(error, `[${i}]`);
      }
    }
  };
  if (field.packed) {
    return (writer, value) => {
      writer.tag(fieldNo, WireType.LengthDelimited).fork();
      eachItem(writer, expectArray(value), () => {});
      writer.join();
    };
  }
  const wireType = wireTypeOf(type);
  return (writer, value) =>
    eachItem(writer, expectArray(value), () => writer.tag(fieldNo, wireType));
}

/** A map field's entries writer, the values of a map of messages written as child messages. */
function entriesWriter(field: DescField & { fieldKind: "map" }, rules: ModelRules): EntriesWriter {
  const writeMessage = field.mapKind === "message"
    ? messageValueWriter(field, field.message, rules)
    : undefined;
  return compileEntries(field, rules, writeMessage);
}

/**
 * Writes a message-typed value, whatever local form protobuf-es gives it: a message, a
 * `JsonObject` for `google.protobuf.Struct`, or an unboxed scalar for a wrapper type.
 */
function messageValueWriter(field: DescField, desc: DescMessage, rules: ModelRules): ValueWriter {
  if (desc.typeName === STRUCT && field.parent.typeName !== "google.protobuf.Value") {
    const asJson = rules.jsonStructs.has(ruleKey(field));
    return (writer, value) => writeJsonStruct(writer, value, asJson);
  }
  if (field.fieldKind === "message" && field.oneof === undefined && isWrapper(desc)) {
    const valueField = desc.fields[0]!;
    const type = valueField.fieldKind === "scalar" ? valueField.scalar : ScalarType.INT32;
    const isSet = presenceCheck(valueField);
    const wireType = wireTypeOf(type);
    const writeScalar = scalarWriter(type);
    return (writer, value) => {
      if (isSet(value, {} as Message, "value")) {
        writer.tag(1, wireType);
        try {
          writeScalar(writer, value);
        } catch (error) {
          within(error, ".value");
        }
      }
    };
  }
  // The message writer checks its argument's type itself.
  return writerFor(desc, rules) as ValueWriter;
}

/** A message-typed value with its tag and length prefix (groups are written as groups). */
function childWriter(field: DescField, desc: DescMessage, rules: ModelRules): ValueWriter {
  const fieldNo = field.number;
  const writeValue = messageValueWriter(field, desc, rules);
  if ("delimitedEncoding" in field && field.delimitedEncoding) {
    return (writer, value) => {
      writer.tag(fieldNo, WireType.StartGroup);
      writeValue(writer, value);
      writer.tag(fieldNo, WireType.EndGroup);
    };
  }
  return (writer, value) => {
    writer.tag(fieldNo, WireType.LengthDelimited).fork();
    writeValue(writer, value);
    writer.join();
  };
}

const WRAPPERS = new Set([
  "google.protobuf.DoubleValue",
  "google.protobuf.FloatValue",
  "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value",
  "google.protobuf.Int32Value",
  "google.protobuf.UInt32Value",
  "google.protobuf.BoolValue",
  "google.protobuf.StringValue",
  "google.protobuf.BytesValue",
]);

function isWrapper(desc: DescMessage): boolean {
  const first = desc.fields[0];
  return WRAPPERS.has(desc.typeName) && first?.name === "value" && first.number === 1;
}
