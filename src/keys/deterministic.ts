/**
 * Deterministic protobuf binary encoding, as Python protobuf's
 * `SerializeToString(deterministic=True)` writes it.
 *
 * protobuf-es's `toBinary` writes map entries in JavaScript object order, which puts
 * integer-like keys first and is not the order Python uses. This encoder is compiled once per
 * message descriptor from protobuf-es's generated descriptors and works for any message:
 *
 * - fields in field-number order, unknown fields after the known ones;
 * - proto3 presence: implicit-presence scalars are skipped at their default, while oneof
 *   members and message fields are written whenever they are set;
 * - every map, at every depth, with its entries sorted by key: string keys by their UTF-8
 *   bytes (Unicode code point order), numeric keys by value, `false` before `true`;
 * - `google.protobuf.Struct` fields (held by protobuf-es as `JsonObject`) and unboxed wrapper
 *   fields are written as the messages they stand for.
 *
 * Input that Python protobuf refuses, or that cannot be written faithfully, is refused with a
 * `TypeError` or `RangeError` naming the path of the offending value: strings holding an
 * unpaired surrogate, integers out of the range of their field, values of the wrong type.
 *
 * Keys pass rules (src/keys/flytekit_models.ts) that write messages as flytekit's model classes give
 * them back; the rules are compiled into the writers, so messages they do not touch cost
 * nothing more.
 *
 * @module
 */
import {
  create,
  type DescField,
  type DescMessage,
  isMessage,
  type JsonValue,
  type Message,
  ScalarType,
} from "@bufbuild/protobuf";
import { FLOAT32_MAX, INT32_MAX, INT32_MIN, UINT32_MAX, WireType } from "@bufbuild/protobuf/wire";
import { ByteWriter } from "./byte_writer.ts";
import type { ModelRules } from "./flytekit_models.ts";
import { showValue } from "../internal/describe.ts";
import { isWellFormed, loneSurrogateIndex } from "../internal/unicode.ts";
import { literalShortcut, SHORTCUT_TYPES, writeIntegerEntry } from "./literal_shortcut.ts";

/** No rules: messages as they are, as Python protobuf serializes them. */
const BARE: ModelRules = {
  materialized: new Set(),
  jsonStructs: new Map(),
  times: new Map(),
  refused: new Map(),
  dropUnknown: false,
};

/**
 * Serializes `message` deterministically, byte for byte as Python protobuf's
 * `SerializeToString(deterministic=True)` does.
 *
 * @param schema The message's schema, e.g. `LiteralMapSchema`.
 * @param message A message of that schema.
 * @param name How error messages name the message (default: `"message"`).
 * @throws {TypeError} for a value of the wrong type, or a string with an unpaired surrogate.
 * @throws {RangeError} for an integer out of the range of its field.
 *
 * @example
 * ```ts
 * import { create } from "@bufbuild/protobuf";
 * import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
 * import { toBinaryDeterministic } from "./deterministic.ts";
 *
 * const bytes = toBinaryDeterministic(LiteralMapSchema, create(LiteralMapSchema));
 * console.log(bytes.length); // 0
 * ```
 */
export function toBinaryDeterministic<Desc extends DescMessage>(
  schema: Desc,
  message: Message,
  name = "message",
): Uint8Array {
  return withDeterministicBytes(schema, message, name, (bytes) => bytes.slice());
}

/**
 * {@link toBinaryDeterministic}'s bytes as pieces that, joined, are the message: byte fields of
 * at least `byReference` bytes are not copied but handed out as they are, between the
 * encoder's own bytes. So a message holding a large binary is encoded in about the time and
 * memory of its small parts; the pieces are valid as long as the message is not changed.
 *
 * @example
 * ```ts
 * import { create } from "@bufbuild/protobuf";
 * import { BinarySchema } from "../../gen/flyteidl/core/literals_pb.ts";
 * import { toBinaryDeterministicChunks } from "./deterministic.ts";
 *
 * const value = new Uint8Array(100_000);
 * const chunks = toBinaryDeterministicChunks(BinarySchema, create(BinarySchema, { value }));
 * console.log(chunks.length, chunks[1] === value); // 2 true
 * ```
 */
export function toBinaryDeterministicChunks(
  schema: DescMessage,
  message: Message,
  name = "message",
  byReference = 64 * 1024,
): Uint8Array[] {
  const writer = new ByteWriter().keepByReference(byReference);
  try {
    writerFor(schema, BARE)(writer, message);
  } catch (error) {
    throw located(error, name);
  }
  return writer.finishChunks();
}

/** The largest buffer kept between encodings; larger ones are left to the garbage collector. */
const SCRATCH_LIMIT = 16 * 1024 * 1024;
let scratch: Uint8Array | undefined = new Uint8Array(64 * 1024);

/**
 * Calls `use` with the deterministic bytes of `message`, written into a buffer that is reused
 * from call to call: the bytes are only valid during `use` (e.g. to hash them), which spares
 * the allocations of a fresh buffer growing to size on every call. The bytes are a view that
 * starts `headroom` bytes into that buffer; `use` may write into the buffer around them.
 *
 * With `rules`, messages are written as those rules change them (flytekit's models: see
 * src/keys/flytekit_models.ts) instead of as they are.
 */
export function withDeterministicBytes<T>(
  schema: DescMessage,
  message: Message,
  name: string,
  use: (bytes: Uint8Array) => T,
  headroom = 0,
  rules: ModelRules = BARE,
): T {
  const write = writerFor(schema, rules);
  return withScratch((writer) => write(writer, message), name, use, headroom);
}

/**
 * `withDeterministicBytes` of a message of `schema` whose one field is a map with string keys
 * (a `LiteralMap`), given as its entries' names and a function answering each name's value,
 * without a map object: `valueOf` is asked once per name, in the order the entries are written
 * (the names sorted). `names` is sorted in place. For `calculateCacheKey`, which makes each
 * value (the literal's hash placement) as it is written, in one pass over the inputs.
 *
 * @throws {Error} when `schema` is not such a message (a mistake of the caller's).
 */
export function withDeterministicEntries<T>(
  schema: DescMessage,
  names: string[],
  valueOf: (name: string) => unknown,
  name: string,
  use: (bytes: Uint8Array) => T,
  headroom = 0,
  rules: ModelRules = BARE,
): T {
  const write = entriesWriterFor(schema, rules);
  return withScratch((writer) => write(writer, names, valueOf), name, use, headroom);
}

/** Calls `write` on a writer into the reused scratch buffer, then `use` on the bytes. */
function withScratch<T>(
  write: (writer: ByteWriter) => void,
  name: string,
  use: (bytes: Uint8Array) => T,
  headroom: number,
): T {
  const buffer = scratch;
  // Taken while in use, so an encoding started during `use` gets a buffer of its own.
  scratch = undefined;
  const writer = new ByteWriter(buffer, headroom);
  try {
    write(writer);
    return use(writer.finish());
  } catch (error) {
    throw located(error, name);
  } finally {
    const grown = writer.buffer;
    scratch = grown.length <= SCRATCH_LIMIT ? grown : buffer;
  }
}

/** Writes the fields of one message (no tag, no length). */
type MessageWriter = (writer: ByteWriter, message: Message) => void;
/** Writes one value (no tag). */
type ValueWriter = (writer: ByteWriter, value: unknown) => void;

/**
 * An error on the way down, collecting the path to the offending value on the way up.
 * Only `toBinaryDeterministic` turns it into the `TypeError` or `RangeError` users see.
 */
class PathedError extends Error {
  readonly path: string[] = [];
  constructor(readonly kind: "type" | "range", readonly reason: string) {
    super(reason);
  }
}

function typeError(reason: string): PathedError {
  return new PathedError("type", reason);
}

function rangeError(reason: string): PathedError {
  return new PathedError("range", reason);
}

/** Prepends `segment` to the path of a `PathedError` and rethrows anything. */
function within(error: unknown, segment: string): never {
  if (error instanceof PathedError) error.path.unshift(segment);
  throw error;
}

function located(error: unknown, name: string): unknown {
  if (!(error instanceof PathedError)) return error;
  const message = `${name}${error.path.join("")}: ${error.reason}`;
  return error.kind === "range" ? new RangeError(message) : new TypeError(message);
}

/** Compiled writers, by rules and message. */
const compiled = new WeakMap<ModelRules, WeakMap<DescMessage, MessageWriter>>();

function writerFor(desc: DescMessage, rules: ModelRules): MessageWriter {
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

/** Writes the entries of a map, the names sorted in place. */
type EntriesWriter = (
  writer: ByteWriter,
  names: string[],
  valueOf: (name: string) => unknown,
) => void;

let lastEntries: { desc?: DescMessage; rules?: ModelRules; writer: EntriesWriter } = {
  writer: () => {},
};

function entriesWriterFor(desc: DescMessage, rules: ModelRules): EntriesWriter {
  if (desc === lastEntries.desc && rules === lastEntries.rules) return lastEntries.writer;
  const field = desc.fields[0];
  if (
    desc.fields.length !== 1 || field?.fieldKind !== "map" || field.mapKey !== ScalarType.STRING
  ) {
    throw new Error(`${desc.typeName} is not a message of one map field with string keys`);
  }
  const writeEntries = compileEntries(field, rules);
  const segment = "." + field.localName;
  const writer: EntriesWriter = (writer, names, valueOf) => {
    try {
      writeEntries(writer, names, valueOf);
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

/** Whether `rules` leave messages of every one of `typeNames` as they are. */
function leftAsIs(typeNames: readonly string[], rules: ModelRules): boolean {
  const fieldRules = [...rules.materialized, ...rules.jsonStructs.keys()];
  return typeNames.every((name) =>
    !rules.times.has(name) && !rules.refused.has(name) &&
    !fieldRules.some((key) => key.startsWith(`${name}.`))
  );
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

const IMPLICIT_PRESENCE = 2;
const STRUCT = "google.protobuf.Struct";

/** How {@link ModelRules} name a field: `"<type name>.<local name>"`. */
function ruleKey(field: DescField): string {
  return `${field.parent.typeName}.${field.localName}`;
}

/** Set and not an empty JSON object (anything else goes on for the writer to refuse). */
function isNonEmptyStruct(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return true;
  return !isEmpty(value);
}

/** Whether a field outside a oneof is set, by the presence rules of its file's syntax. */
function presenceCheck(
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
      return compileMap(field, rules);
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

function compileMap(field: DescField & { fieldKind: "map" }, rules: ModelRules): ValueWriter {
  const writeEntries = compileEntries(field, rules);
  return (writer, value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw typeError(`expected an object for a map, got ${showValue(value)}`);
    }
    const record = value as Record<string, unknown>;
    // Most maps of a key's literals (Literal.metadata) are empty: nothing to list or sort.
    if (isEmpty(record)) return;
    writeEntries(writer, Object.keys(record), (name) => record[name]);
  };
}

/** The writer of a map field's entries, given their names (sorted in place) and values. */
function compileEntries(field: DescField & { fieldKind: "map" }, rules: ModelRules): EntriesWriter {
  const fieldNo = field.number;
  const keyType = field.mapKey;
  const keyWireType = wireTypeOf(keyType);
  const writeKey = scalarWriter(keyType);
  const isString = keyType === ScalarType.STRING;
  const toKey = mapKeyConverter(keyType);
  let writeValue: ValueWriter;
  if (field.mapKind === "message") {
    const writeChild = messageValueWriter(field, field.message, rules);
    writeValue = (writer, value) => {
      writer.tag(2, WireType.LengthDelimited).fork();
      writeChild(writer, value);
      writer.join();
    };
  } else {
    const type = field.mapKind === "enum" ? ScalarType.INT32 : field.scalar;
    const wireType = wireTypeOf(type);
    const writeScalar = scalarWriter(type);
    writeValue = (writer, value) => {
      writer.tag(2, wireType);
      writeScalar(writer, value);
    };
  }
  // A map of literals (LiteralMap.literals) writes its plain integers in one go.
  const writeEntry = isString && field.mapKind === "message" && fieldNo < 16 &&
      field.message.typeName === SHORTCUT_TYPES[0] && leftAsIs(SHORTCUT_TYPES, rules)
    ? writeIntegerEntry
    : undefined;
  return (writer, names, valueOf) => {
    // Non-string keys are sorted by value; strings by code point (their UTF-8 byte order).
    const keys = isString ? sortCodePoints(names) : sortScalarKeys(names, toKey);
    for (let i = 0; i < keys.length; i++) {
      const name = keys[i]!;
      const value = valueOf(name);
      if (writeEntry !== undefined && writeEntry(writer, fieldNo, name, value)) continue;
      try {
        writer.tag(fieldNo, WireType.LengthDelimited).fork();
        // Python writes key and value of every entry, defaults included.
        writer.tag(1, keyWireType);
        // Object keys are strings: a string key needs no type check.
        if (isString) writeString(writer, name);
        else writeKey(writer, toKey(name));
        writeValue(writer, value);
        writer.join();
      } catch (error) {
        within(error, `[${JSON.stringify(name)}]`);
      }
    }
  };
}

function isEmpty(record: object): boolean {
  for (const _ in record) return false;
  return true;
}

/**
 * Sorts strings by code point, which is the order of their UTF-8 bytes. JavaScript's own sort
 * compares UTF-16 code units; the two agree unless a surrogate meets a unit of U+E000..U+FFFF.
 */
function sortCodePoints(names: string[]): string[] {
  return hasHighUnits(names) ? names.sort(compareCodePoints) : names.sort();
}

/** Whether a name holds a unit of U+D800..U+FFFF (a scan of char codes: no string is made). */
function hasHighUnits(names: string[]): boolean {
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    for (let j = 0; j < name.length; j++) if (name.charCodeAt(j) >= 0xd800) return true;
  }
  return false;
}

function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (D800..DFFF) stand for code points above FFFF: move them past E000..FFFF.
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

function sortScalarKeys(
  names: string[],
  toKey: (name: string) => bigint | number | boolean,
): string[] {
  const keys = names.map((name) => {
    try {
      return { name, value: toKey(name) };
    } catch (error) {
      within(error, `[${JSON.stringify(name)}]`);
    }
  });
  keys.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return keys.map((key) => key.name);
}

function mapKeyConverter(type: ScalarType): (name: string) => bigint | number | boolean {
  switch (type) {
    case ScalarType.BOOL:
      return (name) => {
        if (name !== "true" && name !== "false") {
          throw typeError(`invalid bool map key ${showValue(name)}`);
        }
        return name === "true";
      };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64: {
      const check = rangeCheck(type);
      return (name) => {
        const value = parseIntegerKey(name, BigInt);
        check(value);
        return value;
      };
    }
    default: {
      const check = rangeCheck(type);
      return (name) => {
        const value = parseIntegerKey(name, Number);
        check(value);
        return value;
      };
    }
  }
}

function parseIntegerKey<T>(name: string, parse: (text: string) => T): T {
  if (!/^-?\d+$/.test(name)) throw typeError(`invalid integer map key ${showValue(name)}`);
  return parse(name);
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

// google.protobuf.Struct, Value and ListValue, written from their JSON form.
// Struct: map<string, Value> fields = 1. Value: oneof kind { NullValue null_value = 1;
// double number_value = 2; string string_value = 3; bool bool_value = 4; Struct struct_value = 5;
// ListValue list_value = 6; }. ListValue: repeated Value values = 1.

/**
 * `asJson`: as the value comes back from Python's `json_format.MessageToDict` and `Parse`,
 * which turn a NaN or an infinity into the string "NaN", "Infinity" or "-Infinity".
 */
function writeJsonStruct(writer: ByteWriter, value: unknown, asJson: boolean): void {
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

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A check that an integer is in the range of a field of `type`. */
function rangeCheck(type: ScalarType): (value: bigint | number) => void {
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
function int64Reader(type: ScalarType): (value: unknown) => bigint {
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

function int32Reader(type: ScalarType): (value: unknown) => number {
  const check = rangeCheck(type);
  return (value) => {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      throw typeError(`expected an integer number, got ${showValue(value)}`);
    }
    check(value);
    return value;
  };
}

/** A message the rules replace: refused, or a time held at whole microseconds. */
function specialWriter(typeName: string, rules: ModelRules): MessageWriter | undefined {
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

function scalarWriter(type: ScalarType): (writer: ByteWriter, value: unknown) => void {
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

function wireTypeOf(type: ScalarType): WireType {
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
function writeString(writer: ByteWriter, text: string): void {
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
