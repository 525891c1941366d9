/**
 * End to end over loopback: `mdh call` → `mdh echo` (their library entry points), in plain RTP, SDES-SRTP and
 * DTLS-SRTP. Both sides run an @mdh/media MediaSession: the tone comes back, RTCP flows both ways (SR/RR, and the
 * BYE at hangup), and the RFC 4733 digits the caller sends are reported by the echo exactly once each.
 */
import { describe, expect, it } from 'vitest';
import { placeCall } from '../packages/cli/src/commands/call.js';
import { type EchoCallRecord, type EchoDigitRecord, startEcho } from '../packages/cli/src/commands/echo.js';

describe('mdh call → mdh echo with MediaSession on both sides', () => {
  for (const srtp of ['none', 'sdes', 'dtls'] as const) {
    it(`tone echoed, RTCP both ways, DTMF reported (${srtp})`, async () => {
      const calls: EchoCallRecord[] = [];
      const digits: EchoDigitRecord[] = [];
      const echo = await startEcho({
        host: '127.0.0.1',
        port: 0,
        onCall: (c) => calls.push(c),
        onDigit: (d) => digits.push(d),
      });
      try {
        const r = await placeCall({ target: `sip:echo@127.0.0.1:${echo.port}`, srtp, durationS: 4, dtmf: '1234#' });
        expect(r.ok, r.reason).toBe(true);
        const m = r.media!;
        expect(m.packetsSent).toBeGreaterThan(150);
        expect(m.packetsReceived).toBeGreaterThan(150);
        expect(m.dropped).toBe(0);
        if (srtp !== 'none') expect(m.srtpProfile).toBeTruthy();
        expect(Math.abs(m.receivedToneHz - 440)).toBeLessThan(3);
        expect(m.rtcpSent).toBeGreaterThanOrEqual(1);
        expect(m.rtcpReceived).toBeGreaterThanOrEqual(1);
        expect(m.remotePacketsSent).toBeGreaterThan(0);
        expect(r.dtmfSent).toBe('1234#');
        for (let i = 0; i < 100 && calls.length === 0; i++) await new Promise((res) => setTimeout(res, 20));
        expect(digits.map((d) => d.digit).join('')).toBe('1234#');
        expect(calls.length).toBe(1);
        expect(calls[0]!.media!.rtcpReceived).toBeGreaterThanOrEqual(1);
        expect(calls[0]!.media!.packetsReceived).toBeGreaterThan(150);
      } finally {
        await echo.stop();
      }
    });
  }
});
