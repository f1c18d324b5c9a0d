import assert from "node:assert/strict";
import { test } from "node:test";
import {
  joblibHashBytes,
  joblibHashInPlace,
  PICKLE_HEADROOM,
  pickleBytesHeader,
  portableMd5Hex,
} from "../../../src/keys/joblib.ts";
import { md5Hex } from "../../../src/keys/md5.ts";
import { nativeMd5Hex } from "../../../src/runtime/node.ts";
import { nativeMd5Hex as browserMd5Hex } from "../../../src/runtime/browser.ts";
import { patternBytes } from "../../conformance/adapter_suite.ts";
import { BOUNDARY_LENGTHS as LENGTHS, checkRfc1321 } from "../../support/md5_cases.ts";

test("Node has a native MD5; browsers use the portable one", () => {
  assert.equal(typeof nativeMd5Hex, "function");
  assert.equal(browserMd5Hex, undefined);
});

test("the portable MD5 joblib falls back on is md5.ts's, and passes RFC 1321's suite", () => {
  assert.equal(portableMd5Hex, md5Hex);
  checkRfc1321(portableMd5Hex);
});

test("the pickle header of n bytes: SHORT_BINBYTES up to 255, BINBYTES above, 4 GiB - 1 at most", () => {
  assert.deepEqual(pickleBytesHeader(3), Uint8Array.of(0x80, 0x03, 0x43, 3));
  assert.deepEqual(pickleBytesHeader(255), Uint8Array.of(0x80, 0x03, 0x43, 255));
  assert.deepEqual(pickleBytesHeader(256), Uint8Array.of(0x80, 0x03, 0x42, 0, 1, 0, 0));
  assert.deepEqual(
    pickleBytesHeader(2 ** 32 - 1),
    Uint8Array.of(0x80, 0x03, 0x42, 255, 255, 255, 255),
  );
  assert.throws(() => pickleBytesHeader(2 ** 32), { name: "RangeError", message: /4 GiB - 1/ });
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
      joblibHashInPlace(roomy, PICKLE_HEADROOM, PICKLE_HEADROOM + length),
      expected,
      `length ${length} in place`,
    );
    // Without room before or after: hashed in parts, the buffer untouched.
    const tight = data.slice();
    assert.equal(joblibHashInPlace(tight, 0, length), expected, `length ${length} without room`);
    assert.deepEqual(tight, data);
    const noRoomAfter = roomy.subarray(0, PICKLE_HEADROOM + length).slice();
    assert.equal(
      joblibHashInPlace(noRoomAfter, PICKLE_HEADROOM, PICKLE_HEADROOM + length),
      expected,
      `length ${length} without room after`,
    );
  }
});
