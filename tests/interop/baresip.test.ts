import { type EchoCallRecord, placeCall, startEcho } from '@mdh/cli';
import type { SrtpMode } from '@mdh/sip';
import { afterAll, describe, expect, it } from 'vitest';
import { baresip, baresipDir, cleanupBaresip, decodedFrequency, freePortPair } from './baresip-helpers.js';
import { hasPeer } from './peers.js';

afterAll(cleanupBaresip);

const cases: { srtp: SrtpMode; tls: boolean }[] = [
  { srtp: 'none', tls: false },
  { srtp: 'sdes', tls: false },
  { srtp: 'dtls', tls: false },
  { srtp: 'none', tls: true },
];

describe.skipIf(!hasPeer('baresip'))('baresip interop', () => {
  for (const c of cases) {
    const name = `${c.tls ? 'SIP over TLS' : 'UDP'}, media ${c.srtp}`;

    it(`baresip calls mdh echo (${name}): established, and its tone comes back`, async () => {
      const records: EchoCallRecord[] = [];
      const echo = await startEcho({
        host: '127.0.0.1',
        port: 0,
        transport: c.tls ? 'tls' : 'udp',
        onCall: (r) => records.push(r),
      });
      try {
        const port = await freePortPair();
        const dir = baresipDir(port, c.srtp, c.tls, 440);
        const log = await baresip(dir, 4, `sip:echo@127.0.0.1:${echo.port}`).done;
        await new Promise((r) => setTimeout(r, 300));
        expect(log, log.slice(-3000)).toContain('Call established');
        expect(records).toHaveLength(1);
        expect(records[0]!.srtp).toBe(c.srtp);
        expect(records[0]!.media?.packetsReceived).toBeGreaterThan(50);
        expect(records[0]!.media?.dropped).toBe(0);
        if (c.srtp !== 'none') expect(records[0]!.media?.srtpProfile).toBeTruthy();
        expect(Math.abs(decodedFrequency(dir) - 440)).toBeLessThan(5);
      } finally {
        await echo.stop();
      }
    }, 30_000);

    if (!c.tls) {
      it(`RTCP with baresip (${name}): baresip's reports carry the LSR of mdh's SRs (RTT), and its SRs reach mdh`, async () => {
        const records: EchoCallRecord[] = [];
        const echo = await startEcho({ host: '127.0.0.1', port: 0, onCall: (r) => records.push(r) });
        try {
          const port = await freePortPair();
          // With DTLS-SRTP, RTCP on its own port would need a second DTLS association (RFC 5764 §4.1), which
          // MediaSession does not run: baresip offers rtcp-mux (RFC 5761) here, and mdh accepts it.
          const dir = baresipDir(port, c.srtp, false, 440, c.srtp === 'dtls' ? ['rtcp_mux yes'] : []);
          const log = await baresip(dir, 13, `sip:echo@127.0.0.1:${echo.port}`).done;
          await new Promise((r) => setTimeout(r, 300));
          expect(log, log.slice(-3000)).toContain('Call established');
          expect(records).toHaveLength(1);
          const m = records[0]!.media!;
          expect(m.dropped).toBe(0);
          // baresip sends an RTCP APP "PING" keepalive in the clear even on SRTP sessions: unauthenticated, so
          // dropped (RFC 3711 §3.4) and counted. One per keepalive interval: the call lasts about 13 s, so one to
          // three of them; authenticated RTCP is never dropped (rtcpReceived counts it below).
          expect(m.rtcpDropped).toBeLessThanOrEqual(c.srtp === 'none' ? 0 : 3);
          // baresip's RTCP (SRTCP with SDES/DTLS) authenticated and parsed: its SR counts reached us.
          expect(m.rtcpReceived).toBeGreaterThanOrEqual(1);
          expect(m.remotePacketsSent).toBeGreaterThan(0);
          // An RTT exists only if baresip's report block echoed the NTP middle bits of an SR of ours (LSR) with
          // its delay since (DLSR): baresip parsed our SR. Loopback: well under 100 ms.
          expect(m.rttMs).toBeDefined();
          expect(m.rttMs!).toBeGreaterThanOrEqual(0);
          expect(m.rttMs!).toBeLessThan(100);
          expect(m.remoteCumulativeLost).toBe(0);
          expect(m.rtcpSent).toBeGreaterThanOrEqual(2);
        } finally {
          await echo.stop();
        }
      }, 40_000);
    }

    it(`mdh call calls baresip (${name}): established, tones cross both ways`, async () => {
      const port = await freePortPair();
      const dir = baresipDir(port, c.srtp, c.tls, 600);
      const { done, ready } = baresip(dir, 6);
      await ready;
      await new Promise((r) => setTimeout(r, 200));
      const target = c.tls ? `sip:br@127.0.0.1:${port + 1};transport=tls` : `sip:br@127.0.0.1:${port}`;
      const r = await placeCall({ target, srtp: c.srtp, durationS: 2, toneHz: 440, insecure: true });
      const log = await done;
      expect(r.ok, `${JSON.stringify(r)}\n${log.slice(-3000)}`).toBe(true);
      expect(r.byeStatus).toBe(200);
      expect(r.media?.packetsReceived).toBeGreaterThan(50);
      expect(Math.abs((r.media?.receivedToneHz ?? 0) - 600)).toBeLessThan(5);
      expect(Math.abs(decodedFrequency(dir) - 440)).toBeLessThan(5);
    }, 30_000);
  }
});
