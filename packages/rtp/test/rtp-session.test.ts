import { createLoop, ManualClock } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import {
  isRtcpPacket,
  parseRtcp,
  ReceiverReport,
  type RtcpPacket,
  RtpPacket,
  RtpSession,
  type SrtpTransform,
  serializeRtcp,
} from '../src/index.js';
import { MemNet } from './mem-net.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function pair(opts: { mux?: boolean; srtp?: () => SrtpTransform; firstSeq?: number } = {}) {
  const clock = new ManualClock(0);
  const loop = createLoop({ clock });
  const net = new MemNet();
  const mk = (ssrc: number, rtpPort: number, peerPort: number) =>
    new RtpSession({
      loop,
      rtpSocket: net.socket(rtpPort),
      ...(opts.mux ? {} : { rtcpSocket: net.socket(rtpPort + 1) }),
      remote: { address: '127.0.0.1', rtpPort: peerPort },
      ssrc,
      cname: `cname-${ssrc}`,
      random: seeded(ssrc),
      wallClock: () => 1_700_000_000_000 + clock.now(),
      ownsSockets: true,
      ...(opts.firstSeq !== undefined ? { initialSequenceNumber: opts.firstSeq } : {}),
      ...(opts.srtp ? { srtp: opts.srtp() } : {}),
    });
  const a = mk(0xaaaa, 5000, 6000);
  const b = mk(0xbbbb, 6000, 5000);
  return { clock, loop, net, a, b };
}

function sendTone(a: RtpSession, clock: ManualClock, n: number, ts0 = 1000): void {
  for (let i = 0; i < n; i++) {
    a.send(new Uint8Array(160).fill(0xff), { payloadType: 0, timestamp: ts0 + i * 160 });
    clock.advance(20);
  }
}

describe('RtpSession over separate RTP/RTCP ports (ManualClock)', () => {
  it('delivers RTP, keeps statistics and exchanges SR/RR on the A.7 schedule', async () => {
    const { clock, a, b, net } = pair();
    const got: RtpPacket[] = [];
    b.onRtp((p) => got.push(p));
    const rtcpAtA: RtcpPacket[][] = [];
    const rtcpAtB: RtcpPacket[][] = [];
    a.onRtcp((p) => rtcpAtA.push(p));
    b.onRtcp((p) => rtcpAtB.push(p));
    sendTone(a, clock, 100);
    // The first probation packet is not delivered (RFC 3550 A.1).
    expect(got.length).toBe(99);
    const st = b.sources.get(0xaaaa)!;
    expect(st.received).toBe(99);
    expect(st.cumulativeLost).toBe(0);
    expect(st.jitter).toBe(0);
    expect(a.sender.packetCount).toBe(100);
    expect(a.sender.octetCount).toBe(16000);
    // Within the first 2 s both sides have sent their first compound (initial interval ≤ 1.5 × 2.5 s / 1.218).
    clock.advance(3100 - clock.now());
    const srs = rtcpAtB.flat().filter((p) => p.kind === 'sr');
    expect(srs.length).toBeGreaterThanOrEqual(1);
    const rrFromB = rtcpAtA.flat().filter((p) => p.kind === 'rr');
    expect(rrFromB.length).toBeGreaterThanOrEqual(1);
    // Every RTCP datagram is a valid compound: SR/RR first then SDES with the CNAME.
    const rtcpDatagrams = net.log.filter((d) => d.to % 2 === 1);
    for (const d of rtcpDatagrams) {
      const pk = parseRtcp(d.data, { strict: true, allowReducedSize: false });
      expect(pk[1]!.kind).toBe('sdes');
    }
    // Keep sending so A's later SR is seen by B, then B's RR carries LSR/DLSR and A computes an RTT.
    for (let i = 0; i < 600; i++) {
      a.send(new Uint8Array(160), { payloadType: 0, timestamp: 1000 + (100 + i) * 160 });
      clock.advance(20);
    }
    const rep = a.remoteReports.get(0xbbbb);
    expect(rep).toBeDefined();
    expect(rep!.block.ssrc).toBe(0xaaaa);
    expect(rep!.block.cumulativeLost).toBe(0);
    expect(rep!.block.lsr).not.toBe(0);
    // In-memory delivery is instant: the RTT is 0 up to the 1/65536 s resolution.
    expect(rep!.rttMs).toBeLessThan(1);
    // RTCP stays near its bandwidth share: 12 s of session → a handful of reports per side.
    const fromA = rtcpDatagrams.length;
    expect(fromA).toBeLessThan(20);
    await a.close();
    await b.close();
  });

  it('sends a BYE on close and the peer forgets the source', async () => {
    const { clock, a, b } = pair();
    const byes: [number, string | undefined][] = [];
    b.onBye((s, r) => byes.push([s, r]));
    sendTone(a, clock, 10);
    expect(b.sources.has(0xaaaa)).toBe(true);
    await a.close('done');
    expect(byes).toEqual([[0xaaaa, 'done']]);
    expect(b.sources.has(0xaaaa)).toBe(false);
    expect(() => a.send(new Uint8Array(1), { payloadType: 0, timestamp: 0 })).toThrow();
    await b.close();
  });

  it('with more than 50 members the BYE waits for the back-off (§6.3.7)', async () => {
    const { clock, a, b, net } = pair();
    sendTone(b, clock, 3);
    for (let i = 1; i <= 60; i++) net.deliver(5001, 6001, new ReceiverReport({ ssrc: 0x1000 + i }).serialize());
    expect(b.scheduler.members).toBe(61);
    const byes: number[] = [];
    a.onBye((s) => byes.push(s));
    let closed = false;
    const done = b.close().then(() => {
      closed = true;
    });
    await Promise.resolve();
    expect(closed).toBe(false);
    expect(b.scheduler.leaving).toBe(true);
    expect(b.scheduler.members).toBe(1);
    expect(byes).toEqual([]);
    // T = 2.5 s × [0.5, 1.5] / (e − 1.5) ≤ 3.08 s with the back-off's reset state.
    clock.advance(3100);
    await done;
    expect(closed).toBe(true);
    expect(byes).toEqual([0xbbbb]);
    await a.close();
  });

  it('does not send a BYE if it never sent anything (§6.3.7)', async () => {
    const { b, net } = pair();
    await b.close();
    expect(net.log.length).toBe(0);
  });

  it('sources that never pass probation are forgotten (no table exhaustion by noise)', async () => {
    const { clock, a, b, net } = pair();
    for (let i = 0; i < 64; i++) {
      net.deliver(5000, 6000, new RtpPacket({ ssrc: 0x5000 + i, sequenceNumber: i * 7 }).serialize());
    }
    expect(b.sources.size).toBe(64);
    net.deliver(5000, 6000, new RtpPacket({ ssrc: 0x9999 }).serialize());
    expect(b.counters.droppedSources).toBe(1);
    clock.advance(60_000);
    expect(b.sources.size).toBe(0);
    sendTone(a, clock, 3);
    expect(b.sources.get(0xaaaa)?.received).toBe(2);
    await a.close();
    await b.close();
  });

  it('reports on more than 31 sources with additional RRs (§6.4.2)', async () => {
    const { clock, b, net } = pair();
    for (let src = 0; src < 40; src++) {
      for (let k = 0; k < 3; k++) {
        net.deliver(5000, 6000, new RtpPacket({ ssrc: 0x7000 + src, sequenceNumber: 100 + k }).serialize());
      }
    }
    const report = b.buildReport(clock.now());
    expect(report.map((p) => p.kind)).toEqual(['rr', 'rr', 'sdes']);
    const blocks = report.flatMap((p) => (p.kind === 'rr' ? p.reports : []));
    expect(blocks.length).toBe(40);
    expect(new Set(blocks.map((x) => x.ssrc)).size).toBe(40);
    expect(parseRtcp(serializeRtcp(report), { strict: true, allowReducedSize: false }).length).toBe(3);
    await b.close();
  });

  it('counts malformed datagrams, collisions and drops them', async () => {
    const { clock, a, b, net } = pair();
    net.deliver(5000, 6000, Uint8Array.of(1, 2, 3));
    net.deliver(5001, 6001, Uint8Array.of(0x80, 201, 0, 9));
    expect(b.counters.malformedRtp).toBe(1);
    expect(b.counters.malformedRtcp).toBe(1);
    // Our own packet looped back from our own port: dropped, not a collision.
    net.deliver(6000, 6000, new RtpPacket({ ssrc: 0xbbbb, payloadType: 0 }).serialize());
    expect(b.counters.loopedPackets).toBe(1);
    expect(b.ssrc).toBe(0xbbbb);
    sendTone(a, clock, 3);
    expect(b.counters.rtpReceived).toBe(3);
    await a.close();
    await b.close();
  });

  it('expires a silent member after 5 deterministic intervals (§6.3.5)', async () => {
    const { clock, a, b, net } = pair();
    sendTone(a, clock, 10);
    expect(b.sources.has(0xaaaa)).toBe(true);
    net.filter = (from) => from !== 5000 && from !== 5001; // A goes silent
    clock.advance(20_000);
    expect(b.sources.has(0xaaaa)).toBe(true); // < 5 × Td (Td = 5 s)
    clock.advance(40_000);
    expect(b.sources.has(0xaaaa)).toBe(false);
    await a.close();
    await b.close();
  });
});

describe('RtpSession over a lossy, reordering in-memory network (ManualClock)', () => {
  it('loss is counted by the receiver and reported back to the sender in RRs', async () => {
    // Start at a multiple of 10 (and across the 16-bit wrap) so the two probation packets are delivered.
    const { clock, a, b, net } = pair({ firstSeq: 65500 });
    let dropped = 0;
    net.filter = (_from, to, data) => {
      if (to !== 6000 || isRtcpPacket(data)) return true;
      const seq = RtpPacket.parse(data).sequenceNumber;
      if (seq % 10 === 5) {
        dropped++;
        return false;
      }
      return true;
    };
    sendTone(a, clock, 200);
    // The last sent packet ends in 9: every drop falls between base_seq and max_seq.
    const st = b.sources.get(0xaaaa)!;
    expect(dropped).toBe(20);
    expect(st.cumulativeLost).toBe(dropped);
    expect(st.expected - st.received).toBe(dropped);
    // Let RTCP flow (no more loss of RTP since none is sent): A learns B's view of its stream.
    clock.advance(12_000);
    const rep = a.remoteReports.get(0xbbbb)!;
    expect(rep.block.cumulativeLost).toBe(dropped);
    expect(rep.block.highestSeq & 0xffff).toBe((a.nextSequenceNumber - 1) & 0xffff);
    expect(rep.block.highestSeq).toBe(65500 + 199); // extended: one wrap (cycles = 65536) + 163
    await a.close();
    await b.close();
  });

  it('reordering is not loss; it shows up as jitter', async () => {
    const { clock, a, b, net } = pair();
    let held: Uint8Array | undefined;
    let n = 0;
    net.filter = (from, to, data) => {
      if (to !== 6000 || isRtcpPacket(data)) return true;
      n++;
      if (n > 2 && n < 97 && n % 4 === 0 && held === undefined) {
        held = data;
        return false;
      }
      if (held) {
        const h = held;
        held = undefined;
        queueMicrotask(() =>
          net.sockets.get(6000)?.receive({ data: h, address: '127.0.0.1', port: from, family: 'IPv4' }),
        );
      }
      return true;
    };
    for (let i = 0; i < 100; i++) {
      a.send(new Uint8Array(160), { payloadType: 0, timestamp: i * 160 });
      await Promise.resolve();
      clock.advance(20);
    }
    await Promise.resolve();
    const st = b.sources.get(0xaaaa)!;
    expect(st.cumulativeLost).toBe(0);
    expect(st.received).toBe(99);
    // Late packets arrive in the same instant as their successors: each swap gives |D| = 160 twice.
    expect(st.jitter).toBeGreaterThan(0);
    await a.close();
    await b.close();
  });
});

describe('RtpSession SSRC collisions (RFC 3550 §8.2)', () => {
  it('a peer using our SSRC makes us send a BYE for it and pick a new one', async () => {
    const { clock, a, b, net } = pair();
    const byes: [number, string | undefined][] = [];
    a.onBye((ssrc, reason) => byes.push([ssrc, reason]));
    const changes: [number, number][] = [];
    b.onSsrcChange((n, o) => changes.push([n, o]));
    sendTone(b, clock, 5); // b is an active sender as 0xbbbb
    expect(b.sender.packetCount).toBe(5);
    net.deliver(5000, 6000, new RtpPacket({ ssrc: 0xbbbb, payloadType: 0, sequenceNumber: 9 }).serialize());
    expect(b.counters.ssrcCollisions).toBe(1);
    expect(b.ssrc).not.toBe(0xbbbb);
    expect(changes).toEqual([[b.ssrc, 0xbbbb]]);
    expect(byes).toEqual([[0xbbbb, 'SSRC collision']]);
    expect(b.sender.packetCount).toBe(0);
    sendTone(b, clock, 3);
    expect(a.sources.get(b.ssrc)?.received).toBe(2);
    // An RTCP report carrying our SSRC from elsewhere is a collision too.
    const again = b.ssrc;
    net.deliver(5001, 6001, new ReceiverReport({ ssrc: again }).serialize());
    expect(b.counters.ssrcCollisions).toBe(2);
    expect(b.ssrc).not.toBe(again);
    await a.close();
    await b.close();
  });
});

describe('RtpSession with rtcp-mux (RFC 5761)', () => {
  it('demultiplexes RTP and RTCP on one port', async () => {
    const { clock, a, b, net } = pair({ mux: true });
    sendTone(a, clock, 20);
    clock.advance(5000);
    const toB = net.log.filter((d) => d.to === 6000);
    expect(toB.some((d) => isRtcpPacket(d.data))).toBe(true);
    expect(toB.some((d) => !isRtcpPacket(d.data))).toBe(true);
    expect(b.counters.rtcpReceived).toBeGreaterThan(0);
    expect(b.sources.get(0xaaaa)!.received).toBe(19);
    expect(a.rtcpMux).toBe(true);
    expect(a.rtcpPort).toBe(a.rtpPort);
    await a.close();
    await b.close();
  });
});

describe('RtpSession with an SRTP transform', () => {
  /** A toy transform with SRTP's shape: appends a 1-octet checksum tag, rejects a bad one. */
  const toy = (): SrtpTransform => {
    const tag = (b: Uint8Array) => b.reduce((x, y) => (x + y) & 0xff, 0x5a);
    const protect = (b: Uint8Array) => {
      const out = new Uint8Array(b.length + 1);
      out.set(b);
      out[b.length] = tag(b);
      return out;
    };
    const unprotect = (b: Uint8Array) => {
      const body = b.subarray(0, b.length - 1);
      if (b.length < 2 || tag(body) !== b[b.length - 1]) throw new Error('auth failed');
      return body;
    };
    return { protect, unprotect, protectRtcp: protect, unprotectRtcp: unprotect };
  };

  it('protects everything sent, unprotects everything received, drops forgeries', async () => {
    const { clock, a, b, net } = pair({ srtp: toy });
    sendTone(a, clock, 10);
    clock.advance(4000);
    expect(b.sources.get(0xaaaa)!.received).toBe(9);
    expect(b.counters.rtcpReceived).toBeGreaterThan(0);
    // Every RTP datagram on the wire is one octet longer than the packet.
    expect(net.log.filter((d) => d.to === 6000).every((d) => d.data.length === 12 + 160 + 1)).toBe(true);
    net.deliver(5000, 6000, new RtpPacket({ ssrc: 0xaaaa, sequenceNumber: 1 }).serialize());
    expect(b.counters.srtpFailures).toBe(1);
    await a.close();
    await b.close();
  });
});

describe('RtpSession over real UDP sockets', () => {
  it('opens an even/odd port pair and exchanges RTP and RTCP on 127.0.0.1', async () => {
    const clock = new ManualClock(0);
    const loop = createLoop({ clock });
    const rx = await RtpSession.open({ loop, random: seeded(1) });
    const tx = await RtpSession.open({
      loop,
      random: seeded(2),
      remote: { address: '127.0.0.1', rtpPort: rx.rtpPort },
    });
    try {
      expect(rx.rtpPort % 2).toBe(0);
      expect(rx.rtcpPort).toBe(rx.rtpPort + 1);
      const received = new Promise<number>((resolve, reject) => {
        let n = 0;
        const t = setTimeout(() => reject(new Error('timeout waiting for RTP')), 5000);
        rx.onRtp(() => {
          if (++n === 9) {
            clearTimeout(t);
            resolve(n);
          }
        });
      });
      for (let i = 0; i < 10; i++) tx.send(new Uint8Array(160), { payloadType: 0, timestamp: i * 160 });
      expect(await received).toBe(9);
      expect(rx.remoteAddress).toEqual({ address: '127.0.0.1', rtpPort: tx.rtpPort });
      const rtcp = new Promise<RtcpPacket[]>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('timeout waiting for RTCP')), 5000);
        rx.onRtcp((p) => {
          clearTimeout(t);
          resolve(p);
        });
      });
      clock.advance(4000);
      const pk = await rtcp;
      expect(pk[0]!.kind).toBe('sr');
    } finally {
      await tx.close();
      await rx.close();
    }
  });
});
