/**
 * RTCP common header (RFC 3550 §6.4.1) and the base every RTCP packet class shares:
 *
 * ```
 *  0                   1                   2                   3
 * |V=2|P|  count  |      PT       |             length            |
 * ```
 * `length` is the packet's size in 32-bit words minus one, including the header and any padding.
 */
import { utf8Decode } from '@mdh/bytes';
import { RtcpParseError } from '../errors.js';

/** RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611 §2). */
export const RtcpType = {
  SR: 200,
  RR: 201,
  SDES: 202,
  BYE: 203,
  APP: 204,
  RTPFB: 205,
  PSFB: 206,
  XR: 207,
} as const;

/** Where one RTCP packet sits inside a compound, as found by the compound parser. */
export interface RtcpView {
  /** The whole compound. */
  readonly buf: Uint8Array;
  /** Offset of this packet's first octet. */
  readonly offset: number;
  /** The 5-bit count / FMT / subtype field. */
  readonly count: number;
  /** Packet type (octet 1). */
  readonly packetType: number;
  /** First octet after the 4-octet common header. */
  readonly bodyStart: number;
  /** End of the body (exclusive), before any padding. */
  readonly bodyEnd: number;
  /** Padding octets (including the count octet) when P=1, else 0. */
  readonly paddingLength: number;
}

/** A shared empty byte array (typed-array creation is costly on the hot path; an empty one cannot be mutated). */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** `b.subarray(start, end)`, or the shared empty array when the range is empty. */
export function slice(b: Uint8Array, start: number, end: number): Uint8Array {
  return end > start ? b.subarray(start, end) : EMPTY_BYTES;
}

/** Reads a big-endian u32. Callers have checked bounds. */
export function r32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Reads a big-endian u16. Callers have checked bounds. */
export function r16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Writes a big-endian u32. */
export function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** Writes a big-endian u16. */
export function w16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

/**
 * Decodes RTCP text (UTF-8, RFC 3550 §6.5) from `b[start, end)`. Short ASCII strings (CNAMEs, reasons) skip
 * TextDecoder, whose per-call cost dominates small inputs; anything else goes through it (invalid → U+FFFD).
 */
export function decodeText(b: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (c >= 0x80) return utf8Decode(b.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8Decode(b.subarray(start, end));
}

/** Throws a RangeError unless `v` is an integer in 0..max. */
export function checkRange(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`RTCP ${what} must be 0..${max}, got ${v}`);
}

/**
 * Writes the two SSRC words that open every RTPFB/PSFB body (RFC 4585 §6.1) at b[o..o+8), after range checks.
 */
export function writeFeedbackSsrcs(b: Uint8Array, o: number, senderSsrc: number, mediaSsrc: number): void {
  checkRange(senderSsrc, 0xffffffff, 'sender SSRC');
  checkRange(mediaSsrc, 0xffffffff, 'media SSRC');
  w32(b, o, senderSsrc);
  w32(b, o + 4, mediaSsrc);
}

/** Throws an RtcpParseError unless the body of `v` has at least `n` octets from `at`. */
export function need(v: RtcpView, at: number, n: number, what: string): void {
  if (at + n > v.bodyEnd) {
    throw new RtcpParseError('truncated', at, `${what} needs ${n} octets, ${Math.max(0, v.bodyEnd - at)} left`);
  }
}

/** Locates and checks the header of the packet at `o`: version, length and padding (RFC 3550 §6.4.1). */
export function viewAt(buf: Uint8Array, o: number): RtcpView {
  const n = buf.length;
  if (n - o < 4) throw new RtcpParseError('truncated', o, `${n - o} trailing octets, a header needs 4`);
  const b0 = buf[o]!;
  if (b0 >> 6 !== 2) throw new RtcpParseError('bad-version', o, `version ${b0 >> 6}`);
  const byteLen = (r16(buf, o + 2) + 1) * 4;
  if (o + byteLen > n) {
    throw new RtcpParseError('bad-length', o + 2, `length field says ${byteLen} octets, ${n - o} left`);
  }
  const end = o + byteLen;
  let pad = 0;
  if (b0 & 0x20) {
    pad = buf[end - 1]!;
    if (pad === 0 || pad > byteLen - 4) {
      throw new RtcpParseError('bad-padding', end - 1, `padding count ${pad} in a ${byteLen}-octet packet`);
    }
  }
  return {
    buf,
    offset: o,
    count: b0 & 31,
    packetType: buf[o + 1]!,
    bodyStart: o + 4,
    bodyEnd: end - pad,
    paddingLength: pad,
  };
}

/**
 * The view of the single packet of type `packetType` (and FMT `fmt`, when given) at `offset`, for the per-class
 * `parse()`; bytes after that packet are not examined. Throws {@link RtcpParseError}.
 */
export function singleView(buf: Uint8Array, offset: number, packetType: number, fmt?: number): RtcpView {
  const v = viewAt(buf, offset);
  if (v.packetType !== packetType || (fmt !== undefined && v.count !== fmt)) {
    throw new RtcpParseError(
      'wrong-type',
      offset + 1,
      `expected PT ${packetType}${fmt === undefined ? '' : ` FMT ${fmt}`}, got PT ${v.packetType} count ${v.count}`,
    );
  }
  return v;
}

/** The shared shape of every RTCP packet class: `size()`, `serializeInto()`, `serialize()`. */
export abstract class RtcpPacketBase {
  /** RTCP packet type (octet 1). */
  abstract get packetType(): number;
  /**
   * Padding octets to append, including the final count octet (RFC 3550 §6.4.1 P bit); 0 for none.
   * Set by the parser from the P bit; must keep the packet a multiple of 4 octets.
   */
  paddingLength = 0;

  /** Value of the 5-bit count / FMT / subtype field. */
  protected abstract countField(): number;
  /** Size of the body (after the 4-octet header, before padding). */
  protected abstract bodySize(): number;
  /** Writes the body at `o` (the caller has checked the space). */
  protected abstract writeBody(buf: Uint8Array, o: number): void;

  /** Total size in octets, header and padding included. */
  size(): number {
    const body = this.bodySize();
    return 4 + body + this.effectivePadding(body);
  }

  /**
   * The padding actually written: `paddingLength`, adjusted (up, or down past 255) so the packet stays a multiple
   * of 4 octets when the body's size changed since parsing (e.g. a BYE reason re-encoded without stray octets).
   */
  private effectivePadding(body: number): number {
    const pad = this.paddingLength;
    if (pad === 0) return 0;
    const mis = (4 + body + pad) & 3;
    if (mis === 0) return pad;
    return pad + 4 - mis <= 255 ? pad + 4 - mis : pad - mis;
  }

  /** Writes the packet at `offset`; returns the octets written. Throws RangeError if it does not fit. */
  serializeInto(buf: Uint8Array, offset = 0): number {
    checkRange(this.paddingLength, 255, 'padding length');
    const body = this.bodySize();
    const pad = this.effectivePadding(body);
    const total = 4 + body + pad;
    if (total % 4 !== 0) throw new RangeError(`RTCP packet length ${total} is not a multiple of 4 (RFC 3550 §6.4.1)`);
    if (total > 0x40000) throw new RangeError(`RTCP packet of ${total} octets exceeds the 16-bit length field`);
    if (offset < 0 || offset + total > buf.length) {
      throw new RangeError(`RTCP packet of ${total} octets does not fit at offset ${offset} of ${buf.length}`);
    }
    const count = this.countField();
    checkRange(count, 31, 'count/FMT');
    buf[offset] = 0x80 | (pad > 0 ? 0x20 : 0) | count;
    buf[offset + 1] = this.packetType;
    w16(buf, offset + 2, total / 4 - 1);
    this.writeBody(buf, offset + 4);
    if (pad > 0) {
      const end = offset + total;
      buf.fill(0, end - pad, end - 1);
      buf[end - 1] = pad;
    }
    return total;
  }

  /** Serialises into a new buffer of exactly `size()` octets. */
  serialize(): Uint8Array {
    const out = new Uint8Array(this.size());
    this.serializeInto(out, 0);
    return out;
  }
}
