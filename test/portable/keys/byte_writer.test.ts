import assert from "node:assert/strict";
import { test } from "node:test";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { ByteWriter } from "../../../src/keys/byte_writer.ts";
import { patternBytes } from "../../conformance/adapter_suite.ts";

/** The same writes to both writers, chosen by a seeded generator. */
function script(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const int32s = [0, 1, -1, 127, 128, 300, -300, 0x7fffffff, -0x80000000, 16383, 16384];
  const uint32s = [0, 1, 127, 128, 16383, 16384, 0xffffffff, 0x80000000, 2097151, 2097152];
  const int64s = [0n, 1n, -1n, 127n, 128n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n)];
  const uint64s = [0n, 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 64n - 1n, 2n ** 63n];
  const doubles = [0, -0, 1.5, -1e300, Infinity, -Infinity, NaN, 5e-324];
  const strings = ["", "a", "héllo", "日本語", "😀", "x".repeat(200), "é".repeat(100)];
  type Step = (w: BinaryWriter | ByteWriter) => void;
  const steps: Step[] = [];
  let depth = 0;
  for (let i = 0; i < 200; i++) {
    const choice = Math.floor(next() * 16);
    const field = pick([1, 2, 15, 16, 2047, 2048, 536870911]);
    const wire = pick([WireType.Varint, WireType.LengthDelimited, WireType.Bit64, WireType.Bit32]);
    switch (choice) {
      case 0:
        steps.push((w) => w.tag(field, wire));
        break;
      case 1: {
        const v = pick(int32s);
        steps.push((w) => w.int32(v));
        break;
      }
      case 2: {
        const v = pick(uint32s);
        steps.push((w) => w.uint32(v));
        break;
      }
      case 3: {
        const v = pick(int32s);
        steps.push((w) => w.sint32(v));
        break;
      }
      case 4: {
        const v = pick(int64s);
        steps.push((w) => w.int64(v));
        break;
      }
      case 5: {
        const v = pick(uint64s);
        steps.push((w) => w.uint64(v));
        break;
      }
      case 6: {
        const v = pick(int64s);
        steps.push((w) => w.sint64(v));
        break;
      }
      case 7: {
        const v = pick(int64s);
        steps.push((w) => w.sfixed64(v), (w) => w.fixed64(BigInt.asUintN(64, v)));
        break;
      }
      case 8: {
        const v = pick(int32s);
        steps.push((w) => w.sfixed32(v), (w) => w.fixed32(v >>> 0));
        break;
      }
      case 9: {
        const v = pick(doubles);
        const f = Math.abs(v) > 3.4e38 && Number.isFinite(v) ? 1.25 : v;
        steps.push((w) => w.double(v), (w) => w.float(f));
        break;
      }
      case 10: {
        const v = next() < 0.5;
        steps.push((w) => w.bool(v));
        break;
      }
      case 11: {
        const v = pick(strings);
        steps.push((w) => w.string(v));
        break;
      }
      case 12: {
        const v = patternBytes(pick([0, 1, 127, 128, 300, 20000]), i);
        steps.push((w) => w.bytes(v), (w) => w.raw(v));
        break;
      }
      case 13:
      case 14:
        depth++;
        steps.push((w) => w.fork());
        break;
      case 15:
        if (depth > 0) {
          depth--;
          steps.push((w) => w.join());
        }
    }
  }
  for (; depth > 0; depth--) steps.push((w) => w.join());
  return steps;
}

test("ByteWriter writes the same bytes as protobuf-es's BinaryWriter", () => {
  for (let seed = 1; seed <= 300; seed++) {
    const steps = script(seed);
    const theirs = new BinaryWriter();
    // Buffers that must grow, and one that is a view at an odd offset of a larger one.
    const buffer = seed % 3 === 0
      ? new Uint8Array(1)
      : seed % 3 === 1
      ? new Uint8Array(4096).subarray(3, 1000)
      : undefined;
    const ours = new ByteWriter(buffer);
    for (const step of steps) {
      step(theirs);
      step(ours);
    }
    assert.deepEqual(ours.finish(), theirs.finish(), `seed ${seed}`);
  }
});

test("nested messages of every length class get minimal length varints", () => {
  for (const length of [0, 127, 128, 16383, 16384, 2097151, 2097152]) {
    const payload = patternBytes(length, length);
    const theirs = new BinaryWriter().fork().fork().raw(payload).join().join().finish();
    const ours = new ByteWriter(new Uint8Array(1)).fork().fork().raw(payload).join().join()
      .finish();
    assert.deepEqual(ours, theirs, `length ${length}`);
  }
});

test("join without fork and finish inside a fork are programming errors", () => {
  assert.throws(() => new ByteWriter().join(), /join without fork/);
  assert.throws(() => new ByteWriter().fork().finish(), /finish inside a fork/);
});

test("a writer that starts at an offset leaves the bytes before it alone", () => {
  const buffer = new Uint8Array(16).fill(0xee);
  const writer = new ByteWriter(buffer, 7).tag(1, WireType.LengthDelimited).string("abc");
  assert.deepEqual(writer.finish(), Uint8Array.of(0x0a, 3, 0x61, 0x62, 0x63));
  assert.deepEqual(buffer.subarray(0, 7), new Uint8Array(7).fill(0xee));
  // Growing keeps the offset.
  const grown = new ByteWriter(new Uint8Array(8), 7).bytes(new Uint8Array(100));
  assert.equal(grown.finish().length, 101);
  assert.equal(grown.finish().byteOffset, 7);
});

test("byte fields kept by reference: the pieces join to the same bytes, the fields uncopied", () => {
  for (let seed = 1; seed <= 300; seed++) {
    const steps = script(seed);
    const theirs = new BinaryWriter();
    const ours = new ByteWriter(seed % 2 === 0 ? new Uint8Array(1) : undefined)
      .keepByReference(128);
    for (const step of steps) {
      step(theirs);
      step(ours);
    }
    const chunks = ours.finishChunks();
    const joined = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    chunks.reduce((offset, chunk) => (joined.set(chunk, offset), offset + chunk.length), 0);
    assert.deepEqual(joined, theirs.finish(), `seed ${seed}`);
    assert.ok(chunks.every((chunk) => chunk.length > 0), `seed ${seed}: an empty piece`);
  }
  const large = patternBytes(100_000, 1);
  const writer = new ByteWriter().keepByReference(128).fork().fork().bytes(large).join().join();
  const chunks = writer.finishChunks();
  assert.equal(chunks[1], large, "the large field itself, not a copy");
  assert.throws(() => writer.finish(), /finishChunks/);
});

test("a restarted writer writes as a new one would, also past its buffer and at a larger start", () => {
  const fresh = (start: number) => {
    const w = new ByteWriter(new Uint8Array(start + 4), start);
    for (const step of script(7)) step(w);
    return w.finish().slice();
  };
  const writer = new ByteWriter(new Uint8Array(16));
  // Grown by the first script; started again inside that buffer, then past it.
  for (const start of [0, 3, 0, 7, 100_000, 5]) {
    writer.restart(start);
    for (const step of script(7)) step(writer);
    assert.deepEqual(writer.finish(), fresh(start), `from ${start}`);
  }
  // Fixed-width fields go into the buffer written to, also when a restart past the buffer
  // replaced it (with room for them: they do not grow it).
  assert.ok(writer.buffer.length < 1_000_000);
  writer.restart(1_000_000).double(1.5).fixed32(7).fixed64(9n);
  const bytes = writer.finish();
  assert.deepEqual([...bytes.subarray(0, 8)], [0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
  assert.deepEqual([...bytes.subarray(8, 12)], [7, 0, 0, 0]);
  assert.equal(bytes[12], 9);
});
