import { describe, expect, it } from 'vitest';
import { DtlsEngine, generateCertificate } from '../src/index.js';
import { connectedInfo, drain, runNet } from './net.js';

const serverCert = generateCertificate();
const clientCert = generateCertificate();

describe('handshake over a lossy, reordering, duplicating network (manual clock)', () => {
  it('100 seeds at 30% loss, 10% duplication, 30% reordering: every handshake completes within 30 s, equal keys', () => {
    const times: number[] = [];
    let totalRetransmits = 0;
    for (let seed = 1; seed <= 100; seed++) {
      // default timers; the handshake deadline is the bound itself, so a slower handshake fails
      const client = new DtlsEngine({
        role: 'client',
        certificate: clientCert,
        srtpProfiles: [1],
        mtu: seed % 2 === 0 ? 300 : 1200,
        handshakeTimeoutMs: 30_000,
      });
      const server = new DtlsEngine({
        role: 'server',
        certificate: serverCert,
        srtpProfiles: [1],
        mtu: seed % 3 === 0 ? 250 : 1200,
        handshakeTimeoutMs: 30_000,
      });
      const r = runNet(client, server, { seed, loss: 0.3, duplicate: 0.1, reorder: 0.3, maxTimeMs: 60_000 });
      let ci: ReturnType<typeof connectedInfo>;
      let si: ReturnType<typeof connectedInfo>;
      try {
        ci = connectedInfo(r.clientEvents);
        si = connectedInfo(r.serverEvents);
      } catch (e) {
        throw new Error(
          `seed ${seed}: ${(e as Error).message}; client ${JSON.stringify(client.stats)} server ${JSON.stringify(server.stats)}`,
        );
      }
      expect(ci.cipherSuite).toBe(si.cipherSuite);
      expect(Buffer.from(client.srtpKeyingMaterial()!.material)).toEqual(
        Buffer.from(server.srtpKeyingMaterial()!.material),
      );
      const t = Math.max(r.connectedAt.client!, r.connectedAt.server!);
      expect(t, `seed ${seed}`).toBeLessThanOrEqual(30_000);
      times.push(t);
      totalRetransmits += client.stats.retransmits + server.stats.retransmits;
    }
    times.sort((a, b) => a - b);
    console.log(
      `DTLS handshake, 30% loss + 10% dup + 30% reorder, 100 seeds: 100/100 connected; simulated time median ${times[49]} ms, p90 ${times[89]} ms, max ${times[99]} ms`,
    );
    // 30% loss cannot be survived without retransmission: the timers really ran
    expect(totalRetransmits).toBeGreaterThan(100);
  });

  it('default timers: the first retransmission after 400 ms, doubling to a 2 s cap (RFC 6347 §4.2.4.1)', () => {
    const client = new DtlsEngine({ role: 'client', handshakeTimeoutMs: 10_000 });
    client.start(0);
    const sendTimes: number[] = [];
    let now = 0;
    for (let i = 0; i < 100; i++) {
      for (let o = client.pollOutput(); o.kind !== 'deadline'; o = client.pollOutput()) {
        if (o.kind === 'datagram') sendTimes.push(now);
        if (o.kind === 'event') {
          expect(sendTimes).toEqual([0, 400, 1200, 2800, 4800, 6800, 8800]);
          return;
        }
      }
      const at = client.pollOutput();
      if (at.kind !== 'deadline' || at.at === null) break;
      now = at.at;
      client.handleTimeout(now);
    }
    throw new Error('never timed out');
  });

  it('doubles the retransmission timeout up to the cap and gives up at the handshake deadline', () => {
    const client = new DtlsEngine({
      role: 'client',
      initialRetransmitMs: 1000,
      maxRetransmitMs: 8000,
      handshakeTimeoutMs: 30_000,
    });
    client.start(0);
    const sendTimes: number[] = [];
    let now = 0;
    for (let i = 0; i < 100; i++) {
      let o = client.pollOutput();
      while (o.kind !== 'deadline') {
        if (o.kind === 'datagram') sendTimes.push(now);
        if (o.kind === 'event') {
          expect(o.event.type).toBe('error');
          if (o.event.type === 'error') expect(o.event.error.message).toMatch(/timed out/);
          expect(sendTimes).toEqual([0, 1000, 3000, 7000, 15_000, 23_000]);
          return;
        }
        o = client.pollOutput();
      }
      if (o.at === null) break;
      now = o.at;
      client.handleTimeout(now);
    }
    throw new Error('never timed out');
  });

  it('falls back to 576-octet datagrams after two unanswered retransmissions (RFC 6347 §4.1.1.1)', () => {
    const rsa = generateCertificate({ keyType: 'rsa-2048' });
    const client = new DtlsEngine({ role: 'client', certificate: clientCert });
    const server = new DtlsEngine({ role: 'server', certificate: rsa, cookieExchange: false, mtu: 1400 });
    client.start(0);
    for (const d of drain(client).datagrams) server.handleInput(d, 0);
    const sizes: number[][] = [drain(server).datagrams.map((d) => d.length)];
    for (const t of [1000, 3000, 7000]) {
      server.handleTimeout(t);
      sizes.push(drain(server).datagrams.map((d) => d.length));
    }
    expect(Math.max(...sizes[0]!)).toBeGreaterThan(576);
    expect(Math.max(...sizes[1]!)).toBeGreaterThan(576);
    expect(Math.max(...sizes[2]!)).toBeLessThanOrEqual(576);
    expect(Math.max(...sizes[3]!)).toBeLessThanOrEqual(576);
    // the smaller fragments still reassemble
    const c2 = new DtlsEngine({ role: 'client', certificate: clientCert });
    const s2 = new DtlsEngine({ role: 'server', certificate: rsa, cookieExchange: false, mtu: 1400 });
    c2.start(0);
    for (const d of drain(c2).datagrams) s2.handleInput(d, 0);
    drain(s2);
    s2.handleTimeout(1000);
    drain(s2);
    s2.handleTimeout(3000);
    for (const d of drain(s2).datagrams) c2.handleInput(d, 3000);
    const flight5 = drain(c2).datagrams;
    expect(flight5.length).toBeGreaterThan(0);
    for (const d of flight5) s2.handleInput(d, 3001);
    for (const d of drain(s2).datagrams) c2.handleInput(d, 3002);
    expect(c2.connected && s2.connected).toBe(true);
  });
});
