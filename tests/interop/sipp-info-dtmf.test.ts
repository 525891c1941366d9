import { fileURLToPath } from 'node:url';
import { type EchoDigitRecord, startEcho } from '@mdh/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';
import { killSipps, sipp, uacArgs } from './sipp-helpers.js';

// Issue #15 item 7 from a real peer: DTMF by SIP INFO (application/dtmf-relay) reaches `mdh echo` as the call's
// digits; an INFO naming no digit gets 400 and no digit. (baresip 1.0.0 only receives INFO DTMF — it cannot send
// it — so the peer→mdh direction is proven with sipp; baresip-ua.test.ts proves mdh→baresip.)

const scenario = fileURLToPath(new URL('./sipp/uac-info-dtmf.xml', import.meta.url));

afterAll(() => killSipps());

describe.skipIf(!hasPeer('sipp'))('DTMF by SIP INFO from sipp', () => {
  it('sipp INFOs Signal=5 (250 ms) and Signal=#: echo reports 5 and #; Signal=Z → 400', async () => {
    const digits: EchoDigitRecord[] = [];
    const echo = await startEcho({ host: '127.0.0.1', port: 0, media: false, onDigit: (d) => digits.push(d) });
    try {
      const r = await sipp(['-sf', scenario, ...uacArgs(echo.port, 2, 2, '30s')]);
      expect(r.code, r.out.slice(-2000)).toBe(0);
      expect(r.successful).toBe(2);
      expect(r.failed).toBe(0);
      expect(digits.map((d) => `${d.n}:${d.digit}/${d.durationMs}`).sort()).toEqual(
        ['1:5/250', '1:#/160', '2:5/250', '2:#/160'].sort(),
      );
      expect(echo.ua.activeCalls).toBe(0);
    } finally {
      await echo.stop();
    }
  }, 60_000);
});
