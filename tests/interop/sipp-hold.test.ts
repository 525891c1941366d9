import { fileURLToPath } from 'node:url';
import { type EchoServer, startEcho } from '@mdh/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';
import { killSipps, sipp, uacArgs } from './sipp-helpers.js';

// Issue #15 item 3 against sipp: hold/resume by re-INVITE and by UPDATE (RFC 3264 §8.4, RFC 3311).

const scenario = fileURLToPath(new URL('./sipp/uac-hold.xml', import.meta.url));

afterAll(() => killSipps());

describe.skipIf(!hasPeer('sipp'))('hold/resume against sipp', () => {
  it('sipp re-INVITEs and UPDATEs `mdh echo` with a=sendonly → a=recvonly, then a=sendrecv → a=sendrecv', async () => {
    const echo: EchoServer = await startEcho({ host: '127.0.0.1', port: 0 });
    try {
      const r = await sipp(['-sf', scenario, ...uacArgs(echo.port, 3, 3, '30s')]);
      expect(r.code, r.out.slice(-2000)).toBe(0);
      expect(r.successful).toBe(3);
      expect(r.failed).toBe(0);
      expect(echo.totals.answered).toBe(3);
      expect(echo.ua.activeCalls).toBe(0);
    } finally {
      await echo.stop();
    }
  }, 60_000);
});
