import { fileURLToPath } from 'node:url';
import { startEcho } from '@mdh/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';
import { killSipps, sipp, uacArgs } from './sipp-helpers.js';

// Issue #15 "Bad input" from a real peer (sipp/uac-bad-input.xml) to `mdh echo`: a PRACK whose RAck names an RSeq
// never sent or a CSeq never sent → 481 (RFC 3262 §3); REFER without Refer-To → 400 (RFC 3515 §2.4.2); a NOTIFY of
// no subscription → 481 (RFC 6665 §4.1.3); a re-INVITE and an UPDATE with Session-Expires 60 → 422 with Min-SE: 90
// (RFC 4028 §9). Never an exception, never a stuck dialog: a hold re-INVITE afterwards is answered and BYE ends it.

const scenario = fileURLToPath(new URL('./sipp/uac-bad-input.xml', import.meta.url));

afterAll(() => killSipps());

describe.skipIf(!hasPeer('sipp'))('bad input from sipp', () => {
  it('481, 481, 400, 481, 422, 422 as the RFCs say; the dialog keeps working; no error, no call left', async () => {
    const echo = await startEcho({ host: '127.0.0.1', port: 0, media: false });
    const errors: unknown[] = [];
    echo.ua.on('error', (e) => errors.push(e));
    try {
      const r = await sipp(['-sf', scenario, ...uacArgs(echo.port, 3, 3, '30s')]);
      expect(r.code, r.out.slice(-3000)).toBe(0);
      expect(r.successful).toBe(3);
      expect(r.failed).toBe(0);
      expect(echo.totals.answered).toBe(3);
      expect(echo.ua.activeCalls).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await echo.stop();
    }
  }, 60_000);
});
