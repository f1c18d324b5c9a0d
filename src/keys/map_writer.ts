/**
 * Map fields, for the deterministic encoder: entries in the order Python protobuf writes them
 * (string keys by their UTF-8 bytes, numeric keys by value, `false` before `true`), each entry
 * with its key and value, defaults included.
 *
 * @module
 */
import { type DescField, ScalarType } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import type { ModelRules } from "./flytekit_models.ts";
import { SHORTCUT_TYPES, writeLiteralEntry } from "./literal_shortcut.ts";
import type { EntriesWriter, ValueWriter } from "./message_writer.ts";
import { leftAsIs } from "./apply_model_rules.ts";
import { typeError, within } from "./pathed_error.ts";
import { rangeCheck, scalarWriter, wireTypeOf, writeString } from "./scalar_writer.ts";
import { showValue } from "../internal/describe.ts";
import { isEmptyRecord } from "../internal/entries.ts";

/** The writer of a map field's value (an object), its entries written by `writeEntries`. */
export function compileMap(writeEntries: EntriesWriter): ValueWriter {
  return (writer, value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw typeError(`expected an object for a map, got ${showValue(value)}`);
    }
    const record = value as Record<string, unknown>;
    // Most maps of a key's literals (Literal.metadata) are empty: nothing to list or sort.
    if (isEmptyRecord(record)) return;
    writeEntries(writer, Object.keys(record), (name) => record[name]);
  };
}

/**
 * The writer of a map field's entries, given their names (sorted in place unless `sorted`) and
 * values;
 * `writeMessage` writes a value of a map of messages (without tag and length).
 */
export function compileEntries(
  field: DescField & { fieldKind: "map" },
  rules: ModelRules,
  writeMessage: ValueWriter | undefined,
): EntriesWriter {
  const fieldNo = field.number;
  const keyType = field.mapKey;
  const keyWireType = wireTypeOf(keyType);
  const writeKey = scalarWriter(keyType);
  const isString = keyType === ScalarType.STRING;
  const toKey = mapKeyConverter(keyType);
  let writeValue: ValueWriter;
  if (field.mapKind === "message") {
    const writeChild = writeMessage!;
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
  // A map of literals (LiteralMap.literals) writes its plain scalars in one go.
  const writeEntry = isString && field.mapKind === "message" && fieldNo < 16 &&
      field.message.typeName === SHORTCUT_TYPES[0] && leftAsIs(SHORTCUT_TYPES, rules)
    ? writeLiteralEntry
    : undefined;
  return (writer, names, valueOf, sorted) => {
    // Non-string keys are sorted by value; strings by code point (their UTF-8 byte order).
    const keys = sorted ? names : isString ? sortCodePoints(names) : sortScalarKeys(names, toKey);
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

/**
 * Sorts strings by code point, which is the order of their UTF-8 bytes. JavaScript's own sort
 * compares UTF-16 code units; the two agree unless a surrogate meets a unit of U+E000..U+FFFF.
 */
export function sortCodePoints(names: string[]): string[] {
  const high = hasHighUnits(names);
  // A few names (most keys): sorted here, without the set-up of the engine's sort.
  if (names.length <= 8) {
    return high ? insertionSort(names, compareCodePoints) : insertionSort(names);
  }
  return high ? names.sort(compareCodePoints) : names.sort();
}

/** Sorts a few strings in place, by `compare`, or by code unit (as `sort()`) without it. */
function insertionSort(names: string[], compare?: (a: string, b: string) => number): string[] {
  for (let i = 1; i < names.length; i++) {
    const name = names[i]!;
    let j = i;
    if (compare === undefined) {
      for (; j > 0 && names[j - 1]! > name; j--) names[j] = names[j - 1]!;
    } else {
      for (; j > 0 && compare(names[j - 1]!, name) > 0; j--) names[j] = names[j - 1]!;
    }
    names[j] = name;
  }
  return names;
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
