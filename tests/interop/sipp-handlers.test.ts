import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { answerSdpOffer, listenTransport, makeSdesCrypto, UserAgent } from '@mdh/sip';
import { describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';
import { sippMediaPort } from './sipp-helpers.js';

// Issue #15 item 1 against a real peer: a handler that throws → sipp gets 500; an unanswerable offer → 488;
// the UA keeps serving (the next sipp call succeeds); nothing goes unhandled.

const scenario = (code: number) => fileURLToPath(new URL(`./sipp/uac-expect-${code}.xml`, import.meta.url));

/** Runs sipp to completion (hard-killed after 30 s); resolves with its exit code and output. */
function sipp(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = spawn('sipp', [...args, '-nostdin', '-mp', String(sippMediaPort())], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout?.on('data', (d) => {
    out = (out + d).slice(-20_000);
  });
  p.stderr?.on('data', (d) => {
    out = (out + d).slice(-20_000);
  });
  const kill = setTimeout(() => p.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => {
    p.on('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, out });
    });
  });
}

describe.skipIf(!hasPeer('sipp'))('sipp against a UserAgent whose handlers fail', () => {
  it('throwing handler → 500, unanswerable offer → 488, then a normal call succeeds', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const t = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
    const ua = new UserAgent({ transports: [t], user: 'service' });
    const errors: string[] = [];
    ua.on('error', (e) => errors.push((e as Error).name));
    let mode: 'throw' | 'srtp-only' | 'answer' = 'throw';
    ua.on('invite', async (inv) => {
      if (mode === 'throw') throw new Error('application bug');
      // srtp-only: sipp offers RTP/AVP, we only accept SDES-SRTP → SdpNegotiationError
      const local =
        mode === 'srtp-only'
          ? { address: '127.0.0.1', port: 7000, srtp: 'sdes' as const, crypto: makeSdesCrypto() }
          : { address: '127.0.0.1', port: 7000, srtp: 'none' as const };
      const a = answerSdpOffer(inv.remoteSdp ?? '', local, { sessionId: '1', version: 1 });
      await inv.answer(a.sdp);
    });
    const common = [`127.0.0.1:${t.localPort}`, '-i', '127.0.0.1', '-m', '1', '-timeout', '15s', '-timeout_error'];
    try {
      const r500 = await sipp(['-sf', scenario(500), ...common]);
      expect(r500.code, r500.out.slice(-1500)).toBe(0);
      mode = 'srtp-only';
      const r488 = await sipp(['-sf', scenario(488), ...common]);
      expect(r488.code, r488.out.slice(-1500)).toBe(0);
      mode = 'answer';
      const ok = await sipp(['-sn', 'uac', ...common]);
      expect(ok.code, ok.out.slice(-1500)).toBe(0);
      expect(errors).toEqual(['Error', 'SdpNegotiationError']);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await ua.close();
    }
  }, 90_000);
});
