import { fileURLToPath } from 'node:url';
import { type EchoServer, placeCall, startEcho } from '@mdh/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from './helpers.js';
import { hasPeer } from './peers.js';
import { killSipps, sipp, uacArgs } from './sipp-helpers.js';

// Issue #15 item 2 against sipp: reliable provisional responses and PRACK (RFC 3262) both ways.

const scenario = (name: string) => fileURLToPath(new URL(`./sipp/${name}.xml`, import.meta.url));

afterAll(() => killSipps());

describe.skipIf(!hasPeer('sipp'))('RFC 3262 (100rel, PRACK) against sipp', () => {
  it('sipp UAS sends 183 with Require: 100rel + RSeq to `mdh call`: PRACK with the right RAck, call completes', async () => {
    const port = await freeUdpPort();
    const mp = await freeUdpPort();
    const uas = sipp([
      '-sf',
      scenario('uas-100rel'),
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-mp',
      String(mp),
      '-rtp_echo',
      '-m',
      '1',
      '-timeout',
      '20s',
      '-timeout_error',
    ]);
    await new Promise((r) => setTimeout(r, 500));
    const report = await placeCall({ target: `sip:service@127.0.0.1:${port}`, durationS: 1 });
    const r = await uas;
    expect(r.code, r.out.slice(-2000)).toBe(0);
    expect(r.successful).toBe(1);
    expect(report.status, JSON.stringify(report)).toBe(200);
    expect(report.byeStatus).toBe(200);
    // the answer came in the reliable 183 (the 200 had no SDP): media flowed both ways through sipp's echo
    expect(report.media?.packetsReceived).toBeGreaterThan(20);
  }, 40_000);

  it('sipp UAC with Supported: 100rel to `mdh echo`: reliable 183, PRACK and a retransmitted PRACK, 10 calls', async () => {
    const echo: EchoServer = await startEcho({ host: '127.0.0.1', port: 0, media: false });
    try {
      const r = await sipp(['-sf', scenario('uac-100rel'), ...uacArgs(echo.port, 10, 10, '30s')]);
      expect(r.code, r.out.slice(-2000)).toBe(0);
      expect(r.successful).toBe(10);
      expect(r.failed).toBe(0);
      expect(echo.totals.answered).toBe(10);
      expect(echo.ua.activeCalls).toBe(0);
    } finally {
      await echo.stop();
    }
  }, 60_000);
});
