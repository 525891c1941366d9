import { fileURLToPath } from 'node:url';
import { answerSdpOffer, listenTransport, UserAgent } from '@mdh/sip';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';
import { killSipps, sipp, uacArgs } from './sipp-helpers.js';

// Issue #15 "Proven by": sipp UAC -m 1000 where half the calls are CANCELled after the 180 (RFC 3261 §9): 0 failed,
// and nothing leaks — every count of `ua.stats()` (transactions of each kind, dialogs, calls, 2xx awaiting ACK,
// subscriptions, registrations) goes back to 0 once the transactions' own timers (J, K, I, L: at most 64·T1 = 32 s
// on UDP) have run out. Real timers here (a real peer), so the wait is a bounded poll.

const scenario = fileURLToPath(new URL('./sipp/uac-half-cancel.xml', import.meta.url));

afterAll(() => killSipps());

describe.skipIf(!hasPeer('sipp'))('sipp: 1000 calls, half cancelled after the 180', () => {
  it('0 failed; 500 answered, 500 cancelled (487); ua.stats() all back to 0', async () => {
    const t = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
    const ua = new UserAgent({ transports: [t], user: 'service' });
    ua.stack.onError = () => {};
    let answered = 0;
    let cancelled = 0;
    let ended = 0;
    const errors: unknown[] = [];
    ua.on('error', (e) => errors.push(e));
    ua.on('callEnded', () => ended++);
    ua.on('invite', async (inv) => {
      inv.ring(180);
      // the application's choice: "Subject: ring" rings until the caller gives up (CANCEL)
      if (inv.request.get('subject') === 'ring') {
        inv.on('cancel', () => cancelled++);
        return;
      }
      const a = answerSdpOffer(
        inv.remoteSdp ?? '',
        { address: '127.0.0.1', port: 9, srtp: 'none' },
        {
          sessionId: '1',
          version: 1,
        },
      );
      await inv.answer(a.sdp);
      answered++;
    });
    try {
      const r = await sipp(['-sf', scenario, ...uacArgs(t.localPort, 1000, 100, '60s')], 120_000);
      expect(r.code, r.out.slice(-3000)).toBe(0);
      expect(r.successful).toBe(1000);
      expect(r.failed).toBe(0);
      expect(answered).toBe(500);
      expect(cancelled).toBe(500);
      expect(ended).toBe(500);
      expect(errors).toEqual([]);
      const zero = {
        calls: 0,
        dialogs: 0,
        awaitingAck: 0,
        reliableProvisionals: 0,
        earlyDialogs: 0,
        subscriptions: 0,
        registrations: 0,
        transactions: {
          client: 0,
          server: 0,
          clientInvite: 0,
          clientNonInvite: 0,
          serverInvite: 0,
          serverNonInvite: 0,
        },
      };
      // Timer J (non-INVITE server: the BYEs and CANCELs) is 64·T1 = 32 s over UDP: poll for up to 60 s
      for (let i = 0; i < 600 && JSON.stringify(ua.stats()) !== JSON.stringify(zero); i++) {
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(ua.stats()).toEqual(zero);
    } finally {
      await ua.close();
    }
  }, 150_000);
});
