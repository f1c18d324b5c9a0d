/**
 * Keys against the reference stack: flytekit's algorithm run by Python protobuf and joblib
 * (test/compat/oracle.py) on hundreds of LiteralMaps generated at random from fixed seeds.
 * CI installs the Debian packages; there a missing package is a failure, never a skip.
 */
import assert from "node:assert/strict";
import { after, before, test, type TestContext } from "node:test";
import { clone, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { LiteralMapSchema, LiteralSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { toBinaryDeterministic } from "../../src/deterministic.ts";
import { calculateCacheKey, recursiveHashPlacement } from "../../src/key.ts";
import { arbitraryLiteralMap, Random, randomLiteral, reordered } from "../support/arbitrary.ts";
import { blob, integer, literalMap, string } from "../support/literals.ts";
import { Oracle, oracleAvailability, type OracleRequest } from "./oracle.ts";

const availability = oracleAvailability();
let oracle: Oracle | undefined;

before(() => {
  if (availability.ok) oracle = new Oracle();
});
after(() => oracle?.close());

/** The oracle, or a skip outside CI / a failure in CI when the reference stack is missing. */
function reference(t: TestContext): Oracle | undefined {
  if (availability.ok) return oracle;
  if (process.env.CI) assert.fail(`the reference stack is missing in CI: ${availability.reason}`);
  t.skip(availability.reason);
  return undefined;
}

/** Our deterministic bytes of the request's placed inputs, as the key hashes them. */
function ourBytes({ inputs, ignore = [] }: OracleRequest): Uint8Array {
  const placed = create(LiteralMapSchema);
  for (const [name, literal] of Object.entries(inputs.literals)) {
    if (!ignore.includes(name)) placed.literals[name] = recursiveHashPlacement(literal);
  }
  return toBinaryDeterministic(LiteralMapSchema, placed);
}

function firstDifference(ours: Uint8Array, theirs: Uint8Array): string {
  let i = 0;
  while (i < ours.length && i < theirs.length && ours[i] === theirs[i]) i++;
  const around = (bytes: Uint8Array) =>
    Buffer.from(bytes.subarray(Math.max(0, i - 8), i + 8)).toString("hex");
  return `differ at byte ${i} of ${ours.length}/${theirs.length}: ours …${around(ours)}…, ` +
    `Python …${around(theirs)}…`;
}

const SEEDS = Array.from({ length: 600 }, (_, i) => i + 1);

function requestFor(seed: number): OracleRequest {
  const random = new Random(seed);
  const inputs = arbitraryLiteralMap(random);
  const names = Object.keys(inputs.literals);
  const ignore = [
    ...names.filter(() => random.chance(0.2)),
    ...(random.chance(0.3) ? ["not_an_input"] : []),
  ];
  const task = random.pick(["t", "my_module.my_task", "tâche.ü", "task-😀", ""]);
  const version = random.pick(["1", "v2.0", "", "versión"]);
  return { task, version, inputs, ignore };
}

test("the oracle itself gives the vectors of FLYTEKIT_KEYS.md", async (t) => {
  const python = reference(t);
  if (!python) return;
  const vectors: [OracleRequest, string][] = [
    [
      { task: "t.produce_dc", version: "1", inputs: literalMap() },
      "t.produce_dc-1-ea65cfadb0079394a8be1f4aa1e96e2b",
    ],
    [
      {
        task: "my_task",
        version: "v1",
        inputs: literalMap({ a: integer(1n), b: string("hello") }),
      },
      "my_task-v1-7b8aa689be1c6dfb6c7059b9483342ec",
    ],
    [
      {
        task: "my_task",
        version: "v1",
        inputs: literalMap({ a: integer(1n), run_id: string("r-77") }),
        ignore: ["run_id"],
      },
      "my_task-v1-5ee87946abccc6a877914d0b918dc4ec",
    ],
    [
      {
        task: "etl.load",
        version: "3",
        inputs: literalMap({ df: blob("s3://other/path", "abc123") }),
      },
      "etl.load-3-8a88cc99a69575dd67d5f534cc2fd590",
    ],
  ];
  for (const [request, expected] of vectors) assert.equal(await python.key(request), expected);
});

test(`keys equal the reference stack's on ${SEEDS.length} random LiteralMaps`, async (t) => {
  const python = reference(t);
  if (!python) return;
  const requests = SEEDS.map(requestFor);
  const replies = await Promise.all(requests.map((request) => python.ask(request)));
  const mismatches: string[] = [];
  let literals = 0;
  for (const [i, request] of requests.entries()) {
    literals += Object.keys(request.inputs.literals).length;
    const reply = replies[i]!;
    const ours = calculateCacheKey(request.task, request.version, request.inputs, request.ignore);
    if (reply.key === ours) continue;
    const debug = await python.ask(request, { debug: true });
    mismatches.push(
      `seed ${SEEDS[i]}: ours ${ours}, Python ${reply.key ?? reply.error}; serializations ` +
        firstDifference(ourBytes(request), Buffer.from(debug.bytes ?? "", "base64")),
    );
    if (mismatches.length >= 5) break;
  }
  assert.deepEqual(mismatches, []);
  assert.ok(literals > 1500, `${literals} top-level inputs compared`);
});

test("fields unknown to the schema are kept in the key, as Python keeps them", async (t) => {
  const python = reference(t);
  if (!python) return;
  const random = new Random(99);
  for (let round = 0; round < 20; round++) {
    // A literal carrying fields of a newer schema (numbers 9..12, several wire types), in a map
    // that carries one too.
    const extra = new BinaryWriter()
      .tag(9 + (round % 3), WireType.Varint).uint64(BigInt(round) * 1000n)
      .tag(12, WireType.LengthDelimited).string(`new field ${round}`)
      .finish();
    const literal = new Uint8Array([...toBinary(LiteralSchema, randomLiteral(random)), ...extra]);
    const bytes = new BinaryWriter()
      .tag(1, WireType.LengthDelimited).fork()
      .tag(1, WireType.LengthDelimited).string("y")
      .tag(2, WireType.LengthDelimited).bytes(literal)
      .join()
      .raw(extra)
      .finish();
    const inputs = fromBinary(LiteralMapSchema, bytes);
    assert.ok(inputs.$unknown?.length && inputs.literals.y?.$unknown?.length);
    const ours = calculateCacheKey("t", "1", inputs);
    assert.equal(ours, await python.key({ task: "t", version: "1", inputs }), `round ${round}`);
    // The map's own unknown fields are not in the key: flytekit builds a new LiteralMap.
    assert.equal(
      ours,
      calculateCacheKey("t", "1", create(LiteralMapSchema, { literals: inputs.literals })),
    );
  }
});

test("properties: insertion order does not matter; ignored inputs do not, others do", () => {
  for (const seed of SEEDS.slice(0, 200)) {
    const { task, version, inputs, ignore = [] } = requestFor(seed);
    const key = calculateCacheKey(task, version, inputs, ignore);
    const random = new Random(seed + 1_000_000);
    assert.equal(
      calculateCacheKey(task, version, reordered(inputs, random), ignore),
      key,
      `seed ${seed}`,
    );
    const withIgnored = clone(LiteralMapSchema, inputs);
    withIgnored.literals["ignored input"] = randomLiteral(random);
    assert.equal(
      calculateCacheKey(task, version, withIgnored, [...ignore, "ignored input"]),
      key,
      `seed ${seed}: an ignored input changed the key`,
    );
    const changed = clone(LiteralMapSchema, inputs);
    changed.literals["counted input"] = integer(BigInt(seed));
    assert.notEqual(
      calculateCacheKey(task, version, changed, ignore),
      key,
      `seed ${seed}: a new input did not change the key`,
    );
  }
});
