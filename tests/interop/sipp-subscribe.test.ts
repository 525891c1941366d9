import { fileURLToPath } from 'node:url';
import {
  buildMessageSummary,
  type IncomingSubscription,
  listenTransport,
  MESSAGE_SUMMARY_TYPE,
  parseMessageSummary,
  type SubscriptionNotify,
  UserAgent,
} from '@mdh/sip';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from './helpers.js';
import { hasPeer } from './peers.js';
import { killSipps, sipp, uacArgs } from './sipp-helpers.js';

// Issue #15 item 6 against sipp: SUBSCRIBE/NOTIFY (RFC 6665) with the message-summary package (RFC 3842), mdh
// as notifier (sipp UAC subscribes, then unsubscribes) and as subscriber (sipp UAS notifies, then terminates;
// also with its first NOTIFY ahead of the 200). RFC timers are proven on the manual clock in
// packages/sip/test/ua.subscribe.test.ts.

const sf = (name: string) => fileURLToPath(new URL(`./sipp/${name}`, import.meta.url));

afterAll(() => killSipps());

describe.skipIf(!hasPeer('sipp'))('SUBSCRIBE/NOTIFY against sipp', () => {
  it('sipp SUBSCRIBEs message-summary to an mdh notifier: 200 + NOTIFY with a valid body; unsubscribe → terminated', async () => {
    const t = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
    const ua = new UserAgent({ transports: [t], user: 'bob' });
    const served: IncomingSubscription[] = [];
    ua.subscriptions.addPackage('message-summary', {
      contentTypes: [MESSAGE_SUMMARY_TYPE],
      onSubscribe(sub) {
        served.push(sub);
        sub.accept({
          contentType: MESSAGE_SUMMARY_TYPE,
          body: buildMessageSummary({
            waiting: true,
            account: 'sip:bob@127.0.0.1',
            messages: [{ context: 'voice-message', newMessages: 2, oldMessages: 8, newUrgent: 0, oldUrgent: 2 }],
          }),
        });
      },
    });
    try {
      const r = await sipp(['-sf', sf('uac-subscribe-mwi.xml'), ...uacArgs(t.localPort, 2, 2, '30s')]);
      expect(r.code, r.out.slice(-2000)).toBe(0);
      expect(r.successful).toBe(2);
      expect(served.map((s) => s.endReason)).toEqual(['unsubscribed', 'unsubscribed']);
      expect(ua.subscriptions.size).toEqual({ made: 0, served: 0 });
    } finally {
      await ua.close();
    }
  }, 60_000);

  for (const [name, scenario] of [
    ['200 then NOTIFYs', 'uas-notify.xml'],
    ['the first NOTIFY before the 200 (§4.1.2.4)', 'uas-notify-first.xml'],
  ] as const) {
    it(`an mdh subscriber against a sipp notifier (${name}): active with the summary, then terminated`, async () => {
      const port = await freeUdpPort();
      const uas = sipp([
        '-sf',
        sf(scenario),
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
        const sub = ua.subscribe(`sip:mwi@127.0.0.1:${port}`, { event: 'message-summary', expires: 60 });
        const notes: SubscriptionNotify[] = [];
        const states: string[] = [];
        sub.on('notify', (n) => notes.push(n));
        sub.on('state', (s) => states.push(s));
        const bound = new Promise((r) => setTimeout(r, 20_000));
        await Promise.race([sub.whenTerminated(), bound]);
        expect(sub.termination).toEqual({ reason: 'noresource' });
        expect(states).toEqual(['active', 'terminated']);
        expect(notes).toHaveLength(2);
        const s = parseMessageSummary(notes[0]!.body);
        expect(s.waiting).toBe(true);
        expect(s.account).toBe('sip:mwi@127.0.0.1');
        expect(s.messages).toEqual([
          { context: 'voice-message', newMessages: 3, oldMessages: 5, newUrgent: 1, oldUrgent: 0 },
        ]);
        expect(parseMessageSummary(notes[1]!.body).waiting).toBe(false);
        const r = await uas;
        expect(r.code, r.out.slice(-2000)).toBe(0);
        expect(r.successful).toBe(1);
      } finally {
        await ua.close();
      }
    }, 60_000);
  }
});
