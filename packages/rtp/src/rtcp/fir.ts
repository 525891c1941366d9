/**
 * Full Intra Request, RFC 5104 §4.3.1 (PT 206 PSFB, FMT 4). The media source SSRC field is 0 (§4.3.1.2); each
 * 8-octet FCI entry names the target SSRC and a command sequence number, then 24 reserved bits.
 */
import { RtcpParseError } from '../errors.js';
import {
  checkRange,
  need,
  RtcpPacketBase,
  RtcpType,
  type RtcpView,
  r32,
  singleView,
  w32,
  writeFeedbackSsrcs,
} from './common.js';

/** One FIR FCI entry. */
export interface FirEntry {
  /** SSRC of the media sender asked to send a decoder refresh point. */
  ssrc: number;
  /** Command sequence number (8 bits, incremented per new request). */
  seqNr: number;
}

/** An RTCP FIR (RFC 5104 §4.3.1). */
export class FullIntraRequest extends RtcpPacketBase {
  /** Discriminant of the RTCP packet union. */
  get kind(): 'fir' {
    return 'fir';
  }
  /** RTCP packet type (PSFB). */
  get packetType(): typeof RtcpType.PSFB {
    return RtcpType.PSFB;
  }
  /** SSRC of the packet sender. */
  senderSsrc: number;
  /** Media source SSRC field (SHALL be 0, RFC 5104 §4.3.1.2). */
  mediaSsrc = 0;
  /** FCI entries. */
  entries: FirEntry[];

  /** Builds a FIR. */
  constructor(senderSsrc: number, entries: FirEntry[] = []) {
    super();
    this.senderSsrc = senderSsrc;
    this.entries = entries;
  }

  /**
   * Parses one FullIntraRequest from `buf` at `offset` (header included; bytes after the packet are not examined).
   * Throws {@link RtcpParseError}, also when the packet is of another type.
   */
  static parse(buf: Uint8Array, offset = 0): FullIntraRequest {
    const v = singleView(buf, offset, RtcpType.PSFB, 4);
    return FullIntraRequest.parseView(v);
  }

  /** Parses the FIR at `v`. Throws {@link RtcpParseError}. */
  static parseView(v: RtcpView): FullIntraRequest {
    const b = v.buf;
    need(v, v.bodyStart, 8, 'FIR SSRCs');
    const f = new FullIntraRequest(r32(b, v.bodyStart));
    f.mediaSsrc = r32(b, v.bodyStart + 4);
    if ((v.bodyEnd - v.bodyStart - 8) % 8 !== 0) {
      throw new RtcpParseError('bad-fci', v.bodyStart + 8, 'FIR FCI is not a multiple of 8');
    }
    for (let o = v.bodyStart + 8; o < v.bodyEnd; o += 8) f.entries.push({ ssrc: r32(b, o), seqNr: b[o + 4]! });
    f.paddingLength = v.paddingLength;
    return f;
  }

  protected countField(): number {
    return 4;
  }

  protected bodySize(): number {
    return 8 + 8 * this.entries.length;
  }

  protected writeBody(b: Uint8Array, o: number): void {
    writeFeedbackSsrcs(b, o, this.senderSsrc, this.mediaSsrc);
    o += 8;
    for (const e of this.entries) {
      checkRange(e.ssrc, 0xffffffff, 'FIR SSRC');
      checkRange(e.seqNr, 255, 'FIR sequence number');
      w32(b, o, e.ssrc);
      w32(b, o + 4, e.seqNr << 24);
      o += 8;
    }
  }
}
