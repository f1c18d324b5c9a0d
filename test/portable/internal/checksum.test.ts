import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Checksum,
  checksum,
  checksumInSlices,
  seal,
  SEAL_BYTES,
  sealInSlices,
  unseal,
  unsealInSlices,
} from "../../../src/internal/checksum.ts";
import { SLICE_BYTES } from "../../../src/internal/slices.ts";
import { patternBytes } from "../../conformance/adapter_suite.ts";

test("every single flipped bit, at every position and length, changes the checksum", () => {
  for (const length of [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 64, 100]) {
    const data = patternBytes(length, length);
    const original = checksum(data).join();
    for (let i = 0; i < length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        data[i]! ^= 1 << bit;
        assert.notEqual(checksum(data).join(), original, `length ${length}, byte ${i}, bit ${bit}`);
        data[i]! ^= 1 << bit;
      }
    }
  }
});

test("truncation and zero extension change it; alignment does not", () => {
  const data = patternBytes(1000, 5);
  const whole = checksum(data).join();
  for (const length of [0, 1, 999]) {
    assert.notEqual(checksum(data.subarray(0, length)).join(), whole);
  }
  const longer = new Uint8Array(1001);
  longer.set(data);
  assert.notEqual(checksum(longer).join(), whole);
  for (const offset of [1, 2, 3]) {
    const shifted = new Uint8Array(1000 + offset);
    shifted.set(data, offset);
    assert.equal(checksum(shifted.subarray(offset)).join(), whole, `offset ${offset}`);
  }
  assert.equal(checksum(new Uint8Array(0)).join(), checksum(new Uint8Array(0)).join());
});

test("seal: a sealed value opens only for its key, and only undamaged", () => {
  const value = new Uint8Array(1000).map((_, i) => (i * 31) & 0xff);
  const sealed = seal("task-1-abc", value);
  assert.equal(sealed.length, value.length + SEAL_BYTES);
  assert.deepEqual(unseal("task-1-abc", sealed), value);
  assert.equal(unseal("task-1-abd", sealed), undefined, "another key's value is refused");
  for (let i = 0; i < sealed.length; i += 37) {
    const damaged = sealed.slice();
    damaged[i]! ^= 0x10;
    assert.equal(unseal("task-1-abc", damaged), undefined, `a flipped bit at ${i}`);
  }
  assert.equal(unseal("task-1-abc", sealed.subarray(0, 500)), undefined, "truncated");
  assert.equal(unseal("task-1-abc", new Uint8Array(3)), undefined, "shorter than a seal");
  assert.deepEqual(unseal("", seal("", new Uint8Array())), new Uint8Array());
});

test("the checksum of stored entries keeps its values (the documented formats depend on them)", () => {
  // Computed by the one-piece implementation that wrote the entries of earlier releases.
  const vectors: [number, string][] = [
    [0, "3981417252,3639616332"],
    [3, "2563048615,3639616332"],
    [16, "34733225,406393571"],
    [17, "3733148527,3677420867"],
    [48, "2086334458,2025539937"],
    [1000, "2088755696,2990073675"],
    [4099, "1485378002,3039932192"],
    [1 << 20, "1484100092,1511312056"],
  ];
  for (const [length, expected] of vectors) {
    assert.equal(checksum(patternBytes(length, length)).join(), expected, `length ${length}`);
  }
});

test("summed in pieces of any sizes, and in slices, it equals the checksum of the whole", async () => {
  for (const length of [0, 1, 15, 16, 17, 33, 100, 4099]) {
    const data = patternBytes(length, length);
    const whole = checksum(data).join();
    for (const piece of [1, 3, 5, 16, 17, 64]) {
      const sum = new Checksum();
      for (let i = 0; i < length; i += piece) sum.update(data.subarray(i, i + piece));
      assert.equal(sum.digest().join(), whole, `length ${length} in pieces of ${piece}`);
    }
  }
  // Larger than a slice, in unaligned pieces.
  const big = patternBytes(2 * SLICE_BYTES + 7, 3);
  const pieces = [
    big.subarray(0, 3),
    big.subarray(3, SLICE_BYTES + 1),
    big.subarray(SLICE_BYTES + 1),
  ];
  assert.equal((await checksumInSlices(pieces)).join(), checksum(big).join());
});

test("sealed in slices: the same record as seal; unsealed in slices: the same checks", async () => {
  for (const length of [0, 5, SLICE_BYTES + 3]) {
    const value = patternBytes(length, 7);
    const pieces = [value.subarray(0, 2), value.subarray(2)];
    const sealed = await sealInSlices("task-1-abc", pieces);
    assert.deepEqual(sealed, seal("task-1-abc", value), `length ${length}`);
    assert.deepEqual(await unsealInSlices("task-1-abc", sealed), value);
    assert.equal(await unsealInSlices("task-1-abd", sealed), undefined, "another key's");
    sealed[Math.floor(length / 2)]! ^= 1;
    assert.equal(await unsealInSlices("task-1-abc", sealed), undefined, "a damaged value");
  }
});
