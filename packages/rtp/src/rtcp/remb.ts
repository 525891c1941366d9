/**
 * Receiver Estimated Maximum Bitrate, draft-alvestrand-rmcat-remb-03 §2.2 (PT 206 PSFB, FMT 15, application
 * layer feedback): media SSRC 0, then FCI "REMB", Num SSRC (8), BR Exp (6), BR Mantissa (18), SSRC feedback list.
 * Bitrate = mantissa × 2^exp bits per second.
 */
import { RtcpParseError } from '../errors.js';
import { checkRange, need, RtcpPacketBase, RtcpType, type RtcpView, r32, singleView, w32 } from './common.js';

const REMB_ID = 0x52454d42; // 'REMB'

/** An RTCP REMB message. */
export class Remb extends RtcpPacketBase {
  /** Discriminant of the RTCP packet union. */
  get kind(): 'remb' {
    return 'remb';
  }
  /** RTCP packet type (PSFB). */
  get packetType(): typeof RtcpType.PSFB {
    return RtcpType.PSFB;
  }
  /** SSRC of the packet sender. */
  senderSsrc: number;
  /** Media source SSRC field (always 0 for REMB). */
  mediaSsrc = 0;
  /** Estimated maximum bitrate in bits per second (encoded as mantissa × 2^exp; rounded down when encoding). */
  bitrate: number;
  /** SSRCs the estimate applies to (at most 255). */
  ssrcs: number[];

  /** Builds a REMB. */
  constructor(senderSsrc: number, bitrate: number, ssrcs: number[] = []) {
    super();
    this.senderSsrc = senderSsrc;
    this.bitrate = bitrate;
    this.ssrcs = ssrcs;
  }

  /** Whether the PSFB FMT 15 message at `v` carries the "REMB" identifier. */
  static matches(v: RtcpView): boolean {
    return v.bodyEnd - v.bodyStart >= 12 && r32(v.buf, v.bodyStart + 8) === REMB_ID;
  }

  /**
   * Parses one Remb from `buf` at `offset` (header included; bytes after the packet are not examined).
   * Throws {@link RtcpParseError}, also when the packet is of another type.
   */
  static parse(buf: Uint8Array, offset = 0): Remb {
    const v = singleView(buf, offset, RtcpType.PSFB, 15);
    if (!Remb.matches(v)) throw new RtcpParseError('wrong-type', v.bodyStart + 8, 'PSFB FMT 15 without "REMB"');
    return Remb.parseView(v);
  }

  /** Parses the REMB at `v`. Throws {@link RtcpParseError}. */
  static parseView(v: RtcpView): Remb {
    const b = v.buf;
    const o = v.bodyStart;
    need(v, o, 16, 'REMB FCI');
    const num = b[o + 12]!;
    const exp = b[o + 13]! >> 2;
    const mantissa = ((b[o + 13]! & 3) << 16) | (b[o + 14]! << 8) | b[o + 15]!;
    if (o + 16 + 4 * num > v.bodyEnd) throw new RtcpParseError('bad-fci', o + 12, `REMB Num SSRC ${num} overruns`);
    const r = new Remb(r32(b, o), mantissa * 2 ** exp);
    r.mediaSsrc = r32(b, o + 4);
    for (let i = 0; i < num; i++) r.ssrcs.push(r32(b, o + 16 + 4 * i));
    r.paddingLength = v.paddingLength;
    return r;
  }

  /** The (exponent, mantissa) encoding of {@link Remb.bitrate}: the smallest exponent whose mantissa fits 18 bits. */
  encodeBitrate(): { exp: number; mantissa: number } {
    let br = Math.floor(this.bitrate);
    if (!(br >= 0) || !Number.isFinite(br)) throw new RangeError(`REMB bitrate must be ≥ 0, got ${this.bitrate}`);
    let exp = 0;
    while (br > 0x3ffff) {
      br = Math.floor(br / 2);
      exp++;
    }
    if (exp > 63) throw new RangeError('REMB bitrate too large');
    return { exp, mantissa: br };
  }

  protected countField(): number {
    return 15;
  }

  protected bodySize(): number {
    return 16 + 4 * this.ssrcs.length;
  }

  protected writeBody(b: Uint8Array, o: number): void {
    checkRange(this.senderSsrc, 0xffffffff, 'sender SSRC');
    checkRange(this.mediaSsrc, 0xffffffff, 'media SSRC');
    if (this.ssrcs.length > 255) throw new RangeError('REMB carries at most 255 SSRCs');
    const { exp, mantissa } = this.encodeBitrate();
    w32(b, o, this.senderSsrc);
    w32(b, o + 4, this.mediaSsrc);
    w32(b, o + 8, REMB_ID);
    b[o + 12] = this.ssrcs.length;
    b[o + 13] = (exp << 2) | (mantissa >>> 16);
    b[o + 14] = mantissa >>> 8;
    b[o + 15] = mantissa;
    let p = o + 16;
    for (const s of this.ssrcs) {
      checkRange(s, 0xffffffff, 'REMB SSRC');
      w32(b, p, s);
      p += 4;
    }
  }
}
