import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { type B2buaCallRecord, startB2bua } from '@mdh/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from './helpers.js';
import { hasPeer } from './peers.js';
import { killSipps, sipp, uacArgs } from './sipp-helpers.js';

// RFC 3262 across `mdh b2bua`: sipp UAC (Supported: 100rel) → b2bua --media pass → sipp UAS that answers with a
// reliable 183 (Require: 100rel, RSeq, SDP) and waits for its PRACK. Each leg is its own dialog: the UAS's 183 is
// PRACKed by the B2BUA on leg B, and the B2BUA's own reliable 183 (its RSeq) is PRACKed by the UAC on leg A, whose
// scenario checks Require/RSeq/SDP, sends the RAck and retransmits its PRACK.

const SIPP = join(import.meta.dirname, 'sipp');

afterAll(() => killSipps());

/** Resolves once something holds UDP `port` on 127.0.0.1 (bounded: 10 s). */
async function waitBound(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const s = createSocket('udp4');
    const inUse = await new Promise<boolean>((r) => {
      s.once('error', () => r(true));
      s.bind(port, '127.0.0.1', () => r(false));
    });
    await new Promise<void>((r) => (inUse ? r() : s.close(() => r())));
    if (inUse) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing bound 127.0.0.1:${port}`);
}

describe.skipIf(!hasPeer('sipp'))('mdh b2bua relays reliable provisionals (RFC 3262) between sipp peers', () => {
  it('sipp UAC 100rel → b2bua --media pass → sipp UAS reliable 183: PRACKed on each leg, 5 calls, 0 failed', async () => {
    const N = 5;
    const uasPort = await freeUdpPort();
    const uas = sipp(
      [
        '-sf',
        join(SIPP, 'uas-100rel.xml'),
        '-i',
        '127.0.0.1',
        '-p',
        String(uasPort),
        '-m',
        String(N),
        '-timeout',
        '60s',
        '-timeout_error',
      ],
      90_000,
    );
    await waitBound(uasPort);
    const bridged: B2buaCallRecord[] = [];
    const b2b = await startB2bua({
      host: '127.0.0.1',
      port: 0,
      to: `sip:service@127.0.0.1:${uasPort}`,
      media: 'pass',
      onCall: (r) => bridged.push(r),
    });
    try {
      const r = await sipp(['-sf', join(SIPP, 'uac-100rel.xml'), ...uacArgs(b2b.transport.localPort, N, 2, '40s')]);
      expect(r.failed, r.out.slice(-3000)).toBe(0);
      expect(r.successful).toBe(N);
      const u = await uas;
      expect(u.failed, u.out.slice(-3000)).toBe(0);
      expect(u.successful).toBe(N);
      for (let i = 0; i < 40 && bridged.length < N; i++) await new Promise((r) => setTimeout(r, 50));
      expect(bridged.map((b) => b.status)).toEqual(new Array(N).fill(200));
      expect(b2b.ua.activeCalls).toBe(0);
    } finally {
      await b2b.stop();
    }
  }, 120_000);
});
