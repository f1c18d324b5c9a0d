import assert from "node:assert/strict";
import { test } from "node:test";
import {
  joblibHashBytes,
  joblibHashInPlace,
  PICKLE_HEADROOM,
  portableMd5Hex,
} from "../../src/joblib.ts";
import { nativeMd5Hex } from "../../src/runtime/node.ts";
import { nativeMd5Hex as browserMd5Hex } from "../../src/runtime/browser.ts";
import { patternBytes } from "../conformance/adapter_suite.ts";

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

test("published MD5 vectors (RFC 1321) on both paths", () => {
  const vectors: [string, string][] = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    [
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
      "57edf4a22be3c955ac49da2e2107b67a",
    ],
  ];
  for (const [text, digest] of vectors) {
    const data = new TextEncoder().encode(text);
    assert.equal(portableMd5Hex([data]), digest);
    assert.equal(nativeMd5Hex!([data]), digest);
  }
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
