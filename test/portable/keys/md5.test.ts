import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { md5 as nobleMd5 } from "@noble/hashes/legacy.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { md5Hex } from "../../../src/keys/md5.ts";
import { nativeMd5Hex } from "../../../src/runtime/node.ts";
import { patternBytes } from "../../conformance/adapter_suite.ts";
import { BOUNDARY_LENGTHS as LENGTHS, checkRfc1321, md5Cases } from "../../support/md5_cases.ts";

test("native and portable MD5 give identical digests, whole and in parts", () => {
  const native = nativeMd5Hex!;
  for (const length of LENGTHS) {
    const data = patternBytes(length, length + 7);
    const digest = md5Hex([data]);
    assert.match(digest, /^[0-9a-f]{32}$/);
    assert.equal(native([data]), digest, `length ${length}`);
    const third = Math.floor(length / 3);
    const parts = [
      data.subarray(0, third),
      data.subarray(third, 2 * third),
      data.subarray(2 * third),
    ];
    assert.equal(native(parts), digest, `length ${length} in parts`);
    assert.equal(md5Hex(parts), digest, `length ${length} in parts (portable)`);
  }
});

test("RFC 1321's test suite, whole and split at every byte, on both paths", () => {
  checkRfc1321(md5Hex);
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
