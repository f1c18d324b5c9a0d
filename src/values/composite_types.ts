/**
 * The value types built from other value types: a Python `list[T]` (`Literal.collection`), a
 * `dict[str, T]` (`Literal.map`), and a type with a hash, as flytekit's `HashMethod`. Private to
 * the package.
 *
 * @module
 */
import { create } from "@bufbuild/protobuf";
import {
  type Literal,
  LiteralCollectionSchema,
  LiteralMapSchema,
  LiteralSchema,
} from "../../gen/flyteidl/core/literals_pb.ts";
import { ConversionError } from "../errors.ts";
import { describeValue, isPlainObject, keyPath } from "../internal/describe.ts";
import { isLiteral, setEntry } from "../internal/entries.ts";
import { isWellFormed } from "../internal/unicode.ts";
import { expected, fail } from "./fail.ts";
import { wrongLiteral } from "./literal_shapes.ts";
import { checkValueType, type ValueType } from "./schema.ts";

/** `t.list(item)`: a Python `list[T]`, the collection of the items' literals. */
export function listType<T>(item: ValueType<T>): ValueType<T[]> {
  checkValueType(item, "t.list(item)");
  const name = `list<${item.name}>`;
  return {
    name,
    toLiteral(value, path) {
      if (!Array.isArray(value)) return expected(path, `an array (${name})`, value);
      const literals: Literal[] = [];
      for (let i = 0; i < value.length; i++) {
        literals.push(item.toLiteral(value[i], `${path}[${i}]`));
      }
      return create(LiteralSchema, {
        value: { case: "collection", value: create(LiteralCollectionSchema, { literals }) },
      });
    },
    fromLiteral(literal, path) {
      if (!isLiteral(literal) || literal.value.case !== "collection") {
        return wrongLiteral(literal, path, name, "a collection");
      }
      return literal.value.value.literals.map((element, i) =>
        item.fromLiteral(element, `${path}[${i}]`)
      );
    },
  };
}

/** `t.map(value)`: a Python `dict[str, T]`, a literal map. */
export function mapType<T>(valueType: ValueType<T>): ValueType<Record<string, T>> {
  checkValueType(valueType, "t.map(value)");
  const name = `map<${valueType.name}>`;
  return {
    name,
    toLiteral(value, path) {
      let entries: Iterable<[unknown, unknown]>;
      if (value instanceof Map) entries = value as Map<unknown, unknown>;
      else if (isPlainObject(value)) entries = Object.entries(value);
      else return expected(path, `a plain object or a Map (${name})`, value);
      const map = create(LiteralMapSchema);
      for (const [key, item] of entries) {
        if (typeof key !== "string") {
          fail(
            `${path}[key]`,
            `expected string keys (${name}, a Python dict[str, ...]), got ${describeValue(key)}`,
          );
        }
        const itemPath = keyPath(path, key);
        if (!isWellFormed(key)) {
          fail(itemPath, "the key has a lone surrogate, which is not valid UTF-8");
        }
        setEntry(map.literals, key, valueType.toLiteral(item, itemPath));
      }
      return create(LiteralSchema, { value: { case: "map", value: map } });
    },
    fromLiteral(literal, path) {
      if (!isLiteral(literal) || literal.value.case !== "map") {
        return wrongLiteral(literal, path, name, "a map");
      }
      const literals = literal.value.value.literals;
      const result: Record<string, T> = {};
      for (const key of Object.keys(literals)) {
        setEntry(result, key, valueType.fromLiteral(literals[key]!, keyPath(path, key)));
      }
      return result;
    },
  };
}

/** `t.hashed(type, hash)`: `type` with a hash, which the cache key uses in place of the value. */
export function hashedType<T>(type: ValueType<T>, hash: (value: T) => string): ValueType<T> {
  checkValueType(type, "t.hashed(type, hash)");
  if (typeof hash !== "function") {
    throw new TypeError(
      `t.hashed(type, hash): hash must be a function, got ${describeValue(hash)}`,
    );
  }
  return {
    name: `hashed<${type.name}>`,
    toLiteral(value, path) {
      const literal = type.toLiteral(value, path);
      let digest: unknown;
      try {
        digest = hash(value as T);
      } catch (error) {
        throw new ConversionError(path, `the hash function threw: ${String(error)}`, {
          cause: error,
        });
      }
      if (typeof digest !== "string" || digest === "") {
        fail(
          path,
          `the hash function must return a non-empty string, got ${describeValue(digest)}`,
        );
      }
      if (!isWellFormed(digest)) {
        fail(path, "the hash has a lone surrogate, which is not valid UTF-8");
      }
      literal.hash = digest;
      return literal;
    },
    fromLiteral(literal, path) {
      return type.fromLiteral(literal, path);
    },
  };
}
