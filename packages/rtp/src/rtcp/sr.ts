/**
 * Sender Report, RFC 3550 §6.4.1 (PT 200):
 * header, SSRC of sender, NTP timestamp (64 bits), RTP timestamp, sender's packet count, sender's octet count,
 * then RC report blocks and optional profile-specific extensions.
 */
import {
  checkRange,
  EMPTY_BYTES,
  need,
  RtcpPacketBase,
  RtcpType,
  type RtcpView,
  r32,
  singleView,
  w32,
} from './common.js';
import { REPORT_BLOCK_SIZE, type ReportBlock, readReportBlocks, writeReportBlocks } from './report-block.js';

/** Fields of a {@link SenderReport}. */
export interface SenderReportInit {
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports?: ReportBlock[];
  extension?: Uint8Array;
}

/** An RTCP Sender Report (RFC 3550 §6.4.1). */
export class SenderReport extends RtcpPacketBase {
  /** Discriminant of the RTCP packet union. */
  get kind(): 'sr' {
    return 'sr';
  }
  /** RTCP packet type (SR). */
  get packetType(): typeof RtcpType.SR {
    return RtcpType.SR;
  }
  /** SSRC of the sender. */
  ssrc: number;
  /** NTP timestamp, integer seconds since 1900 (RFC 3550 §4). */
  ntpSeconds: number;
  /** NTP timestamp fraction (units of 2^-32 s). */
  ntpFraction: number;
  /** The RTP timestamp corresponding to the NTP timestamp. */
  rtpTimestamp: number;
  /** Packets sent since the start of transmission. */
  packetCount: number;
  /** Payload octets sent since the start of transmission. */
  octetCount: number;
  /** Reception report blocks (at most 31). */
  reports: ReportBlock[];
  /** Profile-specific extension octets after the report blocks (multiple of 4). */
  extension: Uint8Array;

  /** Builds an SR from fields. */
  constructor(init: SenderReportInit) {
    super();
    this.ssrc = init.ssrc;
    this.ntpSeconds = init.ntpSeconds;
    this.ntpFraction = init.ntpFraction;
    this.rtpTimestamp = init.rtpTimestamp;
    this.packetCount = init.packetCount;
    this.octetCount = init.octetCount;
    this.reports = init.reports ?? [];
    this.extension = init.extension ?? EMPTY_BYTES;
  }

  /**
   * Parses one SenderReport from `buf` at `offset` (header included; bytes after the packet are not examined).
   * Throws {@link RtcpParseError}, also when the packet is of another type.
   */
  static parse(buf: Uint8Array, offset = 0): SenderReport {
    const v = singleView(buf, offset, RtcpType.SR);
    return SenderReport.parseView(v);
  }

  /** Parses the SR at `v` (called by the compound parser). Throws {@link RtcpParseError}. */
  static parseView(v: RtcpView): SenderReport {
    const b = v.buf;
    let o = v.bodyStart;
    need(v, o, 24, 'SR sender info');
    const sr = new SenderReport({
      ssrc: r32(b, o),
      ntpSeconds: r32(b, o + 4),
      ntpFraction: r32(b, o + 8),
      rtpTimestamp: r32(b, o + 12),
      packetCount: r32(b, o + 16),
      octetCount: r32(b, o + 20),
    });
    o += 24;
    sr.extension = readReportBlocks(v, o, sr.reports, 'SR');
    sr.paddingLength = v.paddingLength;
    return sr;
  }

  /** The 64-bit NTP timestamp as milliseconds since 1900-01-01. */
  get ntpMs(): number {
    return this.ntpSeconds * 1000 + (this.ntpFraction / 4294967296) * 1000;
  }

  protected countField(): number {
    return this.reports.length;
  }

  protected bodySize(): number {
    return 24 + REPORT_BLOCK_SIZE * this.reports.length + this.extension.length;
  }

  protected writeBody(b: Uint8Array, o: number): void {
    checkRange(this.ssrc, 0xffffffff, 'SSRC');
    checkRange(this.ntpSeconds, 0xffffffff, 'NTP seconds');
    checkRange(this.ntpFraction, 0xffffffff, 'NTP fraction');
    checkRange(this.rtpTimestamp, 0xffffffff, 'RTP timestamp');
    checkRange(this.packetCount, 0xffffffff, 'packet count');
    checkRange(this.octetCount, 0xffffffff, 'octet count');
    w32(b, o, this.ssrc);
    w32(b, o + 4, this.ntpSeconds);
    w32(b, o + 8, this.ntpFraction);
    w32(b, o + 12, this.rtpTimestamp);
    w32(b, o + 16, this.packetCount);
    w32(b, o + 20, this.octetCount);
    o += 24;
    writeReportBlocks(b, o, this.reports, this.extension);
  }
}
