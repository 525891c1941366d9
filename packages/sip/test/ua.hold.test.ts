import { describe, expect, it } from 'vitest';
import { type Call, UserAgent } from '../src/index.js';
import { bumpVersion, defaultAnswer, sdpDirection, withDirection } from '../src/ua/hold.js';
import { offer, world } from './world.js';

// Hold/resume by re-INVITE and UPDATE (RFC 3264 §8.4, RFC 3311) on the memory network and the manual clock.

async function pair() {
  const w = world();
  const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
  const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
  let bob: Call | undefined;
  uas.on('invite', (inv) => {
    void inv.answer(offer.replace('4000', '5000')).then((c) => {
      bob = c;
    });
  });
  const out = uac.invite('sip:bob@127.0.0.2:5060', { sdp: offer });
  await w.run(50);
  const alice = await out.result;
  expect(bob).toBeDefined();
  return { w, alice, bob: bob! };
}

describe('SDP direction helpers (RFC 3264 §6.1, §8)', () => {
  it('reads, rewrites and answers directions; bumps the o= version', () => {
    expect(sdpDirection(offer)).toBe('sendrecv');
    const held = withDirection(offer, 'sendonly');
    expect(sdpDirection(held)).toBe('sendonly');
    expect(held).toMatch(/^o=- 1 2 IN IP4/m);
    expect(held.match(/a=sendonly/g)).toHaveLength(1);
    expect(sdpDirection(withDirection(`${offer}a=recvonly\r\n`, 'inactive'))).toBe('inactive');
    expect(sdpDirection(defaultAnswer(held, offer, 'sendrecv'))).toBe('recvonly');
    expect(sdpDirection(defaultAnswer(withDirection(offer, 'recvonly'), offer, 'sendrecv'))).toBe('sendonly');
    expect(sdpDirection(defaultAnswer(withDirection(offer, 'inactive'), offer, 'sendrecv'))).toBe('inactive');
    expect(sdpDirection(defaultAnswer(offer, offer, 'sendonly'))).toBe('sendonly');
    // an unchanged answer keeps its version (§8)
    expect(defaultAnswer(offer, offer, 'sendrecv')).toBe(offer);
    expect(bumpVersion('o=x 1 18446744073709551615 IN IP4 1.2.3.4\r\n')).toContain(' 18446744073709551616 ');
  });
});

describe('hold and resume (RFC 3264 §8.4)', () => {
  it('re-INVITE: a=sendonly is answered a=recvonly; resume gets sendrecv back; the far end sees `updated`', async () => {
    const { w, alice, bob } = await pair();
    const seen: string[] = [];
    bob.on('updated', (sdp) => seen.push(sdpDirection(sdp ?? '')));
    const h = alice.hold();
    await w.run(50);
    const answer = await h;
    expect(sdpDirection(alice.localSdp ?? '')).toBe('sendonly');
    expect(sdpDirection(answer ?? '')).toBe('recvonly');
    expect(sdpDirection(bob.localSdp ?? '')).toBe('recvonly');
    expect(alice.localHold).toBe(true);
    // the held party holds too: its offer is inactive (it receives nothing), answered inactive
    const h2 = bob.hold();
    await w.run(50);
    expect(sdpDirection(bob.localSdp ?? '')).toBe('inactive');
    expect(sdpDirection((await h2) ?? '')).toBe('inactive');
    const r1 = alice.resume();
    await w.run(50);
    // bob still holds: alice's sendrecv offer is answered sendonly (bob's hold ∩ invert(sendrecv))
    expect(sdpDirection((await r1) ?? '')).toBe('sendonly');
    const r2 = bob.resume();
    await w.run(50);
    expect(sdpDirection((await r2) ?? '')).toBe('sendrecv');
    expect(sdpDirection(alice.localSdp ?? '')).toBe('sendrecv');
    expect(seen).toEqual(['sendonly', 'sendrecv']);
  });

  it('UPDATE (RFC 3311): hold and resume without a new INVITE transaction', async () => {
    const { w, alice, bob } = await pair();
    const seen: string[] = [];
    bob.on('updated', (sdp) => seen.push(sdpDirection(sdp ?? '')));
    const h = alice.hold({ method: 'UPDATE' });
    await w.run(20);
    expect(sdpDirection((await h) ?? '')).toBe('recvonly');
    expect(sdpDirection(bob.remoteSdp ?? '')).toBe('sendonly');
    const r = alice.resume({ method: 'UPDATE' });
    await w.run(20);
    expect(sdpDirection((await r) ?? '')).toBe('sendrecv');
    expect(seen).toEqual(['sendonly', 'sendrecv']);
    expect(alice.state).toBe('confirmed');
  });

  it('UPDATE glare: both offer at once → 491 both ways (RFC 3311 §5.2), each retries after the back-off', async () => {
    const { w, alice, bob } = await pair();
    const a = alice.hold({ method: 'UPDATE' });
    const b = bob.hold({ method: 'UPDATE' });
    await w.run(10);
    let settled = 0;
    void a.then(() => settled++);
    void b.then(() => settled++);
    await w.run(10);
    expect(settled).toBe(0); // both got 491 and wait
    await w.run(5000, 10);
    const [ans1, ans2] = await Promise.all([a, b]);
    // both held: whichever retried second was answered by a party already holding → inactive both ways
    expect(sdpDirection(ans1 ?? '')).toBe('inactive');
    expect(sdpDirection(ans2 ?? '')).toBe('inactive');
    expect(alice.localHold && bob.localHold).toBe(true);
  });

  it('an UPDATE offer that cannot be answered (application throws) gets 488 and changes nothing', async () => {
    const { w, alice, bob } = await pair();
    bob.onOffer = () => {
      throw new Error('no');
    };
    const h = alice.hold({ method: 'UPDATE' }).catch((e: Error) => e.message);
    await w.run(20);
    expect(await h).toMatch(/488/);
    expect(alice.localHold).toBe(false);
    expect(sdpDirection(alice.localSdp ?? '')).toBe('sendrecv');
    expect(alice.state).toBe('confirmed');
  });
});
