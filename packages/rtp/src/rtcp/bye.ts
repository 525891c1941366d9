/**
 * Goodbye, RFC 3550 §6.6 (PT 203): SC SSRC/CSRC identifiers, then optionally a length octet and a UTF-8 reason,
 * padded with zeros to a 32-bit boundary.
 */
import { utf8Encode } from '@mdh/bytes';
import { RtcpParseError } from '../errors.js';
import {
  checkRange,
  decodeText,
  need,
  RtcpPacketBase,
  RtcpType,
  type RtcpView,
  r32,
  singleView,
  w32,
} from './common.js';

/** An RTCP BYE packet (RFC 3550 §6.6). */
export class Goodbye extends RtcpPacketBase {
  /** Discriminant of the RTCP packet union. */
  get kind(): 'bye' {
    return 'bye';
  }
  /** RTCP packet type (BYE). */
  get packetType(): typeof RtcpType.BYE {
    return RtcpType.BYE;
  }
  /** Sources leaving (at most 31). */
  ssrcs: number[];
  /** Reason for leaving, if any (at most 255 UTF-8 octets). */
  reason: string | undefined;

  /** Builds a BYE. */
  constructor(ssrcs: number[] = [], reason?: string) {
    super();
    this.ssrcs = ssrcs;
    this.reason = reason;
  }

  /**
   * Parses one Goodbye from `buf` at `offset` (header included; bytes after the packet are not examined).
   * Throws {@link RtcpParseError}, also when the packet is of another type.
   */
  static parse(buf: Uint8Array, offset = 0): Goodbye {
    const v = singleView(buf, offset, RtcpType.BYE);
    return Goodbye.parseView(v);
  }

  /** Parses the BYE at `v` (called by the compound parser). Throws {@link RtcpParseError}. */
  static parseView(v: RtcpView): Goodbye {
    const b = v.buf;
    let o = v.bodyStart;
    need(v, o, 4 * v.count, 'BYE SSRC list');
    const bye = new Goodbye();
    for (let i = 0; i < v.count; i++, o += 4) bye.ssrcs.push(r32(b, o));
    if (o < v.bodyEnd) {
      const len = b[o]!;
      if (o + 1 + len > v.bodyEnd)
        throw new RtcpParseError('bad-bye', o, `reason of ${len} octets runs past the packet`);
      bye.reason = decodeText(b, o + 1, o + 1 + len);
    }
    bye.paddingLength = v.paddingLength;
    return bye;
  }

  protected countField(): number {
    return this.ssrcs.length;
  }

  protected bodySize(): number {
    let n = 4 * this.ssrcs.length;
    if (this.reason !== undefined) n += (1 + reasonBytes(this.reason).length + 3) & ~3;
    return n;
  }

  protected writeBody(b: Uint8Array, o: number): void {
    for (const s of this.ssrcs) {
      checkRange(s, 0xffffffff, 'BYE SSRC');
      w32(b, o, s);
      o += 4;
    }
    if (this.reason !== undefined) {
      const r = reasonBytes(this.reason);
      const end = o + ((1 + r.length + 3) & ~3);
      b[o] = r.length;
      b.set(r, o + 1);
      b.fill(0, o + 1 + r.length, end);
    }
  }
}

function reasonBytes(s: string): Uint8Array {
  const r = utf8Encode(s);
  if (r.length > 255) throw new RangeError(`BYE reason of ${r.length} octets exceeds 255`);
  return r;
}
