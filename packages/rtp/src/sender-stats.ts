/**
 * Sender-side statistics (RFC 3550 §6.4.1): packet and octet counts and the mapping between the wall clock
 * (NTP) and the RTP timestamp, from which Sender Reports are produced. Sans-I/O.
 */
import { ntpFromUnixMs } from './ntp.js';
import type { ReportBlock } from './rtcp/report-block.js';
import { SenderReport } from './rtcp/sr.js';

/** Options of {@link SenderStats}. */
export interface SenderStatsOptions {
  /** Our SSRC. */
  ssrc: number;
  /** RTP clock rate in Hz. */
  clockRate: number;
}

/** Statistics of one local RTP sender. */
export class SenderStats {
  /** Our SSRC. */
  ssrc: number;
  /** RTP clock rate in Hz. */
  readonly clockRate: number;
  /** Packets sent (wraps modulo 2^32 on the wire). */
  packetCount = 0;
  /** Payload octets sent, excluding headers and padding (§6.4.1). */
  octetCount = 0;
  /** RTP timestamp of the last packet sent. */
  lastRtpTimestamp = 0;
  /** Monotonic time (ms) at which the last packet was sent, or -1 if none yet. */
  lastSentMs = -1;

  /** Creates the statistics of one sender. */
  constructor(opts: SenderStatsOptions) {
    if (!(opts.clockRate > 0)) throw new RangeError('clockRate must be > 0');
    this.ssrc = opts.ssrc;
    this.clockRate = opts.clockRate;
  }

  /** Whether any packet has been sent (an SR rather than an RR is due, §6.4). */
  get hasSent(): boolean {
    return this.lastSentMs >= 0;
  }

  /** Records one sent packet. */
  onPacketSent(rtpTimestamp: number, payloadBytes: number, nowMs: number): void {
    this.packetCount++;
    this.octetCount += payloadBytes;
    this.lastRtpTimestamp = rtpTimestamp >>> 0;
    this.lastSentMs = nowMs;
  }

  /**
   * The RTP timestamp corresponding to `nowMs`, extrapolated from the last packet sent at the clock rate
   * (§6.4.1: "the same time as the NTP timestamp ... but in the same units and with the same random offset").
   */
  rtpTimestampAt(nowMs: number): number {
    if (this.lastSentMs < 0) return this.lastRtpTimestamp;
    const elapsed = Math.round(((nowMs - this.lastSentMs) * this.clockRate) / 1000);
    return (this.lastRtpTimestamp + elapsed) >>> 0;
  }

  /**
   * A Sender Report for `nowMs` (monotonic, for the RTP timestamp) and `unixMs` (wall clock, for the NTP
   * timestamp), carrying `reports`.
   */
  senderReport(nowMs: number, unixMs: number, reports: ReportBlock[] = []): SenderReport {
    const ntp = ntpFromUnixMs(unixMs);
    return new SenderReport({
      ssrc: this.ssrc,
      ntpSeconds: ntp.seconds,
      ntpFraction: ntp.fraction,
      rtpTimestamp: this.rtpTimestampAt(nowMs),
      packetCount: this.packetCount >>> 0,
      octetCount: this.octetCount >>> 0,
      reports,
    });
  }
}
