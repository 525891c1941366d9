/** An RTCP packet of a type this library does not decode, kept raw (RFC 3550 §6.1: unknown types are ignored). */
import { checkRange, RtcpPacketBase, type RtcpView, slice, viewAt } from './common.js';

/** A raw RTCP packet: its type, count field and body (without header and padding). */
export class UnknownRtcpPacket extends RtcpPacketBase {
  /** Discriminant of the RTCP packet union. */
  get kind(): 'unknown' {
    return 'unknown';
  }
  readonly packetType: number;
  /** The 5-bit count / FMT field. */
  count: number;
  /** Body octets after the 4-octet header, before padding. */
  body: Uint8Array;

  /** Builds a raw packet. */
  constructor(packetType: number, count: number, body: Uint8Array) {
    super();
    checkRange(packetType, 255, 'packet type');
    this.packetType = packetType;
    this.count = count;
    this.body = body;
  }

  /** Reads one RTCP packet of any type from `buf` at `offset`, raw. Throws {@link RtcpParseError}. */
  static parse(buf: Uint8Array, offset = 0): UnknownRtcpPacket {
    return UnknownRtcpPacket.parseView(viewAt(buf, offset));
  }

  /** Wraps the packet at `v`. */
  static parseView(v: RtcpView): UnknownRtcpPacket {
    const u = new UnknownRtcpPacket(v.packetType, v.count, slice(v.buf, v.bodyStart, v.bodyEnd));
    u.paddingLength = v.paddingLength;
    return u;
  }

  protected countField(): number {
    return this.count;
  }

  protected bodySize(): number {
    return this.body.length;
  }

  protected writeBody(b: Uint8Array, o: number): void {
    b.set(this.body, o);
  }
}
