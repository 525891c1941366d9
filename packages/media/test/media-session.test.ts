import { fingerprint, generateCertificate } from '@mdh/dtls';
import {
  type Goodbye,
  NTP_UNIX_OFFSET,
  parseRtcp,
  type ReceiverReport,
  RTCP_COMPENSATION,
  RtpPacket,
  type SenderReport,
  type SourceDescription,
} from '@mdh/rtp';
import { formatSdesCrypto, generateSdesCrypto } from '@mdh/srtp';
import { describe, expect, it } from 'vitest';
import {
  IceLiteAgent,
  linearToUlaw,
  type MediaAddress,
  type MediaEvent,
  MediaSession,
  type MediaSessionOptions,
  parseStun,
  StunAttr,
  StunKey,
  serializeStun,
  ulawToLinear,
} from '../src/index.js';
import { seeded, TestNet } from './net.js';

const A: MediaAddress = { address: '10.0.0.1', port: 4000 };
const B: MediaAddress = { address: '10.0.0.2', port: 6000 };
const EPOCH = 1_700_000_000_000; // Unix ms at virtual time 0
const wallClock = (t: number) => EPOCH + t;
const frame = (n: number) => new Uint8Array(160).fill(n & 0xff);

function session(o: Partial<MediaSessionOptions> & { now?: number } = {}): MediaSession {
  return new MediaSession({ now: 0, wallClock, random: () => 0.5, ...o });
}

/** RFC 5761 §4 demultiplexing: RTCP packet types 192..223 (an RTP marker bit + PT 101 is 229, not RTCP). */
function isRtcp(d: Uint8Array): boolean {
  return d[1]! >= 192 && d[1]! <= 223;
}

function rtcpSent(n: { sent: { at: number; data: Uint8Array; via: string }[] }) {
  return n.sent.filter((s) => isRtcp(s.data)).map((s) => ({ at: s.at, via: s.via, packets: parseRtcp(s.data) }));
}

function eventsOf<T extends MediaEvent['type']>(n: { events: { at: number; event: MediaEvent }[] }, type: T) {
  return n.events.filter((e) => e.event.type === type) as { at: number; event: Extract<MediaEvent, { type: T }> }[];
}

describe('MediaSession RTCP timing (RFC 3550 §6.2, A.7)', () => {
  it('sends the first report after half the minimum interval, then every minimum interval (randomised)', () => {
    const net = new TestNet();
    const a = net.add(session({ remote: B, cname: 'a@x', ssrc: 0x11111111 }), A);
    // random() = 0.5: factor 1.0; first interval uses Tmin/2 = 2.5 s, then 5 s; both divided by e − 3/2 (A.7).
    const first = 2500 / RTCP_COMPENSATION;
    const o = a.session.pollOutput();
    expect(o.kind).toBe('deadline');
    expect((o as { at: number }).at).toBeCloseTo(first, 6);
    net.run(7000);
    const reports = rtcpSent(a);
    expect(reports.length).toBe(2);
    expect(reports[0]!.at).toBeCloseTo(first, 6);
    expect(reports[1]!.at).toBeCloseTo(first + 5000 / RTCP_COMPENSATION, 6);
    // Nothing sent yet: a Receiver Report with no blocks, then SDES CNAME (§6.4.2, §6.5.1).
    const [rr, sdes] = reports[0]!.packets as [ReceiverReport, SourceDescription];
    expect(rr.kind).toBe('rr');
    expect(rr.ssrc).toBe(0x11111111);
    expect(rr.reports).toEqual([]);
    expect(sdes.kind).toBe('sdes');
    expect(sdes.chunks[0]!.ssrc).toBe(0x11111111);
    expect(sdes.chunks[0]!.items).toEqual([{ type: 1, text: 'a@x' }]);
  });

  it('sends an SR with hand-computed counts, RTP timestamp and NTP time after we sent media', () => {
    const net = new TestNet();
    const a = net.add(session({ remote: B, ssrc: 0xaaaa0001, initialTimestamp: 1000, initialSequenceNumber: 7 }), A);
    net.run(2500, (now) => {
      if (now < 1000) a.session.sendRtp(frame(now / 20), { now });
    });
    const at = 2500 / RTCP_COMPENSATION;
    const [rep] = rtcpSent(a);
    expect(rep!.at).toBeCloseTo(at, 6);
    const sr = rep!.packets[0] as SenderReport;
    expect(sr.kind).toBe('sr');
    expect(sr.packetCount).toBe(50);
    expect(sr.octetCount).toBe(50 * 160);
    // Last packet: t = 980 ms, timestamp 1000 + 49 × 160 = 8840; extrapolated by (at − 980) ms × 8 samples/ms.
    expect(sr.rtpTimestamp).toBe(8840 + Math.round((at - 980) * 8));
    const unix = EPOCH + at;
    expect(sr.ntpSeconds).toBe(Math.floor(unix / 1000) + NTP_UNIX_OFFSET);
    expect(sr.ntpFraction).toBe(Math.round(((unix % 1000) / 1000) * 2 ** 32));
    // The RTP the SR counts: 50 packets, sequence 7.., our SSRC.
    const rtp = a.sent.filter((s) => !isRtcp(s.data)).map((s) => RtpPacket.parse(s.data));
    expect(rtp.length).toBe(50);
    expect(rtp[0]!.sequenceNumber).toBe(7);
    expect(rtp[49]!.sequenceNumber).toBe(56);
    expect(rtp.every((p) => p.ssrc === 0xaaaa0001)).toBe(true);
  });
});

describe('MediaSession between two peers (plain RTP, rtcp-mux)', () => {
  function pair(o: Partial<MediaSessionOptions> = {}) {
    const net = new TestNet();
    const a = net.add(session({ remote: B, ssrc: 0xa, random: seeded(1), initialSequenceNumber: 100, ...o }), A);
    const b = net.add(session({ remote: A, ssrc: 0xb, random: seeded(2), initialSequenceNumber: 500 }), B);
    return { net, a, b };
  }

  it('report blocks: no loss, zero jitter on a constant delay, RTT from LSR/DLSR = twice the one-way delay', () => {
    const { net, a, b } = pair();
    net.delayMs = 15;
    net.run(20_000, (now) => {
      a.session.sendRtp(frame(1));
      b.session.sendRtp(frame(2));
      void now;
    });
    const sa = a.session.stats();
    const sb = b.session.stats();
    expect(sb.received.ssrc).toBe(0xa);
    expect(sb.received.lost).toBe(0);
    expect(sb.received.jitterMs).toBe(0);
    expect(sa.remote).toBeDefined();
    expect(sa.remote!.reporter).toBe(0xb);
    expect(sa.remote!.cumulativeLost).toBe(0);
    expect(sa.remote!.fractionLost).toBe(0);
    expect(sa.remote!.jitterMs).toBe(0);
    // Compact NTP has a resolution of 1/65536 s; three roundings bound the error.
    expect(Math.abs(sa.rttMs! - 30)).toBeLessThan(0.1);
    expect(Math.abs(sb.rttMs! - 30)).toBeLessThan(0.1);
    expect(sa.remoteSender!.ssrc).toBe(0xb);
    expect(sa.rtcp.sent).toBeGreaterThanOrEqual(3);
    expect(sb.rtcp.received).toBe(sa.rtcp.sent);
    expect(eventsOf(a, 'stats').length).toBeGreaterThan(0);
    // Every RTCP from A is an SR (A sends all along) with one block about B.
    for (const r of rtcpSent(a)) {
      const sr = r.packets[0] as SenderReport;
      expect(sr.kind).toBe('sr');
      if (sr.reports.length) expect(sr.reports[0]!.ssrc).toBe(0xb);
    }
  });

  it('the far end reports exactly the packets we lost; our stats show its loss and highest sequence', () => {
    const { net, a, b } = pair();
    // Drop every 10th RTP packet from A (by sequence number).
    net.filter = ({ data, from }) => !(from === A && !isRtcp(data) && ((data[2]! << 8) | data[3]!) % 10 === 3);
    net.run(12_000, () => {
      a.session.sendRtp(frame(1));
      b.session.sendRtp(frame(2));
    });
    const rem = a.session.stats().remote!;
    // Sequence numbers 100..highest were expected; the lost ones are those ≡ 3 (mod 10) below or at the highest
    // (a packet after the last received one is not yet known lost).
    let lost = 0;
    for (let s = 100; s <= rem.highestSeq; s++) if (s % 10 === 3) lost++;
    expect(rem.cumulativeLost).toBe(lost);
    expect(rem.fractionLost).toBeCloseTo(Math.floor(256 / 10) / 256, 1);
    expect(b.session.stats().received.lost).toBeGreaterThanOrEqual(lost);
  });

  it('close() sends SR + SDES + BYE at once; the peer reports the BYE', () => {
    const { net, a, b } = pair();
    net.run(1000, () => a.session.sendRtp(frame(1)));
    a.session.close(net.now, 'bye now');
    net.run(1100);
    const last = rtcpSent(a).at(-1)!;
    expect(last.at).toBe(1000);
    expect(last.packets.map((p) => p.kind)).toEqual(['sr', 'sdes', 'bye']);
    const bye = last.packets[2] as Goodbye;
    expect(bye.ssrcs).toEqual([0xa]);
    expect(bye.reason).toBe('bye now');
    expect(eventsOf(b, 'bye').map((e) => e.event)).toEqual([{ type: 'bye', ssrc: 0xa, reason: 'bye now' }]);
    expect(eventsOf(a, 'closed').length).toBe(1);
    expect(a.session.state).toBe('closed');
    expect(() => a.session.sendRtp(frame(1))).toThrow(/closed/);
    a.session.close(net.now); // idempotent
    expect(eventsOf(a, 'closed').length).toBe(1);
  });

  it('SSRC collision (§8.2): BYE for the old SSRC, a new SSRC, fresh sender counts; looped packets dropped', () => {
    const { net, a, b } = pair();
    net.run(200, () => b.session.sendRtp(frame(2)));
    // Someone else (10.0.0.9) sends RTP with B's SSRC.
    const forged = new RtpPacket({ payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 0xb, payload: frame(9) });
    net.inject(forged.serialize(), { address: '10.0.0.9', port: 1234 }, B);
    net.run(300);
    const change = eventsOf(b, 'ssrc-change');
    expect(change.length).toBe(1);
    expect(change[0]!.event.oldSsrc).toBe(0xb);
    const fresh = b.session.ssrc;
    expect(fresh).not.toBe(0xb);
    expect(change[0]!.event.newSsrc).toBe(fresh);
    const byes = rtcpSent(b).filter((r) => r.packets.some((p) => p.kind === 'bye'));
    expect(byes.length).toBe(1);
    expect((byes[0]!.packets.find((p) => p.kind === 'bye') as Goodbye).ssrcs).toEqual([0xb]);
    b.session.sendRtp(frame(3));
    net.run(3000);
    const lastRtp = RtpPacket.parse(b.sent.filter((s) => !isRtcp(s.data)).at(-1)!.data);
    expect(lastRtp.ssrc).toBe(fresh);
    expect(b.session.stats().sent.packets).toBe(12);
    // The next SR counts only what the new SSRC sent (fresh sender statistics).
    const sr = rtcpSent(b).find((r) => r.packets[0]!.kind === 'sr' && (r.packets[0] as SenderReport).ssrc === fresh);
    expect((sr!.packets[0] as SenderReport).packetCount).toBe(1);
    expect((sr!.packets[0] as SenderReport).octetCount).toBe(160);
    expect(b.session.stats().ssrcCollisions).toBe(1);
    expect(eventsOf(a, 'bye').map((e) => e.event.ssrc)).toEqual([0xb]);

    // Our own packet looped back to us (from our own address) is not a collision.
    const c = session({ remote: A, ssrc: 0xc, local: B });
    const own = new RtpPacket({ payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 0xc, payload: frame(1) });
    c.handleInput(own.serialize(), B, 10);
    expect(c.dropped.looped).toBe(1);
    expect(c.ssrc).toBe(0xc);
  });

  it('media timeout: raised once, N s after the last RTP/RTCP from the peer', () => {
    const { net, a, b } = pair({ mediaTimeoutMs: 30_000 });
    net.run(5000, () => {
      if (b.session.state === 'active') b.session.sendRtp(frame(2));
    });
    b.session.close(net.now);
    net.run(70_000);
    // B's BYE left at 5000 and arrived at 5010; silence from then on.
    const t = eventsOf(a, 'timeout');
    expect(t.map((e) => e.at)).toEqual([35_010]);
    expect(t[0]!.event.silentMs).toBe(30_000);
    expect(a.session.state).toBe('active');
  });

  it('hold (RFC 3264 §8.4): recvonly/inactive send no RTP while RTCP goes on; sendrecv resumes with a marker', () => {
    const { net, a, b } = pair({ mediaTimeoutMs: 30_000 });
    const pcm = new Int16Array(160).fill(1000);
    const rtpOf = (n: { sent: { data: Uint8Array }[] }) => n.sent.filter((s) => !isRtcp(s.data));
    let sentCalls = 0;
    let sentOk = 0;
    const tick = () => {
      sentCalls++;
      if (a.session.sendAudio(pcm)) sentOk++;
      b.session.sendAudio(pcm);
    };
    net.run(1990, tick);
    const before = rtpOf(a).length;
    expect(before).toBe(100);
    // held by the peer's a=sendonly: our answer is recvonly
    a.session.setDirection('recvonly');
    expect(a.session.direction).toBe('recvonly');
    const rtcpBefore = rtcpSent(a).length;
    sentCalls = 0;
    sentOk = 0;
    net.run(41_990, tick);
    expect(rtpOf(a).length).toBe(before);
    expect(sentCalls).toBe(2000);
    expect(sentOk).toBe(0);
    a.session.sendDtmf('1');
    net.run(42_990, tick);
    expect(rtpOf(a).length).toBe(before);
    expect(a.session.echoRtp(new Uint8Array(172).fill(0x80))).toBe(false);
    // RTCP continues (RRs now: we stopped sending), so the peer's media timeout never fires on the held call
    const held = rtcpSent(a).slice(rtcpBefore);
    expect(held.length).toBeGreaterThanOrEqual(6);
    expect(held.at(-1)!.packets[0]!.kind).toBe('rr');
    expect(eventsOf(b, 'timeout')).toEqual([]);
    // the peer still sends to us and we receive all of it
    expect(a.session.stats().received.packets).toBe(b.session.stats().sent.packets);
    // inactive: the same
    a.session.setDirection('inactive');
    net.run(44_990, tick);
    expect(rtpOf(a).length).toBe(before);
    // resumed: RTP again, the first packet starts a talkspurt (marker), the media clock ran on over the pause
    const lastBefore = RtpPacket.parse(rtpOf(a).at(-1)!.data);
    a.session.setDirection('sendrecv');
    net.run(46_990, tick);
    const resumed = rtpOf(a)
      .slice(before)
      .map((s) => RtpPacket.parse(s.data));
    expect(resumed.length).toBe(100);
    expect(resumed[0]!.marker).toBe(true);
    expect(resumed[1]!.marker).toBe(false);
    expect(resumed[0]!.sequenceNumber).toBe((lastBefore.sequenceNumber + 1) & 0xffff);
    expect((resumed[0]!.timestamp - lastBefore.timestamp) >>> 0).toBeGreaterThan(160 * 2000);
    expect(() => a.session.setDirection('sideways' as 'inactive')).toThrow(/direction/);
  });

  it('without rtcp-mux, RTCP goes to the RTCP port (RTP + 1) through the RTCP socket', () => {
    const net = new TestNet();
    const Brtcp = { address: B.address, port: B.port + 1 };
    const a = net.add(session({ remote: B, rtcpMux: false, ssrc: 0xa }), A, { address: A.address, port: A.port + 1 });
    const b = net.add(session({ remote: A, rtcpMux: false, ssrc: 0xb, random: seeded(3) }), B, Brtcp);
    net.run(8000, () => a.session.sendRtp(frame(1)));
    const r = rtcpSent(a);
    expect(r.length).toBeGreaterThan(0);
    for (const x of a.sent) {
      const rtcp = isRtcp(x.data);
      expect(x.via).toBe(rtcp ? 'rtcp' : 'rtp');
      expect(x.to).toEqual(rtcp ? Brtcp : B);
    }
    expect(b.session.stats().rtcp.received).toBe(r.length);
    expect(b.session.stats().received.packets).toBe(400);
  });
});

describe('MediaSession keyed pairs', () => {
  it('SDES (RFC 4568): SRTP and SRTCP both ways, payloads intact', () => {
    const net = new TestNet();
    const ca = formatSdesCrypto(generateSdesCrypto('AES_CM_128_HMAC_SHA1_80'));
    const cb = formatSdesCrypto(generateSdesCrypto('AES_CM_128_HMAC_SHA1_80'));
    const a = net.add(session({ remote: B, security: { kind: 'sdes', local: ca, remote: cb }, random: seeded(4) }), A);
    const b = net.add(session({ remote: A, security: { kind: 'sdes', local: cb, remote: ca }, random: seeded(5) }), B);
    let i = 0;
    net.run(11_000, () => {
      a.session.sendRtp(frame(i++));
      b.session.sendRtp(frame(7));
    });
    expect(eventsOf(a, 'secure')[0]!.event).toEqual({
      type: 'secure',
      profile: 'SRTP_AES128_CM_HMAC_SHA1_80',
      keying: 'sdes',
    });
    const got = eventsOf(b, 'rtp');
    expect(got.length).toBe(550);
    expect(got.every((e, k) => e.event.packet.payload.every((x) => x === (k & 0xff)))).toBe(true);
    // On the wire it is not plain: the payload is encrypted and carries a 10-octet tag.
    const wire = a.sent.find((s) => !isRtcp(s.data))!.data;
    expect(wire.length).toBe(12 + 160 + 10);
    expect(a.session.stats().rtcp.received).toBeGreaterThanOrEqual(2);
    expect(a.session.stats().rttMs).toBeDefined();
    expect(a.session.stats().dropped).toMatchObject({ unauthenticated: 0, replayed: 0, malformed: 0, rtcp: 0 });
  });

  it('DTLS-SRTP (RFC 5763/5764): handshake in memory, keyed both ways, RTCP protected', () => {
    const certA = generateCertificate();
    const certB = generateCertificate();
    const fpA = fingerprint(certA.chain[0]!, 'sha-256');
    const fpB = fingerprint(certB.chain[0]!, 'sha-256');
    const net = new TestNet();
    const a = net.add(
      session({
        remote: B,
        random: seeded(6),
        security: { kind: 'dtls', role: 'client', certificate: certA, remoteFingerprints: [fpB] },
      }),
      A,
    );
    // The passive side learns where the handshake comes from (no address signalled).
    const b = net.add(
      session({
        random: seeded(7),
        security: { kind: 'dtls', role: 'server', certificate: certB, remoteFingerprints: [fpA] },
      }),
      B,
    );
    expect(a.session.state).toBe('keying');
    expect(a.session.sendRtp(frame(0))).toBe(false); // not keyed yet: nothing sent
    net.run(9000, () => {
      if (a.session.state === 'active') a.session.sendRtp(frame(1));
      if (b.session.state === 'active') b.session.sendRtp(frame(2));
    });
    const sec = eventsOf(a, 'secure')[0]!.event;
    expect(sec.keying).toBe('dtls');
    expect(sec.profile).toBe('SRTP_AEAD_AES_128_GCM');
    expect(b.session.state).toBe('active');
    expect(eventsOf(b, 'rtp').length).toBeGreaterThan(400);
    expect(eventsOf(a, 'rtp').length).toBeGreaterThan(400);
    expect(a.session.stats().rtcp.received).toBeGreaterThan(0);
    expect(b.session.stats().rttMs).toBeDefined();
    expect(b.session.remote).toEqual(A);
  });

  it('DTLS-SRTP without rtcp-mux: a second association on the RTCP ports keys SRTCP (RFC 5764 §4.1)', () => {
    const certA = generateCertificate();
    const certB = generateCertificate();
    const fpA = fingerprint(certA.chain[0]!, 'sha-256');
    const fpB = fingerprint(certB.chain[0]!, 'sha-256');
    const net = new TestNet();
    const Artcp = { address: A.address, port: A.port + 1 };
    const Brtcp = { address: B.address, port: B.port + 1 };
    const a = net.add(
      session({
        remote: B,
        rtcpMux: false,
        random: seeded(8),
        security: { kind: 'dtls', role: 'client', certificate: certA, remoteFingerprints: [fpB] },
      }),
      A,
      Artcp,
    );
    const b = net.add(
      session({
        remote: A,
        rtcpMux: false,
        random: seeded(9),
        security: { kind: 'dtls', role: 'server', certificate: certB, remoteFingerprints: [fpA] },
      }),
      B,
      Brtcp,
    );
    net.run(12_000, () => {
      if (a.session.state === 'active') a.session.sendRtp(frame(1));
      if (b.session.state === 'active') b.session.sendRtp(frame(2));
    });
    expect(a.session.state).toBe('active');
    expect(b.session.state).toBe('active');
    // two handshakes: DTLS records (first octet 20..63, RFC 7983) both from the RTP and from the RTCP port
    const dtlsFrom = (n: typeof a, via: 'rtp' | 'rtcp') =>
      n.sent.filter((x) => x.data[0]! >= 20 && x.data[0]! <= 63 && x.via === via);
    expect(dtlsFrom(a, 'rtp').length).toBeGreaterThan(0);
    expect(dtlsFrom(a, 'rtcp').length).toBeGreaterThan(0);
    expect(dtlsFrom(b, 'rtcp').length).toBeGreaterThan(0);
    for (const x of dtlsFrom(a, 'rtcp')) expect(x.to).toEqual(Brtcp);
    // SRTCP both ways on the RTCP ports, authenticated with the RTCP association's keys: reports arrive, RTT known
    const rtcpA = a.sent.filter((x) => isRtcp(x.data));
    expect(rtcpA.length).toBeGreaterThan(0);
    for (const x of rtcpA) {
      expect(x.via).toBe('rtcp');
      expect(x.to).toEqual(Brtcp);
    }
    expect(b.session.stats().rtcp.received).toBe(rtcpA.length);
    expect(a.session.stats().rtcp.received).toBeGreaterThan(0);
    expect(a.session.stats().rttMs).toBeDefined();
    expect(b.session.stats().rttMs).toBeDefined();
    expect(a.session.stats().dropped.rtcp).toBe(0);
    expect(b.session.stats().dropped.rtcp).toBe(0);
    expect(eventsOf(b, 'rtp').length).toBeGreaterThan(500);
    // BYE at close goes out as SRTCP on the RTCP port and is understood
    a.session.close(net.now, 'done');
    net.run(12_100);
    expect(eventsOf(b, 'bye').map((e) => e.event.reason)).toEqual(['done']);
  });

  it('DTLS-SRTP with the wrong fingerprint fails keying with a typed error', () => {
    const certA = generateCertificate();
    const certB = generateCertificate();
    const net = new TestNet();
    const a = net.add(
      session({
        remote: B,
        security: {
          kind: 'dtls',
          role: 'client',
          certificate: certA,
          remoteFingerprints: [fingerprint(certA.chain[0]!, 'sha-256')], // not B's
        },
      }),
      A,
    );
    net.add(
      session({
        remote: A,
        security: {
          kind: 'dtls',
          role: 'server',
          certificate: certB,
          remoteFingerprints: [fingerprint(certA.chain[0]!, 'sha-256')],
        },
      }),
      B,
    );
    net.run(5000);
    const err = eventsOf(a, 'error');
    expect(err.length).toBe(1);
    expect(err[0]!.event.error.code).toBe('fingerprint-mismatch');
    expect(a.session.state).toBe('failed');
  });
});

describe('MediaSession bad input (principle 6)', () => {
  it('garbage, truncated, replayed and forged datagrams are counted and dropped; the call goes on', () => {
    const net = new TestNet();
    const ca = formatSdesCrypto(generateSdesCrypto('AES_CM_128_HMAC_SHA1_80'));
    const cb = formatSdesCrypto(generateSdesCrypto('AES_CM_128_HMAC_SHA1_80'));
    const a = net.add(session({ remote: B, security: { kind: 'sdes', local: ca, remote: cb }, random: seeded(10) }), A);
    const b = net.add(session({ remote: A, security: { kind: 'sdes', local: cb, remote: ca }, random: seeded(11) }), B);
    net.run(1000, () => a.session.sendRtp(frame(1)));
    const before = eventsOf(b, 'rtp').length;
    expect(before).toBe(50);
    const rnd = seeded(42);
    const evil = { address: '10.6.6.6', port: 666 };
    const real = a.sent.filter((s) => !isRtcp(s.data)).map((s) => s.data);
    const realRtcp = a.sent.filter((s) => isRtcp(s.data)).map((s) => s.data);
    const s = b.session;
    const call = (d: Uint8Array) => expect(() => s.handleInput(d, evil, net.now)).not.toThrow();
    call(new Uint8Array(0));
    for (let i = 0; i < 200; i++) {
      const d = new Uint8Array(Math.floor(rnd() * 300));
      for (let k = 0; k < d.length; k++) d[k] = Math.floor(rnd() * 256);
      call(d);
    }
    for (const p of real.slice(0, 20)) call(p.slice(0, Math.floor(rnd() * p.length))); // truncated
    for (const p of real.slice(0, 20)) call(p.slice()); // replayed
    for (const p of realRtcp) call(p.slice()); // replayed SRTCP
    const d = s.dropped;
    expect(d.replayed).toBeGreaterThanOrEqual(20);
    // 20 fresh packets from A, held back by the network, one bit flipped each: authentication rejects every one.
    const unauth = d.unauthenticated;
    net.filter = () => false;
    net.run(1400, (now) => a.session.sendRtp(frame(3), { now }));
    net.filter = () => true;
    const delivered = eventsOf(b, 'rtp').length; // the last packet of the first second was still in flight
    const fresh = a.sent.filter((x) => !isRtcp(x.data)).slice(real.length, real.length + 20);
    expect(fresh.length).toBe(20);
    for (const p of fresh) {
      const f = p.data.slice();
      f[20] = f[20]! ^ 1;
      call(f);
    }
    expect(s.dropped.unauthenticated - unauth).toBe(20);
    expect(d.internal).toBe(0);
    expect(d.unknown + d.malformed + d.unauthenticated + d.replayed + d.unhandled + d.rtcp).toBeGreaterThan(200);
    expect(s.state).toBe('active');
    expect(s.remote).toEqual(A); // nothing forged moved the destination
    expect(eventsOf(b, 'rtp').length).toBe(delivered);
    expect(delivered - before).toBeLessThanOrEqual(1);
    // The real peer still gets through.
    net.run(2400, (now) => a.session.sendRtp(frame(2), { now }));
    expect(eventsOf(b, 'rtp').length - delivered).toBeGreaterThanOrEqual(49);
  });

  it('plain RTP: no throw on any input, bounded sources', () => {
    const s = session({ remote: B, maxSources: 4 });
    const rnd = seeded(9);
    for (let i = 0; i < 2000; i++) {
      const d = new Uint8Array(12 + Math.floor(rnd() * 40));
      for (let k = 0; k < d.length; k++) d[k] = Math.floor(rnd() * 256);
      d[0] = 0x80;
      d[1] = d[1]! & 0x7f;
      expect(() => s.handleInput(d, { address: '10.1.1.1', port: 1 + i }, i)).not.toThrow();
    }
    expect(s.dropped.sources).toBeGreaterThan(1900);
    expect(s.stats().dropped.internal).toBe(0);
    expect(s.state).toBe('active');
  });
});

describe('MediaSession audio and DTMF', () => {
  function pair(o: Partial<MediaSessionOptions> = {}) {
    const net = new TestNet();
    const a = net.add(session({ remote: B, ssrc: 0xa, random: seeded(21), ...o }), A);
    const b = net.add(session({ remote: A, ssrc: 0xb, random: seeded(22), ...o }), B);
    return { net, a, b };
  }

  for (const codec of ['PCMU', 'PCMA'] as const) {
    it(`sendAudio → ${codec} on the wire → decoded PCM frames at the far end`, () => {
      const { net, a, b } = pair({ payloadType: codec === 'PCMU' ? 0 : 8 });
      let n = 0;
      const sent: Int16Array[] = [];
      net.run(1000, (now) => {
        const pcm = new Int16Array(160);
        for (let i = 0; i < 160; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (n * 160 + i)) / 8000));
        n++;
        sent.push(pcm);
        a.session.sendAudio(pcm, now);
      });
      net.run(1100);
      const wire = a.sent.filter((s) => !isRtcp(s.data)).map((s) => RtpPacket.parse(s.data));
      expect(wire[0]!.marker).toBe(true); // RFC 3551 §4.1: start of a talkspurt
      expect(wire.slice(1).every((p) => !p.marker)).toBe(true);
      expect(wire.every((p) => p.payloadType === (codec === 'PCMU' ? 0 : 8) && p.payloadLength === 160)).toBe(true);
      expect(wire[1]!.timestamp - wire[0]!.timestamp).toBe(160);
      const audio = eventsOf(b, 'audio').filter((e) => !e.event.concealed);
      expect(audio.length).toBe(wire.length);
      // Played out at the jitter buffer's clock: the first talkspurt starts targetDelayMs (60 ms by default, until
      // the jitter has been measured) after the first arrival at 10 ms, then every 20 ms.
      expect(audio[0]!.at).toBe(70);
      expect(audio[1]!.at).toBe(90);
      for (let k = 0; k < audio.length; k++) {
        const got = audio[k]!.event.pcm;
        const want = sent[k]!;
        expect(got.length).toBe(160);
        // G.711 is logarithmic: at this level the step is at most 256 (µ-law) / 256 (A-law).
        for (let i = 0; i < 160; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(256);
      }
    });
  }

  it('the jitter buffer undoes reordering and drops duplicates: frames play in order, none missing', () => {
    const { net, a, b } = pair({ jitterBuffer: { mode: 'fixed', targetDelayMs: 60 } });
    // Every other packet 30 ms late (overtaken by the next one), every fifth packet duplicated.
    net.delayOf = ({ data }) => {
      if (isRtcp(data)) return 10;
      const seq = (data[2]! << 8) | data[3]!;
      const d = seq % 2 === 1 ? 40 : 10;
      return seq % 5 === 0 ? [d, d + 5] : d;
    };
    let n = 0;
    net.run(2000, (now) => {
      if (now < 1000) a.session.sendAudio(new Int16Array(160).fill((n++ % 100) * 100), now);
    });
    const audio = eventsOf(b, 'audio');
    const real = audio.filter((e) => !e.event.concealed);
    expect(real.length).toBe(50);
    for (let k = 1; k < real.length; k++) {
      expect(real[k]!.event.timestamp - real[k - 1]!.event.timestamp).toBe(160);
      expect(real[k]!.at - real[k - 1]!.at).toBe(20);
    }
    // The decoded levels come out in the order they were sent.
    const levels = real.map((e) => e.event.pcm[0]!);
    expect(levels).toEqual(Array.from({ length: 50 }, (_, k) => ulawToLinear(linearToUlaw(k * 100))));
    const st = b.session.stats().audio;
    expect(st.played).toBe(50);
    expect(st.duplicate).toBe(10);
    expect(st.late).toBe(0);
    // Before the first frame, and after the last: only concealment at the end of the stream.
    expect(audio.findIndex((e) => e.event.concealed)).toBeGreaterThan(real.length - 1);
  });

  it("sendDtmf('1234#'): RFC 4733 packets on the wire, each digit reported once at the far end", () => {
    const { net, a, b } = pair();
    net.run(100, (now) => a.session.sendAudio(new Int16Array(160), now));
    a.session.sendDtmf('1234#', net.now);
    net.run(2000, (now) => a.session.sendAudio(new Int16Array(160), now));
    const digits = eventsOf(b, 'dtmf').map((e) => e.event);
    expect(digits.map((d) => d.digit)).toEqual(['1', '2', '3', '4', '#']);
    for (const d of digits) expect(d.durationMs).toBe(100);
    const ev = a.sent
      .filter((s) => !isRtcp(s.data))
      .map((s) => RtpPacket.parse(s.data))
      .filter((p) => p.payloadType === 101);
    // Per digit: 100 ms of updates every 20 ms (5 non-end packets), then the end packet three times.
    expect(ev.length).toBe(5 * 8);
    const first = ev.slice(0, 8);
    expect(first[0]!.marker).toBe(true);
    expect(first.every((p) => p.timestamp === first[0]!.timestamp)).toBe(true);
    expect(first.map((p) => (p.payload[1]! & 0x80) !== 0)).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
    expect(first.at(-1)!.payload[0]).toBe(1); // event code of '1'
    expect(() => a.session.sendDtmf('1x')).toThrow(/DTMF/);
    const c = session({ telephoneEventPt: null, remote: B });
    expect(() => c.sendDtmf('1')).toThrow(/telephone-event/);
  });
});

describe('MediaSession with ICE-lite (RFC 8445 §2.5)', () => {
  it('answers a nominating check and sends media to the nominated pair', () => {
    const ice = new IceLiteAgent({
      localAddresses: [B],
      ufrag: 'bbbb',
      pwd: 'bbbbbbbbbbbbbbbbbbbbbbbb',
      remoteUfrag: 'aaaa',
    });
    const net = new TestNet();
    const b = net.add(session({ ice, random: seeded(31), local: B }), B);
    expect(b.session.remote).toBeUndefined();
    const check = serializeStun({
      class: 'request',
      transactionId: new Uint8Array(12).fill(7),
      attributes: [
        { type: StunAttr.USERNAME, value: new TextEncoder().encode('bbbb:aaaa') },
        { type: StunAttr.PRIORITY, value: Uint8Array.of(0x6e, 0, 0x1e, 0xff) },
        { type: StunAttr.ICE_CONTROLLING, value: new Uint8Array(8).fill(1) },
        { type: StunAttr.USE_CANDIDATE, value: new Uint8Array(0) },
      ],
      integrity: StunKey.shortTerm('bbbbbbbbbbbbbbbbbbbbbbbb'),
      fingerprint: true,
    });
    net.inject(check, A, B);
    net.run(100);
    const resp = b.sent.find((s) => s.data[0]! <= 3);
    expect(resp).toBeDefined();
    expect(resp!.to).toEqual(A);
    const r = parseStun(resp!.data);
    expect(r.class).toBe('success');
    expect(eventsOf(b, 'remote').map((e) => e.event.remote)).toEqual([A]);
    expect(b.session.remote).toEqual(A);
    expect(b.session.sendRtp(frame(1))).toBe(true);
    // A check with the wrong password is answered with an error and moves nothing.
    const forged = serializeStun({
      class: 'request',
      transactionId: new Uint8Array(12).fill(8),
      attributes: [
        { type: StunAttr.USERNAME, value: new TextEncoder().encode('bbbb:aaaa') },
        { type: StunAttr.ICE_CONTROLLING, value: new Uint8Array(8).fill(1) },
        { type: StunAttr.USE_CANDIDATE, value: new Uint8Array(0) },
      ],
      integrity: StunKey.shortTerm('wrongwrongwrongwrongwrong'),
      fingerprint: true,
    });
    net.inject(forged, { address: '10.6.6.6', port: 666 }, B);
    net.run(200);
    expect(b.session.remote).toEqual(A);
  });
});

describe('MediaSession with an ICE-lite agent that never gets a check', () => {
  it('an agent started before the session (as CallMedia does) fails with no-checks at its connect deadline', () => {
    const ice = new IceLiteAgent({
      localAddresses: [B],
      ufrag: 'bbbb',
      pwd: 'bbbbbbbbbbbbbbbbbbbbbbbb',
      remoteUfrag: 'aaaa',
      connectTimeoutMs: 5000,
      consentTimeoutMs: 30_000,
    });
    ice.start(0);
    // DTLS server still keying: no RTCP timer runs, so the agent's deadline is the session's only one
    const s = session({
      ice,
      local: B,
      mediaTimeoutMs: 0,
      security: {
        kind: 'dtls',
        role: 'server',
        certificate: generateCertificate({}),
        remoteFingerprints: ['sha-256 00'],
      },
    });
    // the session's deadline covers the agent's connect deadline (not lost behind the agent's queued state event)
    const deadlines: number[] = [];
    const failed: MediaEvent[] = [];
    for (let now = 0, i = 0; i < 50 && failed.length === 0; i++) {
      for (let o = s.pollOutput(); ; o = s.pollOutput()) {
        if (o.kind === 'event' && o.event.type === 'ice-failed') failed.push(o.event);
        if (o.kind === 'deadline') {
          if (o.at === null) break;
          deadlines.push(o.at);
          now = Math.max(now, o.at);
          break;
        }
      }
      if (failed.length) break;
      s.handleTimeout(now);
    }
    expect(deadlines.some((d) => d === 5000)).toBe(true);
    expect(failed).toEqual([
      { type: 'ice-failed', reason: 'no-checks', message: 'no valid ICE connectivity check arrived within 5000 ms' },
    ]);
    expect(ice.state).toBe('failed');
  });
});

describe('MediaSession with a reflector peer', () => {
  it('reflector: our own packets sent back are the received stream, not a collision', () => {
    const net = new TestNet();
    const a = net.add(session({ remote: B, ssrc: 0xa, random: seeded(41), reflector: true }), A);
    // B reflects every datagram it gets back to A unchanged (sipp -rtp_echo).
    net.nodes.push({
      session: {
        handleInput: (d: Uint8Array, from: MediaAddress, now: number) => net.inject(d.slice(), B, from, now + 5),
        handleTimeout: () => {},
        pollOutput: () => ({ kind: 'deadline', at: null }),
      } as unknown as MediaSession,
      rtp: B,
      rtcp: B,
      events: [],
      sent: [],
    });
    net.run(6000, (now) => a.session.sendAudio(new Int16Array(160), now));
    const st = a.session.stats();
    expect(a.session.ssrc).toBe(0xa);
    expect(st.ssrcCollisions).toBe(0);
    expect(st.received.ssrc).toBe(0xa);
    expect(st.received.packets).toBeGreaterThan(280);
    expect(st.dropped.looped).toBeGreaterThanOrEqual(1); // our SR came back
    expect(eventsOf(a, 'ssrc-change').length).toBe(0);
  });
});

describe('MediaSession echo path', () => {
  it('echoRtp sends the decrypted packet back from its own buffer, re-keyed with our SSRC and sequence', () => {
    const net = new TestNet();
    const ca = formatSdesCrypto(generateSdesCrypto('AES_CM_128_HMAC_SHA1_80'));
    const cb = formatSdesCrypto(generateSdesCrypto('AES_CM_128_HMAC_SHA1_80'));
    const a = net.add(session({ remote: B, ssrc: 0xa, security: { kind: 'sdes', local: ca, remote: cb } }), A);
    const b = net.add(
      session({ remote: A, ssrc: 0xb, random: seeded(51), security: { kind: 'sdes', local: cb, remote: ca } }),
      B,
    );
    // B echoes from inside the event, as an application would.
    const origDrain = net.drainAll.bind(net);
    net.drainAll = () => {
      origDrain();
      for (const e of b.events.splice(0)) {
        if (e.event.type === 'rtp') expect(b.session.echoRtp(e.event.bytes, net.now)).toBe(true);
      }
      origDrain();
    };
    let k = 0;
    net.run(1000, (now) => a.session.sendRtp(frame(k++), { now, timestamp: 1000 + k }));
    const back = eventsOf(a, 'rtp').map((e) => e.event.packet);
    expect(back.length).toBeGreaterThanOrEqual(48);
    for (const [i, p] of back.entries()) {
      expect(p.ssrc).toBe(0xb);
      expect(p.payload.every((x) => x === (i & 0xff))).toBe(true);
      expect(p.timestamp).toBe(1001 + i);
      if (i > 0) expect((p.sequenceNumber - back[i - 1]!.sequenceNumber) & 0xffff).toBe(1);
    }
    expect(a.session.stats().dropped).toMatchObject({ unauthenticated: 0, replayed: 0 });
    // Every packet B received was echoed (the last ones may still be in flight back to A).
    expect(b.session.stats().sent.packets).toBe(b.session.stats().received.packets);
  });
  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'] as const) {
    it(`echoRtp inPlace protects back into the received datagram: nothing allocated (${suite})`, () => {
      const ca = formatSdesCrypto(generateSdesCrypto(suite));
      const cb = formatSdesCrypto(generateSdesCrypto(suite));
      const a = session({ remote: B, ssrc: 0xa, security: { kind: 'sdes', local: ca, remote: cb } });
      const b = session({
        remote: A,
        ssrc: 0xb,
        random: seeded(52),
        security: { kind: 'sdes', local: cb, remote: ca },
      });
      const outputs = (m: MediaSession) => {
        const out: ReturnType<MediaSession['pollOutput']>[] = [];
        for (let o = m.pollOutput(); o.kind !== 'deadline'; o = m.pollOutput()) out.push(o);
        return out;
      };
      outputs(a);
      outputs(b);
      for (let i = 0; i < 5; i++) {
        const now = 20 * (i + 1);
        expect(a.sendRtp(frame(i), { now, timestamp: 160 * i })).toBe(true);
        const sent = outputs(a).find((o) => o.kind === 'datagram' && !isRtcp(o.data));
        if (sent?.kind !== 'datagram') throw new Error('no datagram');
        const received = sent.data.slice(); // what a socket hands over: the datagram's own buffer
        b.handleInput(received, A, now);
        const ev = outputs(b).find((o) => o.kind === 'event' && o.event.type === 'rtp');
        if (ev?.kind !== 'event' || ev.event.type !== 'rtp') throw new Error('no rtp event');
        expect(b.echoRtp(ev.event.bytes, now, true)).toBe(true);
        const echoed = outputs(b).find((o) => o.kind === 'datagram');
        if (echoed?.kind !== 'datagram') throw new Error('no echo');
        // the same memory went back out, protected again at its full length
        expect(echoed.data.buffer).toBe(received.buffer);
        expect(echoed.data.byteOffset).toBe(received.byteOffset);
        expect(echoed.data.length).toBe(received.length);
        a.handleInput(echoed.data.slice(), B, now);
        const back = outputs(a).find((o) => o.kind === 'event' && o.event.type === 'rtp');
        if (back?.kind !== 'event' || back.event.type !== 'rtp') throw new Error('echo not accepted');
        expect(back.event.packet.ssrc).toBe(0xb);
        expect(back.event.packet.payload.every((x) => x === (i & 0xff))).toBe(true);
      }
      // a packet that is not the one just received is protected into a new buffer, as without inPlace
      const other = new Uint8Array(172);
      other[0] = 0x80;
      expect(b.echoRtp(other, 200, true)).toBe(true);
      const fresh = outputs(b).find((o) => o.kind === 'datagram');
      if (fresh?.kind !== 'datagram') throw new Error('no datagram');
      expect(fresh.data.buffer).not.toBe(other.buffer);
      expect(a.stats().dropped).toMatchObject({ unauthenticated: 0, replayed: 0 });
    });
  }
});

describe('MediaSession decodeAudio: false', () => {
  it('keeps the raw rtp path and DTMF, without jitter buffer or audio events', () => {
    const net = new TestNet();
    const a = net.add(session({ remote: B, ssrc: 0xa, random: seeded(61) }), A);
    const b = net.add(session({ remote: A, ssrc: 0xb, random: seeded(62), decodeAudio: false }), B);
    net.run(500, (now) => a.session.sendAudio(new Int16Array(160), now));
    a.session.sendDtmf('7', net.now);
    net.run(1200, (now) => a.session.sendAudio(new Int16Array(160), now));
    expect(eventsOf(b, 'rtp').length).toBeGreaterThan(50);
    expect(eventsOf(b, 'audio').length).toBe(0);
    expect(b.session.stats().audio.played).toBe(0);
    expect(eventsOf(b, 'dtmf').map((e) => e.event.digit)).toEqual(['7']);
  });
});

describe('MediaSession main source', () => {
  it("keeps the peer's reception figures after its BYE, and follows a new SSRC after a second of silence", () => {
    const s = session({ remote: B, ssrc: 0xa, random: seeded(71) });
    const rtp = (ssrc: number, seq: number) =>
      new RtpPacket({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc, payload: frame(1) }).serialize();
    for (let i = 0; i < 10; i++) s.handleInput(rtp(0xb, i), B, i * 20);
    // Another SSRC while the main one is alive: reported as rtp, not taken as the call's audio source.
    s.handleInput(rtp(0xc, 100), B, 200);
    s.handleInput(rtp(0xc, 101), B, 220);
    expect(s.stats().received.ssrc).toBe(0xb);
    const bye = new Uint8Array(8);
    bye.set([0x81, 203, 0, 1, 0, 0, 0, 0xb]);
    s.handleInput(bye, B, 300);
    const st = s.stats();
    expect(st.received.packets).toBe(10);
    expect(st.received.ssrc).toBe(0xb);
    // Silence from 0xb, then 0xd: it becomes the main source.
    for (let i = 0; i < 5; i++) s.handleInput(rtp(0xd, 500 + i), B, 2000 + i * 20);
    expect(s.stats().received.ssrc).toBe(0xd);
    expect(s.stats().received.packets).toBe(5);
  });
});
