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
  return withDeterministicBytes(
    schema,
    message,
    name,
    (buffer, start, end) => buffer.slice(start, end),
  );
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
  // Written into the reused scratch writer (a new writer and buffer cost more than the whole
  // encoding of a small value), and its own bytes copied out.
  return withDeterministicBytes(
    schema,
    message,
    name,
    (buffer, start, end, parts) => {
      if (parts === undefined) return [buffer.slice(start, end)];
      return parts.map((part) => part.buffer === buffer.buffer ? part.slice() : part);
    },
    0,
    BARE,
    byReference,
  );
}

/** The largest buffer kept between encodings; larger ones are left to the garbage collector. */
const SCRATCH_LIMIT = 16 * 1024 * 1024;
const SCRATCH_SIZE = 64 * 1024;
/**
 * The writer reused from call to call, its buffer with it: a key costs no new writer, buffer or
 * view of it. Taken while in use, so an encoding started during `use` gets one of its own.
 */
let scratch = new ByteWriter(new Uint8Array(SCRATCH_SIZE));
let scratchInUse = false;

/**
 * What {@link withDeterministicBytes} hands the bytes to: they are `buffer[start..end)`, with at
 * least the headroom asked for before `start` and one byte after `end`, which `use` may write
 * (say, to frame the bytes for a hash). Valid only during the call. When byte fields were kept
 * by reference (`byReference`), the bytes are `parts` instead, joined (as
 * `toBinaryDeterministicChunks` gives them), and `buffer`, `start` and `end` are not to be read.
 */
export type ScratchUse<T> = (
  buffer: Uint8Array,
  start: number,
  end: number,
  parts?: readonly Uint8Array[],
) => T;

/**
 * Calls `use` with the deterministic bytes of `message`, written into a buffer that is reused
 * from call to call: the bytes are only valid during `use` (e.g. to hash them), which spares
 * the allocations of a fresh buffer growing to size on every call. The bytes start `headroom`
 * bytes into that buffer; `use` may write into the buffer around them (see {@link ScratchUse}).
 *
 * With `rules`, messages are written as those rules change them (flytekit's models: see
 * src/keys/flytekit_models.ts) instead of as they are. With `byReference`, byte fields of at
 * least that many bytes are not copied into the buffer: `use` gets the bytes as parts (see
 * {@link ScratchUse}).
 */
export function withDeterministicBytes<T>(
  schema: DescMessage,
  message: Message,
  name: string,
  use: ScratchUse<T>,
  headroom = 0,
  rules: ModelRules = BARE,
  byReference = Infinity,
): T {
  const write = writerFor(schema, rules);
  const writer = takeScratch(headroom, byReference);
  try {
    write(writer, message);
    return finish(writer, headroom, use);
  } catch (error) {
    throw located(error, name);
  } finally {
    giveBack(writer);
  }
}

/**
 * `withDeterministicBytes` of a message of `schema` whose one field is a map with string keys
 * (a `LiteralMap`), given as its entries' names and a function answering each name's value,
 * without a map object: `valueOf` is asked once per name, in the order the entries are written.
 * `names` must be sorted already, by code point (`sortCodePoints` of src/keys/map_writer.ts),
 * and is not changed. For `calculateCacheKey`, which makes each value (the literal's hash
 * placement) as it is written, in one pass over the inputs.
 *
 * @throws {Error} when `schema` is not such a message (a mistake of the caller's).
 */
export function withDeterministicEntries<T>(
  schema: DescMessage,
  names: readonly string[],
  valueOf: (name: string) => unknown,
  name: string,
  use: ScratchUse<T>,
  headroom = 0,
  rules: ModelRules = BARE,
  byReference = Infinity,
): T {
  const write = entriesWriterFor(schema, rules);
  const writer = takeScratch(headroom, byReference);
  try {
    write(writer, names as string[], valueOf, true);
    return finish(writer, headroom, use);
  } catch (error) {
    throw located(error, name);
  } finally {
    giveBack(writer);
  }
}

/**
 * The scratch writer, restarted at `headroom`, keeping byte fields of `byReference` bytes or
 * more by reference; a new one if it is in use.
 */
function takeScratch(headroom: number, byReference: number): ByteWriter {
  let writer: ByteWriter;
  if (scratchInUse) writer = new ByteWriter(new Uint8Array(headroom + 256), headroom);
  else {
    scratchInUse = true;
    writer = scratch.restart(headroom);
  }
  return byReference === Infinity ? writer : writer.keepByReference(byReference);
}

/** Gives the scratch writer back (a buffer grown past the limit is left to the collector). */
function giveBack(writer: ByteWriter): void {
  if (writer !== scratch) return;
  scratchInUse = false;
  if (writer.buffer.length > SCRATCH_LIMIT) scratch = new ByteWriter(new Uint8Array(SCRATCH_SIZE));
}

/** Hands the bytes written to `use`, with the byte after them made room for. */
function finish<T>(writer: ByteWriter, start: number, use: ScratchUse<T>): T {
  if (writer.keptByReference) return use(writer.buffer, start, start, writer.finishChunks());
  const end = writer.end();
  return use(writer.room(1), start, end);
}
