/** Picture Loss Indication, RFC 4585 §6.3.1 (PT 206 PSFB, FMT 1): no FCI. */
import { need, RtcpPacketBase, RtcpType, type RtcpView, r32, singleView, writeFeedbackSsrcs } from './common.js';

/** An RTCP PLI (RFC 4585 §6.3.1). */
export class PictureLossIndication extends RtcpPacketBase {
  /** Discriminant of the RTCP packet union. */
  get kind(): 'pli' {
    return 'pli';
  }
  /** RTCP packet type (PSFB). */
  get packetType(): typeof RtcpType.PSFB {
    return RtcpType.PSFB;
  }
  /** SSRC of the packet sender. */
  senderSsrc: number;
  /** SSRC of the media source whose picture was lost. */
  mediaSsrc: number;

  /** Builds a PLI. */
  constructor(senderSsrc: number, mediaSsrc: number) {
    super();
    this.senderSsrc = senderSsrc;
    this.mediaSsrc = mediaSsrc;
  }

  /**
   * Parses one PictureLossIndication from `buf` at `offset` (header included; bytes after the packet are not examined).
   * Throws {@link RtcpParseError}, also when the packet is of another type.
   */
  static parse(buf: Uint8Array, offset = 0): PictureLossIndication {
    const v = singleView(buf, offset, RtcpType.PSFB, 1);
    return PictureLossIndication.parseView(v);
  }

  /** Parses the PLI at `v` (extra FCI octets, which §6.3.1 forbids, are ignored). */
  static parseView(v: RtcpView): PictureLossIndication {
    need(v, v.bodyStart, 8, 'PLI SSRCs');
    const p = new PictureLossIndication(r32(v.buf, v.bodyStart), r32(v.buf, v.bodyStart + 4));
    p.paddingLength = v.paddingLength;
    return p;
  }

  protected countField(): number {
    return 1;
  }

  protected bodySize(): number {
    return 8;
  }

  protected writeBody(b: Uint8Array, o: number): void {
    writeFeedbackSsrcs(b, o, this.senderSsrc, this.mediaSsrc);
  }
}
