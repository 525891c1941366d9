import { overRead } from './errors.js';

/**
 * A bounds-checked cursor over a `Uint8Array`. Every read advances `offset`; reading past the end
 * throws {@link BytesRangeError} and leaves `offset` unchanged.
 *
 * ```ts
 * const r = new ByteReader(packet);
 * const flags = r.u8(); const seq = r.u16(); const payload = r.bytes(r.remaining);
 * ```
 */
export class ByteReader {
  /** Current read position, relative to the start of `buf`. */
  offset: number;
  readonly buf: Uint8Array;
  private readonly view: DataView;

  constructor(buf: Uint8Array, offset = 0) {
    if (!Number.isInteger(offset) || offset < 0 || offset > buf.length) {
      throw overRead(offset, 0, buf.length);
    }
    this.buf = buf;
    this.offset = offset;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Total length of the underlying view. */
  get length(): number {
    return this.buf.length;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number): number {
    const o = this.offset;
    if (n > this.buf.length - o) throw overRead(o, n, this.buf.length);
    this.offset = o + n;
    return o;
  }

  /** Reads an unsigned byte and advances; throws BytesRangeError past the end. */
  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  /** Reads a signed byte and advances; throws BytesRangeError past the end. */
  i8(): number {
    return this.view.getInt8(this.need(1));
  }
  /** Reads an unsigned 16-bit big-endian integer (a number) and advances; throws BytesRangeError past the end. */
  u16(): number {
    return this.view.getUint16(this.need(2), false);
  }
  /** Reads an unsigned 16-bit little-endian integer (a number) and advances; throws BytesRangeError past the end. */
  u16le(): number {
    return this.view.getUint16(this.need(2), true);
  }
  /** Reads a signed 16-bit big-endian integer (a number) and advances; throws BytesRangeError past the end. */
  i16(): number {
    return this.view.getInt16(this.need(2), false);
  }
  /** Reads an unsigned 24-bit big-endian integer (a number) and advances; throws BytesRangeError past the end. */
  u24(): number {
    const o = this.need(3);
    return (this.view.getUint16(o, false) << 8) | this.view.getUint8(o + 2);
  }
  /** Reads an unsigned 24-bit little-endian integer (a number) and advances; throws BytesRangeError past the end. */
  u24le(): number {
    const o = this.need(3);
    return this.view.getUint16(o, true) | (this.view.getUint8(o + 2) << 16);
  }
  /** Reads a signed 24-bit big-endian integer (a number) and advances; throws BytesRangeError past the end. */
  i24(): number {
    const v = this.u24();
    return v & 0x800000 ? v - 0x1000000 : v;
  }
  /** Reads an unsigned 32-bit big-endian integer (a number) and advances; throws BytesRangeError past the end. */
  u32(): number {
    return this.view.getUint32(this.need(4), false);
  }
  /** Reads an unsigned 32-bit little-endian integer (a number) and advances; throws BytesRangeError past the end. */
  u32le(): number {
    return this.view.getUint32(this.need(4), true);
  }
  /** Reads a signed 32-bit big-endian integer (a number) and advances; throws BytesRangeError past the end. */
  i32(): number {
    return this.view.getInt32(this.need(4), false);
  }
  /** Reads an unsigned 48-bit big-endian integer (a number) and advances; throws BytesRangeError past the end. */
  u48(): number {
    const o = this.need(6);
    return this.view.getUint16(o, false) * 0x1_0000_0000 + this.view.getUint32(o + 2, false);
  }
  /** Reads an unsigned 48-bit little-endian integer (a number) and advances; throws BytesRangeError past the end. */
  u48le(): number {
    const o = this.need(6);
    return this.view.getUint32(o, true) + this.view.getUint16(o + 4, true) * 0x1_0000_0000;
  }
  /** Reads an unsigned 64-bit big-endian integer (a bigint) and advances; throws BytesRangeError past the end. */
  u64(): bigint {
    return this.view.getBigUint64(this.need(8), false);
  }
  /** Reads an unsigned 64-bit little-endian integer (a bigint) and advances; throws BytesRangeError past the end. */
  u64le(): bigint {
    return this.view.getBigUint64(this.need(8), true);
  }

  /** The next `n` bytes as a zero-copy view (a `subarray` of the input). */
  bytes(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0) throw overRead(this.offset, n, this.buf.length);
    const o = this.need(n);
    return this.buf.subarray(o, o + n);
  }

  /** Everything left, zero-copy. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** Advance by `n` bytes without reading them. */
  skip(n: number): this {
    if (!Number.isInteger(n) || n < 0) throw overRead(this.offset, n, this.buf.length);
    this.need(n);
    return this;
  }

  /** The byte at `offset + ahead` without advancing. */
  peek(ahead = 0): number {
    const o = this.offset + ahead;
    if (ahead < 0 || o >= this.buf.length) throw overRead(o, 1, this.buf.length);
    return this.buf[o]!;
  }

  /** The next `n` bytes without advancing (zero-copy). */
  peekBytes(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0 || n > this.remaining) throw overRead(this.offset, n, this.buf.length);
    return this.buf.subarray(this.offset, this.offset + n);
  }
}
