/**
 * The floor of the key benchmark's cases (bench/keys.ts), in Node and in Deno (bench/deno.ts):
 * not for the browser bundle, which has no `node:crypto`.
 *
 * @module
 */
import * as crypto from "node:crypto";
import { type LiteralMap, LiteralMapSchema } from "../gen/flyteidl/core/literals_pb.ts";
import { toBinaryDeterministic } from "../src/keys/deterministic.ts";
import { pickleBytesHeader } from "../src/keys/joblib.ts";

/**
 * The floor of a case: the least work a key of it needs in the runtime (Node, Deno), with
 * nothing of ours in it: listing and sorting the input names, and `node:crypto`'s MD5 of the
 * final bytes (its one-shot `hash` where there is one; the pickle of the deterministic encoding,
 * made once beforehand). The sorted names' "key" is the digest.
 * The floor sorts on every call, as a first key of new names must; ours, keying one case again
 * and again as a task called again does, keeps the last key's sorted names and skips the sort
 * (src/keys/key.ts `sortedNames`), so "ours / floor" can go below the floor's sort.
 */
export function floorCall(inputs: LiteralMap): () => string {
  const bytes = toBinaryDeterministic(LiteralMapSchema, inputs);
  const framed = new Uint8Array(bytes.length + 8);
  const header = pickleBytesHeader(bytes.length);
  framed.set(header);
  framed.set(bytes, header.length);
  framed[header.length + bytes.length] = 0x2e;
  const pickled = framed.subarray(0, header.length + bytes.length + 1);
  const literals = inputs.literals;
  const oneShot = (crypto as {
    hash?: (algorithm: string, data: Uint8Array, encoding: "hex") => string;
  }).hash;
  const md5 = oneShot !== undefined
    ? () => oneShot("md5", pickled, "hex")
    : () => crypto.createHash("md5").update(pickled).digest("hex");
  return () => {
    Object.keys(literals).sort();
    return md5();
  };
}
