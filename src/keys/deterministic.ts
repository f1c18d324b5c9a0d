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
 * Keys pass rules (src/keys/flytekit_models.ts) that write messages as flytekit's model classes
 * give them back; the rules are compiled into the writers, so messages they do not touch cost
 * nothing more.
 *
 * This module is the encoder's entry: the writers are compiled by the walker
 * (src/keys/message_writer.ts), which uses the modules beside it: scalars
 * (scalar_writer.ts), maps (map_writer.ts), Structs (json_struct_writer.ts), field presence
 * (field_presence.ts), the rules (apply_model_rules.ts) and errors with a path
 * (pathed_error.ts).
 *
 * @module
 */
import type { DescMessage, Message } from "@bufbuild/protobuf";
import { ByteWriter } from "./byte_writer.ts";
import type { ModelRules } from "./flytekit_models.ts";
import { entriesWriterFor, writerFor } from "./message_writer.ts";
import { located } from "./pathed_error.ts";

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
 * @returns The message's bytes, a new array.
 * @throws {TypeError} for a value of the wrong type, or a string with an unpaired surrogate.
 * @throws {RangeError} for an integer out of the range of its field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
 * import { toBinaryDeterministic } from "local-task-cache";
 * import { LiteralMapSchema, LiteralSchema } from "local-task-cache/flyteidl";
 *
 * const integer = create(LiteralSchema, {
 *   value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: 1n } } } } },
 * });
 * // One map, its entries inserted in two orders: "9" is an integer-like key, which
 * // JavaScript lists first, while Python writes "10" before "9" (by their UTF-8 bytes).
 * const a = create(LiteralMapSchema, { literals: { "10": integer, "9": integer } });
 * const b = create(LiteralMapSchema, { literals: { "9": integer, "10": integer } });
 * const bytes = toBinaryDeterministic(LiteralMapSchema, a);
 * assert.deepEqual(toBinaryDeterministic(LiteralMapSchema, b), bytes);
 * assert.notDeepEqual(toBinary(LiteralMapSchema, a), bytes);
 * assert.deepEqual(Object.keys(fromBinary(LiteralMapSchema, bytes).literals), ["9", "10"]);
 *
 * // A string Python cannot write is refused, with its path.
 * const bad = create(LiteralMapSchema, { literals: { "\uD800": integer } });
 * assert.throws(() => toBinaryDeterministic(LiteralMapSchema, bad, "inputs"), {
 *   name: "TypeError",
 *   message: /^inputs\.literals\["\\ud800"\]: string .* unpaired surrogate/,
 * });
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
 * import assert from "node:assert/strict";
 * import { create } from "@bufbuild/protobuf";
 * import { BinarySchema } from "../../gen/flyteidl/core/literals_pb.ts";
 * import { toBinaryDeterministicChunks } from "./deterministic.ts";
 *
 * const value = new Uint8Array(100_000);
 * const chunks = toBinaryDeterministicChunks(BinarySchema, create(BinarySchema, { value }));
 * // The field's tag and length, then the bytes themselves, not copied.
 * assert.equal(chunks.length, 2);
 * assert.equal(chunks[1], value);
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
