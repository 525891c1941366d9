import { describe, expect, it } from 'vitest';
import { type Call, type IncomingCall, type ReferRequest, type SipRequest, UserAgent } from '../src/index.js';
import { offer, world } from './world.js';

// Transfer (RFC 3515 REFER, RFC 3892 Referred-By, RFC 3891 Replaces) on the memory network and the manual clock.

async function setup() {
  const w = world();
  const mk = (addr: string, user: string) =>
    new UserAgent({ loop: w.loop, transports: [w.net.attach(addr, 5060)], user });
  const a = mk('127.0.0.1', 'alice');
  const b = mk('127.0.0.2', 'bob');
  const c = mk('127.0.0.3', 'carol');
  const incoming: { ua: string; req: SipRequest; call?: Call }[] = [];
  for (const [ua, name] of [
    [b, 'bob'],
    [c, 'carol'],
  ] as const) {
    ua.on('invite', (i) => {
      const rec: { ua: string; req: SipRequest; call?: Call } = { ua: name, req: i.request };
      incoming.push(rec);
      void i.answer(offer).then((call) => {
        rec.call = call;
      });
    });
  }
  const out = a.invite('sip:bob@127.0.0.2:5060', { sdp: offer });
  await w.run(20);
  const ab = await out.result;
  return { w, a, b, c, ab, incoming };
}

describe('REFER (RFC 3515)', () => {
  it('blind transfer: 202, NOTIFY 100 Trying then 200, Referred-By on the new INVITE; the transferor learns 200', async () => {
    const { w, ab, incoming } = await setup();
    const bob = incoming[0]!.call!;
    const refers: ReferRequest[] = [];
    bob.on('refer', (e) => refers.push(e));
    const notifies: string[] = [];
    ab.on('request', (r) => notifies.push(`${r.get('subscription-state')}|${r.bodyText.trim()}`));
    const t = ab.transfer('sip:carol@127.0.0.3:5060');
    await w.run(100);
    expect(await t).toEqual({ status: 200, reason: 'OK' });
    expect(refers[0]?.target).toBe('sip:carol@127.0.0.3:5060');
    expect(refers[0]?.referredBy).toBe('<sip:alice@127.0.0.1:5060>');
    const toCarol = incoming.find((i) => i.ua === 'carol')!;
    expect(toCarol.req.get('referred-by')).toBe('<sip:alice@127.0.0.1:5060>');
    expect(toCarol.call?.state).toBe('confirmed');
    expect(notifies).toEqual(['active;expires=60|SIP/2.0 100 Trying', 'terminated;reason=noresource|SIP/2.0 200 OK']);
  });

  it('the refer listener gives the referred call its own offer (e.g. new media) and gets the call when it is up', async () => {
    const { w, a, b, c, ab, incoming } = await setup();
    const bob = incoming[0]!.call!;
    // carol answers a second after the INVITE: the transfer is in progress meanwhile
    const carolAnswers = c.listeners('invite')[0] as (i: IncomingCall) => void;
    c.removeAllListeners('invite');
    c.on('invite', (i) => void w.loop.after(1000, () => carolAnswers(i)));
    const ownOffer = offer.replace('m=audio 4000', 'm=audio 4444');
    const placed: Call[] = [];
    bob.on('refer', (e) => {
      e.offer = Promise.resolve(ownOffer);
      void e.call.then((c) => placed.push(c));
    });
    const t = ab.transfer('sip:carol@127.0.0.3:5060');
    await w.run(100);
    // the implicit subscription (RFC 3515 §2.4.4) on both sides while the transfer runs, none once it is done
    expect([a.stats().subscriptions, b.stats().subscriptions]).toEqual([1, 1]);
    await w.run(1100);
    expect((await t).status).toBe(200);
    expect([a.stats().subscriptions, b.stats().subscriptions]).toEqual([0, 0]);
    const toCarol = incoming.find((i) => i.ua === 'carol')!;
    expect(toCarol.req.bodyText).toContain('m=audio 4444');
    expect(placed).toHaveLength(1);
    expect(placed[0]!.state).toBe('confirmed');
    expect(placed[0]!.remoteSdp).toBe(offer); // carol's answer
    // a refused referred call rejects `call` with its status
    const failed: unknown[] = [];
    const { w: w2, c: c2, ab: ab2, incoming: inc2 } = await setup();
    c2.removeAllListeners('invite');
    c2.on('invite', (i) => i.reject(486));
    inc2[0]!.call!.on('refer', (e) => void e.call.catch((err: { status: number }) => failed.push(err.status)));
    const t2 = ab2.transfer('sip:carol@127.0.0.3:5060');
    await w2.run(100);
    expect((await t2).status).toBe(486);
    expect(failed).toEqual([486]);
  });

  it('a failed referred call is reported: NOTIFY SIP/2.0 486 → transfer resolves 486', async () => {
    const { w, c, ab } = await setup();
    c.removeAllListeners('invite');
    c.on('invite', (i) => i.reject(486));
    const t = ab.transfer('sip:carol@127.0.0.3:5060');
    await w.run(100);
    expect((await t).status).toBe(486);
    expect(ab.state).toBe('confirmed');
  });

  it('attended transfer: Refer-To carries Replaces; the new INVITE carries it decoded', async () => {
    const { w, a, ab, incoming } = await setup();
    const out = a.invite('sip:carol@127.0.0.3:5060', { sdp: offer });
    await w.run(20);
    const ac = await out.result;
    const t = ab.transfer(ac);
    await w.run(100);
    expect((await t).status).toBe(200);
    const second = incoming.filter((i) => i.ua === 'carol')[1]!;
    // carol's new call (from bob) replaced her call with alice, which got BYE (RFC 3891 §3)
    expect(second.call?.state).toBe('confirmed');
    expect(ac.state).toBe('ended');
    expect(ac.endReason).toBe('remote-bye');
    expect(second.req.get('replaces')).toBe(
      `${ac.dialog.callId};to-tag=${ac.dialog.remoteTag};from-tag=${ac.dialog.localTag}`,
    );
  });

  it('bad input: REFER without Refer-To → 400; a NOTIFY for no subscription → 481; the call stays up', async () => {
    const { w, ab, incoming } = await setup();
    const bob = incoming[0]!.call!;
    const r1 = ab.request('REFER');
    const r2 = bob.request('NOTIFY', { data: 'SIP/2.0 200 OK\r\n', contentType: 'message/sipfrag' });
    await w.run(50);
    expect((await r1).status).toBe(400);
    expect((await r2).status).toBe(481);
    expect(ab.state).toBe('confirmed');
    expect(bob.state).toBe('confirmed');
  });

  it('INVITE with Replaces naming no dialog of ours → 481 (RFC 3891 §3)', async () => {
    const { w, a } = await setup();
    const r = a
      .invite('sip:carol@127.0.0.3:5060', { sdp: offer, headers: [['Replaces', 'nope@x;to-tag=1;from-tag=2']] })
      .result.catch((e: { status: number }) => e.status);
    await w.run(50);
    expect(await r).toBe(481);
  });
});
