/**
 * Application-defined packet, RFC 3550 §6.7 (PT 204): subtype in the count field, SSRC/CSRC, a four-character
 * ASCII name, then application-dependent data (a multiple of 32 bits).
 */
import { latin1Decode, latin1Encode } from '@mdh/bytes';
import {
  checkRange,
  EMPTY_BYTES,
  need,
  RtcpPacketBase,
  RtcpType,
  type RtcpView,
  r32,
  singleView,
  slice,
  w32,
} from './common.js';

/** Fields of an {@link AppPacket}. */
export interface AppPacketInit {
  subtype?: number;
  ssrc: number;
  name: string;
  data?: Uint8Array;
}

/** An RTCP APP packet (RFC 3550 §6.7). */
export class AppPacket extends RtcpPacketBase {
  /** Discriminant of the RTCP packet union. */
  get kind(): 'app' {
    return 'app';
  }
  /** RTCP packet type (APP). */
  get packetType(): typeof RtcpType.APP {
    return RtcpType.APP;
  }
  /** Subtype (0..31). */
  subtype: number;
  /** SSRC/CSRC of the originator. */
  ssrc: number;
  /** Four ASCII characters. */
  name: string;
  /** Application data. */
  data: Uint8Array;

  /** Builds an APP packet. */
  constructor(init: AppPacketInit) {
    super();
    this.subtype = init.subtype ?? 0;
    this.ssrc = init.ssrc;
    this.name = init.name;
    this.data = init.data ?? EMPTY_BYTES;
  }

  /**
   * Parses one AppPacket from `buf` at `offset` (header included; bytes after the packet are not examined).
   * Throws {@link RtcpParseError}, also when the packet is of another type.
   */
  static parse(buf: Uint8Array, offset = 0): AppPacket {
    const v = singleView(buf, offset, RtcpType.APP);
    return AppPacket.parseView(v);
  }

  /** Parses the APP packet at `v` (called by the compound parser). Throws {@link RtcpParseError}. */
  static parseView(v: RtcpView): AppPacket {
    const b = v.buf;
    const o = v.bodyStart;
    need(v, o, 8, 'APP SSRC and name');
    const app = new AppPacket({
      subtype: v.count,
      ssrc: r32(b, o),
      name: latin1Decode(b.subarray(o + 4, o + 8)),
      data: slice(b, o + 8, v.bodyEnd),
    });
    app.paddingLength = v.paddingLength;
    return app;
  }

  protected countField(): number {
    return this.subtype;
  }

  protected bodySize(): number {
    return 8 + this.data.length;
  }

  protected writeBody(b: Uint8Array, o: number): void {
    checkRange(this.ssrc, 0xffffffff, 'APP SSRC');
    const n = latin1Encode(this.name);
    if (n.length !== 4) throw new RangeError(`APP name must be 4 ASCII characters, got ${JSON.stringify(this.name)}`);
    w32(b, o, this.ssrc);
    b.set(n, o + 4);
    b.set(this.data, o + 8);
  }
}
