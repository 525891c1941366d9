import { describe, expect, it } from 'vitest';
import { type Call, UserAgent } from '../src/index.js';
import { offer, world } from './world.js';

// Declining a REFER (RFC 3515 §2.4.2) with `call.onRefer`, and the REFER/NOTIFY bad input of issue #15.

async function setup() {
  const w = world();
  const mk = (addr: string, user: string) =>
    new UserAgent({ loop: w.loop, transports: [w.net.attach(addr, 5060)], user });
  const a = mk('127.0.0.1', 'alice');
  const b = mk('127.0.0.2', 'bob');
  const c = mk('127.0.0.3', 'carol');
  let bob: Call | undefined;
  b.on('invite', (i) => void i.answer(offer).then((x) => (bob = x)));
  let invites = 0;
  c.on('invite', (i) => {
    invites++;
    void i.answer(offer);
  });
  const out = a.invite('sip:bob@127.0.0.2:5060', { sdp: offer });
  await w.run(20);
  const ab = await out.result;
  return { w, a, b, ab, bob: bob!, invites: () => invites };
}

describe('declining a REFER (RFC 3515 §2.4.2)', () => {
  it('onRefer returning false → 603 Decline; no referred call, no NOTIFY; the call stays up', async () => {
    const { w, ab, bob, invites } = await setup();
    const seen: string[] = [];
    bob.onRefer = (e) => {
      seen.push(e.target);
      return false;
    };
    const notifies: string[] = [];
    ab.on('request', (r) => notifies.push(r.method));
    const t = ab.transfer('sip:carol@127.0.0.3:5060');
    await w.run(100);
    expect(await t).toEqual({ status: 603, reason: 'Decline' });
    expect(seen).toEqual(['sip:carol@127.0.0.3:5060']);
    expect(invites()).toBe(0);
    expect(notifies).toEqual([]);
    expect(ab.state).toBe('confirmed');
    expect(bob.state).toBe('confirmed');
  });

  it('onRefer returning 403 (asynchronously) → 403; returning true → accepted as before', async () => {
    const { w, ab, bob, invites } = await setup();
    bob.onRefer = async (e) => (e.target.includes('carol') ? 403 : true);
    const t = ab.transfer('sip:carol@127.0.0.3:5060');
    await w.run(100);
    expect((await t).status).toBe(403);
    bob.onRefer = () => true;
    const t2 = ab.transfer('sip:carol@127.0.0.3:5060');
    await w.run(100);
    expect(await t2).toEqual({ status: 200, reason: 'OK' });
    expect(invites()).toBe(1);
  });

  it('onRefer that throws → 603 and an error event on the UA', async () => {
    const { w, b, ab, bob } = await setup();
    const errors: string[] = [];
    b.on('error', (_e, ev) => errors.push(ev));
    bob.onRefer = () => {
      throw new Error('no transfers here');
    };
    const t = ab.transfer('sip:carol@127.0.0.3:5060');
    await w.run(100);
    expect((await t).status).toBe(603);
    expect(errors).toEqual(['refer']);
    expect(bob.state).toBe('confirmed');
  });

  it('REFER without Refer-To → 400 even with onRefer set; NOTIFY in the call for no subscription → 481', async () => {
    const { w, ab, bob } = await setup();
    let asked = 0;
    bob.onRefer = () => {
      asked++;
      return true;
    };
    const r1 = ab.request('REFER');
    const r2 = bob.request('NOTIFY', { data: 'SIP/2.0 200 OK\r\n', contentType: 'message/sipfrag' });
    await w.run(50);
    expect((await r1).status).toBe(400);
    expect((await r2).status).toBe(481);
    expect(asked).toBe(0);
    expect(ab.state).toBe('confirmed');
  });
});
