import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RTCP_COMPENSATION, RtcpScheduler } from '../src/index.js';

const half = (): number => 0.5; // randomisation factor (0.5 + 0.5) = 1

/** Runs the timer at `now` and drains the outputs: the event asked for, or 'wait' when only a deadline came out. */
function fire(s: RtcpScheduler, now: number): 'send-report' | 'send-bye' | 'wait' {
  s.handleTimeout(now);
  let action: 'send-report' | 'send-bye' | 'wait' = 'wait';
  for (let o = s.pollOutput(); o; o = s.pollOutput()) {
    expect(o.kind).not.toBe('datagram');
    if (o.kind === 'event') action = o.event.type;
    else if (o.kind === 'deadline') expect(o.at).toBe(action === 'send-bye' ? null : s.nextDeadline);
  }
  return action;
}

describe('RtcpScheduler: RFC 3550 A.7 rtcp_interval', () => {
  it('uses half the minimum for the first report', () => {
    const s = new RtcpScheduler({ sessionBandwidth: 64000, random: half, now: 0 });
    expect(s.rtcpBandwidth).toBe(400);
    // members 1, senders 0, not a sender: bw 300, n 1, t = 100/300 < 2.5 → 2.5 s / (e − 1.5)
    expect(s.nextDeadline).toBeCloseTo((2.5 / RTCP_COMPENSATION) * 1000, 9);
    expect(s.nextDeadline).toBeCloseTo(2052.05, 1);
  });

  it('sends at the deadline, then uses the full minimum and the new average size', () => {
    const s = new RtcpScheduler({ sessionBandwidth: 64000, random: half, now: 0 });
    expect(fire(s, 1000)).toBe('wait');
    const t1 = s.nextDeadline;
    expect(fire(s, t1)).toBe('send-report');
    s.reportSent(t1, 200);
    expect(s.avgRtcpSize).toBe(106.25); // 200/16 + 15/16 × 100
    expect(s.initial).toBe(false);
    expect(s.nextDeadline - t1).toBeCloseTo((5 / RTCP_COMPENSATION) * 1000, 9);
  });

  it('scales with members and splits bandwidth between senders and receivers', () => {
    const s = new RtcpScheduler({ sessionBandwidth: 64000, random: half, now: 0 });
    s.initial = false;
    s.setMembers(1000, 0, 0);
    // receivers share 75 %: 300 B/s; t = 100 × 1000 / 300 s
    expect(s.interval()).toBeCloseTo(((100 * 1000) / 300 / RTCP_COMPENSATION) * 1000, 6);
    s.setMembers(1000, 10, 0);
    s.weSent = true;
    // senders (10 ≤ 250) share 25 %: 100 B/s over 10 senders → t = 10 s
    expect(s.interval()).toBeCloseTo((10 / RTCP_COMPENSATION) * 1000, 6);
    s.weSent = false;
    // a receiver: 300 B/s over 990 receivers
    expect(s.interval()).toBeCloseTo(((100 * 990) / 300 / RTCP_COMPENSATION) * 1000, 6);
    // senders above 25 %: no split, everyone shares the whole RTCP bandwidth
    s.setMembers(4, 2, 0);
    s.setMembers(1000, 500, 0);
    expect(s.interval()).toBeCloseTo(((100 * 1000) / 400 / RTCP_COMPENSATION) * 1000, 6);
    expect(s.deterministicInterval()).toBeCloseTo(((100 * 1000) / 400) * 1000, 6);
  });

  it('randomises the interval uniformly in [0.5, 1.5] × T with the injected source', () => {
    const lo = new RtcpScheduler({ sessionBandwidth: 64000, random: () => 0, now: 0 });
    const hi = new RtcpScheduler({ sessionBandwidth: 64000, random: () => 0.999999, now: 0 });
    expect(lo.nextDeadline).toBeCloseTo((1.25 / RTCP_COMPENSATION) * 1000, 9);
    expect(hi.nextDeadline).toBeCloseTo((3.7499975 / RTCP_COMPENSATION) * 1000, 3);
  });

  it('timer reconsideration postpones the report when the group grew (§6.3.6)', () => {
    const s = new RtcpScheduler({ sessionBandwidth: 64000, random: half, now: 0 });
    const tn = s.nextDeadline;
    s.setMembers(1000, 0, 100);
    expect(fire(s, tn)).toBe('wait');
    // new tn = tp + T(members 1000, initial) = 0 + 333.33 s / (e − 1.5)
    expect(s.nextDeadline).toBeCloseTo(((100 * 1000) / 300 / RTCP_COMPENSATION) * 1000, 6);
    expect(s.pmembers).toBe(1000);
  });

  it('reverse reconsideration pulls tn and tp in when members leave (§6.3.4)', () => {
    const s = new RtcpScheduler({ sessionBandwidth: 64000, random: half, now: 0 });
    s.setMembers(1000, 0, 0);
    fire(s, s.nextDeadline); // pmembers = 1000, tn recomputed
    const tn = s.nextDeadline;
    const tp = s.tp;
    const tc = 10000;
    s.setMembers(500, 0, tc);
    expect(s.nextDeadline).toBeCloseTo(tc + 0.5 * (tn - tc), 6);
    expect(s.tp).toBeCloseTo(tc - 0.5 * (tc - tp), 6);
    expect(s.pmembers).toBe(500);
  });

  it('BYE: immediate with ≤ 50 members, back-off otherwise (§6.3.7)', () => {
    const small = new RtcpScheduler({ sessionBandwidth: 64000, random: half, now: 0 });
    small.setMembers(50, 1, 0);
    expect(small.leave(100, 80)).toBe(true);
    expect(fire(small, 100)).toBe('wait'); // tn = now but tp + T is in the future: reconsidered
    const big = new RtcpScheduler({ sessionBandwidth: 64000, random: half, now: 0 });
    big.setMembers(100, 10, 0);
    expect(big.leave(5000, 100)).toBe(false);
    expect(big.members).toBe(1);
    expect(big.initial).toBe(true);
    expect(big.avgRtcpSize).toBe(100);
    const due = big.nextDeadline;
    expect(due - 5000).toBeCloseTo((2.5 / RTCP_COMPENSATION) * 1000, 6);
    big.byeReceivedWhileLeaving(100);
    expect(big.members).toBe(2);
    expect(fire(big, due)).toBe('send-bye');
    expect(big.pollOutput()).toBeUndefined(); // the deadline went to null with the BYE
    big.handleTimeout(due + 1e6);
    expect(big.pollOutput()).toBeUndefined(); // stopped: no second BYE
  });
});

describe('RtcpScheduler: sans-I/O outputs (CoreOutput)', () => {
  it('yields the first deadline, nothing more until it changes, then the rescheduled one', () => {
    const s = new RtcpScheduler({ sessionBandwidth: 64000, random: half, now: 0 });
    expect(s.pollOutput()).toEqual({ kind: 'deadline', at: s.nextDeadline });
    expect(s.pollOutput()).toBeUndefined();
    const t1 = s.nextDeadline;
    s.handleTimeout(t1 - 1); // early: nothing happens
    expect(s.pollOutput()).toBeUndefined();
    s.handleTimeout(t1);
    expect(s.pollOutput()).toEqual({ kind: 'event', event: { type: 'send-report' } });
    expect(s.pollOutput()).toBeUndefined(); // tn is unchanged until the report is sent
    s.reportSent(t1, 100);
    expect(s.pollOutput()).toEqual({ kind: 'deadline', at: s.nextDeadline });
    expect(s.nextDeadline).toBeGreaterThan(t1);
  });
});

describe('RtcpScheduler: properties', () => {
  it('every interval lies in [0.5, 1.5] × T / (e − 3/2) with T ≥ the minimum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10000 }),
        fc.integer({ min: 0, max: 10000 }),
        fc.boolean(),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        fc.integer({ min: 1000, max: 10_000_000 }),
        (members, senders, weSent, r, bw) => {
          const s = new RtcpScheduler({ sessionBandwidth: bw, random: () => r, now: 0 });
          s.initial = false;
          s.setMembers(members, Math.min(senders, members), 0);
          s.weSent = weSent;
          const td = s.deterministicInterval();
          expect(td).toBeGreaterThanOrEqual(5000);
          const t = s.interval();
          expect(t).toBeGreaterThanOrEqual((0.5 * td) / RTCP_COMPENSATION - 1e-6);
          expect(t).toBeLessThanOrEqual((1.5 * td) / RTCP_COMPENSATION + 1e-6);
        },
      ),
      { numRuns: 500 },
    );
  });
});
