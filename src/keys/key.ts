/**
 * Cache keys, equal byte for byte to flytekit's `LocalTaskCache` keys
 * (`flytekit.core.local_cache._calculate_cache_key`).
 *
 * @module
 */
import { clone, create, isMessage } from "@bufbuild/protobuf";
import {
  type Literal,
  LiteralCollectionSchema,
  type LiteralMap,
  LiteralMapSchema,
  LiteralSchema,
} from "../../gen/flyteidl/core/literals_pb.ts";
import { checkTimes } from "./apply_model_rules.ts";
import { withDeterministicBytes, withDeterministicEntries } from "./deterministic.ts";
import { FLYTEKIT_MODELS } from "./flytekit_models.ts";
import { sortCodePoints } from "./map_writer.ts";
import { describeArgument } from "../internal/describe.ts";
import { isLiteral, setEntry } from "../internal/entries.ts";
import { HASHED_BY_REFERENCE, joblibHashInPlace, PICKLE_HEADROOM } from "./joblib.ts";
import { isStackOverflow, tooDeep } from "./too_deep.ts";

/**
 * The literal flytekit puts in a cache key in place of `literal`, as flytekit's
 * `_recursive_hash_placement`:
 *
 * - a literal with a non-empty `hash` becomes a literal holding only that hash (this is checked
 *   first, so a collection or map that carries a hash is cut down to it too);
 * - a collection becomes a collection of its elements' placements, a map a map of its values'
 *   placements, both without the outer literal's `metadata`;
 * - any other literal stays as it is.
 *
 * @param literal A `flyteidl.core.Literal` message.
 * @returns New literals; the argument is never changed.
 * @throws {TypeError} when `literal` is not a `Literal` message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "@bufbuild/protobuf";
 * import { recursiveHashPlacement } from "local-task-cache";
 * import { LiteralSchema } from "local-task-cache/flyteidl";
 *
 * const blob = create(LiteralSchema, {
 *   hash: "abc123",
 *   value: {
 *     case: "scalar",
 *     value: { value: { case: "blob", value: { uri: "s3://bucket/key" } } },
 *   },
 * });
 * // Only the hash is left: two blobs with one hash have one key.
 * const placed = recursiveHashPlacement(blob);
 * assert.equal(placed.hash, "abc123");
 * assert.equal(placed.value.case, undefined);
 * assert.equal(blob.value.case, "scalar");
 *
 * // In a collection, each element is placed; the collection itself has no hash.
 * const list = create(LiteralSchema, {
 *   value: { case: "collection", value: { literals: [blob] } },
 * });
 * const placedList = recursiveHashPlacement(list);
 * assert.ok(placedList.value.case === "collection");
 * assert.equal(placedList.value.value.literals[0]!.value.case, undefined);
 * ```
 */
export function recursiveHashPlacement(literal: Literal): Literal {
  if (!isMessage(literal, LiteralSchema)) {
    throw new TypeError(
      `recursiveHashPlacement: expected a flyteidl.core.Literal message, got ${
        describeArgument(literal)
      }`,
    );
  }
  const placed = placeHashes(literal);
  // The base case hands back the argument itself; copy it so the result never aliases it.
  return placed === literal ? clone(LiteralSchema, literal) : placed;
}

/**
 * `recursiveHashPlacement` without the final copy: the result may share unchanged literals
 * with the argument. Only for serializing right away. `cut` sees each literal whose value is
 * left out for its hash.
 */
function placeHashes(literal: Literal, cut?: (literal: Literal) => void): Literal {
  // Anything but a Literal goes on unchanged, for the encoder to refuse with its path.
  if (!isLiteral(literal)) return literal;
  // A hash that is not a string goes on too: the encoder refuses it with its path.
  if (typeof literal.hash !== "string") return literal;
  if (literal.hash !== "") {
    cut?.(literal);
    return create(LiteralSchema, { hash: literal.hash });
  }
  const value = literal.value;
  switch (value.case) {
    case "collection": {
      const placed = create(LiteralCollectionSchema);
      placed.literals = value.value.literals.map((item) => placeHashes(item, cut));
      return create(LiteralSchema, { value: { case: "collection", value: placed } });
    }
    case "map": {
      const placed = create(LiteralMapSchema);
      const literals = value.value.literals;
      for (const name of Object.keys(literals)) {
        setEntry(placed.literals, name, placeHashes(literals[name]!, cut));
      }
      return create(LiteralSchema, { value: { case: "map", value: placed } });
    }
    default:
      return literal;
  }
}

/**
 * The key under which flytekit's `LocalTaskCache` stores the outputs of task `taskName` at
 * `cacheVersion` for `inputLiteralMap`, byte for byte:
 * `${taskName}-${cacheVersion}-${md5 hex}`.
 *
 * Inputs named in `cacheIgnoreInputVars` are left out (names that are not inputs are ignored);
 * the others go through {@link recursiveHashPlacement}, are written as flytekit's model classes
 * give them back (times in whole microseconds, sub-messages the models always build, Structs
 * the models hold as dicts, no unknown fields: see src/keys/flytekit_models.ts), serialized
 * deterministically (as Python protobuf's `SerializeToString(deterministic=True)`) and hashed
 * as `joblib.hash` hashes a `bytes` object. The result equals flytekit's
 * `_calculate_cache_key(taskName, cacheVersion, LiteralMap.from_flyte_idl(map), ignore)`.
 *
 * @throws {TypeError} when an argument has the wrong type, a string in the inputs (a map key,
 *   a string value, metadata) holds an unpaired surrogate, which Python cannot serialize either,
 *   or a keyed literal is a `Scalar.error`, which flytekit cannot key.
 * @throws {RangeError} when an integer in the inputs is out of the range of its field, a
 *   datetime or duration anywhere in the inputs is out of the range of Python's `datetime` or
 *   `timedelta` (flytekit cannot convert it), or an input is nested deeper than the stack allows
 *   (or holds a cycle): the message names the input and the path.
 *
 * @param taskName The task's name, e.g. `"my_module.my_task"`.
 * @param cacheVersion The task's cache version.
 * @param inputLiteralMap The task's inputs.
 * @param cacheIgnoreInputVars Names of inputs the key leaves out.
 * @returns `${taskName}-${cacheVersion}-${md5 hex}`, flytekit's key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "@bufbuild/protobuf";
 * import { calculateCacheKey } from "local-task-cache";
 * import { LiteralMapSchema } from "local-task-cache/flyteidl";
 *
 * // flytekit's stable example (its own tests pin it): a task without inputs.
 * assert.equal(
 *   calculateCacheKey("t.produce_dc", "1", create(LiteralMapSchema)),
 *   "t.produce_dc-1-ea65cfadb0079394a8be1f4aa1e96e2b",
 * );
 *
 * const inputs = create(LiteralMapSchema, {
 *   literals: {
 *     a: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: 1n } } } } } },
 *     b: { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: "hello" } } } } } },
 *   },
 * });
 * // flytekit's key of the same inputs.
 * const key = calculateCacheKey("my_task", "v1", inputs);
 * assert.equal(key, "my_task-v1-7b8aa689be1c6dfb6c7059b9483342ec");
 *
 * // An ignored input is left out of the key.
 * const onlyA = create(LiteralMapSchema, { literals: { a: inputs.literals.a } });
 * assert.equal(
 *   calculateCacheKey("my_task", "v1", inputs, ["b"]),
 *   calculateCacheKey("my_task", "v1", onlyA),
 * );
 * ```
 */
export function calculateCacheKey(
  taskName: string,
  cacheVersion: string,
  inputLiteralMap: LiteralMap,
  cacheIgnoreInputVars: readonly string[] = [],
): string {
  const ignored = checkKeyArguments(taskName, cacheVersion, inputLiteralMap, cacheIgnoreInputVars);
  let hash: string | undefined;
  try {
    hash = hashInOnePass(inputLiteralMap.literals, ignored);
  } catch {
    // Input that cannot be keyed: the path below finds which error flytekit would meet first.
  }
  return `${taskName}-${cacheVersion}-${hash ?? hashOrThrow(inputLiteralMap, ignored)}`;
}

/**
 * The key's hash in one pass over the inputs: the names listed and sorted once (or not at all:
 * see {@link sortedNames}), each literal
 * looked up once, placed and written at once (no placed map is built). Throws on any input
 * that cannot be keyed, without saying which error comes first: `hashOrThrow` does.
 */
function hashInOnePass(source: Record<string, Literal>, ignored: Set<string>): string {
  const names = Object.keys(source);
  // Ignored names are not written: filtered out before the sort.
  const kept = ignored.size === 0 ? names : names.filter((name) => {
    if (!ignored.has(name)) return true;
    const literal = source[name];
    if (!isLiteral(literal)) throw new TypeError("not a Literal");
    checkTimes(literal, FLYTEKIT_MODELS, ignoredInput);
    return false;
  });
  return withDeterministicEntries(
    LiteralMapSchema,
    sortedNames(kept, source),
    (name) => {
      const literal = source[name];
      if (!isLiteral(literal)) throw new TypeError("not a Literal");
      // Most inputs are scalars without a hash: their placement is the literal itself.
      return literal.hash === "" && literal.value.case === "scalar"
        ? literal
        : placeHashes(literal, checkHashed);
    },
    "calculateCacheKey: inputLiteralMap",
    joblibHashInPlace,
    PICKLE_HEADROOM,
    FLYTEKIT_MODELS,
    HASHED_BY_REFERENCE,
  );
}

/** The names of a key's inputs as listed (by `Object.keys`, less the ignored ones) and sorted. */
interface Remembered {
  readonly listed: readonly string[];
  readonly sorted: readonly string[];
}

/**
 * The last key's names, listed and sorted by code point: a task keyed again lists the same
 * names in the same order, and the sort (for 1,000 names it costs about as much as their MD5;
 * for 100,000, about 8 ms of a 60 ms key) is skipped. Up to {@link STRONGLY_REMEMBERED} names
 * are held as they are, for the next key of any inputs; more only for as long as the inputs
 * object that listed them lives (in a `WeakMap` keyed by it), so that a large list is not held
 * after its inputs are dropped. Neither array is changed once kept.
 */
let strongly: Remembered | undefined;
let largely: WeakMap<object, Remembered> = new WeakMap();
const STRONGLY_REMEMBERED = 10_000;

/**
 * `names` (listed from `owner`) sorted by code point: the last key's sorted names if it listed
 * the same ones.
 */
function sortedNames(names: string[], owner: object): readonly string[] {
  const n = names.length;
  const last = n <= STRONGLY_REMEMBERED ? strongly : largely.get(owner);
  if (last !== undefined && n === last.listed.length) {
    // Listed names are the objects' own keys: the same names are mostly the same strings.
    const listed = last.listed;
    let i = 0;
    while (i < n && names[i] === listed[i]) i++;
    if (i === n) return last.sorted;
  }
  const sorted = sortCodePoints(names.slice());
  const kept: Remembered = { listed: names, sorted };
  if (n <= STRONGLY_REMEMBERED) strongly = kept;
  // A new map: only the last large list is kept.
  else largely = new WeakMap([[owner, kept]]);
  return sorted;
}

/**
 * The key's hash, or the error flytekit meets first on these inputs: every input checked in
 * order (a non-Literal, then times flytekit cannot hold in ignored inputs and under hashes),
 * then the encoder's refusals, then times anywhere.
 */
function hashOrThrow(inputLiteralMap: LiteralMap, ignored: Set<string>): string {
  const source = inputLiteralMap.literals;
  const names = Object.keys(source);
  // A new map, as flytekit builds one, made only when something differs from the argument: most
  // inputs go through unchanged. (Unknown fields are left out by the encoder's rules.)
  let placed: LiteralMap | undefined;
  try {
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const literal = source[name];
      if (!isLiteral(literal)) {
        throw new TypeError(
          `calculateCacheKey: inputLiteralMap.literals[${JSON.stringify(name)}]: expected a ` +
            `flyteidl.core.Literal message, got ${describeArgument(literal)}`,
        );
      }
      // flytekit converts every input to its models, ignored or cut down to a hash, before it
      // keys them: a time those cannot hold fails there too.
      current = name;
      let replacement: Literal | undefined;
      if (ignored.size !== 0 && ignored.has(name)) {
        checkTimes(literal, FLYTEKIT_MODELS, ignoredInput);
      } else replacement = placeHashes(literal, checkHashed);
      if (placed === undefined && replacement !== literal) {
        placed = create(LiteralMapSchema);
        for (let j = 0; j < i; j++) setEntry(placed.literals, names[j]!, source[names[j]!]!);
      }
      if (placed !== undefined && replacement !== undefined) {
        setEntry(placed.literals, name, replacement);
      }
    }
  } catch (error) {
    throw tooDeep(error, source, [current]);
  }
  // Hashed in place: the pickle framing goes into the room left around the bytes. Written as
  // flytekit's models make the messages (times to whole microseconds, default sub-messages,
  // no unknown fields): flytekit keys its models, not the protobuf messages.
  let hash: string;
  try {
    hash = withDeterministicBytes(
      LiteralMapSchema,
      placed ?? inputLiteralMap,
      "calculateCacheKey: inputLiteralMap",
      joblibHashInPlace,
      PICKLE_HEADROOM,
      FLYTEKIT_MODELS,
      HASHED_BY_REFERENCE,
    );
  } catch (error) {
    if (isStackOverflow(error)) {
      throw tooDeep(error, source, names.filter((name) => !ignored.has(name)));
    }
    // flytekit converts every input to its models before it writes any: a time they cannot
    // hold anywhere fails before what the encoder refused (e.g. a Scalar.error).
    for (const name of names) {
      current = name;
      checkTimes(source[name], FLYTEKIT_MODELS, input);
    }
    throw error;
  }
  return hash;
}

/**
 * The input being checked, for the error messages of {@link checkTimes} (functions made once,
 * not a closure per call: a key of a few inputs takes microseconds).
 */
let current = "";
const input = () => `calculateCacheKey: inputLiteralMap.literals[${JSON.stringify(current)}]`;
const ignoredInput = () => `${input()} (ignored)`;
const hashedValue = () => `${input()} (a value with a hash)`;
const checkHashed = (hashed: Literal) => checkTimes(hashed.value, FLYTEKIT_MODELS, hashedValue);

/**
 * Checks the types of `calculateCacheKey`'s arguments (not the inputs' contents), throwing the
 * same `TypeError`s; returns the ignore list as a set. For callers that check before any I/O.
 */
export function checkKeyArguments(
  taskName: unknown,
  cacheVersion: unknown,
  inputLiteralMap: unknown,
  cacheIgnoreInputVars: unknown,
): Set<string> {
  checkString(taskName, "taskName");
  checkString(cacheVersion, "cacheVersion");
  if (!isMessage(inputLiteralMap, LiteralMapSchema)) {
    throw new TypeError(
      `calculateCacheKey: inputLiteralMap must be a flyteidl.core.LiteralMap message ` +
        `(create(LiteralMapSchema, ...)), got ${describeArgument(inputLiteralMap)}`,
    );
  }
  return ignoreSet(cacheIgnoreInputVars);
}

function checkString(value: unknown, name: string): void {
  if (typeof value !== "string") {
    throw new TypeError(
      `calculateCacheKey: ${name} must be a string, got ${describeArgument(value)}`,
    );
  }
}

const NO_NAMES: Set<string> = new Set();

function ignoreSet(names: unknown): Set<string> {
  if (!Array.isArray(names)) {
    throw new TypeError(
      `calculateCacheKey: cacheIgnoreInputVars must be an array of input names, got ${
        describeArgument(names)
      }`,
    );
  }
  // Shared when empty (most calls): never changed by its users.
  if (names.length === 0) return NO_NAMES;
  names.forEach((name, index) => {
    if (typeof name !== "string") {
      throw new TypeError(
        `calculateCacheKey: cacheIgnoreInputVars[${index}] must be a string, got ${
          describeArgument(name)
        }`,
      );
    }
  });
  return new Set(names as string[]);
}
