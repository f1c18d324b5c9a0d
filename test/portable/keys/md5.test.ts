import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { md5 as nobleMd5 } from "@noble/hashes/legacy.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import {
  joblibHashBytes,
  joblibHashInPlace,
  PICKLE_HEADROOM,
  portableMd5Hex,
} from "../../../src/keys/joblib.ts";
import { nativeMd5Hex } from "../../../src/runtime/node.ts";
import { nativeMd5Hex as browserMd5Hex } from "../../../src/runtime/browser.ts";
import { md5Hex } from "../../../src/keys/md5.ts";
import { patternBytes } from "../../conformance/adapter_suite.ts";
import { checkRfc1321, md5Cases } from "../../support/md5_cases.ts";

// Lengths around MD5's 64-byte blocks and its 56-byte padding boundary, and pickle's switch
// from SHORT_BINBYTES to BINBYTES at 256 bytes.
const LENGTHS = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 255, 256, 257, 4096, 1 << 20];

test("Node has a native MD5; browsers use the portable one", () => {
  assert.equal(typeof nativeMd5Hex, "function");
  assert.equal(browserMd5Hex, undefined);
});

test("native and portable MD5 give identical digests, whole and in parts", () => {
  const native = nativeMd5Hex!;
  for (const length of LENGTHS) {
    const data = patternBytes(length, length + 7);
    const digest = portableMd5Hex([data]);
    assert.match(digest, /^[0-9a-f]{32}$/);
    assert.equal(native([data]), digest, `length ${length}`);
    const third = Math.floor(length / 3);
    const parts = [
      data.subarray(0, third),
      data.subarray(third, 2 * third),
      data.subarray(2 * third),
    ];
    assert.equal(native(parts), digest, `length ${length} in parts`);
    assert.equal(portableMd5Hex(parts), digest, `length ${length} in parts (portable)`);
  }
});

test("RFC 1321's test suite, whole and split at every byte, on both paths", () => {
  checkRfc1321(md5Hex);
  checkRfc1321(portableMd5Hex);
  checkRfc1321(nativeMd5Hex!);
});

test("the portable MD5 equals node:crypto's on random lengths, offsets and splits", () => {
  for (const seed of [1, 2, 3]) {
    for (const { label, parts } of md5Cases(seed, 400)) {
      const reference = createHash("md5");
      for (const part of parts) reference.update(part);
      assert.equal(md5Hex(parts), reference.digest("hex"), label);
    }
  }
});

test("the portable MD5 equals @noble/hashes' on random inputs in one part", () => {
  for (const { label, parts } of md5Cases(4, 100)) {
    const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) whole.set(part, (at += part.length) - part.length);
    assert.equal(md5Hex([whole]), bytesToHex(nobleMd5(whole)), label);
  }
});

test("the portable MD5 leaves its input untouched and can run again at once", () => {
  const data = patternBytes(1000, 5);
  const copy = data.slice();
  const first = md5Hex([data.subarray(1), data.subarray(0, 1)]);
  assert.deepEqual(data, copy);
  assert.equal(md5Hex([data.subarray(1), data.subarray(0, 1)]), first);
});

test("joblib.hash of bytes: the same on both paths, and Python's value for b''", () => {
  // Python: joblib.hash(b"") == "ea65cfadb0079394a8be1f4aa1e96e2b"
  assert.equal(joblibHashBytes(new Uint8Array(0)), "ea65cfadb0079394a8be1f4aa1e96e2b");
  assert.equal(
    joblibHashBytes(new Uint8Array(0), portableMd5Hex),
    "ea65cfadb0079394a8be1f4aa1e96e2b",
  );
  for (const length of LENGTHS) {
    const data = patternBytes(length, 3);
    assert.equal(joblibHashBytes(data), joblibHashBytes(data, portableMd5Hex), `length ${length}`);
  }
});

test("joblibHashInPlace frames the bytes in their own buffer, or falls back without room", () => {
  for (const length of LENGTHS) {
    const data = patternBytes(length, 11);
    const expected = joblibHashBytes(data);
    // With room: 7 bytes before, 1 after, as the key's scratch buffer leaves.
    const roomy = new Uint8Array(PICKLE_HEADROOM + length + 1);
    roomy.set(data, PICKLE_HEADROOM);
    assert.equal(
      joblibHashInPlace(roomy.subarray(PICKLE_HEADROOM, PICKLE_HEADROOM + length)),
      expected,
      `length ${length} in place`,
    );
    // Without room before or after: hashed in parts, the buffer untouched.
    const tight = data.slice();
    assert.equal(joblibHashInPlace(tight), expected, `length ${length} without room`);
    assert.deepEqual(tight, data);
  }
});
