/**
 * RTCP transmission interval and timer rules, RFC 3550 §6.3 and Appendix A.7: the interval computation
 * (`rtcp_interval`), timer reconsideration (`OnExpire`, §6.3.6), reverse reconsideration when members leave
 * (§6.3.4) and BYE back-off (§6.3.7). Sans-I/O: times are milliseconds from the caller's clock, and the random
 * source is injected so a run is replayable.
 */

import type { CoreOutput } from '@mdh/loop';

/** A.7 `COMPENSATION`: e − 3/2, compensating for the timer reconsideration converging low. */
export const RTCP_COMPENSATION = Math.E - 1.5;

/** Options of {@link RtcpScheduler}. */
export interface RtcpSchedulerOptions {
  /** Session bandwidth in bits per second (RFC 3550 §6.2), e.g. 64000 for one PCMU stream. */
  sessionBandwidth: number;
  /** Fraction of the session bandwidth given to RTCP (default 0.05, §6.2). */
  rtcpFraction?: number;
  /** Fraction of the RTCP bandwidth given to senders (default 0.25, A.7 RTCP_SENDER_BW_FRACTION). */
  senderFraction?: number;
  /** Minimum interval in ms (A.7 RTCP_MIN_TIME, default 5000; halved for the first report). */
  minIntervalMs?: number;
  /** Initial average compound RTCP size in octets including UDP/IP headers (default 100). */
  initialAvgRtcpSize?: number;
  /** Uniform random source in [0, 1) (default Math.random). */
  random?: () => number;
  /** Start time in ms. */
  now: number;
}

/**
 * What the scheduler asks of its caller when a transmission is due: send a compound report (then call
 * {@link RtcpScheduler.reportSent}) or send the BYE and stop (§6.3.7).
 */
export type RtcpSchedulerEvent = { type: 'send-report' } | { type: 'send-bye' };

/**
 * One output of {@link RtcpScheduler.pollOutput}: an event, or the next deadline (`tn`, or `null` once the BYE is
 * due). The scheduler builds no packets, so it yields no datagrams.
 */
export type RtcpSchedulerOutput = CoreOutput<RtcpSchedulerEvent>;

/** The RTCP timer of one participant (RFC 3550 A.7). */
export class RtcpScheduler {
  /** `tp`: the last time an RTCP packet was transmitted (ms). */
  tp: number;
  /** `tn`: the next scheduled transmission time (ms). */
  tn: number;
  /** `pmembers`: members when `tn` was last recomputed. */
  pmembers = 1;
  /** `members`: current estimate of session members, including ourselves. */
  members = 1;
  /** `senders`: current estimate of session members that sent RTP recently, including ourselves. */
  senders = 0;
  /** `we_sent`: whether we sent RTP since the second-to-last report. */
  weSent = false;
  /** `avg_rtcp_size`: average compound RTCP size in octets (incl. UDP/IP). */
  avgRtcpSize: number;
  /** `initial`: true until the first RTCP packet is sent. */
  initial = true;
  /** Whether we are leaving (BYE scheduled, §6.3.7). */
  leaving = false;

  private readonly outputs: RtcpSchedulerOutput[] = [];
  /** The deadline last yielded by {@link RtcpScheduler.pollOutput} (`undefined`: none yet). */
  private polledDeadline: number | null | undefined;
  private stopped = false;
  private readonly rtcpBw: number;
  private readonly senderFraction: number;
  private readonly minTimeS: number;
  private readonly random: () => number;

  /** Creates the scheduler and computes the first transmission time. */
  constructor(opts: RtcpSchedulerOptions) {
    if (!(opts.sessionBandwidth > 0)) throw new RangeError('sessionBandwidth must be > 0 bits/s');
    const frac = opts.rtcpFraction ?? 0.05;
    this.rtcpBw = (opts.sessionBandwidth * frac) / 8; // octets per second
    this.senderFraction = opts.senderFraction ?? 0.25;
    this.minTimeS = (opts.minIntervalMs ?? 5000) / 1000;
    this.random = opts.random ?? Math.random;
    this.avgRtcpSize = opts.initialAvgRtcpSize ?? 100;
    this.tp = opts.now;
    this.tn = opts.now + this.interval();
  }

  /** The RTCP bandwidth in octets per second. */
  get rtcpBandwidth(): number {
    return this.rtcpBw;
  }

  /** The next deadline at which {@link RtcpScheduler.handleTimeout} should be called. */
  get nextDeadline(): number {
    return this.tn;
  }

  /** A.7 `rtcp_interval` without randomisation, in seconds. */
  private baseIntervalS(initial: boolean): number {
    let minTime = this.minTimeS;
    if (initial) minTime /= 2;
    let n = this.members;
    let bw = this.rtcpBw;
    if (this.senders <= this.members * this.senderFraction) {
      if (this.weSent) {
        bw *= this.senderFraction;
        n = this.senders;
      } else {
        bw *= 1 - this.senderFraction;
        n -= this.senders;
      }
    }
    let t = (this.avgRtcpSize * n) / bw;
    if (t < minTime) t = minTime;
    return t;
  }

  /** A.7 `rtcp_interval`: a randomised interval in ms (uniform in [0.5, 1.5] × T, divided by e − 3/2). */
  interval(): number {
    const t = this.baseIntervalS(this.initial) * (this.random() + 0.5);
    return (t / RTCP_COMPENSATION) * 1000;
  }

  /** The deterministic interval Td in ms (§6.3.5), used for member and sender timeouts. */
  deterministicInterval(): number {
    return this.baseIntervalS(false) * 1000;
  }

  /**
   * A.7 `OnExpire` with timer reconsideration (§6.3.6). Call at or after {@link RtcpScheduler.nextDeadline}, then
   * drain {@link RtcpScheduler.pollOutput}: a `send-report` event (send a compound and call
   * {@link RtcpScheduler.reportSent}), a `send-bye` event (send the BYE and stop), or only a new, later deadline.
   */
  handleTimeout(now: number): void {
    if (this.stopped || now < this.tn) return;
    const t = this.interval();
    const tn = this.tp + t;
    if (this.leaving) {
      if (tn <= now) {
        this.stopped = true;
        this.outputs.push({ kind: 'event', event: { type: 'send-bye' } });
        return;
      }
      this.tn = tn;
      return;
    }
    this.pmembers = this.members;
    if (tn <= now) {
      this.outputs.push({ kind: 'event', event: { type: 'send-report' } });
      return;
    }
    this.tn = tn;
  }

  /**
   * The next output, or `undefined` when there is none: queued events first, then the deadline (`tn`) when it
   * changed since it was last yielded (`null` once the BYE has been asked for).
   */
  pollOutput(): RtcpSchedulerOutput | undefined {
    const ev = this.outputs.shift();
    if (ev) return ev;
    const at = this.stopped ? null : this.tn;
    if (at === this.polledDeadline) return undefined;
    this.polledDeadline = at;
    return { kind: 'deadline', at };
  }

  /** After sending a report of `size` octets (incl. UDP/IP headers): updates the average and reschedules. */
  reportSent(now: number, size: number): void {
    this.avgRtcpSize = size / 16 + (15 / 16) * this.avgRtcpSize;
    this.tp = now;
    this.initial = false;
    this.tn = now + this.interval();
  }

  /**
   * On receiving a compound RTCP packet of `size` octets (incl. UDP/IP headers): updates the average (A.7).
   * Ignored while leaving: during the BYE back-off only BYEs count ({@link RtcpScheduler.byeReceivedWhileLeaving},
   * §6.3.7).
   */
  rtcpReceived(size: number): void {
    if (this.leaving) return;
    this.avgRtcpSize = size / 16 + (15 / 16) * this.avgRtcpSize;
  }

  /**
   * Updates the member and sender counts. When members decrease, applies reverse reconsideration (§6.3.4):
   * `tn = tc + (members/pmembers)(tn − tc)`, `tp = tc − (members/pmembers)(tc − tp)`. Ignored while leaving:
   * during the BYE back-off `members` counts only the BYEs received and `senders` stays 0 (§6.3.7).
   */
  setMembers(members: number, senders: number, now: number): void {
    if (this.leaving) return;
    if (members < 1) members = 1;
    if (senders < 0) senders = 0;
    const prev = this.members;
    this.members = members;
    this.senders = senders;
    if (!this.leaving && members < prev && members < this.pmembers) {
      const r = members / this.pmembers;
      this.tn = now + r * (this.tn - now);
      this.tp = now - r * (now - this.tp);
      this.pmembers = members;
    }
  }

  /**
   * Starts leaving the session (§6.3.7). With at most 50 members the BYE may go at once (returns true). Otherwise
   * the BYE back-off applies: `tp = tc`, members = pmembers = 1, initial, avg_rtcp_size = `byeSize`, and the BYE is
   * scheduled at `tc + T`; each BYE received meanwhile should call {@link RtcpScheduler.byeReceivedWhileLeaving}.
   */
  leave(now: number, byeSize: number): boolean {
    this.leaving = true;
    if (this.members <= 50) {
      this.tn = now;
      return true;
    }
    this.tp = now;
    this.members = 1;
    this.pmembers = 1;
    this.initial = true;
    this.weSent = false;
    this.senders = 0;
    this.avgRtcpSize = byeSize;
    this.tn = now + this.interval();
    return false;
  }

  /** §6.3.7: while leaving with back-off, every BYE received increments `members` (and the average size). */
  byeReceivedWhileLeaving(size: number): void {
    if (!this.leaving) return;
    this.members++;
    this.avgRtcpSize = size / 16 + (15 / 16) * this.avgRtcpSize;
  }
}
