/**
 * Generic RTCP feedback message, RFC 4585 §6.1 (PT 205 RTPFB, PT 206 PSFB): FMT in the count field, SSRC of the
 * packet sender, SSRC of the media source, then Feedback Control Information. Used as a typed passthrough for
 * FMT values without a dedicated class (e.g. transport-wide CC, RFC 6051 RRR, SLI, RPSI, TMMBR).
 */
import { RtcpParseError } from '../errors.js';
import { EMPTY_BYTES, need, RtcpPacketBase, type RtcpView, r32, slice, viewAt, writeFeedbackSsrcs } from './common.js';

/** RTPFB (205) FMT values (RFC 4585 §6.2, RFC 5104 §4.2, RFC 6051, draft-holmer-rmcat-transport-wide-cc). */
export const RtpfbFmt = { NACK: 1, TMMBR: 3, TMMBN: 4, RRR: 5, TWCC: 15 } as const;
/** PSFB (206) FMT values (RFC 4585 §6.3, RFC 5104 §4.3); 15 = application layer feedback (REMB). */
export const PsfbFmt = { PLI: 1, SLI: 2, RPSI: 3, FIR: 4, TSTR: 5, TSTN: 6, VBCM: 7, AFB: 15 } as const;

/** Fields of a {@link FeedbackPacket}. */
export interface FeedbackPacketInit {
  packetType: 205 | 206;
  fmt: number;
  senderSsrc: number;
  mediaSsrc: number;
  fci?: Uint8Array;
}

/** An RTPFB or PSFB message kept with its raw FCI. */
export class FeedbackPacket extends RtcpPacketBase {
  /** Discriminant of the RTCP packet union. */
  get kind(): 'feedback' {
    return 'feedback';
  }
  readonly packetType: 205 | 206;
  /** Feedback message type (count field). */
  fmt: number;
  /** SSRC of the packet sender. */
  senderSsrc: number;
  /** SSRC of the media source. */
  mediaSsrc: number;
  /** Feedback Control Information octets. */
  fci: Uint8Array;

  /** Builds a feedback message. */
  constructor(init: FeedbackPacketInit) {
    super();
    this.packetType = init.packetType;
    this.fmt = init.fmt;
    this.senderSsrc = init.senderSsrc;
    this.mediaSsrc = init.mediaSsrc;
    this.fci = init.fci ?? EMPTY_BYTES;
  }

  /** Parses one RTPFB/PSFB message from `buf` at `offset` (any FMT; kept raw). Throws {@link RtcpParseError}. */
  static parse(buf: Uint8Array, offset = 0): FeedbackPacket {
    const v = viewAt(buf, offset);
    if (v.packetType !== 205 && v.packetType !== 206) {
      throw new RtcpParseError('wrong-type', offset + 1, `expected PT 205 or 206, got ${v.packetType}`);
    }
    return FeedbackPacket.parseView(v);
  }

  /** Parses a feedback message at `v`. Throws {@link RtcpParseError}. */
  static parseView(v: RtcpView): FeedbackPacket {
    need(v, v.bodyStart, 8, 'feedback SSRCs');
    const fb = new FeedbackPacket({
      packetType: v.packetType as 205 | 206,
      fmt: v.count,
      senderSsrc: r32(v.buf, v.bodyStart),
      mediaSsrc: r32(v.buf, v.bodyStart + 4),
      fci: slice(v.buf, v.bodyStart + 8, v.bodyEnd),
    });
    fb.paddingLength = v.paddingLength;
    return fb;
  }

  protected countField(): number {
    return this.fmt;
  }

  protected bodySize(): number {
    return 8 + this.fci.length;
  }

  protected writeBody(b: Uint8Array, o: number): void {
    writeFeedbackSsrcs(b, o, this.senderSsrc, this.mediaSsrc);
    b.set(this.fci, o + 8);
  }
}
