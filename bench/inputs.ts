/**
 * The inputs the key benchmarks hash, built the way flytekit converts the same Python values.
 *
 * @module
 */
import { create } from "@bufbuild/protobuf";
import { encode } from "@msgpack/msgpack";
import {
  type Literal,
  type LiteralMap,
  LiteralMapSchema,
  LiteralSchema,
} from "../gen/flyteidl/core/literals_pb.ts";
import { patternBytes } from "../test/conformance/adapter_suite.ts";
import { binary } from "../test/support/literals.ts";

function primitive(
  value:
    | { case: "integer"; value: bigint }
    | { case: "floatValue"; value: number }
    | { case: "boolean"; value: boolean }
    | { case: "stringValue"; value: string },
): Literal {
  return create(LiteralSchema, {
    value: { case: "scalar", value: { value: { case: "primitive", value: { value } } } },
  });
}

export interface KeyCase {
  name: string;
  taskName: string;
  cacheVersion: string;
  inputs: LiteralMap;
  /** Calls per timing round. */
  iterations: number;
  /** Calls per timing round in Python (slower: fewer calls for rounds of similar length). */
  pythonIterations: number;
}

/**
 * (a) flytekit's stable-key example: an untyped dict holding a list of 1000 ints (MessagePack in
 * a Binary tagged "msgpack", as flytekit stores an untyped dict), plus an int, a float, a bool.
 * (b) 1000 integer inputs. (c) one 1 MiB Binary input.
 */
export function keyCases(): KeyCase[] {
  const numbers = Array.from({ length: 1000 }, (_, i) => i);
  const stable = create(LiteralMapSchema, {
    literals: {
      a: create(LiteralSchema, {
        value: {
          case: "scalar",
          value: {
            value: { case: "binary", value: { value: encode({ numbers }), tag: "msgpack" } },
          },
        },
      }),
      b: primitive({ case: "integer", value: 42n }),
      c: primitive({ case: "floatValue", value: 3.14 }),
      d: primitive({ case: "boolean", value: true }),
    },
  });
  const many = integerInputs(1000);
  const big = new Uint8Array(1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const large = create(LiteralMapSchema, {
    literals: {
      data: create(LiteralSchema, {
        value: {
          case: "scalar",
          value: { value: { case: "binary", value: { value: big, tag: "" } } },
        },
      }),
    },
  });
  return [
    {
      name: "(a) stable-key example",
      taskName: "t.stable",
      cacheVersion: "1",
      inputs: stable,
      iterations: 2000,
      pythonIterations: 1000,
    },
    {
      name: "(b) 1000 integer inputs",
      taskName: "t.many",
      cacheVersion: "1",
      inputs: many,
      iterations: 100,
      pythonIterations: 20,
    },
    {
      name: "(c) one 1 MiB Binary",
      taskName: "t.large",
      cacheVersion: "1",
      inputs: large,
      iterations: 30,
      pythonIterations: 5,
    },
  ];
}

/** `n` integer inputs, `x0` = 0 to `x<n-1>` = n - 1: case (b), and the keys at scale. */
export function integerInputs(n: number): LiteralMap {
  const inputs = create(LiteralMapSchema);
  for (let i = 0; i < n; i++) {
    inputs.literals[`x${i}`] = primitive({ case: "integer", value: BigInt(i) });
  }
  return inputs;
}

/** One output size of the disk benchmark: what is stored, under which inputs, in each round. */
export interface DiskWorkload {
  /** `1 KiB`. */
  label: string;
  /** Size of the Binary in each output. */
  size: number;
  /**
   * The inputs of each round, the first of which warms up. Every round has new inputs, so new
   * keys: flytekit sets an entry after a miss, so a set nearly always makes a new entry.
   */
  rounds: LiteralMap[][];
  /** The output stored for the i-th inputs of a round: a LiteralMap holding one Binary. */
  values: LiteralMap[];
}

/**
 * `count` outputs of `size` bytes each (a LiteralMap with one Binary), under `rounds` + 1 rounds
 * of small inputs (an integer, a string and a float, varying per entry and per round).
 */
export function diskWorkload(
  label: string,
  size: number,
  count: number,
  rounds: number,
): DiskWorkload {
  return {
    label,
    size,
    rounds: Array.from(
      { length: rounds + 1 },
      (_, round) =>
        Array.from({ length: count }, (_, i) =>
          create(LiteralMapSchema, {
            literals: {
              n: primitive({ case: "integer", value: BigInt(i) }),
              run: primitive({ case: "stringValue", value: `round-${round}` }),
              scale: primitive({ case: "floatValue", value: 0.5 + i / count }),
            },
          })),
    ),
    values: Array.from(
      { length: count },
      (_, i) => create(LiteralMapSchema, { literals: { o0: binary(patternBytes(size, i + 1)) } }),
    ),
  };
}
