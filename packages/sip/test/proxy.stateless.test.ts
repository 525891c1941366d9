import { describe, expect, it } from 'vitest';
import { type Call, createStatelessProxy, type IncomingCall, parseMessage, UserAgent } from '../src/index.js';
import { offer, world } from './world.js';

const enc = new TextEncoder();

describe('stateless proxy (RFC 3261 §16.11) on a simulated network', () => {
  function setup() {
    const w = world();
    const proxy = createStatelessProxy({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.3', 5060)],
      route: (req) =>
        req.requestUri.kind === 'sip' && req.requestUri.user === 'bob' ? 'sip:bob@127.0.0.2:5060' : undefined,
    });
    const alice = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    const bob = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    return { w, proxy, alice, bob };
  }

  it('relays INVITE/180/200 and the CANCEL of a ringing call; an unknown user gets 404', async () => {
    const { w, proxy, alice, bob } = setup();
    let cancelled = 0;
    let seenVias = 0;
    bob.on('invite', (inv: IncomingCall) => {
      seenVias = inv.request.vias.length;
      inv.ring();
      inv.on('cancel', () => cancelled++);
    });
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    const st = out.result.then(
      () => 200,
      (e: { status: number }) => e.status,
    );
    await w.run(500);
    expect(seenVias).toBe(2); // alice's and the proxy's
    out.cancel();
    await w.run(2000);
    expect(await st).toBe(487);
    expect(cancelled).toBe(1);
    const s = proxy.stats();
    expect(s.requestsForwarded).toBeGreaterThanOrEqual(3); // INVITE, CANCEL, ACK of the 487
    expect(s.responsesForwarded).toBeGreaterThanOrEqual(3); // 180, 200 (CANCEL), 487

    const nobody = alice.invite('sip:carol@127.0.0.3:5060', { sdp: offer });
    const st2 = nobody.result.then(
      () => 200,
      (e: { status: number }) => e.status,
    );
    await w.run(2000);
    expect(await st2).toBe(404);
  });

  it('a whole call: 200, ACK and BYE (the BYE goes direct: a stateless proxy does not Record-Route)', async () => {
    const { w, alice, bob } = setup();
    bob.on('invite', (inv: IncomingCall) => void inv.answer(offer));
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    await w.run(1000);
    const call: Call = await out.result;
    const bye = call.hangup();
    await w.run(500);
    expect(await bye).toBe(200);
    expect(bob.activeCalls).toBe(0);
  });

  it('the branch is a function of the request: a retransmission is forwarded with the same one', async () => {
    const w = world();
    createStatelessProxy({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.3', 5060)],
      route: () => 'sip:bob@127.0.0.2:5060',
    });
    const sink = w.net.attach('127.0.0.2', 5060);
    const branches: string[] = [];
    sink.onPacket((p) => {
      const m = parseMessage(p.data);
      if (m.kind === 'request') branches.push(m.via?.branch ?? '');
    });
    const raw = w.net.attach('127.0.0.1', 5077);
    const inv = enc.encode(
      [
        'OPTIONS sip:bob@127.0.0.3:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.1:5077;branch=z9hG4bKr1',
        'From: <sip:raw@127.0.0.1>;tag=a',
        'To: <sip:bob@127.0.0.3>',
        'Call-ID: r1@raw',
        'CSeq: 1 OPTIONS',
        'Max-Forwards: 5',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    await raw.send(inv, { address: '127.0.0.3', port: 5060 });
    await raw.send(inv, { address: '127.0.0.3', port: 5060 });
    await w.run(100);
    expect(branches).toHaveLength(2);
    expect(branches[0]).toBe(branches[1]);
    expect(branches[0]).toMatch(/^z9hG4bK[0-9a-f]{16}\.[0-9a-f]{12}$/);
  });

  it('Max-Forwards 0 gets 483, a loop back to itself 482, garbage is dropped and counted', async () => {
    const w = world();
    const proxy = createStatelessProxy({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.3', 5060)],
      route: () => 'sip:bob@127.0.0.3:5060',
    });
    const raw = w.net.attach('127.0.0.1', 5078);
    const got: number[] = [];
    raw.onPacket((p) => {
      const m = parseMessage(p.data);
      if (m.kind === 'response') got.push(m.status);
    });
    const req = (mf: number, id: string) =>
      enc.encode(
        [
          'OPTIONS sip:bob@127.0.0.3:5060 SIP/2.0',
          `Via: SIP/2.0/UDP 127.0.0.1:5078;branch=z9hG4bK${id}`,
          'From: <sip:raw@127.0.0.1>;tag=a',
          'To: <sip:bob@127.0.0.3>',
          `Call-ID: ${id}@raw`,
          'CSeq: 1 OPTIONS',
          `Max-Forwards: ${mf}`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
    await raw.send(req(0, 'm0'), { address: '127.0.0.3', port: 5060 });
    await w.run(50);
    expect(got).toEqual([483]);
    await raw.send(req(70, 'l1'), { address: '127.0.0.3', port: 5060 });
    await w.run(50);
    expect(got).toEqual([483, 482]);
    await raw.send(enc.encode('garbage\r\n\r\n'), { address: '127.0.0.3', port: 5060 });
    await w.run(50);
    expect(proxy.stats().dropped).toBe(1);
  });
});
