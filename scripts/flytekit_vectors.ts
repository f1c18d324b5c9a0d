/**
 * Makes test/compat/vectors/flytekit_keys.jsonl: cache keys computed by flytekit's own code
 * (`flytekit.core.local_cache._calculate_cache_key` on
 * `flytekit.models.literals.LiteralMap.from_flyte_idl(inputs)`), for thousands of input maps
 * from the tests' random generator and for hand-picked edges. The tests check every runtime,
 * and our Python model of flytekit (test/compat/oracle.py), against these vectors; they never
 * need flytekit itself.
 *
 *   node --import tsx scripts/flytekit_vectors.ts --flytekit-git DIR [--ref REF] [--out FILE]
 *
 * DIR is a git directory of flytekit's repository (a clone's .git, or a bare one); the script
 * takes the `flytekit/` folder of REF (default HEAD) out of it into a temporary directory, runs
 * test/compat/oracle.py with `--flytekit` on it (Debian's python3-protobuf and python3-joblib;
 * flyteidl's core, admin and event protos of node_modules/@flyteorg/flyteidl compiled by
 * protoc), and records the commit and the tag it came from in the file.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { create, type JsonObject, toBinary } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  type Literal,
  type LiteralMap,
  LiteralMapSchema,
  LiteralSchema,
} from "../gen/flyteidl/core/literals_pb.ts";
import { type LiteralType, LiteralTypeSchema } from "../gen/flyteidl/core/types_pb.ts";
import {
  arbitraryLiteral,
  arbitraryLiteralMap,
  Random,
  randomString,
  setEntry,
} from "../test/support/arbitrary.ts";
import { startOracle } from "../test/compat/oracle.ts";

const { values: options } = parseArgs({
  options: {
    "flytekit-git": { type: "string" },
    ref: { type: "string", default: "HEAD" },
    out: {
      type: "string",
      default: fileURLToPath(
        new URL("../test/compat/vectors/flytekit_keys.jsonl", import.meta.url),
      ),
    },
  },
});
const gitDir = options["flytekit-git"];
if (gitDir === undefined) {
  throw new Error(
    "flytekit_vectors.ts: --flytekit-git DIR (a git directory of flytekit) is needed",
  );
}

/** One request, as the vectors file holds it. */
interface Request {
  label: string;
  task: string;
  version: string;
  ignore: string[];
  inputs: LiteralMap;
}

// ---------------------------------------------------------------------------------------------
// Random maps

const TASKS = ["t", "my_module.my_task", "tâche.ü", "task-😀", "", "a-b-c"];
const VERSIONS = ["1", "v2.0", "", "versión", "1-2"];

function randomRequests(): Request[] {
  const requests: Request[] = [];
  // One literal each, nested at most 2 deep: every kind on its own.
  for (let seed = 1; seed <= 2500; seed++) {
    const random = new Random(seed);
    const inputs = create(LiteralMapSchema);
    const literal = arbitraryLiteral(random, {
      maxDepth: 2,
      largeBinaryChance: 0,
      unknownFieldChance: seed % 5 === 0 ? 0.1 : 0,
      unkeyable: true,
    });
    setEntry(inputs.literals, random.chance(0.9) ? "x" : randomString(random), literal);
    requests.push({ label: `single ${seed}`, task: "t", version: "1", ignore: [], inputs });
  }
  // Several inputs, nested up to 3 deep, some ignored, any task and version.
  for (let seed = 1; seed <= 1000; seed++) {
    const random = new Random(1_000_000 + seed);
    const inputs = arbitraryLiteralMap(random, {
      maxInputs: 5,
      maxDepth: 3,
      largeBinaryChance: 0,
      unknownFieldChance: seed % 4 === 0 ? 0.1 : 0,
      unkeyable: true,
    });
    const names = Object.keys(inputs.literals);
    const ignore = [
      ...names.filter(() => random.chance(0.25)),
      ...(random.chance(0.3) ? [random.pick(["not_an_input", "", "__proto__", "10"])] : []),
    ];
    requests.push({
      label: `several ${seed}`,
      task: random.pick(TASKS),
      version: random.pick(VERSIONS),
      ignore,
      inputs,
    });
  }
  return requests;
}

// ---------------------------------------------------------------------------------------------
// Edges

function scalarLiteral(scalar: Record<string, unknown>): Literal {
  return create(LiteralSchema, { value: { case: "scalar", value: { value: scalar as never } } });
}

function datetime(seconds: bigint, nanos: number): Literal {
  const value = create(TimestampSchema, { seconds, nanos });
  return scalarLiteral({ case: "primitive", value: { value: { case: "datetime", value } } });
}

function duration(seconds: bigint, nanos: number): Literal {
  const value = create(DurationSchema, { seconds, nanos });
  return scalarLiteral({ case: "primitive", value: { value: { case: "duration", value } } });
}

function offloaded(inferredType: LiteralType): Literal {
  return create(LiteralSchema, {
    value: { case: "offloadedMetadata", value: { uri: "s3://b/k", sizeBytes: 7n, inferredType } },
  });
}

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
const DATETIME_MIN = -62135596800n;
const DATETIME_MAX = 253402300799n;
/** timedelta(days=±999999999) in seconds (the largest has 86399.999999 s more). */
const TIMEDELTA_MIN = -86399999913600n;
const TIMEDELTA_MAX = 86399999999999n;

function edgeRequests(): Request[] {
  const requests: Request[] = [];
  const add = (label: string, literals: Record<string, Literal>, ignore: string[] = []) => {
    const inputs = create(LiteralMapSchema);
    for (const [name, literal] of Object.entries(literals)) {
      setEntry(inputs.literals, name, literal);
    }
    requests.push({ label, task: "t", version: "1", ignore, inputs });
  };
  const nanos = [0, 1, 999, 1000, 1500, 999_999, 999_999_999, 1_000_000_000, INT32_MAX];
  const signed = [...nanos, ...nanos.map((n) => -n), INT32_MIN];
  for (const seconds of [0n, 1n, -1n, -3n, 5n, 1_700_000_000n]) {
    for (const n of signed) {
      add(`datetime ${seconds} s ${n} ns`, { x: datetime(seconds, n) });
      add(`duration ${seconds} s ${n} ns`, { x: duration(seconds, n) });
    }
  }
  // Around the ends of Python's ranges, and past them.
  const around = (...ends: bigint[]) => ends.flatMap((end) => [end - 1n, end, end + 1n]);
  const bounds: [string, typeof datetime, bigint[]][] = [
    ["datetime", datetime, around(DATETIME_MIN, DATETIME_MAX)],
    [
      "duration",
      duration,
      around(TIMEDELTA_MIN, TIMEDELTA_MAX, 315576000000n, -315576000000n),
    ],
  ];
  for (const [kind, make, seconds] of bounds) {
    for (const s of [...seconds, INT64_MAX, INT64_MIN]) {
      for (const n of [0, 1, 999, 1000, 999_999_999, -1, -999, -1000, -999_999_999]) {
        add(`${kind} ${s} s ${n} ns`, { x: make(s, n) });
      }
    }
  }
  // Out of range where the value is not keyed: ignored, or cut down to its hash.
  const late = datetime(DATETIME_MAX + 1n, 0);
  const long = duration(INT64_MAX, 0);
  const hashed = (literal: Literal) => create(LiteralSchema, { ...literal, hash: "h" });
  const inList = (literal: Literal) =>
    create(LiteralSchema, { value: { case: "collection", value: { literals: [literal] } } });
  add("datetime out of range, ignored", { x: late, y: datetime(0n, 0) }, ["x"]);
  add("duration out of range, ignored", { x: long, y: datetime(0n, 0) }, ["x"]);
  add("datetime out of range, with a hash", { x: hashed(late) });
  add("duration out of range, with a hash, in a collection", { x: inList(hashed(long)) });
  add("datetime out of range, in a collection with a hash", { x: hashed(inList(late)) });
  // Scalar.error, keyed or not.
  const error = scalarLiteral({ case: "error", value: { failedNodeId: "n", message: "m" } });
  add("error", { x: error });
  add("error, ignored", { x: error, y: datetime(0n, 0) }, ["x"]);
  add("error, with a hash", { x: hashed(error) });
  add("error, in a collection", { x: inList(error) });
  add("error, in a collection with a hash", { x: hashed(inList(error)) });
  add("error, in a union", {
    x: scalarLiteral({ case: "union", value: { value: error, type: { type: undefined } } }),
  });
  // int64 and uint64 extremes.
  for (const value of [INT64_MAX, INT64_MIN, 0n, -1n]) {
    add(`integer ${value}`, {
      x: scalarLiteral({ case: "primitive", value: { value: { case: "integer", value } } }),
    });
  }
  for (const sizeBytes of [0n, 2n ** 64n - 1n, 2n ** 63n]) {
    add(`offloaded size ${sizeBytes}`, {
      x: create(LiteralSchema, {
        value: { case: "offloadedMetadata", value: { uri: "u", sizeBytes } },
      }),
    });
  }
  // Non-finite numbers and signed zeros in Structs: kept as they are in Scalar.generic, through
  // JSON in LiteralType.metadata and TypeAnnotation.annotations.
  for (
    const [label, number] of [
      ["NaN", NaN],
      ["Infinity", Infinity],
      ["-Infinity", -Infinity],
      ["-0", -0],
      ["1e300", 1e300],
      ["2^53+2", 2 ** 53 + 2],
    ] as const
  ) {
    const struct: JsonObject = { n: number, list: [number, { deep: number }] };
    add(`generic ${label}`, { x: scalarLiteral({ case: "generic", value: struct }) });
    add(`type metadata ${label}`, {
      x: offloaded(create(LiteralTypeSchema, { metadata: struct })),
    });
    add(`type annotation ${label}`, {
      x: offloaded(create(LiteralTypeSchema, { annotation: { annotations: struct } })),
    });
  }
  // Empty and missing sub-messages.
  add("type metadata empty", { x: offloaded(create(LiteralTypeSchema, { metadata: {} })) });
  add("type metadata with an empty struct in it", {
    x: offloaded(create(LiteralTypeSchema, { metadata: { e: {} } })),
  });
  add("type annotation empty", {
    x: offloaded(create(LiteralTypeSchema, { annotation: {} })),
  });
  add("type structure empty", { x: offloaded(create(LiteralTypeSchema, { structure: {} })) });
  add("offloaded without a type", {
    x: create(LiteralSchema, { value: { case: "offloadedMetadata", value: {} } }),
  });
  add("blob without metadata", { x: scalarLiteral({ case: "blob", value: { uri: "u" } }) });
  add("blob metadata without type", {
    x: scalarLiteral({ case: "blob", value: { uri: "u", metadata: {} } }),
  });
  add("schema without type", { x: scalarLiteral({ case: "schema", value: { uri: "u" } }) });
  add("union empty", { x: scalarLiteral({ case: "union", value: {} }) });
  add("structured dataset empty", {
    x: scalarLiteral({ case: "structuredDataset", value: {} }),
  });
  add("structured dataset metadata without type", {
    x: scalarLiteral({ case: "structuredDataset", value: { metadata: {} } }),
  });
  add("dataset column without type", {
    x: offloaded(create(LiteralTypeSchema, {
      type: { case: "structuredDatasetType", value: { columns: [{ name: "c" }] } },
    })),
  });
  add("empty literal", { x: create(LiteralSchema) });
  add("empty scalar", { x: scalarLiteral({ case: undefined }) });
  add("empty primitive", { x: scalarLiteral({ case: "primitive", value: {} }) });
  return requests;
}

// ---------------------------------------------------------------------------------------------
// Run

function git(...args: string[]): string {
  return execFileSync("git", ["--git-dir", gitDir!, ...args], { encoding: "utf8" }).trim();
}

const commit = git("rev-parse", `${options.ref}^{commit}`);
let tag: string;
try {
  tag = git("describe", "--tags", "--exact-match", commit);
} catch {
  tag = git("describe", "--tags", commit);
}
const source = mkdtempSync(join(tmpdir(), "ltc-flytekit-"));
try {
  execFileSync("sh", [
    "-c",
    `git --git-dir "$0" archive "$1" flytekit | tar -x -C "$2"`,
    gitDir,
    commit,
    source,
  ]);
  const oracle = await startOracle({ flytekit: join(source, "flytekit") });
  if (oracle === undefined) throw new Error("the Python stack is missing (see oracle.ts)");
  try {
    const info = await oracle.info();
    if (info.keys !== "flytekit") throw new Error(`the oracle keys with ${info.keys}`);
    const requests = [...edgeRequests(), ...randomRequests()];
    const replies = await Promise.all(requests.map((request) => oracle.ask(request)));
    const vectors = requests.map((request, i) => {
      const reply = replies[i]!;
      return {
        label: request.label,
        task: request.task,
        version: request.version,
        ignore: request.ignore,
        inputs: Buffer.from(toBinary(LiteralMapSchema, request.inputs)).toString("base64"),
        ...(reply.key !== undefined ? { key: reply.key } : { error: reply.error }),
      };
    });
    const flyteidl = JSON.parse(
      readFileSync(new URL("../node_modules/@flyteorg/flyteidl/package.json", import.meta.url), {
        encoding: "utf8",
      }),
    ) as { version: string };
    // JSON Lines: the provenance first, then one vector a line (a diff shows what changed).
    const header = {
      about: "Cache keys made by flytekit's own code, for test/compat/vectors.test.ts. " +
        "Made by scripts/flytekit_vectors.ts: do not edit by hand.",
      flytekit: { repository: "flyteorg/flytekit", tag, commit },
      flyteidl: flyteidl.version,
      python: { python: info.python, protobuf: info.protobuf, backend: info.backend },
      vectors: vectors.length,
    };
    const lines = [header, ...vectors].map((line) => JSON.stringify(line));
    writeFileSync(options.out!, lines.join("\n") + "\n");
    const errors = vectors.filter((v) => "error" in v).length;
    console.error(
      `${vectors.length} vectors (${errors} refused by flytekit) from flytekit ${tag} ` +
        `(${commit}) written to ${options.out}`,
    );
  } finally {
    await oracle.close();
  }
} finally {
  rmSync(source, { recursive: true, force: true });
}
