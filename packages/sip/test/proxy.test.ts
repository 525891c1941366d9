import { describe, expect, it } from 'vitest';
import {
  type Call,
  createProxy,
  type IncomingCall,
  type ProxyDecision,
  parseMessage,
  Registrar,
  type SipRequest,
  UserAgent,
} from '../src/index.js';
import { offer, world } from './world.js';

const enc = new TextEncoder();

/** The final status of an outgoing call (200 when it was answered); attached at once so no rejection is unhandled. */
function statusOf(out: { result: Promise<unknown> }): Promise<number> {
  return out.result.then(
    () => 200,
    (e: { status?: number }) => e.status ?? -1,
  );
}

function setup(route: (req: SipRequest) => ProxyDecision | Promise<ProxyDecision>, extra: { timerC?: number } = {}) {
  const w = world();
  const proxy = createProxy({
    loop: w.loop,
    transports: [w.net.attach('127.0.0.3', 5060)],
    route,
    ...(extra.timerC ? { timerC: extra.timerC } : {}),
    onError: (e) => {
      throw e;
    },
  });
  const alice = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
  const bob1 = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
  const bob2 = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.4', 5060)], user: 'bob' });
  return { w, proxy, alice, bob1, bob2 };
}

describe('stateful proxy (RFC 3261 §16) on a simulated network', () => {
  it('relays a call; Record-Route keeps the proxy in the dialog (ACK and BYE pass through it)', async () => {
    const { w, proxy, alice, bob1 } = setup(() => ({ targets: ['sip:bob@127.0.0.2:5060'] }));
    let seenRr: string[] = [];
    bob1.on('invite', (inv: IncomingCall) => {
      seenRr = inv.request.getAll('record-route');
      inv.ring();
      void inv.answer(offer.replace('4000', '5000'));
    });
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    await w.run(500);
    const call: Call = await out.result;
    expect(call.remoteSdp).toContain('m=audio 5000');
    expect(seenRr).toEqual(['<sip:127.0.0.3:5060;lr>']);
    const before = proxy.stack.stats.requestsIn;
    const status = call.hangup();
    await w.run(500);
    expect(await status).toBe(200);
    // the BYE went through the proxy (Route from Record-Route)
    expect(proxy.stack.stats.requestsIn).toBeGreaterThan(before);
    expect(proxy.stats().statelessForwards).toBe(1); // the ACK for the 2xx
    expect(proxy.stats().forwarded).toBe(2); // INVITE and BYE
    expect(proxy.stats().liveContexts).toBe(0);
    expect(bob1.activeCalls).toBe(0);
  });

  it('parallel fork: the first 200 wins, the other branch is CANCELled', async () => {
    const { w, proxy, alice, bob1, bob2 } = setup(() => ({
      targets: ['sip:bob@127.0.0.2:5060', 'sip:bob@127.0.0.4:5060'],
      fork: 'parallel',
    }));
    let cancelled = 0;
    bob1.on('invite', (inv: IncomingCall) => {
      inv.ring();
      w.loop.after(1000, () => void inv.answer(offer));
    });
    bob2.on('invite', (inv: IncomingCall) => {
      inv.ring();
      inv.on('cancel', () => cancelled++);
    });
    const progress: number[] = [];
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer, onProgress: (r) => progress.push(r.status) });
    await w.run(3000);
    const call = await out.result;
    expect(progress).toContain(180);
    expect(cancelled).toBe(1);
    expect(proxy.stats().cancelsSent).toBe(1);
    void call.hangup();
    await w.run(40_000);
    expect(proxy.stats().liveContexts).toBe(0);
  });

  it('sequential fork moves on after a 486', async () => {
    const { w, alice, bob1, bob2 } = setup(() => ({
      targets: ['sip:bob@127.0.0.2:5060', 'sip:bob@127.0.0.4:5060'],
      fork: 'sequential',
    }));
    const order: string[] = [];
    bob1.on('invite', (inv: IncomingCall) => {
      order.push('bob1');
      inv.reject(486);
    });
    bob2.on('invite', (inv: IncomingCall) => {
      order.push('bob2');
      void inv.answer(offer);
    });
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    await w.run(2000);
    const call = await out.result;
    expect(order).toEqual(['bob1', 'bob2']);
    expect(call.remoteSdp).toContain('m=audio');
  });

  it('q-values order a sequential fork (higher q first)', async () => {
    const { w, alice, bob1, bob2 } = setup(() => ({
      targets: [
        { uri: 'sip:bob@127.0.0.2:5060', q: 0.1 },
        { uri: 'sip:bob@127.0.0.4:5060', q: 0.9 },
      ],
      fork: 'sequential',
    }));
    const order: string[] = [];
    bob1.on('invite', (inv: IncomingCall) => {
      order.push('bob1');
      void inv.answer(offer);
    });
    bob2.on('invite', (inv: IncomingCall) => {
      order.push('bob2');
      inv.reject(480);
    });
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    await w.run(2000);
    await out.result;
    expect(order).toEqual(['bob2', 'bob1']);
  });

  it('a 6xx ends the fork: pending branches are CANCELled and the caller gets the 6xx', async () => {
    const { w, alice, bob1, bob2 } = setup(() => ({
      targets: ['sip:bob@127.0.0.2:5060', 'sip:bob@127.0.0.4:5060'],
    }));
    let cancelled = 0;
    bob1.on('invite', (inv: IncomingCall) => {
      inv.ring();
      w.loop.after(500, () => inv.reject(603));
    });
    bob2.on('invite', (inv: IncomingCall) => {
      inv.ring();
      inv.on('cancel', () => cancelled++);
    });
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    const outSt = statusOf(out);
    await w.run(3000);
    expect(await outSt).toBe(603);
    expect(cancelled).toBe(1);
  });

  it('best response: 486 beats 503 and 404; a lone 503 becomes 500 (§16.7 step 6)', async () => {
    const a = setup(() => ({ targets: ['sip:bob@127.0.0.2:5060', 'sip:bob@127.0.0.4:5060'] }));
    a.bob1.on('invite', (inv: IncomingCall) => inv.reject(503));
    a.bob2.on('invite', (inv: IncomingCall) => inv.reject(486));
    const out = a.alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    const outSt = statusOf(out);
    await a.w.run(2000);
    expect(await outSt).toBe(486);

    const b = setup(() => ({ targets: ['sip:bob@127.0.0.2:5060'] }));
    b.bob1.on('invite', (inv: IncomingCall) => inv.reject(503));
    const out2 = b.alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    const out2St = statusOf(out2);
    await b.w.run(2000);
    expect(await out2St).toBe(500);
  });

  it('CANCEL from the caller cancels every pending branch; the caller gets 487', async () => {
    const { w, proxy, alice, bob1, bob2 } = setup(() => ({
      targets: ['sip:bob@127.0.0.2:5060', 'sip:bob@127.0.0.4:5060'],
    }));
    let cancelled = 0;
    for (const b of [bob1, bob2])
      b.on('invite', (inv: IncomingCall) => {
        inv.ring();
        inv.on('cancel', () => cancelled++);
      });
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    const outSt = statusOf(out);
    await w.run(500);
    out.cancel();
    await w.run(2000);
    expect(await outSt).toBe(487);
    expect(cancelled).toBe(2);
    await w.run(40_000);
    expect(proxy.stats().liveContexts).toBe(0);
  });

  it('Timer C: a branch that rings for ever is CANCELled after timerC', async () => {
    const { w, proxy, alice, bob1 } = setup(() => ({ targets: ['sip:bob@127.0.0.2:5060'] }), { timerC: 181_000 });
    let cancelled = 0;
    bob1.on('invite', (inv: IncomingCall) => {
      inv.ring();
      inv.on('cancel', () => cancelled++);
    });
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    const outSt = statusOf(out);
    await w.run(180_000, 1000);
    expect(cancelled).toBe(0);
    await w.run(3_000, 100);
    expect(proxy.stats().timerCFired).toBe(1);
    expect(cancelled).toBe(1);
    expect(await outSt).toBe(487);
  });

  it('Timer C restarts on every provisional above 100 (RFC 3261 §16.6 item 11, §16.7 step 2)', async () => {
    const { w, proxy, alice, bob1 } = setup(() => ({ targets: ['sip:bob@127.0.0.2:5060'] }), { timerC: 181_000 });
    let cancelled = 0;
    bob1.on('invite', (inv: IncomingCall) => {
      inv.ring();
      w.loop.after(100_000, () => inv.ring(183));
      inv.on('cancel', () => cancelled++);
    });
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    const outSt = statusOf(out);
    await w.run(270_000, 1000); // past 181 s from the 180, before 181 s from the 183
    expect(proxy.stats().timerCFired).toBe(0);
    expect(cancelled).toBe(0);
    await w.run(15_000, 100);
    expect(proxy.stats().timerCFired).toBe(1);
    expect(cancelled).toBe(1);
    expect(await outSt).toBe(487);
    expect(proxy.stats().liveContexts).toBe(0);
  });

  it('an unreachable target ends in 408 after Timer B; nothing is left behind', async () => {
    const { w, proxy, alice } = setup(() => ({ targets: ['sip:nobody@127.0.0.9:5060'] }));
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    const outSt = statusOf(out);
    await w.run(40_000, 100);
    expect(await outSt).toBe(408);
    expect(proxy.stats().liveContexts).toBe(0);
  });

  it('loop detection: a request routed back to the proxy unchanged gets 482; Max-Forwards 0 gets 483', async () => {
    const { w, proxy, alice } = setup(() => ({ targets: ['sip:bob@127.0.0.3:5060'] }));
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    const outSt = statusOf(out);
    await w.run(3000);
    expect(await outSt).toBe(482);
    expect(proxy.stats().loopsDetected).toBe(1);

    // A raw request with Max-Forwards: 0 (RFC 3261 §16.3 item 3).
    const raw = w.net.attach('127.0.0.1', 5099);
    const got: number[] = [];
    raw.onPacket((p) => {
      const m = parseMessage(p.data);
      if (m.kind === 'response') got.push(m.status);
    });
    const inv = [
      'INVITE sip:bob@127.0.0.3:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKmf0',
      'From: <sip:raw@127.0.0.1>;tag=r1',
      'To: <sip:bob@127.0.0.3>',
      'Call-ID: mf0@raw',
      'CSeq: 1 INVITE',
      'Max-Forwards: 0',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await raw.send(enc.encode(inv), { address: '127.0.0.3', port: 5060 });
    await w.run(100);
    expect(got).toContain(483);
  });

  it('Route to the proxy itself is consumed (loose routing); Proxy-Require gets 420; a tel: URI gets 416', async () => {
    const { w, bob1 } = setup(() => ({ targets: ['sip:bob@127.0.0.2:5060'] }));
    let routesAtBob: string[] | undefined;
    bob1.on('invite', (inv: IncomingCall) => {
      routesAtBob = inv.request.getAll('route');
      inv.reject(486);
    });
    const raw = w.net.attach('127.0.0.1', 5098);
    const got: number[] = [];
    raw.onPacket((p) => {
      const m = parseMessage(p.data);
      if (m.kind === 'response' && m.status >= 200) {
        got.push(m.status);
        // ACK the non-2xx (hop by hop)
        const ack = [
          `ACK ${m.get('cseq')?.includes('INVITE') ? 'sip:bob@127.0.0.2:5060' : ''} SIP/2.0`,
          `Via: ${m.get('via')}`,
          `From: ${m.get('from')}`,
          `To: ${m.get('to')}`,
          `Call-ID: ${m.get('call-id')}`,
          `CSeq: ${m.cseq?.seq} ACK`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
        void raw.send(enc.encode(ack), { address: '127.0.0.3', port: 5060 });
      }
    });
    const mk = (id: string, ruri: string, extra: string[]) =>
      enc.encode(
        [
          `INVITE ${ruri} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:5098;branch=z9hG4bK${id}`,
          'From: <sip:raw@127.0.0.1>;tag=r1',
          '<sip:bob@example.com>'.replace(/^/, 'To: '),
          `Call-ID: ${id}@raw`,
          'CSeq: 1 INVITE',
          'Max-Forwards: 70',
          ...extra,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
    await raw.send(mk('r1', 'sip:bob@127.0.0.2:5060', ['Route: <sip:127.0.0.3:5060;lr>']), {
      address: '127.0.0.3',
      port: 5060,
    });
    await w.run(500);
    expect(got).toEqual([486]);
    expect(routesAtBob).toEqual([]);
    await raw.send(mk('r2', 'sip:bob@127.0.0.3:5060', ['Proxy-Require: foo']), { address: '127.0.0.3', port: 5060 });
    await w.run(500);
    expect(got).toEqual([486, 420]);
    await raw.send(mk('r3', 'tel:+15551234', []), { address: '127.0.0.3', port: 5060 });
    await w.run(500);
    expect(got).toEqual([486, 420, 416]);
  });

  it('a throwing or rejecting router answers 500 and the proxy keeps serving', async () => {
    let n = 0;
    const errors: unknown[] = [];
    const w = world();
    const proxy = createProxy({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.3', 5060)],
      route: () => {
        n++;
        if (n === 1) throw new Error('boom');
        if (n === 2) return Promise.reject(new Error('later boom'));
        return { targets: ['sip:bob@127.0.0.2:5060'] };
      },
      onError: (e) => errors.push(e),
    });
    const alice = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    const bob = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    bob.on('invite', (inv: IncomingCall) => void inv.answer(offer));
    for (const want of [500, 500]) {
      const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
      const outSt = statusOf(out);
      await w.run(1000);
      expect(await outSt).toBe(want);
    }
    const out = alice.invite('sip:bob@127.0.0.3:5060', { sdp: offer });
    await w.run(1000);
    await expect(out.result).resolves.toBeDefined();
    expect(errors).toHaveLength(2);
    expect(proxy.stats().liveContexts).toBe(0);
  });

  it('registrar + location service: REGISTER for our domain, then calls go to the binding (with Path)', async () => {
    const w = world();
    const registrar = new Registrar({ now: () => w.loop.now() });
    const proxy = createProxy({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.3', 5060)],
      registrar,
      domains: ['example.com'],
    });
    // example.com resolves to the proxy (as its DNS SRV would say, RFC 3263)
    const viaProxy = async () => [{ protocol: 'udp' as const, address: '127.0.0.3', port: 5060 }];
    const alice = new UserAgent({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.1', 5060)],
      user: 'alice',
      resolver: viaProxy,
    });
    const bob = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    let answered = 0;
    let pathRoute: string[] = [];
    bob.on('invite', (inv: IncomingCall) => {
      answered++;
      pathRoute = inv.request.getAll('route');
      void inv.answer(offer);
    });
    const reg = bob.register('sip:127.0.0.3:5060', { aor: 'sip:bob@example.com' });
    await w.run(500);
    await reg;
    expect(registrar.lookup('sip:bob@example.com')).toHaveLength(1);
    const out = alice.invite('sip:bob@example.com', { sdp: offer });
    const outSt = statusOf(out);
    await w.run(1000);
    expect(await outSt).toBe(200);
    expect(answered).toBe(1);
    expect(pathRoute).toEqual([]);
    const unknown = alice.invite('sip:carol@example.com', { sdp: offer });
    const unknownSt = statusOf(unknown);
    await w.run(1000);
    expect(await unknownSt).toBe(404);
    expect(proxy.stats().liveContexts).toBe(0);
  });
});
