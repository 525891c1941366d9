/**
 * Extended Report, RFC 3611 §2 (PT 207): SSRC of the sender, then report blocks, each with
 * BT (8 bits), type-specific (8 bits), block length in 32-bit words (16 bits) and the block contents.
 * Every block is kept as a typed passthrough (`blockType`, `typeSpecific`, `body`); the Receiver Reference Time
 * (BT 4, §4.4) and DLRR (BT 5, §4.5) blocks also have decoders and builders.
 */
import { RtcpParseError } from '../errors.js';
import { checkRange, need, RtcpPacketBase, RtcpType, type RtcpView, r16, r32, singleView, w16, w32 } from './common.js';

/** XR block types (RFC 3611 §4). */
export const XrBlockType = {
  LOSS_RLE: 1,
  DUPLICATE_RLE: 2,
  PACKET_RECEIPT_TIMES: 3,
  RECEIVER_REFERENCE_TIME: 4,
  DLRR: 5,
  STATISTICS_SUMMARY: 6,
  VOIP_METRICS: 7,
} as const;

/** One XR report block (the body excludes its 4-octet block header; it is a multiple of 4 octets). */
export interface XrBlock {
  blockType: number;
  typeSpecific: number;
  body: Uint8Array;
}

/** One DLRR sub-block (RFC 3611 §4.5). */
export interface DlrrItem {
  ssrc: number;
  /** Middle 32 bits of the NTP time of the last RRTR received from `ssrc`. */
  lrr: number;
  /** Delay since that RRTR in 1/65536 s. */
  dlrr: number;
}

/** An RTCP XR packet (RFC 3611). */
export class ExtendedReport extends RtcpPacketBase {
  /** Discriminant of the RTCP packet union. */
  get kind(): 'xr' {
    return 'xr';
  }
  /** RTCP packet type (XR). */
  get packetType(): typeof RtcpType.XR {
    return RtcpType.XR;
  }
  /** SSRC of the packet originator. */
  ssrc: number;
  /** Report blocks in wire order. */
  blocks: XrBlock[];

  /** Builds an XR. */
  constructor(ssrc: number, blocks: XrBlock[] = []) {
    super();
    this.ssrc = ssrc;
    this.blocks = blocks;
  }

  /** A Receiver Reference Time block (BT 4) carrying a 64-bit NTP timestamp. */
  static rrtrBlock(ntpSeconds: number, ntpFraction: number): XrBlock {
    const body = new Uint8Array(8);
    w32(body, 0, ntpSeconds);
    w32(body, 4, ntpFraction);
    return { blockType: XrBlockType.RECEIVER_REFERENCE_TIME, typeSpecific: 0, body };
  }

  /** A DLRR block (BT 5). */
  static dlrrBlock(items: readonly DlrrItem[]): XrBlock {
    const body = new Uint8Array(12 * items.length);
    items.forEach((it, i) => {
      w32(body, 12 * i, it.ssrc);
      w32(body, 12 * i + 4, it.lrr);
      w32(body, 12 * i + 8, it.dlrr);
    });
    return { blockType: XrBlockType.DLRR, typeSpecific: 0, body };
  }

  /** Decodes a BT 4 block to its NTP timestamp, or undefined for another type or a short block. */
  static readRrtr(block: XrBlock): { ntpSeconds: number; ntpFraction: number } | undefined {
    if (block.blockType !== XrBlockType.RECEIVER_REFERENCE_TIME || block.body.length < 8) return undefined;
    return { ntpSeconds: r32(block.body, 0), ntpFraction: r32(block.body, 4) };
  }

  /** Decodes a BT 5 block to its sub-blocks, or undefined for another type. */
  static readDlrr(block: XrBlock): DlrrItem[] | undefined {
    if (block.blockType !== XrBlockType.DLRR) return undefined;
    const out: DlrrItem[] = [];
    const b = block.body;
    for (let o = 0; o + 12 <= b.length; o += 12) out.push({ ssrc: r32(b, o), lrr: r32(b, o + 4), dlrr: r32(b, o + 8) });
    return out;
  }

  /**
   * Parses one ExtendedReport from `buf` at `offset` (header included; bytes after the packet are not examined).
   * Throws {@link RtcpParseError}, also when the packet is of another type.
   */
  static parse(buf: Uint8Array, offset = 0): ExtendedReport {
    const v = singleView(buf, offset, RtcpType.XR);
    return ExtendedReport.parseView(v);
  }

  /** Parses the XR at `v`. Throws {@link RtcpParseError}. */
  static parseView(v: RtcpView): ExtendedReport {
    const b = v.buf;
    need(v, v.bodyStart, 4, 'XR SSRC');
    const xr = new ExtendedReport(r32(b, v.bodyStart));
    let o = v.bodyStart + 4;
    while (o < v.bodyEnd) {
      need(v, o, 4, 'XR block header');
      const len = r16(b, o + 2) * 4;
      if (o + 4 + len > v.bodyEnd) throw new RtcpParseError('bad-xr', o, `XR block of ${len} octets overruns`);
      xr.blocks.push({ blockType: b[o]!, typeSpecific: b[o + 1]!, body: b.subarray(o + 4, o + 4 + len) });
      o += 4 + len;
    }
    xr.paddingLength = v.paddingLength;
    return xr;
  }

  protected countField(): number {
    return 0;
  }

  protected bodySize(): number {
    let n = 4;
    for (const bl of this.blocks) n += 4 + bl.body.length;
    return n;
  }

  protected writeBody(b: Uint8Array, o: number): void {
    checkRange(this.ssrc, 0xffffffff, 'XR SSRC');
    w32(b, o, this.ssrc);
    o += 4;
    for (const bl of this.blocks) {
      checkRange(bl.blockType, 255, 'XR block type');
      checkRange(bl.typeSpecific, 255, 'XR type-specific');
      if (bl.body.length % 4 !== 0) throw new RangeError('XR block body must be a multiple of 4 octets');
      b[o] = bl.blockType;
      b[o + 1] = bl.typeSpecific;
      w16(b, o + 2, bl.body.length / 4);
      b.set(bl.body, o + 4);
      o += 4 + bl.body.length;
    }
  }
}
