import { createLoop, ManualClock } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import { Goodbye, ReceiverReport, RtcpScheduler, RtpSession, serializeRtcp } from '../src/index.js';
import { MemNet } from './mem-net.js';

// RFC 3550 §6.3.7: while a participant with more than 50 members backs off before sending its BYE, `members`
// counts only the BYEs received since it decided to leave (it starts at 1), `senders` is 0 and `we_sent` false.
// Reports from others, membership timeouts and our own old sending must not feed back into that state.

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function receiverOnly() {
  const clock = new ManualClock(0);
  const loop = createLoop({ clock });
  const net = new MemNet();
  const b = new RtpSession({
    loop,
    rtpSocket: net.socket(6000),
    rtcpSocket: net.socket(6001),
    remote: { address: '127.0.0.1', rtpPort: 5000 },
    ssrc: 0xbbbb,
    cname: 'cname-b',
    random: seeded(7),
    wallClock: () => 1_700_000_000_000 + clock.now(),
    ownsSockets: true,
  });
  const byesOut: number[] = [];
  net.socket(5001).onMessage((m) => {
    if (hasBye(m.data)) byesOut.push(m.port);
  });
  return { clock, net, b, byesOut };
}

/** Whether a compound holds a BYE (walks the packets by their length fields). */
function hasBye(d: Uint8Array): boolean {
  for (let o = 0; o + 4 <= d.length; o += (((d[o + 2]! << 8) | d[o + 3]!) + 1) * 4) if (d[o + 1] === 203) return true;
  return false;
}

describe('BYE back-off state (RFC 3550 §6.3.7)', () => {
  it('the scheduler keeps members = 1 + BYEs received while leaving, whatever setMembers says', () => {
    const s = new RtcpScheduler({ sessionBandwidth: 64000, random: () => 0.5, now: 0 });
    s.setMembers(100, 10, 0);
    expect(s.leave(1000, 100)).toBe(false);
    expect(s.members).toBe(1);
    s.setMembers(100, 10, 1500); // the owner refreshing its member table must not undo the back-off
    expect(s.members).toBe(1);
    expect(s.senders).toBe(0);
    s.byeReceivedWhileLeaving(100);
    expect(s.members).toBe(2);
    s.setMembers(100, 10, 1600);
    expect(s.members).toBe(2);
  });

  it('a receiver leaving a 61-member session sends its BYE after the reset interval (≤ 3.08 s)', async () => {
    const { clock, net, b, byesOut } = receiverOnly();
    // Let b send its first RR (so it may send a BYE), then 60 other members report.
    clock.advance(3000);
    expect(b.counters.rtcpSent).toBe(1);
    for (let i = 1; i <= 60; i++) net.deliver(7001, 6001, new ReceiverReport({ ssrc: 0x1000 + i }).serialize());
    expect(b.scheduler.members).toBe(61);
    let closed = false;
    const done = b.close('bye').then(() => {
      closed = true;
    });
    expect(b.scheduler.members).toBe(1);
    // Another member's BYE arrives during the back-off: members becomes 2, not the 61 of the table.
    net.deliver(7001, 6001, serializeRtcp([new ReceiverReport({ ssrc: 0x1001 }), new Goodbye([0x1001])]));
    expect(b.scheduler.members).toBe(2);
    // T = max(avg × 2 / (0.75 × 500 B/s), 2.5 s) × [0.5, 1.5] / (e − 1.5) ≤ 3.08 s.
    for (let t = 0; t < 31 && !closed; t++) {
      clock.advance(100);
      await Promise.resolve();
    }
    await done;
    expect(byesOut.length).toBe(1);
    expect(closed).toBe(true);
  });
});

describe('RtpSession construction checks', () => {
  it('a CNAME that cannot fit an SDES item (> 255 octets, RFC 3550 §6.5) is refused at once', () => {
    const clock = new ManualClock(0);
    const loop = createLoop({ clock });
    const net = new MemNet();
    const mk = (cname: string) =>
      new RtpSession({ loop, rtpSocket: net.socket(), rtcpSocket: net.socket(), cname, random: seeded(1) });
    expect(() => mk('x'.repeat(256))).toThrow(RangeError);
    expect(() => mk('')).toThrow(RangeError);
    // Otherwise the first scheduled report would throw inside the timer and RTCP would stop for good.
    const ok = mk('é'.repeat(127)); // 254 octets
    clock.advance(10_000);
    expect(ok.counters.rtcpSent).toBe(0); // no remote yet, but the timer keeps running
    expect(ok.scheduler.nextDeadline).toBeGreaterThan(10_000);
  });
});
