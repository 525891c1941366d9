import { createLoop } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import {
  answerSdpOffer,
  type Bridge,
  type BridgeMediaMode,
  type BridgeOptions,
  bridge,
  type Call,
  CallMedia,
  createSdpOffer,
  type IncomingCall,
  mapFailureStatus,
  readSdpAnswer,
  SipCallError,
  type SipResponse,
  UserAgent,
} from '../src/index.js';
import { MemoryNetwork } from '../src/testing.js';
import { offer, world } from './world.js';

/** The final status of an outgoing call (200 when answered); attached at once so no rejection is unhandled. */
function statusOf(out: { result: Promise<unknown> }): Promise<number> {
  return out.result.then(
    () => 200,
    (e: { status?: number }) => e.status ?? -1,
  );
}

const bobSdp = offer.replace('4000', '5000').replace('o=- 1 1', 'o=- 7 1');

/** alice (127.0.0.1) → B2BUA (127.0.0.3) → bob (127.0.0.2) on a manual-clock memory network. */
function setup(media: BridgeMediaMode = 'pass', extra: Partial<BridgeOptions> = {}, target = 'sip:bob@127.0.0.2:5060') {
  const w = world();
  const b2b = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.3', 5060)], user: 'b2b' });
  const alice = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
  const bob = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
  const bridges: Bridge[] = [];
  b2b.on('invite', (inv) => {
    bridges.push(bridge(b2b, inv, target, { media, ...extra }));
  });
  return { w, b2b, alice, bob, bridges };
}

describe('B2BUA bridge, SDP passed through (memory network, manual clock)', () => {
  it('relays 183 with early-media SDP and the 2xx; each leg is its own dialog; BYE from the caller crosses', async () => {
    const { w, b2b, alice, bob, bridges } = setup();
    let bobInvite: IncomingCall | undefined;
    bob.on('invite', (inv) => {
      bobInvite = inv;
      inv.ring(183, bobSdp);
      w.loop.after(500, () => void inv.answer(bobSdp));
    });
    const progress: SipResponse[] = [];
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer, onProgress: (r) => progress.push(r) });
    await w.run(1000);
    const a: Call = await out.result;
    await bridges[0]!.established;
    expect(progress.map((r) => r.status)).toContain(183);
    expect(progress.find((r) => r.status === 183)!.bodyText).toBe(bobSdp);
    expect(a.remoteSdp).toBe(bobSdp);
    expect(bobInvite!.remoteSdp).toBe(offer);
    // two dialogs: different Call-IDs on the two legs
    expect(bobInvite!.request.callId).not.toBe(a.invite.callId);
    const bobEnded = new Promise<string>((r) => bridges[0]!.b && bob.once('callEnded', (c) => r(c.endReason!)));
    const st = a.hangup();
    await w.run(500);
    expect(await st).toBe(200);
    expect(await bobEnded).toBe('remote-bye');
    await bridges[0]!.done;
    expect([alice.activeCalls, b2b.activeCalls, bob.activeCalls]).toEqual([0, 0, 0]);
  });

  it('BYE from the callee crosses to the caller', async () => {
    const { w, b2b, alice, bob, bridges } = setup();
    let bobCall: Call | undefined;
    bob.on('invite', async (inv) => {
      bobCall = await inv.answer(bobSdp);
    });
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    await w.run(500);
    const a = await out.result;
    expect(bobCall).toBeDefined();
    void bobCall!.hangup();
    await w.run(500);
    expect(a.endReason).toBe('remote-bye');
    await bridges[0]!.done;
    expect([alice.activeCalls, b2b.activeCalls, bob.activeCalls]).toEqual([0, 0, 0]);
  });

  it("the caller's CANCEL cancels the outgoing leg; both get 487", async () => {
    const { w, b2b, alice, bob, bridges } = setup();
    let bobCancelled = 0;
    bob.on('invite', (inv) => {
      inv.ring();
      inv.on('cancel', () => bobCancelled++);
    });
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    const status = statusOf(out);
    await w.run(500);
    out.cancel();
    await w.run(500);
    expect(await status).toBe(487);
    expect(bobCancelled).toBe(1);
    await expect(bridges[0]!.established).rejects.toMatchObject({ code: 'cancelled', status: 487 });
    await bridges[0]!.done;
    expect([alice.activeCalls, b2b.activeCalls, bob.activeCalls]).toEqual([0, 0, 0]);
  });

  it('maps failures: 486 → 486, 407 → 502, 503 → 500, 603 → 603', async () => {
    for (const [bobSays, callerGets] of [
      [486, 486],
      [407, 502],
      [503, 500],
      [603, 603],
    ] as const) {
      const { w, alice, bob, bridges } = setup();
      bob.on('invite', (inv) =>
        inv.reject(bobSays, undefined, bobSays === 407 ? [['Proxy-Authenticate', 'Digest realm="x", nonce="1"']] : []),
      );
      const status = statusOf(alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer }));
      await w.run(500);
      expect(await status).toBe(callerGets);
      await expect(bridges[0]!.established).rejects.toMatchObject({ code: 'rejected', status: callerGets });
    }
    expect(mapFailureStatus(503, undefined)).toBe(502);
  });

  it('an unanswered outgoing leg: timeoutMs CANCELs it and the caller gets 408', async () => {
    const { w, alice, bob, bridges } = setup('pass', { timeoutMs: 5000 });
    let bobCancelled = 0;
    bob.on('invite', (inv) => {
      inv.ring();
      inv.on('cancel', () => bobCancelled++);
    });
    const status = statusOf(alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer }));
    await w.run(6000, 50);
    expect(await status).toBe(408);
    expect(bobCancelled).toBe(1);
    await expect(bridges[0]!.established).rejects.toMatchObject({ code: 'timeout', status: 408 });
  });

  it('a target that never answers: Timer B → 408 to the caller', async () => {
    const { w, alice, b2b, bridges } = setup('pass', {}, 'sip:nobody@127.0.0.9:5060');
    const status = statusOf(alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer }));
    await w.run(40_000, 250);
    expect(await status).toBe(408);
    await expect(bridges[0]!.established).rejects.toMatchObject({ code: 'timeout', status: 408 });
    expect(b2b.activeCalls).toBe(0);
  });

  it('re-INVITE hold and resume cross the bridge both ways; the answer comes from the other leg', async () => {
    const { w, alice, bob } = setup();
    let bobCall: Call | undefined;
    const bobSaw: (string | undefined)[] = [];
    bob.on('invite', async (inv) => {
      bobCall = await inv.answer(bobSdp);
      bobCall.onOffer = (o) => {
        bobSaw.push(o);
        return o?.includes('a=sendonly') ? `${bobSdp}a=recvonly\r\n` : bobSdp;
      };
    });
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    await w.run(500);
    const a = await out.result;
    const hold = a.reinvite(`${offer}a=sendonly\r\n`);
    await w.run(500);
    expect(await hold).toBe(`${bobSdp}a=recvonly\r\n`);
    expect(bobSaw[0]).toContain('a=sendonly');
    const resume = a.reinvite(offer);
    await w.run(500);
    expect(await resume).toBe(bobSdp);
    // and from bob's side: alice's UA (no onOffer) answers with its current SDP, as a new version whose direction
    // answers the hold (RFC 3264 §8.4: sendonly → recvonly)
    const fromBob = bobCall!.reinvite(`${bobSdp}a=sendonly\r\n`);
    await w.run(500);
    const answer = (await fromBob) ?? '';
    expect(answer).toContain('o=- 1 2 IN IP4 127.0.0.1');
    expect(answer).toContain('a=recvonly');
    expect(answer.replace('o=- 1 2 ', 'o=- 1 1 ').replace('a=recvonly\r\n', '')).toBe(offer);
    // a failure on the far leg becomes the answer's status
    bobCall!.onOffer = () => {
      throw new Error('no');
    };
    const bad = a.reinvite(`${offer}a=inactive\r\n`).catch((e: SipCallError) => e.status);
    await w.run(500);
    expect(await bad).toBe(488);
    expect(a.state).toBe('confirmed');
  });
});

describe('call.onOffer may answer asynchronously', () => {
  it('answers when the promise resolves; a re-INVITE meanwhile gets 491; a rejection with a status is relayed', async () => {
    const w = world();
    const alice = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    const bob = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    let bobCall: Call | undefined;
    bob.on('invite', async (inv) => {
      bobCall = await inv.answer(bobSdp);
    });
    const out = alice.invite('sip:bob@127.0.0.2:5060', { sdp: offer });
    await w.run(300);
    const a = await out.result;
    let release: ((s: string) => void) | undefined;
    bobCall!.onOffer = () => new Promise<string>((r) => (release = r));
    const first = a.reinvite(`${offer}a=sendonly\r\n`);
    await w.run(3000);
    // still waiting (the server transaction holds the re-INVITE; retransmissions absorbed)
    let settled = false;
    void first.then(() => (settled = true));
    await w.run(100);
    expect(settled).toBe(false);
    release!(`${bobSdp}a=recvonly\r\n`);
    await w.run(500);
    expect(await first).toBe(`${bobSdp}a=recvonly\r\n`);
    expect(bobCall!.localSdp).toBe(`${bobSdp}a=recvonly\r\n`);
    bobCall!.onOffer = () => Promise.reject(new SipCallError(486, 'Busy Here'));
    const second = a.reinvite(offer).catch((e: SipCallError) => e.status);
    await w.run(500);
    expect(await second).toBe(486);
    expect(a.state).toBe('confirmed');
    bobCall!.onOffer = () => new Promise<string>(() => {});
    const third = a.reinvite(offer).catch((e: SipCallError) => e.status);
    await w.run(200);
    // bob re-INVITEs while alice's offer awaits bob's answer: glare (§14.2), alice answers 491
    const glare = bobCall!.reinvite(bobSdp).catch((e: SipCallError) => e.status);
    await w.run(8000, 50); // bob retries twice after random waits (§14.1), meeting 491 each time
    expect(await glare).toBe(491);
    void a.hangup();
    await w.run(500);
    expect(await third).toBe(487);
  });
});

/** The UDP sockets this process holds. */
function udpHandles(): number {
  return process.getActiveResourcesInfo().filter((x) => x === 'UDPWrap' || x === 'UDPWRAP').length;
}

describe('B2BUA bridge anchoring the media (real loopback media, memory-network SIP)', () => {
  it('SDES on the caller leg, DTLS-SRTP on the callee leg: a tone comes back re-encrypted; hold crosses; no leaks', async () => {
    const loop = createLoop();
    const net = new MemoryNetwork({ schedule: (ms, f) => (ms > 0 ? void loop.after(ms, f) : queueMicrotask(f)) });
    const sockets0 = udpHandles();
    const b2b = new UserAgent({ loop, transports: [net.attach('127.0.0.3', 5060)], user: 'b2b' });
    const alice = new UserAgent({ loop, transports: [net.attach('127.0.0.1', 5060)], user: 'alice' });
    const bob = new UserAgent({ loop, transports: [net.attach('127.0.0.2', 5060)], user: 'bob' });
    const bridges: Bridge[] = [];
    b2b.on('invite', (inv) => {
      bridges.push(bridge(b2b, inv, 'sip:bob@127.0.0.2:5060', { media: 'relay', srtpOut: 'dtls' }));
    });
    // bob: a DTLS-SRTP echo, with telephone-event on another payload type than alice's
    let bobOffer = '';
    let bobHoldOffer = '';
    const bobMedia = await CallMedia.open({ loop, srtp: 'dtls' });
    bob.on('invite', async (inv) => {
      bobOffer = inv.remoteSdp ?? '';
      const ans = answerSdpOffer(bobOffer, bobMedia.local, { sessionId: '9', version: 1 });
      inv.ring(183, ans.sdp); // early media: the B2BUA starts both legs' media and answers the caller early
      await new Promise((r) => setTimeout(r, 100));
      const call = await inv.answer(ans.sdp);
      const m = bobMedia.attach(call, ans.media);
      m.on('rtp', (e) => m.echoRtp(e.bytes));
      call.onOffer = (o) => {
        bobHoldOffer = o ?? '';
        return answerSdpOffer(o ?? '', bobMedia.local, { sessionId: '9', version: 2 }).sdp;
      };
    });
    const aliceMedia = await CallMedia.open({ loop, srtp: 'sdes' });
    const early: SipResponse[] = [];
    const out = alice.invite('sip:bob@127.0.0.3:5060', {
      sdp: createSdpOffer(aliceMedia.local, { sessionId: '1', version: 1 }),
      onProgress: (r) => early.push(r),
    });
    const a = await out.result;
    await bridges[0]!.established;
    expect(bobOffer).toContain('UDP/TLS/RTP/SAVP');
    expect(bobOffer).not.toContain('a=crypto');
    expect(a.remoteSdp).toContain('RTP/SAVP');
    expect(a.remoteSdp).toContain('a=crypto');
    // the 183 carried the B2BUA's own answer (its SDES key and port), the same the 200 then repeated
    expect(early.find((r) => r.status === 183)?.bodyText).toBe(a.remoteSdp);
    expect(a.remoteSdp).not.toContain(`m=audio ${bobMedia.local.port} `);
    const am = aliceMedia.attach(a, readSdpAnswer(a.remoteSdp!, aliceMedia.local));
    let back = 0;
    let samePayload = 0;
    const frame = new Uint8Array(160).fill(0x55);
    am.on('rtp', (e) => {
      back++;
      if (e.packet.payload.length === 160 && e.packet.payload.every((x) => x === 0x55)) samePayload++;
    });
    const t = loop.every(20, () => am.sendRtp(frame));
    await new Promise((r) => setTimeout(r, 1500));
    loop.cancel(t);
    await new Promise((r) => setTimeout(r, 100));
    expect(back).toBeGreaterThan(30);
    expect(samePayload).toBe(back);
    const [ab, ba] = bridges[0]!.relays;
    expect(ab!.stats.relayed).toBeGreaterThan(30);
    expect(ba!.stats.relayed).toBeGreaterThan(30);
    // RTCP is terminated per leg: alice sees the B2BUA's SSRC, not bob's
    expect(am.stats().srtpProfile).toBeTruthy();
    // hold from alice: bob gets a re-offer from the B2BUA (its own address, DTLS), sendonly
    const held = await a.reinvite(
      createSdpOffer({ ...aliceMedia.local, direction: 'sendonly' }, { sessionId: '1', version: 2 }),
    );
    expect(held).toContain('a=recvonly');
    expect(bobHoldOffer).toContain('a=sendonly');
    expect(bobHoldOffer).toContain('UDP/TLS/RTP/SAVP');
    await a.hangup();
    await bridges[0]!.done;
    await bobMedia.close();
    await aliceMedia.close();
    expect([alice.activeCalls, b2b.activeCalls, bob.activeCalls]).toEqual([0, 0, 0]);
    await Promise.all([alice.close(), b2b.close(), bob.close()]);
    loop.stop();
    await new Promise((r) => setTimeout(r, 50)); // socket handles go away once their close callbacks ran
    expect(udpHandles()).toBe(sockets0);
  }, 15_000);
});

describe('B2BUA relay: a late offer (INVITE without SDP)', () => {
  it('the B2BUA offers in its 200, takes the answer from the ACK, and media flows; pass mode answers 488', async () => {
    const loop = createLoop();
    const net = new MemoryNetwork({ schedule: (ms, f) => (ms > 0 ? void loop.after(ms, f) : queueMicrotask(f)) });
    const b2b = new UserAgent({ loop, transports: [net.attach('127.0.0.3', 5060)], user: 'b2b' });
    const alice = new UserAgent({ loop, transports: [net.attach('127.0.0.1', 5060)], user: 'alice' });
    const bob = new UserAgent({ loop, transports: [net.attach('127.0.0.2', 5060)], user: 'bob' });
    const bridges: Bridge[] = [];
    let mode: BridgeMediaMode = 'relay';
    b2b.on('invite', (inv) => {
      bridges.push(bridge(b2b, inv, 'sip:bob@127.0.0.2:5060', { media: mode, srtpOut: 'sdes' }));
    });
    const bobMedia = await CallMedia.open({ loop, srtp: 'sdes' });
    bob.on('invite', async (inv) => {
      const ans = answerSdpOffer(inv.remoteSdp ?? '', bobMedia.local, { sessionId: '9', version: 1 });
      const call = await inv.answer(ans.sdp);
      bobMedia.attach(call, ans.media).on('rtp', (e) => call.media!.echoRtp(e.bytes));
    });
    const aliceMedia = await CallMedia.open({ loop, srtp: 'none' });
    let aliceNeg: ReturnType<typeof answerSdpOffer> | undefined;
    const a = await alice.invite('sip:bob@127.0.0.3:5060', {
      answerFor: (o) => {
        aliceNeg = answerSdpOffer(o, aliceMedia.local, { sessionId: '1', version: 1 });
        return aliceNeg.sdp;
      },
    }).result;
    await bridges[0]!.established;
    expect(a.remoteSdp).toContain('m=audio');
    expect(a.localSdp).toBe(aliceNeg!.sdp);
    const am = aliceMedia.attach(a, aliceNeg!.media);
    let back = 0;
    am.on('rtp', () => back++);
    const t = loop.every(20, () => am.sendRtp(new Uint8Array(160)));
    await new Promise((r) => setTimeout(r, 800));
    loop.cancel(t);
    await new Promise((r) => setTimeout(r, 100));
    expect(back).toBeGreaterThan(20);
    await a.hangup();
    await bridges[0]!.done;
    // pass mode cannot relay a late offer (leg B's ACK would need the caller's answer): 488
    mode = 'pass';
    const st = await alice.invite('sip:bob@127.0.0.3:5060', {}).result.then(
      () => 200,
      (e: SipCallError) => e.status,
    );
    expect(st).toBe(488);
    await Promise.all([bobMedia.close(), aliceMedia.close(), alice.close(), b2b.close(), bob.close()]);
    expect([alice.activeCalls, b2b.activeCalls, bob.activeCalls]).toEqual([0, 0, 0]);
    loop.stop();
  }, 15_000);
});
