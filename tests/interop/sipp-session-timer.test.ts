import { fileURLToPath } from 'node:url';
import { listenTransport, UserAgent } from '@mdh/sip';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from './helpers.js';
import { hasPeer } from './peers.js';
import { killSipps, sipp } from './sipp-helpers.js';

// Issue #15 item 4 against sipp: session timers (RFC 4028). The exact timing (SE/2, expiry) is covered on the
// manual clock in packages/sip/test/ua.session-timer.test.ts; here a short interval keeps the run short.

const scenario = fileURLToPath(new URL('./sipp/uas-session-timer.xml', import.meta.url));
const offer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';

afterAll(() => killSipps());

describe.skipIf(!hasPeer('sipp'))('session timers against sipp', () => {
  it('sipp UAS answers Session-Expires: 4;refresher=uac: we refresh at half, and BYE when refreshes go unanswered', async () => {
    const port = await freeUdpPort();
    const uas = sipp([
      '-sf',
      scenario,
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-m',
      '1',
      '-timeout',
      '30s',
      '-timeout_error',
    ]);
    await new Promise((r) => setTimeout(r, 500));
    const t = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
    const ua = new UserAgent({ transports: [t], user: 'alice' });
    try {
      const call = await ua.invite(`sip:service@127.0.0.1:${port}`, { sdp: offer }).result;
      const t0 = Date.now();
      const why = await call.whenEnded();
      const lasted = Date.now() - t0;
      expect(why).toBe('timeout');
      // refreshed at ~2 s (answered), again at ~4 s (ignored): the session expires 4 s after the last refresh
      expect(lasted).toBeGreaterThan(5000);
      expect(lasted).toBeLessThan(8000);
      const r = await uas;
      expect(r.code, r.out.slice(-2000)).toBe(0);
      expect(r.successful).toBe(1);
    } finally {
      await ua.close();
    }
  }, 40_000);

  it('sipp UAS answers 422 with Min-SE: 1800: the INVITE is sent again with Session-Expires: 1800', async () => {
    const port = await freeUdpPort();
    const uas = sipp([
      '-sf',
      fileURLToPath(new URL('./sipp/uas-422.xml', import.meta.url)),
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-m',
      '1',
      '-timeout',
      '20s',
      '-timeout_error',
    ]);
    await new Promise((r) => setTimeout(r, 500));
    const t = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
    const ua = new UserAgent({ transports: [t], user: 'alice', sessionTimers: { expires: 90 } });
    try {
      const call = await ua.invite(`sip:service@127.0.0.1:${port}`, { sdp: offer }).result;
      expect(call.invite.get('session-expires')).toBe('1800');
      expect(call.invite.cseq?.seq).toBe(2);
      expect(await call.hangup()).toBe(200);
      const r = await uas;
      expect(r.code, r.out.slice(-2000)).toBe(0);
    } finally {
      await ua.close();
    }
  }, 40_000);
});
