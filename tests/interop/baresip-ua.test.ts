import { afterAll, describe, expect, it } from 'vitest';
import { type BaresipCtrl, killControlled, startBaresip } from './baresip-ctrl.js';
import { cleanupBaresip } from './baresip-helpers.js';
import { type MdhPhone, type PhoneCall, startPhone } from './mdh-phone.js';
import { hasPeer } from './peers.js';

// Issue #15 "Proven by": baresip ↔ mdh UserAgent — hold and resume both ways (RFC 3264 §8.4), blind transfer by
// baresip's REFER (RFC 3515) to a second mdh UA, DTMF both ways (RFC 4733 in the media and SIP INFO
// application/dtmf-relay). baresip is driven through its ctrl_tcp module; mdh phones are UserAgents with real
// media (tests/interop/mdh-phone.ts) that send a tone while their SDP direction lets them send.
//
// baresip 1.0.0 limitations: it receives DTMF by SIP INFO (application/dtmf-relay, "Signal=") but has no setting to
// send it (it sends RFC 4733 only): INFO towards mdh is proven with sipp (sipp-info-dtmf.test.ts). It answers
// UPDATE 501, so hold towards it goes by re-INVITE; it has no hold event (its recvonly answer and its stopped
// stream are the evidence).

afterAll(() => {
  killControlled();
  cleanupBaresip();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` every 50 ms until true; bounded. */
async function until(f: () => boolean, what: string, ms = 15_000): Promise<void> {
  for (let waited = 0; !f(); waited += 50) {
    if (waited >= ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const counts = (pc: PhoneCall) => {
  const s = pc.media.stats();
  return { sent: s.sent.packets, received: s.received.packets };
};

describe.skipIf(!hasPeer('baresip'))('baresip ↔ mdh UserAgent', () => {
  let br: BaresipCtrl | undefined;
  const phones: MdhPhone[] = [];
  const cleanup = async () => {
    for (const p of phones.splice(0)) await p.close();
    await br?.stop();
    br = undefined;
  };

  it('baresip holds and resumes an mdh call: mdh answers recvonly then sendrecv, and the media follows', async () => {
    try {
      br = await startBaresip({ seconds: 40 });
      const a = await startPhone('alice');
      phones.push(a);
      // baresip places the call this time
      expect((await br.command(`dial ${a.uri}`)).ok).toBe(true);
      const pc = await a.waitCall(0);
      await br.waitEvent((e) => e.type === 'CALL_ESTABLISHED');
      await until(() => counts(pc).received > 25, 'media from baresip');
      expect(counts(pc).sent).toBeGreaterThan(0);

      expect((await br.command('hold')).ok).toBe(true);
      await until(() => pc.directions.at(-1) === 'recvonly', 'the hold re-INVITE');
      expect(pc.call.remoteSdp).toMatch(/a=sendonly/);
      const held = counts(pc);
      await sleep(1500);
      const afterHold = counts(pc);
      // held: we send nothing (our answer was recvonly), and baresip stops its stream too
      expect(afterHold.sent - held.sent).toBe(0);
      expect(afterHold.received - held.received).toBeLessThanOrEqual(2);

      expect((await br.command('resume')).ok).toBe(true);
      await until(() => pc.directions.at(-1) === 'sendrecv', 'the resume re-INVITE');
      const resumed = counts(pc);
      await sleep(1500);
      const afterResume = counts(pc);
      expect(afterResume.sent - resumed.sent).toBeGreaterThan(20);
      expect(afterResume.received - resumed.received).toBeGreaterThan(20);
      expect(pc.directions).toEqual(['sendrecv', 'recvonly', 'sendrecv']);
      expect(pc.call.state).toBe('confirmed');
      expect(await pc.call.hangup()).toBe(200);
      await br.waitEvent((e) => e.type === 'CALL_CLOSED');
    } finally {
      await cleanup();
    }
  }, 60_000);

  it('mdh holds and resumes baresip: baresip answers recvonly then sendrecv, and stops then resumes its media', async () => {
    try {
      br = await startBaresip({ seconds: 40 });
      const a = await startPhone('alice');
      phones.push(a);
      const pc = await a.dial(br.uri);
      await br.waitEvent((e) => e.type === 'CALL_ESTABLISHED');
      await until(() => counts(pc).received > 25, 'media from baresip');

      // baresip 1.0.0 does not implement UPDATE (RFC 3311): a hold by UPDATE is refused (501) and changes nothing
      await expect(pc.call.hold({ method: 'UPDATE' })).rejects.toThrow(/501/);
      expect(pc.call.localHold).toBe(false);
      expect(pc.call.localSdp).toMatch(/a=sendrecv/);
      expect(pc.call.state).toBe('confirmed');

      const offers = br.events.length;
      const holdAnswer = await pc.call.hold();
      expect(pc.call.localSdp).toMatch(/a=sendonly/);
      // baresip's report: it saw our offer and answered it held (recvonly)
      expect(holdAnswer).toMatch(/a=recvonly/);
      await br.waitEvent((e) => e.type === 'CALL_REMOTE_SDP' && e.param === 'offer', 5000, offers);
      await sleep(200); // packets already in flight
      const held = counts(pc);
      await sleep(1500);
      const afterHold = counts(pc);
      expect(afterHold.received - held.received).toBeLessThanOrEqual(2); // baresip stopped sending
      expect(afterHold.sent - held.sent).toBeGreaterThan(20); // we still send (sendonly: music on hold)

      const resumeAnswer = await pc.call.resume();
      expect(resumeAnswer).toMatch(/a=sendrecv/);
      const resumed = counts(pc);
      await sleep(1500);
      expect(counts(pc).received - resumed.received).toBeGreaterThan(20);
      expect(br.log()).toMatch(/got re-INVITE \(SDP Offer\)[\s\S]*got re-INVITE \(SDP Offer\)/);
      expect(await pc.call.hangup()).toBe(200);
      await br.waitEvent((e) => e.type === 'CALL_CLOSED');
    } finally {
      await cleanup();
    }
  }, 60_000);

  it("blind transfer: baresip's /transfer REFERs mdh A to mdh B; A NOTIFYs sipfrag 100 then 200; B's call is up", async () => {
    try {
      br = await startBaresip({ seconds: 40 });
      const a = await startPhone('alice');
      const b = await startPhone('bob', 700);
      phones.push(a, b);
      const notifies: string[] = [];
      const dec = new TextDecoder();
      a.ua.stack.onTrace = (e) => {
        const text = dec.decode(e.data);
        if (e.direction === 'send' && text.startsWith('NOTIFY ')) notifies.push(text);
      };
      const pc = await a.dial(br.uri);
      const refers: { target: string; referredBy: string | undefined }[] = [];
      pc.call.on('refer', (e) => refers.push({ target: e.target, referredBy: e.referredBy }));
      await br.waitEvent((e) => e.type === 'CALL_ESTABLISHED');

      expect((await br.command(`transfer ${b.uri}`)).ok).toBe(true);
      const bc = await b.waitCall(0);
      expect(bc.call.state).toBe('confirmed');
      expect(refers).toEqual([{ target: b.uri, referredBy: undefined }]);
      expect(bc.call.dialog.remoteUri).toContain('alice@');
      // the transferor heard the final sipfrag and ended its call: baresip's "Call transfered"
      const closed = await br.waitEvent((e) => e.type === 'CALL_CLOSED');
      expect(closed.param).toBe('Call transfered');
      expect(await pc.call.whenEnded()).toBe('remote-bye');
      // RFC 3515 §2.4.5: Event: refer, message/sipfrag bodies, 100 Trying (active) then 200 OK (terminated)
      expect(notifies).toHaveLength(2);
      for (const n of notifies) {
        expect(n).toMatch(/^Event: refer;id=\d+/im);
        expect(n).toMatch(/^Content-Type: message\/sipfrag/im);
      }
      expect(notifies[0]).toMatch(/^Subscription-State: active/im);
      expect(notifies[0]).toMatch(/\r\n\r\nSIP\/2\.0 100 Trying/);
      expect(notifies[1]).toMatch(/^Subscription-State: terminated/im);
      expect(notifies[1]).toMatch(/\r\n\r\nSIP\/2\.0 200 OK/);
      // the referred call has media of its own (ReferRequest.offer): tones cross between A and B
      const ab = await a.waitCall(1);
      expect(ab.call).not.toBe(pc.call);
      await until(() => counts(bc).received > 25 && counts(ab).received > 25, 'media between A and B');
      expect(a.ua.stats().subscriptions).toBe(0);
      expect(await bc.call.hangup()).toBe(200);
    } finally {
      await cleanup();
    }
  }, 60_000);

  it('blind transfer the other way: mdh A REFERs baresip to mdh B; baresip calls B and its NOTIFY settles 200', async () => {
    try {
      br = await startBaresip({ seconds: 40 });
      const a = await startPhone('alice');
      const b = await startPhone('bob', 700);
      phones.push(a, b);
      const pc = await a.dial(br.uri);
      await br.waitEvent((e) => e.type === 'CALL_ESTABLISHED');
      // resolves with the final status baresip's sipfrag NOTIFY reports (RFC 3515 §2.4.5)
      expect(await pc.call.transfer(b.uri)).toEqual({ status: 200, reason: 'OK' });
      const tr = await br.waitEvent((e) => e.type === 'TRANSFER');
      expect(tr.param).toContain(b.uri);
      const bc = await b.waitCall(0);
      expect(bc.call.dialog.remoteUri).toContain('br@127.0.0.1');
      expect(a.ua.stats().subscriptions).toBe(0);
      await until(() => counts(bc).received > 25, 'media from baresip to B');
      expect(await pc.call.hangup()).toBe(200);
      expect(await bc.call.hangup()).toBe(200);
    } finally {
      await cleanup();
    }
  }, 60_000);

  it('DTMF both ways: baresip RFC 4733 → mdh; mdh RFC 4733 and SIP INFO → baresip', async () => {
    try {
      br = await startBaresip({ seconds: 40 });
      const a = await startPhone('alice');
      phones.push(a);
      const pc = await a.dial(br.uri);
      await br.waitEvent((e) => e.type === 'CALL_ESTABLISHED');
      await until(() => counts(pc).received > 10, 'media from baresip');

      expect((await br.command('sndcode 12#')).ok).toBe(true);
      await until(() => pc.digits.length >= 3, "baresip's digits");
      await sleep(500);
      expect(pc.digits).toEqual([
        { digit: '1', source: 'rfc4733' },
        { digit: '2', source: 'rfc4733' },
        { digit: '#', source: 'rfc4733' },
      ]);

      const from = br.events.length;
      pc.media.sendDtmf('9');
      const e9 = await br.waitEvent((e) => e.type === 'CALL_DTMF_START', 10_000, from);
      expect(e9.param).toBe('9');
      await br.waitEvent((e) => e.type === 'CALL_DTMF_END', 10_000, from);

      const from2 = br.events.length;
      expect(await pc.call.sendDtmfInfo('5')).toBe(200);
      const e5 = await br.waitEvent((e) => e.type === 'CALL_DTMF_START', 10_000, from2);
      expect(e5.param).toBe('5');
      expect(br.log()).toContain("call: received DTMF: '5' (duration=160)");
      expect(await pc.call.hangup()).toBe(200);
    } finally {
      await cleanup();
    }
  }, 60_000);
});
