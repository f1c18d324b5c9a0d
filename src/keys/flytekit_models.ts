/**
 * What flytekit's model classes (`flytekit.models.literals`, `flytekit.models.types`,
 * `flytekit.models.core.types`) make of the protobuf messages of a cache key's inputs.
 *
 * flytekit computes a key on its models, not on protobuf messages: a LiteralMap becomes
 * `LiteralMap.from_flyte_idl(map)`, and the bytes hashed are those of
 * `LiteralMap(...).to_flyte_idl()`. Each model class keeps some fields and rebuilds others, so
 * the round trip changes some messages. These rules say how, as data over the messages' type
 * names; the deterministic encoder applies them while it writes (src/keys/apply_model_rules.ts,
 * compiled into the writers of src/keys/message_writer.ts), so that messages the models leave
 * alone cost nothing extra.
 *
 * Found by reading flytekit v1.16.24 (commit e96c7203089a1edc5709c92a606a2d4abb481c0e) and
 * checked against it by the vectors in test/compat/vectors/.
 *
 * @module
 */

/** A `google.protobuf.Struct` field that a model holds as a Python dict and parses back. */
export interface JsonStructRule {
  /**
   * Whether an empty Struct is left out (`MessageToDict(...) or None`) rather than written as
   * an empty message.
   */
  readonly dropEmpty: boolean;
}

/** How flytekit's models change the messages they round-trip. */
export interface ModelRules {
  /**
   * Message fields written even when unset, as their default message: the model always builds
   * that sub-model (`Blob.from_flyte_idl` builds `BlobMetadata.from_flyte_idl(proto.metadata)`
   * whether or not the field was set). Keys are `"<type name>.<field local name>"`.
   */
  readonly materialized: ReadonlySet<string>;
  /**
   * `google.protobuf.Struct` fields that go through `json_format.MessageToDict`, `json.dumps`
   * and `json_format.Parse`: a NaN or an infinity comes back as the string `"NaN"`,
   * `"Infinity"` or `"-Infinity"`. Keys as in {@link ModelRules.materialized}.
   */
  readonly jsonStructs: ReadonlyMap<string, JsonStructRule>;
  /**
   * Messages held as Python `datetime` or `timedelta`: whole microseconds, nanoseconds rounded
   * toward zero (`ToDatetime`, `ToTimedelta`), written back as `FromDatetime` and
   * `FromTimedelta` write them; a value out of Python's range cannot be keyed.
   */
  readonly times: ReadonlyMap<string, "datetime" | "timedelta">;
  /** Messages the models cannot write back at all, with what flytekit raises. */
  readonly refused: ReadonlyMap<string, string>;
  /**
   * Whether fields unknown to the schema are dropped: every model builds new messages from the
   * fields it knows. (The one exception, a `Scalar.generic` Struct that the model keeps as it
   * is, cannot hold unknown fields in protobuf-es in the first place.)
   */
  readonly dropUnknown: boolean;
}

/** flytekit's models, as of v1.16.24. */
export const FLYTEKIT_MODELS: ModelRules = {
  materialized: new Set([
    // Blob.from_flyte_idl: BlobMetadata.from_flyte_idl(proto.metadata).
    "flyteidl.core.Blob.metadata",
    // BlobMetadata.from_flyte_idl: BlobType.from_flyte_idl(proto.type).
    "flyteidl.core.BlobMetadata.type",
    // Schema.from_flyte_idl: SchemaType.from_flyte_idl(pb2_object.type).
    "flyteidl.core.Schema.type",
    // Union.from_flyte_idl: Literal.from_flyte_idl(value), LiteralType.from_flyte_idl(type).
    "flyteidl.core.Union.value",
    "flyteidl.core.Union.type",
    // StructuredDataset(Metadata).from_flyte_idl: the metadata and its type, always.
    "flyteidl.core.StructuredDataset.metadata",
    "flyteidl.core.StructuredDatasetMetadata.structuredDatasetType",
    // DatasetColumn.from_flyte_idl: LiteralType.from_flyte_idl(proto.literal_type).
    "flyteidl.core.StructuredDatasetType.DatasetColumn.literalType",
    // TypeAnnotation: annotations=MessageToDict(proto.annotations), a dict even when empty.
    "flyteidl.core.TypeAnnotation.annotations",
  ]),
  jsonStructs: new Map([
    // LiteralType: metadata=MessageToDict(proto.metadata) or None.
    ["flyteidl.core.LiteralType.metadata", { dropEmpty: true }],
    ["flyteidl.core.TypeAnnotation.annotations", { dropEmpty: false }],
  ]),
  times: new Map([
    ["google.protobuf.Timestamp", "datetime"],
    ["google.protobuf.Duration", "timedelta"],
  ]),
  refused: new Map([
    [
      "flyteidl.core.Error",
      "flytekit cannot key a Scalar.error: its model keeps the protobuf Error, and " +
      "to_flyte_idl fails on it (AttributeError)",
    ],
  ]),
  dropUnknown: true,
};
