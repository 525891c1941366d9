import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildMessageSummary,
  type IncomingSubscription,
  listenTransport,
  MESSAGE_SUMMARY_TYPE,
  UserAgent,
} from '@mdh/sip';
import { afterAll, describe, expect, it } from 'vitest';
import { baresip, baresipDir, cleanupBaresip, freePortPair } from './baresip-helpers.js';
import { hasPeer } from './peers.js';

// Issue #15 item 6 against baresip's `mwi` module: baresip registers with an mdh UA (its registrar) and then
// SUBSCRIBEs to message-summary (RFC 3842) for its AOR; mdh accepts and NOTIFYs the summary; baresip's menu
// prints the MWI it received.

afterAll(() => cleanupBaresip());

describe.skipIf(!hasPeer('baresip'))('message waiting indication with baresip', () => {
  it('baresip (mwi module) subscribes to mdh and shows the MWI that mdh notifies', async () => {
    const t = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
    const ua = new UserAgent({ transports: [t], user: 'vm', registrar: true });
    const served: IncomingSubscription[] = [];
    ua.subscriptions.addPackage('message-summary', {
      contentTypes: [MESSAGE_SUMMARY_TYPE],
      onSubscribe(sub) {
        served.push(sub);
        sub.accept({
          contentType: MESSAGE_SUMMARY_TYPE,
          body: buildMessageSummary({
            waiting: true,
            account: sub.resource,
            messages: [{ context: 'voice-message', newMessages: 4, oldMessages: 7, newUrgent: 1, oldUrgent: 0 }],
          }),
        });
      },
    });
    const port = await freePortPair();
    const dir = baresipDir(port, 'none', false, 440, ['module_app mwi.so']);
    writeFileSync(join(dir, 'accounts'), `<sip:br@127.0.0.1:${t.localPort}>;regint=600;mwi=yes;audio_codecs=PCMU\n`);
    try {
      const run = baresip(dir, 10);
      const out = await run.done;
      expect(served.length, out.slice(-3000)).toBeGreaterThanOrEqual(1);
      expect(served[0]!.request.get('accept')).toContain(MESSAGE_SUMMARY_TYPE);
      expect(served[0]!.subscriber).toContain('sip:br@127.0.0.1');
      // the menu module prints the NOTIFY body it received
      expect(out, out.slice(-3000)).toMatch(/MWI for sip:br@127\.0\.0\.1/);
      expect(out).toMatch(/Messages-Waiting: yes/);
      expect(out).toMatch(/Voice-Message: 4\/7 \(1\/0\)/);
    } finally {
      await ua.close();
    }
  }, 60_000);
});
