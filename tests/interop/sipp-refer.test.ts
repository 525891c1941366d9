import { fileURLToPath } from 'node:url';
import { type EchoServer, startEcho } from '@mdh/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';
import { killSipps, sipp, uacArgs } from './sipp-helpers.js';

// Issue #15 item 5 against sipp: an in-dialog REFER to `mdh echo` (RFC 3515): 202, then NOTIFYs with
// message/sipfrag bodies (SIP/2.0 100 Trying, then the final status of the referred call to a second echo).

const scenario = fileURLToPath(new URL('./sipp/uac-refer.xml', import.meta.url));

afterAll(() => killSipps());

describe.skipIf(!hasPeer('sipp'))('REFER against sipp', () => {
  it('sipp REFERs `mdh echo` to a second echo: 202, NOTIFY 100 Trying, NOTIFY 200 OK (terminated)', async () => {
    const echo: EchoServer = await startEcho({ host: '127.0.0.1', port: 0, media: false });
    const target: EchoServer = await startEcho({ host: '127.0.0.1', port: 0, media: false });
    try {
      const r = await sipp([
        '-sf',
        scenario,
        ...uacArgs(echo.port, 2, 2, '30s'),
        '-key',
        'target',
        `sip:target@127.0.0.1:${target.port}`,
      ]);
      expect(r.code, r.out.slice(-2000)).toBe(0);
      expect(r.successful).toBe(2);
      expect(target.totals.answered).toBe(2); // the referred calls reached the target
    } finally {
      await echo.stop();
      await target.stop();
    }
  }, 60_000);
});
