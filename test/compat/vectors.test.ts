/**
 * Keys against flytekit's own code: test/compat/vectors/flytekit_keys.jsonl holds thousands of
 * input maps with the key flytekit made for each (or what it raised), made by
 * scripts/flytekit_vectors.ts from a flytekit source tree. Every runtime checks
 * `calculateCacheKey` against them; Node and Deno also check our Python model of flytekit
 * (test/compat/oracle.py), which the random differential tests then compare against.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { after, before, test, type TestContext } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { calculateCacheKey } from "../../src/keys/key.ts";
import { coverage, COVERAGE_CASES } from "../support/arbitrary.ts";
import { type Oracle, oracleAvailability, requireOracle, startOracle } from "./oracle.ts";

interface Vector {
  label: string;
  task: string;
  version: string;
  ignore: string[];
  /** The input LiteralMap, protobuf bytes in base64. */
  inputs: string;
  key?: string;
  /** What flytekit raised, as "ExceptionName: message". */
  error?: string;
}

interface VectorFile {
  flytekit: { repository: string; tag: string; commit: string };
  flyteidl: string;
  vectors: Vector[];
}

/** JSON Lines: the provenance, then one vector a line. */
const file: VectorFile = (() => {
  const text = readFileSync(new URL("./vectors/flytekit_keys.jsonl", import.meta.url), {
    encoding: "utf8",
  });
  const [header, ...vectors] = text.trimEnd().split("\n").map((line) => JSON.parse(line));
  assert.equal(vectors.length, header.vectors, "the file holds as many vectors as it says");
  return { ...header, vectors };
})();
const inputsOf = (vector: Vector): LiteralMap =>
  fromBinary(LiteralMapSchema, new Uint8Array(Buffer.from(vector.inputs, "base64")));

/** The error class we refuse an input with, for what flytekit raised on it. */
const REFUSAL: Record<string, typeof Error> = {
  // A Scalar.error: flytekit's model cannot write it back.
  AttributeError: TypeError,
  // A datetime or timedelta out of Python's range.
  OverflowError: RangeError,
};

/** Ours for one vector: the key, or the error class and message we threw. */
function ours(vector: Vector): { key: string } | { error: unknown } {
  try {
    return { key: calculateCacheKey(vector.task, vector.version, inputsOf(vector), vector.ignore) };
  } catch (error) {
    return { error };
  }
}

test("the vectors come from a named flytekit commit and cover what they claim", () => {
  assert.match(file.flytekit.commit, /^[0-9a-f]{40}$/);
  // Made with the flyteidl protos this checkout has: another version may change the messages.
  const flyteidl = JSON.parse(
    readFileSync(new URL("../../node_modules/@flyteorg/flyteidl/package.json", import.meta.url), {
      encoding: "utf8",
    }),
  ) as { version: string };
  assert.equal(
    file.flyteidl,
    flyteidl.version,
    "@flyteorg/flyteidl changed: make the vectors again (scripts/flytekit_vectors.ts) and " +
      "check flytekit's models against the new messages (src/keys/flytekit_models.ts)",
  );
  assert.match(file.flytekit.tag, /^v\d+\.\d+\.\d+/);
  assert.ok(file.vectors.length >= 3000, `only ${file.vectors.length} vectors`);
  const errors = file.vectors.filter((v) => v.error !== undefined);
  assert.ok(errors.length >= 100 && errors.length < file.vectors.length / 4);
  for (const error of errors) {
    const name = error.error!.split(":")[0]!;
    assert.ok(name in REFUSAL, `${error.label}: flytekit raised ${error.error}`);
  }
  // Every oneof case of the literals and the edges the key tests need (large bytes aside: they
  // would make the file large, and the random differential test has them).
  const seen = coverage(file.vectors.map(inputsOf));
  const missing = COVERAGE_CASES.filter((name) => !seen.has(name) && name !== "bytes > 64 KiB");
  assert.deepEqual(missing, [], "the vectors lack these cases");
  const labels = new Set(file.vectors.map((v) => v.label.replace(/ -?\d.*$/, "")));
  for (const label of ["single", "several", "datetime", "duration", "generic NaN", "integer"]) {
    assert.ok(labels.has(label), `no vectors "${label} ..."`);
  }
});

test(`calculateCacheKey equals flytekit's key on every vector`, () => {
  const failures: string[] = [];
  for (const vector of file.vectors) {
    const result = ours(vector);
    if (vector.key !== undefined) {
      if (!("key" in result) || result.key !== vector.key) {
        failures.push(
          `${vector.label}: flytekit ${vector.key}, ours ${
            "key" in result ? result.key : String(result.error)
          } (inputs ${vector.inputs.slice(0, 200)})`,
        );
      }
      continue;
    }
    const expected = REFUSAL[vector.error!.split(":")[0]!]!;
    if ("key" in result) {
      failures.push(`${vector.label}: flytekit raised ${vector.error}, ours ${result.key}`);
    } else if (!(result.error instanceof expected) || !/flytekit/.test(String(result.error))) {
      failures.push(
        `${vector.label}: flytekit raised ${vector.error}, ours threw ${String(result.error)}`,
      );
    }
  }
  assert.deepEqual(
    failures.slice(0, 8),
    [],
    `${failures.length} of ${file.vectors.length} vectors differ (flytekit ${file.flytekit.tag})`,
  );
});

test("a refusal names the input, the path and the reason", () => {
  const byLabel = (label: string) => file.vectors.find((v) => v.label === label)!;
  const error = ours(byLabel("error, in a collection"));
  assert.ok("error" in error);
  assert.match(
    String(error.error),
    /^TypeError: calculateCacheKey: inputLiteralMap\.literals\["x"\]\.collection\.literals\[0\]\.scalar\.error: flytekit cannot key a Scalar\.error/,
  );
  const late = ours(byLabel("datetime 253402300800 s 0 ns"));
  assert.ok("error" in late);
  assert.match(
    String(late.error),
    /^RangeError: calculateCacheKey: inputLiteralMap\.literals\["x"\]\.scalar\.primitive\.datetime: 253402300800 s 0 ns is outside the years 1 to 9999/,
  );
  const ignored = ours(byLabel("datetime out of range, ignored"));
  assert.ok("error" in ignored);
  assert.match(String(ignored.error), /literals\["x"\] \(ignored\)\.scalar\.primitive\.datetime: /);
  const hashed = ours(byLabel("datetime out of range, with a hash"));
  assert.ok("error" in hashed);
  assert.match(
    String(hashed.error),
    /literals\["x"\] \(a value with a hash\)\.scalar\.primitive\.datetime: /,
  );
});

const availability = oracleAvailability();
let oracle: Oracle | undefined;

before(async () => {
  if (availability.ok) oracle = await startOracle();
});
after(() => oracle?.close());

test("our Python model of flytekit (oracle.py) gives flytekit's key on every vector", async (t: TestContext) => {
  const python = requireOracle(t, availability, oracle);
  if (!python) return;
  assert.equal((await python.info()).keys, "model");
  const replies = await Promise.all(
    file.vectors.map((v) =>
      python.ask({
        task: v.task,
        version: v.version,
        ignore: v.ignore,
        inputs: new Uint8Array(Buffer.from(v.inputs, "base64")),
      })
    ),
  );
  const failures: string[] = [];
  file.vectors.forEach((vector, i) => {
    const reply = replies[i]!;
    if (vector.key !== undefined ? reply.key !== vector.key : reply.key !== undefined) {
      failures.push(
        `${vector.label}: flytekit ${vector.key ?? vector.error}, model ${
          reply.key ?? reply.error
        }`,
      );
    }
  });
  assert.deepEqual(failures.slice(0, 8), [], `${failures.length} vectors differ`);
});
