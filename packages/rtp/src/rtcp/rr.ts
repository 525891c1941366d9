/**
 * Receiver Report, RFC 3550 §6.4.2 (PT 201): header, SSRC of packet sender, RC report blocks and optional
 * profile-specific extensions.
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

/** Fields of a {@link ReceiverReport}. */
export interface ReceiverReportInit {
  ssrc: number;
  reports?: ReportBlock[];
  extension?: Uint8Array;
}

/** An RTCP Receiver Report (RFC 3550 §6.4.2). */
export class ReceiverReport extends RtcpPacketBase {
  /** Discriminant of the RTCP packet union. */
  get kind(): 'rr' {
    return 'rr';
  }
  /** RTCP packet type (RR). */
  get packetType(): typeof RtcpType.RR {
    return RtcpType.RR;
  }
  /** SSRC of the packet sender. */
  ssrc: number;
  /** Reception report blocks (at most 31). */
  reports: ReportBlock[];
  /** Profile-specific extension octets after the report blocks (multiple of 4). */
  extension: Uint8Array;

  /** Builds an RR from fields. */
  constructor(init: ReceiverReportInit) {
    super();
    this.ssrc = init.ssrc;
    this.reports = init.reports ?? [];
    this.extension = init.extension ?? EMPTY_BYTES;
  }

  /**
   * Parses one ReceiverReport from `buf` at `offset` (header included; bytes after the packet are not examined).
   * Throws {@link RtcpParseError}, also when the packet is of another type.
   */
  static parse(buf: Uint8Array, offset = 0): ReceiverReport {
    const v = singleView(buf, offset, RtcpType.RR);
    return ReceiverReport.parseView(v);
  }

  /** Parses the RR at `v` (called by the compound parser). Throws {@link RtcpParseError}. */
  static parseView(v: RtcpView): ReceiverReport {
    const b = v.buf;
    let o = v.bodyStart;
    need(v, o, 4, 'RR SSRC');
    const rr = new ReceiverReport({ ssrc: r32(b, o) });
    o += 4;
    rr.extension = readReportBlocks(v, o, rr.reports, 'RR');
    rr.paddingLength = v.paddingLength;
    return rr;
  }

  protected countField(): number {
    return this.reports.length;
  }

  protected bodySize(): number {
    return 4 + REPORT_BLOCK_SIZE * this.reports.length + this.extension.length;
  }

  protected writeBody(b: Uint8Array, o: number): void {
    checkRange(this.ssrc, 0xffffffff, 'SSRC');
    w32(b, o, this.ssrc);
    o += 4;
    writeReportBlocks(b, o, this.reports, this.extension);
  }
}
