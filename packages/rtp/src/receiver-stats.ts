/**
 * Per-source reception statistics (RFC 3550 Appendix A): sequence number validation with probation and restart
 * (A.1), expected/lost/fraction lost (A.3), interarrival jitter (A.8) and LSR/DLSR from the last SR (§6.4.1).
 * Sans-I/O: every input carries the arrival time `nowMs` from the caller's clock.
 */
import { msToNtpShort, ntpMiddle32 } from './ntp.js';
import type { ReportBlock } from './rtcp/report-block.js';

const RTP_SEQ_MOD = 1 << 16;

/** Options of {@link ReceiverStats}. */
export interface ReceiverStatsOptions {
  /** SSRC of the source. */
  ssrc: number;
  /** RTP clock rate of the payload format in Hz (e.g. 8000 for PCMU), for the jitter computation. */
  clockRate: number;
  /** Sequential packets needed before a source is valid (A.1 MIN_SEQUENTIAL, default 2; 0 = trust the first). */
  probation?: number;
  /** A.1 MAX_DROPOUT, default 3000. */
  maxDropout?: number;
  /** A.1 MAX_MISORDER, default 100. */
  maxMisorder?: number;
}

/** Reception statistics of one synchronisation source. */
export class ReceiverStats {
  /** SSRC of the source. */
  readonly ssrc: number;
  /** RTP clock rate in Hz. */
  readonly clockRate: number;
  /** Highest sequence number seen (A.1 `max_seq`). */
  maxSeq = 0;
  /** Shifted count of sequence number cycles (A.1 `cycles`, a multiple of 65536). */
  cycles = 0;
  /** Base sequence number (A.1 `base_seq`). */
  baseSeq = 0;
  /** Packets received and accepted (A.1 `received`). */
  received = 0;
  /** Every packet fed to {@link ReceiverStats.update}, valid or not. */
  packetsSeen = 0;
  /** Payload octets of the accepted packets. */
  bytesReceived = 0;
  /** Running interarrival jitter estimate in timestamp units (A.8), unrounded. */
  jitterEstimate = 0;
  /** Arrival time (ms) of the last accepted packet, or -1. */
  lastPacketMs = -1;
  /** When the owner first saw this source (ms; set by the owner, e.g. a MediaSession), or -1. */
  firstSeenMs = -1;

  private readonly minSequential: number;
  private readonly maxDropout: number;
  private readonly maxMisorder: number;
  private badSeq = RTP_SEQ_MOD + 1;
  private probationLeft = 0;
  private started = false;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private haveTransit = false;
  private lastArrivalUnits = 0;
  private lastTimestamp = 0;
  private lastSrCompact = 0;
  private lastSrArrivalMs = -1;

  /** Creates the statistics for one source. */
  constructor(opts: ReceiverStatsOptions) {
    if (!(opts.clockRate > 0)) throw new RangeError('clockRate must be > 0');
    this.ssrc = opts.ssrc;
    this.clockRate = opts.clockRate;
    this.minSequential = opts.probation ?? 2;
    this.maxDropout = opts.maxDropout ?? 3000;
    this.maxMisorder = opts.maxMisorder ?? 100;
  }

  /** Whether the source has passed probation (A.1). */
  get valid(): boolean {
    return this.started && this.probationLeft === 0;
  }

  /** Extended highest sequence number received (A.3 `extended_max`). */
  get extendedHighestSeq(): number {
    return this.cycles + this.maxSeq;
  }

  /** Packets expected so far (A.3). */
  get expected(): number {
    return this.valid ? this.extendedHighestSeq - this.baseSeq + 1 : 0;
  }

  /** Cumulative packets lost (A.3), clamped to the signed 24-bit range of the report block. */
  get cumulativeLost(): number {
    const lost = this.expected - this.received;
    return lost > 0x7fffff ? 0x7fffff : Math.max(lost, -0x800000);
  }

  /** Interarrival jitter as reported (A.8: the estimate truncated to an integer). */
  get jitter(): number {
    return Math.floor(this.jitterEstimate);
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /**
   * Feeds one received packet (RFC 3550 A.1 `update_seq` then A.8). Returns true when the packet is counted
   * (valid source, in sequence, duplicate or reordered); false while on probation or after a large jump that
   * may be a restart (a second, sequential packet after the jump restarts the counts).
   */
  update(seq: number, rtpTimestamp: number, nowMs: number, payloadBytes = 0): boolean {
    this.packetsSeen++;
    seq &= 0xffff;
    if (!this.started) {
      this.started = true;
      this.initSeq(seq);
      if (this.minSequential === 0) {
        this.received = 1;
        this.accepted(rtpTimestamp, nowMs, payloadBytes);
        return true;
      }
      this.maxSeq = (seq - 1) & 0xffff;
      this.probationLeft = this.minSequential;
    }
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (this.probationLeft > 0) {
      // A.1: the packet must be in sequence to count towards probation.
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probationLeft--;
        this.maxSeq = seq;
        if (this.probationLeft === 0) {
          this.initSeq(seq);
          this.received++;
          this.accepted(rtpTimestamp, nowMs, payloadBytes);
          return true;
        }
      } else {
        this.probationLeft = this.minSequential - 1;
        this.maxSeq = seq;
      }
      return false;
    }
    if (udelta < this.maxDropout) {
      // In order, with a permissible gap.
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD; // wrapped
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - this.maxMisorder) {
      // The sequence number made a very large jump.
      if (seq === this.badSeq) {
        // Two sequential packets: the other side restarted without telling us, so re-sync (A.1).
        this.initSeq(seq);
        this.haveTransit = false;
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    // else: duplicate or reordered packet, counted.
    this.received++;
    this.accepted(rtpTimestamp, nowMs, payloadBytes);
    return true;
  }

  /** A.8 jitter update and bookkeeping for an accepted packet. */
  private accepted(rtpTimestamp: number, nowMs: number, payloadBytes: number): void {
    this.bytesReceived += payloadBytes;
    this.lastPacketMs = nowMs;
    const arrival = (nowMs * this.clockRate) / 1000;
    const ts = rtpTimestamp >>> 0;
    if (this.haveTransit) {
      // D(i-1,i) = (Rj - Ri) - (Sj - Si); the timestamp difference is taken modulo 2^32 as a signed value.
      let d = arrival - this.lastArrivalUnits - ((ts - this.lastTimestamp) | 0);
      if (d < 0) d = -d;
      this.jitterEstimate += (d - this.jitterEstimate) / 16;
    }
    this.haveTransit = true;
    this.lastArrivalUnits = arrival;
    this.lastTimestamp = ts;
  }

  /** Records a Sender Report from this source (its NTP timestamp and our arrival time) for LSR/DLSR. */
  onSenderReport(ntpSeconds: number, ntpFraction: number, nowMs: number): void {
    this.lastSrCompact = ntpMiddle32(ntpSeconds, ntpFraction);
    this.lastSrArrivalMs = nowMs;
  }

  /**
   * The reception report block for this source at `nowMs` (RFC 3550 §6.4.1, A.3). Computing it closes the
   * reporting interval: the next block's fraction lost covers the packets after this one.
   */
  reportBlock(nowMs: number): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(fraction, 255),
      cumulativeLost: this.cumulativeLost,
      highestSeq: this.extendedHighestSeq >>> 0,
      jitter: Math.min(this.jitter, 0xffffffff),
      lsr: this.lastSrCompact,
      dlsr: this.lastSrArrivalMs < 0 ? 0 : msToNtpShort(nowMs - this.lastSrArrivalMs),
    };
  }
}
