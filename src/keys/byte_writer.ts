/**
 * A protobuf wire-format writer over one growable buffer, for the deterministic encoder.
 *
 * It has the methods of protobuf-es's `BinaryWriter` that the encoder uses, and writes the
 * same bytes, but nested messages cost no allocation: `fork` reserves one byte for the length
 * and `join` fills it in, moving the message's bytes only when its length needs a longer
 * varint (128 bytes or more). Varints are minimal, as every protobuf implementation writes them.
 *
 * With `keepByReference`, large byte fields are not copied in: the writer keeps a reference
 * and `finishChunks` hands the message out as pieces (its own bytes between the references),
 * so a value holding a 200 MiB binary is encoded without a copy of it.
 *
 * @module
 */
import type { WireType } from "@bufbuild/protobuf/wire";

const TWO_POW_32 = 0x1_0000_0000;
const encoder = new TextEncoder();

/** Writes protobuf wire format into one growable buffer. Not reusable after `finish`. */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #pos: number;
  #start: number;
  /** Start offsets of the messages being written, innermost last. */
  readonly #forks: number[] = [];
  /** Byte fields of at least this many bytes are kept by reference (`keepByReference`). */
  #byReference = Infinity;
  /** The fields kept by reference, in order, with where they belong in the buffer. */
  readonly #references: { at: number; data: Uint8Array }[] = [];

  /**
   * Writes into `buffer` (growing out of it when needed), or a new buffer of 256 bytes, from
   * offset `start`: the bytes before it are left for the caller (say, for a header).
   */
  constructor(buffer: Uint8Array = new Uint8Array(256), start = 0) {
    if (buffer.length < start) buffer = new Uint8Array(start + 256);
    this.#buf = buffer;
    this.#view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.#pos = this.#start = start;
  }

  /**
   * Starts over, from offset `start` of the buffer it holds (the one given or the larger one it
   * grew into), as a new writer of that buffer would: for a caller that writes many messages
   * into one buffer, one after the other, without a new writer each time.
   */
  restart(start: number): this {
    // The view follows the buffer wherever the buffer changes (here and in #reserve).
    if (this.#buf.length < start) {
      this.#buf = new Uint8Array(start + 256);
      this.#view = new DataView(this.#buf.buffer);
    }
    this.#pos = this.#start = start;
    // Left empty by a writer that finished; emptied only after a failure.
    if (this.#forks.length !== 0) this.#forks.length = 0;
    if (this.#references.length !== 0) this.#references.length = 0;
    this.#byReference = Infinity;
    return this;
  }

  /** The buffer written into: the one given, or a larger one it grew into. */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /** Makes room for `n` more bytes. */
  #reserve(n: number): void {
    const needed = this.#pos + n;
    if (needed <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(needed, this.#buf.length * 2, 256));
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
    this.#view = new DataView(grown.buffer);
  }

  /** An unsigned varint of a number in 0 .. 2^32-1, room already reserved. */
  #varint32(value: number): void {
    const buf = this.#buf;
    let pos = this.#pos;
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[pos++] = value;
    this.#pos = pos;
  }

  /** A varint of the 64 bits `hi:lo` (two unsigned 32-bit halves), room already reserved. */
  #varint64(lo: number, hi: number): void {
    const buf = this.#buf;
    let pos = this.#pos;
    while (hi !== 0 || lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[pos++] = lo;
    this.#pos = pos;
  }

  /** A 64-bit integer (already range-checked) as a varint of its two's complement. */
  #bigVarint(value: bigint): void {
    this.#reserve(10);
    // Exact: below 2^53 the conversion does not round, so no bigint comparison is needed.
    const n = Number(value);
    if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) {
      if (n <= 0xffff_ffff) this.#varint32(n);
      else this.#varint64(n >>> 0, Math.floor(n / TWO_POW_32));
      return;
    }
    const bits = BigInt.asUintN(64, value);
    this.#varint64(Number(bits & 0xffff_ffffn), Number(bits >> 32n));
  }

  /**
   * Room for `n` more bytes, for a caller that writes them itself: answers the buffer, to be
   * written from {@link ByteWriter.position}, which the caller then moves past what it wrote.
   */
  room(n: number): Uint8Array {
    this.#reserve(n);
    return this.#buf;
  }

  /** Where the next byte goes in {@link ByteWriter.buffer}. */
  get position(): number {
    return this.#pos;
  }

  set position(value: number) {
    this.#pos = value;
  }

  /** A field tag: field number and wire type. */
  tag(fieldNo: number, wireType: WireType): this {
    this.#reserve(5);
    this.#varint32(fieldNo * 8 + wireType);
    return this;
  }

  /** Starts a length-delimited message; `join` ends it. */
  fork(): this {
    this.#reserve(1);
    this.#forks.push(this.#pos++);
    return this;
  }

  /** Ends the message `fork` started, writing its length in front of it. */
  join(): this {
    const start = this.#forks.pop();
    if (start === undefined) throw new Error("ByteWriter: join without fork");
    let length = this.#pos - start - 1;
    const references = this.#references;
    let inside = references.length;
    // The fields kept by reference inside the message count in its length.
    while (inside > 0 && references[inside - 1]!.at > start) {
      length += references[--inside]!.data.length;
    }
    if (length <= 0x7f) {
      this.#buf[start] = length;
      return this;
    }
    let size = 1;
    for (let rest = length >>> 7; rest !== 0; rest >>>= 7) size++;
    this.#reserve(size - 1);
    this.#buf.copyWithin(start + size, start + 1, this.#pos);
    for (let i = inside; i < references.length; i++) references[i]!.at += size - 1;
    const end = this.#pos + size - 1;
    this.#pos = start;
    this.#varint32(length);
    this.#pos = end;
    return this;
  }

  /** Bytes as they are, without a length. */
  raw(data: Uint8Array): this {
    this.#reserve(data.length);
    this.#buf.set(data, this.#pos);
    this.#pos += data.length;
    return this;
  }

  /** Length-delimited bytes. */
  bytes(data: Uint8Array): this {
    this.#reserve(5);
    this.#varint32(data.length);
    if (data.length >= this.#byReference) {
      this.#references.push({ at: this.#pos, data });
      return this;
    }
    return this.raw(data);
  }

  /**
   * From now on, byte fields of at least `threshold` bytes are kept by reference rather than
   * copied: the message must then be taken with `finishChunks`, and the fields must not change
   * until its pieces are used.
   */
  keepByReference(threshold: number): this {
    this.#byReference = threshold;
    return this;
  }

  /** Whether fields were kept by reference: the message must then be taken with `finishChunks`. */
  get keptByReference(): boolean {
    return this.#references.length !== 0;
  }

  /** A length-delimited UTF-8 string. The caller checks that it is well formed. */
  string(text: string): this {
    const n = text.length;
    this.#reserve(5 + n);
    const start = this.#pos;
    this.#varint32(n);
    const buf = this.#buf;
    let pos = this.#pos;
    for (let i = 0; i < n; i++) {
      const unit = text.charCodeAt(i);
      if (unit > 0x7f) {
        this.#pos = start;
        return this.bytes(encoder.encode(text));
      }
      buf[pos++] = unit;
    }
    this.#pos = pos;
    return this;
  }

  bool(value: boolean): this {
    this.#reserve(1);
    this.#buf[this.#pos++] = value ? 1 : 0;
    return this;
  }

  int32(value: number): this {
    this.#reserve(10);
    if (value >= 0) this.#varint32(value);
    else this.#varint64(value >>> 0, 0xffff_ffff);
    return this;
  }

  uint32(value: number): this {
    this.#reserve(5);
    this.#varint32(value);
    return this;
  }

  sint32(value: number): this {
    return this.uint32(((value << 1) ^ (value >> 31)) >>> 0);
  }

  int64(value: bigint): this {
    this.#bigVarint(value);
    return this;
  }

  uint64(value: bigint): this {
    this.#bigVarint(value);
    return this;
  }

  sint64(value: bigint): this {
    this.#bigVarint(BigInt.asUintN(64, (value << 1n) ^ (value >> 63n)));
    return this;
  }

  fixed32(value: number): this {
    this.#reserve(4);
    this.#view.setUint32(this.#pos, value, true);
    this.#pos += 4;
    return this;
  }

  sfixed32(value: number): this {
    this.#reserve(4);
    this.#view.setInt32(this.#pos, value, true);
    this.#pos += 4;
    return this;
  }

  fixed64(value: bigint): this {
    this.#reserve(8);
    this.#view.setBigUint64(this.#pos, BigInt.asUintN(64, value), true);
    this.#pos += 8;
    return this;
  }

  sfixed64(value: bigint): this {
    return this.fixed64(value);
  }

  double(value: number): this {
    this.#reserve(8);
    this.#view.setFloat64(this.#pos, value, true);
    this.#pos += 8;
    return this;
  }

  float(value: number): this {
    this.#reserve(4);
    this.#view.setFloat32(this.#pos, value, true);
    this.#pos += 4;
    return this;
  }

  /** The bytes written (from `start`): a view of the writer's buffer, without a copy. */
  finish(): Uint8Array {
    return this.#buf.subarray(this.#start, this.end());
  }

  /**
   * Where the bytes written end in {@link ByteWriter.buffer} (they start at `start`): `finish`
   * without the view, for a caller that reads the buffer itself.
   */
  end(): number {
    if (this.#forks.length !== 0) throw new Error("ByteWriter: finish inside a fork");
    if (this.#references.length !== 0) {
      throw new Error("ByteWriter: fields were kept by reference; take them with finishChunks");
    }
    return this.#pos;
  }

  /**
   * The bytes written (from `start`) as pieces that, joined, are the message: views of the
   * writer's buffer between the fields kept by reference (see `keepByReference`), and those
   * fields themselves. No piece is empty.
   */
  finishChunks(): Uint8Array[] {
    if (this.#forks.length !== 0) throw new Error("ByteWriter: finish inside a fork");
    const chunks: Uint8Array[] = [];
    let from = this.#start;
    for (const { at, data } of this.#references) {
      if (at > from) chunks.push(this.#buf.subarray(from, at));
      if (data.length > 0) chunks.push(data);
      from = at;
    }
    if (this.#pos > from) chunks.push(this.#buf.subarray(from, this.#pos));
    return chunks;
  }
}
