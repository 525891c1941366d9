import { BytesRangeError, overWrite } from './errors.js';

/** A reserved region of a {@link ByteWriter}, to be patched later (for example a length field). */
export interface Slot {
  readonly offset: number;
  readonly length: number;
}

/** Options of {@link ByteWriter} over a capacity or a caller's buffer. */
export interface ByteWriterOptions {
  /** Grow the buffer when full (default true for a capacity, false for a caller's buffer). */
  growable?: boolean;
}

function checkUint(v: number, bits: number, offset: number): void {
  const max = 2 ** bits - 1;
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new BytesRangeError(`value ${v} out of range for u${bits} (0..${max})`, offset, bits / 8, 0);
  }
}

function checkInt(v: number, bits: number, offset: number): void {
  const lim = 2 ** (bits - 1);
  if (!Number.isInteger(v) || v < -lim || v >= lim) {
    throw new BytesRangeError(`value ${v} out of range for i${bits}`, offset, bits / 8, 0);
  }
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * A bounds-checked writer. Growable (doubling) by default, or fixed over a caller's buffer
 * (`new ByteWriter(buf)`), in which case writing past the end throws {@link BytesRangeError}.
 * Values that do not fit their width throw; nothing wraps silently.
 *
 * ```ts
 * const w = new ByteWriter();
 * const len = w.reserve(2); w.bytes(body); w.patchU16(len, body.length);
 * const out = w.finish();
 * ```
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private readonly growable: boolean;
  /** Current write position. */
  offset = 0;

  constructor(bufOrCapacity: Uint8Array | number = 64, options: ByteWriterOptions = {}) {
    if (typeof bufOrCapacity === 'number') {
      this.buf = new Uint8Array(Math.max(1, bufOrCapacity));
      this.growable = options.growable ?? true;
    } else {
      this.buf = bufOrCapacity;
      this.growable = options.growable ?? false;
    }
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Capacity of the current backing buffer. */
  get capacity(): number {
    return this.buf.length;
  }

  private room(n: number): number {
    const o = this.offset;
    if (o + n > this.buf.length) {
      if (!this.growable) throw overWrite(o, n, this.buf.length);
      let cap = this.buf.length * 2;
      while (cap < o + n) cap *= 2;
      const nb = new Uint8Array(cap);
      nb.set(this.buf.subarray(0, o));
      this.buf = nb;
      this.view = new DataView(nb.buffer);
    }
    this.offset = o + n;
    return o;
  }

  /** Writes an unsigned byte; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  u8(v: number): this {
    checkUint(v, 8, this.offset);
    const o = this.room(1);
    this.buf[o] = v;
    return this;
  }
  /** Writes a signed byte; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  i8(v: number): this {
    checkInt(v, 8, this.offset);
    const o = this.room(1);
    this.view.setInt8(o, v);
    return this;
  }
  /** Writes an unsigned 16-bit big-endian integer; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  u16(v: number): this {
    checkUint(v, 16, this.offset);
    const o = this.room(2);
    this.view.setUint16(o, v, false);
    return this;
  }
  /** Writes an unsigned 16-bit little-endian integer; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  u16le(v: number): this {
    checkUint(v, 16, this.offset);
    const o = this.room(2);
    this.view.setUint16(o, v, true);
    return this;
  }
  /** Writes a signed 16-bit big-endian integer; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  i16(v: number): this {
    checkInt(v, 16, this.offset);
    const o = this.room(2);
    this.view.setInt16(o, v, false);
    return this;
  }
  /** Writes an unsigned 24-bit big-endian integer; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  u24(v: number): this {
    checkUint(v, 24, this.offset);
    const o = this.room(3);
    this.view.setUint16(o, v >>> 8, false);
    this.view.setUint8(o + 2, v & 0xff);
    return this;
  }
  /** Writes an unsigned 24-bit little-endian integer; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  u24le(v: number): this {
    checkUint(v, 24, this.offset);
    const o = this.room(3);
    this.view.setUint16(o, v & 0xffff, true);
    this.view.setUint8(o + 2, v >>> 16);
    return this;
  }
  /** Writes an unsigned 32-bit big-endian integer; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  u32(v: number): this {
    checkUint(v, 32, this.offset);
    const o = this.room(4);
    this.view.setUint32(o, v, false);
    return this;
  }
  /** Writes an unsigned 32-bit little-endian integer; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  u32le(v: number): this {
    checkUint(v, 32, this.offset);
    const o = this.room(4);
    this.view.setUint32(o, v, true);
    return this;
  }
  /** Writes a signed 32-bit big-endian integer; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  i32(v: number): this {
    checkInt(v, 32, this.offset);
    const o = this.room(4);
    this.view.setInt32(o, v, false);
    return this;
  }
  /** Writes an unsigned 48-bit big-endian integer; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  u48(v: number): this {
    checkUint(v, 48, this.offset);
    const o = this.room(6);
    this.view.setUint16(o, Math.floor(v / 0x1_0000_0000), false);
    this.view.setUint32(o + 2, v >>> 0, false);
    return this;
  }
  /** Writes an unsigned 48-bit little-endian integer; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  u48le(v: number): this {
    checkUint(v, 48, this.offset);
    const o = this.room(6);
    this.view.setUint32(o, v >>> 0, true);
    this.view.setUint16(o + 4, Math.floor(v / 0x1_0000_0000), true);
    return this;
  }
  /** Writes an unsigned 64-bit big-endian integer; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  u64(v: bigint): this {
    if (v < 0n || v > U64_MAX) throw new BytesRangeError(`value ${v} out of range for u64`, this.offset, 8, 0);
    const o = this.room(8);
    this.view.setBigUint64(o, v, false);
    return this;
  }
  /** Writes an unsigned 64-bit little-endian integer; throws BytesRangeError when it does not fit (or past the end of a fixed buffer). */
  u64le(v: bigint): this {
    if (v < 0n || v > U64_MAX) throw new BytesRangeError(`value ${v} out of range for u64`, this.offset, 8, 0);
    const o = this.room(8);
    this.view.setBigUint64(o, v, true);
    return this;
  }

  /** Copy `b` in. */
  bytes(b: Uint8Array): this {
    const o = this.room(b.length);
    this.buf.set(b, o);
    return this;
  }

  /** `n` zero bytes. */
  zeros(n: number): this {
    const o = this.room(n);
    this.buf.fill(0, o, o + n);
    return this;
  }

  /** Reserve `n` bytes (zeroed) to be filled later with {@link patch} or a `patchU*` method. */
  reserve(n: number): Slot {
    const o = this.room(n);
    this.buf.fill(0, o, o + n);
    return { offset: o, length: n };
  }

  /** Write a big-endian unsigned integer of the slot's width into a reserved slot. */
  patchUint(slot: Slot, v: number): this {
    checkUint(v, slot.length * 8, slot.offset);
    for (let i = slot.length - 1, x = v; i >= 0; i--) {
      this.buf[slot.offset + i] = x % 256;
      x = Math.floor(x / 256);
    }
    return this;
  }
  /** Overwrites the reserved slot with an unsigned 8-bit big-endian value (it must fit the slot). */
  patchU8(slot: Slot, v: number): this {
    return this.patchUint({ offset: slot.offset, length: 1 }, v);
  }
  /** Overwrites the reserved slot with an unsigned 16-bit big-endian value (it must fit the slot). */
  patchU16(slot: Slot, v: number): this {
    return this.patchUint({ offset: slot.offset, length: 2 }, v);
  }
  /** Overwrites the reserved slot with an unsigned 24-bit big-endian value (it must fit the slot). */
  patchU24(slot: Slot, v: number): this {
    return this.patchUint({ offset: slot.offset, length: 3 }, v);
  }
  /** Overwrites the reserved slot with an unsigned 32-bit big-endian value (it must fit the slot). */
  patchU32(slot: Slot, v: number): this {
    return this.patchUint({ offset: slot.offset, length: 4 }, v);
  }
  /** Copy bytes into a reserved slot. */
  patch(slot: Slot, b: Uint8Array): this {
    if (b.length > slot.length) throw overWrite(slot.offset, b.length, slot.offset + slot.length);
    this.buf.set(b, slot.offset);
    return this;
  }

  /** Bytes written since the slot ended (handy for length fields). */
  since(slot: Slot): number {
    return this.offset - slot.offset - slot.length;
  }

  /** A view of everything written so far (zero-copy; later writes may reallocate). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.offset);
  }
}
