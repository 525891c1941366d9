import { type EchoDigitRecord, startEcho } from '@mdh/cli';
import { listenTransport, UserAgent } from '@mdh/sip';
import { describe, expect, it } from 'vitest';

// DTMF by SIP INFO reaches `mdh echo` as digits, like RFC 4733 ones (tests/call-media.test.ts covers those).

const offer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';

describe('DTMF by SIP INFO to mdh echo', () => {
  it('INFO application/dtmf-relay digits are reported by echo', async () => {
    const digits: EchoDigitRecord[] = [];
    const echo = await startEcho({ host: '127.0.0.1', port: 0, media: false, onDigit: (d) => digits.push(d) });
    const t = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
    const ua = new UserAgent({ transports: [t] });
    try {
      const call = await ua.invite(`sip:echo@127.0.0.1:${echo.port}`, { sdp: offer }).result;
      expect(await call.sendDtmfInfo('7*', 200)).toBe(200);
      expect(digits.map((d) => `${d.digit}/${d.durationMs}`)).toEqual(['7/200', '*/200']);
      expect(await call.hangup()).toBe(200);
    } finally {
      await ua.close();
      await echo.stop();
    }
  }, 20_000);
});
