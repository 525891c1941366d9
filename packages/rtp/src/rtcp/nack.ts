/**
 * Generic NACK, RFC 4585 §6.2.1 (PT 205 RTPFB, FMT 1). Each FCI entry is a PID (a lost sequence number) and a
 * BLP bitmask: bit i (LSB = 0) set means PID+i+1 (mod 2^16) is lost too.
 */
import { RtcpParseError } from '../errors.js';
import {
  checkRange,
  need,
  RtcpPacketBase,
  RtcpType,
  type RtcpView,
  r16,
  r32,
  singleView,
  w16,
  writeFeedbackSsrcs,
} from './common.js';

/** One NACK FCI entry. */
export interface NackPair {
  /** Packet ID: a lost sequence number. */
  pid: number;
  /** Bitmask of following lost packets. */
  blp: number;
}

/** An RTCP Generic NACK (RFC 4585 §6.2.1). */
export class GenericNack extends RtcpPacketBase {
  /** Discriminant of the RTCP packet union. */
  get kind(): 'nack' {
    return 'nack';
  }
  /** RTCP packet type (RTPFB). */
  get packetType(): typeof RtcpType.RTPFB {
    return RtcpType.RTPFB;
  }
  /** SSRC of the packet sender. */
  senderSsrc: number;
  /** SSRC of the media source the losses belong to. */
  mediaSsrc: number;
  /** FCI entries. */
  pairs: NackPair[];

  /** Builds a NACK from FCI entries. */
  constructor(senderSsrc: number, mediaSsrc: number, pairs: NackPair[] = []) {
    super();
    this.senderSsrc = senderSsrc;
    this.mediaSsrc = mediaSsrc;
    this.pairs = pairs;
  }

  /**
   * Builds a NACK from lost sequence numbers, given in sending order (which may wrap past 65535). Each entry
   * starts at the first number not yet covered and absorbs the following ones within 16 (mod 2^16).
   */
  static fromSequenceNumbers(senderSsrc: number, mediaSsrc: number, lost: readonly number[]): GenericNack {
    const pairs: NackPair[] = [];
    let cur: NackPair | undefined;
    for (const s of lost) {
      checkRange(s, 0xffff, 'NACK sequence number');
      if (cur !== undefined) {
        const d = (s - cur.pid) & 0xffff;
        if (d === 0) continue;
        if (d <= 16) {
          cur.blp |= 1 << (d - 1);
          continue;
        }
      }
      cur = { pid: s, blp: 0 };
      pairs.push(cur);
    }
    return new GenericNack(senderSsrc, mediaSsrc, pairs);
  }

  /**
   * Parses one GenericNack from `buf` at `offset` (header included; bytes after the packet are not examined).
   * Throws {@link RtcpParseError}, also when the packet is of another type.
   */
  static parse(buf: Uint8Array, offset = 0): GenericNack {
    const v = singleView(buf, offset, RtcpType.RTPFB, 1);
    return GenericNack.parseView(v);
  }

  /** Parses the NACK at `v`. Throws {@link RtcpParseError}. */
  static parseView(v: RtcpView): GenericNack {
    const b = v.buf;
    need(v, v.bodyStart, 8, 'NACK SSRCs');
    const n = new GenericNack(r32(b, v.bodyStart), r32(b, v.bodyStart + 4));
    const fciLen = v.bodyEnd - v.bodyStart - 8;
    if (fciLen % 4 !== 0) throw new RtcpParseError('bad-fci', v.bodyStart + 8, 'NACK FCI is not a multiple of 4');
    for (let o = v.bodyStart + 8; o < v.bodyEnd; o += 4) n.pairs.push({ pid: r16(b, o), blp: r16(b, o + 2) });
    n.paddingLength = v.paddingLength;
    return n;
  }

  /** All lost sequence numbers in FCI order (PID, then its BLP bits ascending), wrapping modulo 2^16. */
  lostSequenceNumbers(): number[] {
    const out: number[] = [];
    for (const p of this.pairs) {
      out.push(p.pid);
      for (let i = 0; i < 16; i++) if (p.blp & (1 << i)) out.push((p.pid + i + 1) & 0xffff);
    }
    return out;
  }

  protected countField(): number {
    return 1;
  }

  protected bodySize(): number {
    return 8 + 4 * this.pairs.length;
  }

  protected writeBody(b: Uint8Array, o: number): void {
    writeFeedbackSsrcs(b, o, this.senderSsrc, this.mediaSsrc);
    o += 8;
    for (const p of this.pairs) {
      checkRange(p.pid, 0xffff, 'NACK PID');
      checkRange(p.blp, 0xffff, 'NACK BLP');
      w16(b, o, p.pid);
      w16(b, o + 2, p.blp);
      o += 4;
    }
  }
}
