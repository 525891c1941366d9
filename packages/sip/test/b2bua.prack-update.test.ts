import { createLoop } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import {
  type Bridge,
  type BridgeMediaMode,
  bridge,
  type Call,
  parseMessage,
  SipCallError,
  type SipResponse,
  UserAgent,
} from '../src/index.js';
import { type MemoryNetwork, MemoryNetwork as Network } from '../src/testing.js';
import { offer, world } from './world.js';

// RFC 3262 (reliable provisionals, PRACK) and RFC 3311 (UPDATE) across a B2BUA: each leg is its own dialog with
// its own RSeq space and its own PRACKs; an UPDATE on one leg is re-offered on the other as an UPDATE.

const bobSdp = offer.replace('4000', '5000').replace('o=- 1 1', 'o=- 7 1');

interface Seen {
  from: string;
  to: string;
  what: string;
  cseq: string;
  rseq?: string;
  rack?: string;
  require?: string;
  sdp: boolean;
}

/** Records every SIP message on the memory network (who sent what to whom). */
function tap(net: MemoryNetwork): Seen[] {
  const seen: Seen[] = [];
  const send = net._send.bind(net);
  net._send = (from, data, dest) => {
    try {
      const m = parseMessage(data);
      const s: Seen = {
        from: from.localAddress,
        to: dest.address,
        what: m.kind === 'request' ? m.method : String(m.status),
        cseq: m.get('cseq') ?? '',
        sdp: m.body.length > 0,
      };
      const rseq = m.get('rseq');
      const rack = m.get('rack');
      const req = m.get('require');
      if (rseq) s.rseq = rseq;
      if (rack) s.rack = rack;
      if (req) s.require = req;
      seen.push(s);
    } catch {
      // not SIP
    }
    send(from, data, dest);
  };
  return seen;
}

const A = '127.0.0.1';
const B2B = '127.0.0.3';
const BOB = '127.0.0.2';

function setup(media: BridgeMediaMode) {
  const w = world();
  const seen = tap(w.net);
  const b2b = new UserAgent({ loop: w.loop, transports: [w.net.attach(B2B, 5060)], user: 'b2b' });
  const alice = new UserAgent({ loop: w.loop, transports: [w.net.attach(A, 5060)], user: 'alice' });
  const bob = new UserAgent({ loop: w.loop, transports: [w.net.attach(BOB, 5060)], user: 'bob' });
  const bridges: Bridge[] = [];
  b2b.on('invite', (inv) => {
    bridges.push(bridge(b2b, inv, `sip:bob@${BOB}:5060`, { media }));
  });
  return { w, seen, b2b, alice, bob, bridges };
}

describe('B2BUA: reliable provisionals (RFC 3262) per leg', () => {
  it('a reliable 180 and 183 (SDP) from the callee reach the caller reliably, each leg PRACKed with its own RSeq', async () => {
    const { w, seen, b2b, alice, bob, bridges } = setup('pass');
    bob.on('invite', (inv) => {
      expect(inv.reliableProvisionals).toBeDefined(); // the B2BUA's INVITE supports 100rel
      inv.ring(180, { reliable: true });
      w.loop.after(100, () => inv.ring(183, { sdp: bobSdp }));
      w.loop.after(600, () => void inv.answer(bobSdp));
    });
    const progress: SipResponse[] = [];
    const out = alice.invite(`sip:bob@${B2B}:5060`, { sdp: offer, onProgress: (r) => progress.push(r) });
    await w.run(1500);
    const a: Call = await out.result;
    await bridges[0]!.established;

    const legB = seen.filter((s) => s.from === BOB && (s.what === '180' || s.what === '183'));
    const legA = seen.filter((s) => s.from === B2B && s.to === A && (s.what === '180' || s.what === '183'));
    // each leg: 180 then 183, both reliable (Require: 100rel, RSeq n and n+1, RFC 3262 §3, §7.1)
    for (const leg of [legA, legB]) {
      expect(leg.map((s) => s.what)).toEqual(['180', '183']);
      for (const s of leg) expect(s.require).toMatch(/100rel/);
      expect(Number(leg[1]!.rseq)).toBe(Number(leg[0]!.rseq) + 1);
    }
    // the early answer crossed in the reliable 183
    expect(progress.find((r) => r.status === 183)?.bodyText).toBe(bobSdp);
    // PRACKs: the B2BUA acknowledges bob's RSeqs on leg B; alice acknowledges the B2BUA's on leg A (§7.2 RAck)
    const prB = seen.filter((s) => s.what === 'PRACK' && s.from === B2B && s.to === BOB).map((s) => s.rack);
    const prA = seen.filter((s) => s.what === 'PRACK' && s.from === A && s.to === B2B).map((s) => s.rack);
    const cseqB = legB[0]!.cseq.split(' ')[0];
    const cseqA = legA[0]!.cseq.split(' ')[0];
    expect(prB).toEqual([`${legB[0]!.rseq} ${cseqB} INVITE`, `${legB[1]!.rseq} ${cseqB} INVITE`]);
    expect(prA).toEqual([`${legA[0]!.rseq} ${cseqA} INVITE`, `${legA[1]!.rseq} ${cseqA} INVITE`]);
    // every PRACK was answered 200 on its own leg
    const prackOk = seen.filter((s) => s.what === '200' && s.cseq.endsWith('PRACK'));
    expect(prackOk.filter((s) => s.from === BOB && s.to === B2B)).toHaveLength(2);
    expect(prackOk.filter((s) => s.from === B2B && s.to === A)).toHaveLength(2);
    // the answer went in the 183: the caller's 2xx repeats no SDP (RFC 3262 §5); the session is bob's SDP
    const ok = seen.find((s) => s.from === B2B && s.to === A && s.what === '200' && s.cseq.endsWith('INVITE'));
    expect(ok?.sdp).toBe(false);
    expect(a.remoteSdp).toBe(bobSdp);
    void a.hangup();
    await w.run(500);
    await bridges[0]!.done;
    expect([alice.activeCalls, b2b.activeCalls, bob.activeCalls]).toEqual([0, 0, 0]);
    // nothing left: the PRACK state is kept 64·T1 after the final response for late PRACKs (prack.ts), then gone
    await w.run(33_000, 500);
    for (const ua of [alice, b2b, bob]) {
      expect(ua.stats().reliableProvisionals, ua.user).toBe(0);
      expect(ua.stats().earlyDialogs, ua.user).toBe(0);
    }
  });

  it('an unreliable 180 stays unreliable on the caller leg', async () => {
    const { w, seen, bob, alice, bridges } = setup('pass');
    bob.on('invite', (inv) => {
      inv.ring(180);
      w.loop.after(100, () => void inv.answer(bobSdp));
    });
    const out = alice.invite(`sip:bob@${B2B}:5060`, { sdp: offer });
    await w.run(800);
    await out.result;
    await bridges[0]!.established;
    const r180 = seen.filter((s) => s.what === '180');
    expect(r180.map((s) => s.from)).toEqual([BOB, B2B]);
    for (const s of r180) expect(s.rseq).toBeUndefined();
    expect(seen.some((s) => s.what === 'PRACK')).toBe(false);
  });
});

describe('B2BUA: UPDATE (RFC 3311) crosses as UPDATE', () => {
  it('pass mode: an UPDATE from either side is re-offered on the other leg as an UPDATE; a failure status crosses', async () => {
    const { w, seen, alice, bob } = setup('pass');
    let bobCall: Call | undefined;
    const bobSaw: [string | undefined, string][] = [];
    bob.on('invite', async (inv) => {
      bobCall = await inv.answer(bobSdp);
      bobCall.onOffer = (o, method) => {
        bobSaw.push([o, method]);
        return o?.includes('a=sendonly') ? `${bobSdp}a=recvonly\r\n` : bobSdp;
      };
    });
    const out = alice.invite(`sip:bob@${B2B}:5060`, { sdp: offer });
    await w.run(500);
    const a = await out.result;
    const aliceSaw: string[] = [];
    a.onOffer = (o, method) => {
      aliceSaw.push(method);
      return o?.includes('a=sendonly') ? `${offer}a=recvonly\r\n` : offer;
    };
    const mark = seen.length;
    const hold = a.update(`${offer}a=sendonly\r\n`);
    await w.run(500);
    expect(await hold).toBe(`${bobSdp}a=recvonly\r\n`);
    expect(bobSaw).toEqual([[`${offer}a=sendonly\r\n`, 'UPDATE']]);
    const after = seen.slice(mark).filter((s) => !/^\d/.test(s.what));
    expect(after.map((s) => `${s.from}>${s.to} ${s.what}`)).toEqual([`${A}>${B2B} UPDATE`, `${B2B}>${BOB} UPDATE`]);
    // from bob's side
    const fromBob = bobCall!.update(`${bobSdp}a=sendonly\r\n`);
    await w.run(500);
    expect(await fromBob).toBe(`${offer}a=recvonly\r\n`);
    expect(aliceSaw).toEqual(['UPDATE']);
    // a re-INVITE still crosses as a re-INVITE
    const re = a.reinvite(offer);
    await w.run(500);
    expect(await re).toBe(bobSdp);
    expect(bobSaw.at(-1)?.[1]).toBe('INVITE');
    // the far leg's refusal is the caller's answer (RFC 3311 §5.2: 488 Not Acceptable Here)
    bobCall!.onOffer = () => Promise.reject(new SipCallError(488, 'Not Acceptable Here'));
    const bad = a.update(`${offer}a=inactive\r\n`).catch((e: SipCallError) => e.status);
    await w.run(500);
    expect(await bad).toBe(488);
    expect(a.state).toBe('confirmed');
    expect(bobCall!.state).toBe('confirmed');
  });
});

describe('B2BUA relay mode: reliable early media and UPDATE (real loopback media, memory-network SIP)', () => {
  it("a reliable 183 with SDP reaches the caller with the B2BUA's own answer; UPDATE hold crosses both ways", async () => {
    const loop = createLoop();
    const net = new Network({ schedule: (ms, f) => (ms > 0 ? void loop.after(ms, f) : queueMicrotask(f)) });
    const seen = tap(net);
    const b2b = new UserAgent({ loop, transports: [net.attach(B2B, 5060)], user: 'b2b' });
    const alice = new UserAgent({ loop, transports: [net.attach(A, 5060)], user: 'alice' });
    const bob = new UserAgent({ loop, transports: [net.attach(BOB, 5060)], user: 'bob' });
    const bridges: Bridge[] = [];
    b2b.on('invite', (inv) => bridges.push(bridge(b2b, inv, `sip:bob@${BOB}:5060`, { media: 'relay' })));
    let bobCall: Call | undefined;
    let bobOffer = '';
    const bobSaw: [string, string][] = [];
    bob.on('invite', async (inv) => {
      bobOffer = inv.remoteSdp ?? '';
      inv.ring(183, { sdp: bobSdp, reliable: true });
      await new Promise((r) => setTimeout(r, 50));
      bobCall = await inv.answer(bobSdp);
      bobCall.onOffer = (o, method) => {
        bobSaw.push([o ?? '', method]);
        return o?.includes('a=sendonly') ? `${bobSdp}a=recvonly\r\n` : bobSdp;
      };
    });
    const early: SipResponse[] = [];
    try {
      const a = await alice.invite(`sip:bob@${B2B}:5060`, { sdp: offer, onProgress: (r) => early.push(r) }).result;
      await bridges[0]!.established;
      // bob was offered the B2BUA's own media address, alice got the B2BUA's answer — reliably, in the 183
      expect(bobOffer).not.toContain('m=audio 4000 ');
      const e183 = early.find((r) => r.status === 183);
      expect(e183?.get('rseq')).toBeDefined();
      expect(e183?.bodyText).toBe(a.remoteSdp);
      expect(a.remoteSdp).not.toContain('m=audio 5000 ');
      const prA = seen.filter((s) => s.what === 'PRACK' && s.from === A);
      const prB = seen.filter((s) => s.what === 'PRACK' && s.from === B2B);
      expect(prA).toHaveLength(1);
      expect(prB).toHaveLength(1);
      // UPDATE hold from alice: bob gets an UPDATE from the B2BUA with its own SDP, sendonly; alice gets recvonly
      const held = await a.update(`${offer.replace('o=- 1 1', 'o=- 1 2')}a=sendonly\r\n`);
      expect(held).toContain('a=recvonly');
      expect(bobSaw).toHaveLength(1);
      expect(bobSaw[0]![1]).toBe('UPDATE');
      expect(bobSaw[0]![0]).toContain('a=sendonly');
      expect(bobSaw[0]![0]).not.toContain('m=audio 4000 ');
      expect(seen.filter((s) => s.what === 'UPDATE').map((s) => s.from)).toEqual([A, B2B]);
      // and from bob: alice's UA answers the B2BUA's UPDATE (RFC 3264 §8.4: sendonly → recvonly)
      const fromBob = await bobCall!.update(`${bobSdp.replace('o=- 7 1', 'o=- 7 2')}a=sendonly\r\n`);
      expect(fromBob).toContain('a=recvonly');
      expect(seen.filter((s) => s.what === 'UPDATE').map((s) => s.from)).toEqual([A, B2B, BOB, B2B]);
      await a.hangup();
      await bridges[0]!.done;
      expect([alice.activeCalls, b2b.activeCalls, bob.activeCalls]).toEqual([0, 0, 0]);
    } finally {
      await Promise.all([alice.close(), b2b.close(), bob.close()]);
      loop.stop();
    }
  }, 15_000);
});
