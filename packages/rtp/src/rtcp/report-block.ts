/**
 * The reception report block shared by SR and RR (RFC 3550 §6.4.1):
 *
 * ```
 * |                 SSRC_n (SSRC of source)                       |
 * | fraction lost |       cumulative number of packets lost       |
 * |           extended highest sequence number received           |
 * |                      interarrival jitter                      |
 * |                         last SR (LSR)                         |
 * |                   delay since last SR (DLSR)                  |
 * ```
 */
import { RtcpParseError } from '../errors.js';
import { checkRange, type RtcpView, r32, slice, w32 } from './common.js';

/** One reception report block (24 octets). */
export interface ReportBlock {
  /** SSRC of the source this block reports on. */
  ssrc: number;
  /** Fraction lost since the previous report, as a fixed-point number with the binary point at the left (0..255). */
  fractionLost: number;
  /** Cumulative number of packets lost: signed 24 bits (duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | highest). */
  highestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from this source (0 if none). */
  lsr: number;
  /** Delay since that SR in units of 1/65536 s (0 if none). */
  dlsr: number;
}

/** Size of one report block in octets. */
export const REPORT_BLOCK_SIZE = 24;

/** Decodes a report block at `o` (24 octets, bounds checked by the caller). */
export function readReportBlock(b: Uint8Array, o: number): ReportBlock {
  return {
    ssrc: r32(b, o),
    fractionLost: b[o + 4]!,
    cumulativeLost: (((b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) << 8) >> 8,
    highestSeq: r32(b, o + 8),
    jitter: r32(b, o + 12),
    lsr: r32(b, o + 16),
    dlsr: r32(b, o + 20),
  };
}

/** Validates the fields of a report block; throws RangeError. */
export function checkReportBlock(r: ReportBlock): void {
  checkRange(r.ssrc, 0xffffffff, 'report SSRC');
  checkRange(r.fractionLost, 255, 'fraction lost');
  if (!Number.isInteger(r.cumulativeLost) || r.cumulativeLost < -0x800000 || r.cumulativeLost > 0x7fffff) {
    throw new RangeError(`RTCP cumulative lost must be a signed 24-bit integer, got ${r.cumulativeLost}`);
  }
  checkRange(r.highestSeq, 0xffffffff, 'extended highest sequence');
  checkRange(r.jitter, 0xffffffff, 'jitter');
  checkRange(r.lsr, 0xffffffff, 'LSR');
  checkRange(r.dlsr, 0xffffffff, 'DLSR');
}

/** Writes a report block at `o` (24 octets). */
export function writeReportBlock(b: Uint8Array, o: number, r: ReportBlock): void {
  checkReportBlock(r);
  w32(b, o, r.ssrc);
  w32(b, o + 4, ((r.fractionLost & 0xff) << 24) | (r.cumulativeLost & 0xffffff));
  w32(b, o + 8, r.highestSeq);
  w32(b, o + 12, r.jitter);
  w32(b, o + 16, r.lsr);
  w32(b, o + 20, r.dlsr);
}

/**
 * Reads the RC report blocks of the SR/RR at `v` starting at `o` into `into` and returns the profile-specific
 * extension octets that follow them up to the end of the body (RFC 3550 §6.4.1-§6.4.2). Throws
 * {@link RtcpParseError} ('bad-count') when RC blocks do not fit in the packet length.
 */
export function readReportBlocks(v: RtcpView, o: number, into: ReportBlock[], what: 'SR' | 'RR'): Uint8Array {
  const b = v.buf;
  if (o + v.count * REPORT_BLOCK_SIZE > v.bodyEnd) {
    throw new RtcpParseError('bad-count', v.offset, `RC=${v.count} report blocks do not fit in the ${what} length`);
  }
  for (let i = 0; i < v.count; i++, o += REPORT_BLOCK_SIZE) into.push(readReportBlock(b, o));
  return slice(b, o, v.bodyEnd);
}

/** Writes `reports` at b[o..] followed by the profile-specific `extension` (RFC 3550 §6.4.1-§6.4.2). */
export function writeReportBlocks(b: Uint8Array, o: number, reports: ReportBlock[], extension: Uint8Array): void {
  for (const r of reports) {
    writeReportBlock(b, o, r);
    o += REPORT_BLOCK_SIZE;
  }
  b.set(extension, o);
}
