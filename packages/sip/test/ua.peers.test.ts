// What real peers do that our own UAC/UAS pair never does: a proxy's Record-Route in front, raw requests
// with odd methods or Max-Forwards 0, CANCEL racing the 200, re-INVITE glare, 183 with SDP then a 200
// without. Every peer here is a raw endpoint on the simulated network, on the manual clock.
import { createLoop, ManualClock } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import {
  type Call,
  parseMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  TimerQueues,
  UserAgent,
} from '../src/index.js';
import type { MemoryTransport } from '../src/testing.js';
import { offer, world } from './world.js';

const enc = new TextEncoder();
const answerSdp = offer.replace('4000', '5000');

interface Got {
  msg: SipMessage;
  from: string;
}

/** A raw endpoint: sends text, records what it receives. */
function raw(t: MemoryTransport) {
  const got: Got[] = [];
  t.onPacket((p) => got.push({ msg: parseMessage(p.data), from: `${p.source.address}:${p.source.port}` }));
  const send = (lines: string[], body = '', to = { address: '127.0.0.2', port: 5060 }) => {
    const head = lines.filter((l) => !/^Content-Length:/i.test(l));
    const text = `${head.join('\r\n')}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    void t.send(enc.encode(text), to);
  };
  const responses = (method?: string) =>
    got
      .map((g) => g.msg)
      .filter((m): m is SipResponse => m.kind === 'response' && (method === undefined || m.cseq?.method === method));
  const requests = (method?: string) =>
    got.filter((g) => g.msg.kind === 'request' && (method === undefined || (g.msg as SipRequest).method === method));
  return { got, send, responses, requests };
}

const req = (method: string, o: { branch: string; callId: string; cseq?: number; extra?: string[]; to?: string }) => [
  `${method} sip:bob@127.0.0.2:5060 SIP/2.0`,
  `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=${o.branch}`,
  'From: <sip:raw@127.0.0.1>;tag=r1',
  `To: ${o.to ?? '<sip:bob@127.0.0.2>'}`,
  `Call-ID: ${o.callId}`,
  `CSeq: ${o.cseq ?? 1} ${method}`,
  'Contact: <sip:raw@127.0.0.1:5070>',
  'Max-Forwards: 70',
  ...(o.extra ?? []),
];

describe('UAS answers what real peers send', () => {
  it('OPTIONS: 200 with Allow, Accept, Accept-Encoding, Accept-Language, Supported (RFC 3261 §11.2)', async () => {
    const w = world();
    new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    const r = raw(w.net.attach('127.0.0.1', 5070));
    r.send(req('OPTIONS', { branch: 'z9hG4bKo1', callId: 'o1' }));
    await w.run(50);
    const [res] = r.responses('OPTIONS');
    expect(res?.status).toBe(200);
    const allow = res!.getAll('allow').join(', ');
    for (const m of ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS']) expect(allow).toContain(m);
    expect(res!.get('accept')).toBe('application/sdp');
    expect(res!.has('accept-encoding')).toBe(true);
    expect(res!.has('accept-language')).toBe(true);
    expect(res!.has('supported')).toBe(true);
  });

  it('unknown method → 501; known but unsupported → 405 with Allow (RFC 3261 §8.2.1)', async () => {
    const w = world();
    new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    const r = raw(w.net.attach('127.0.0.1', 5070));
    r.send(req('FOOBAR', { branch: 'z9hG4bKf1', callId: 'f1' }));
    r.send(req('SUBSCRIBE', { branch: 'z9hG4bKs1', callId: 's1', extra: ['Event: presence'] }));
    await w.run(50);
    expect(r.responses('FOOBAR').map((x) => x.status)).toEqual([501]);
    const sub = r.responses('SUBSCRIBE');
    expect(sub.map((x) => x.status)).toEqual([405]);
    expect(sub[0]!.getAll('allow').join(',')).toContain('INVITE');
  });

  it('Max-Forwards: 0 → 483 Too Many Hops (RFC 3261 §16.3 step 3, §20.22); OPTIONS is answered', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    let invites = 0;
    uas.on('invite', () => invites++);
    const r = raw(w.net.attach('127.0.0.1', 5070));
    const mf0 = (l: string[]) => l.map((x) => (x.startsWith('Max-Forwards') ? 'Max-Forwards: 0' : x));
    r.send(mf0(req('INVITE', { branch: 'z9hG4bKm1', callId: 'm1', extra: ['Content-Type: application/sdp'] })), offer);
    r.send(mf0(req('OPTIONS', { branch: 'z9hG4bKm2', callId: 'm2' })));
    await w.run(50);
    expect(r.responses('INVITE').map((x) => x.status)).toEqual([483]);
    expect(r.responses('OPTIONS').map((x) => x.status)).toEqual([200]);
    expect(invites).toBe(0);
  });

  it('in-dialog request for an unknown dialog → 481 (RFC 3261 §12.2.2)', async () => {
    const w = world();
    new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    const r = raw(w.net.attach('127.0.0.1', 5070));
    r.send(req('BYE', { branch: 'z9hG4bKb1', callId: 'nope', to: '<sip:bob@127.0.0.2>;tag=zz' }));
    r.send(req('INFO', { branch: 'z9hG4bKb2', callId: 'nope', to: '<sip:bob@127.0.0.2>;tag=zz' }));
    await w.run(50);
    expect(r.responses('BYE').map((x) => x.status)).toEqual([481]);
    expect(r.responses('INFO').map((x) => x.status)).toEqual([481]);
  });

  it('Record-Route through a proxy: copied into the 2xx; our BYE carries the route set and goes to the proxy', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    let call: Call | undefined;
    uas.on('invite', (inv) => {
      void inv.answer(answerSdp).then((c) => {
        call = c;
      });
    });
    // the "proxy" at 127.0.0.9 relays for the caller; its two Record-Routes, one a comma list
    const proxy = raw(w.net.attach('127.0.0.9', 5060));
    const rr = [
      'Record-Route: <sip:127.0.0.9:5060;lr>, <sip:10.0.0.1:5060;lr;ftag=x>',
      'Record-Route: <sip:10.0.0.2;lr>',
    ];
    proxy.send(
      [
        'INVITE sip:bob@127.0.0.2:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bKp1',
        'Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKc1',
        'From: <sip:alice@example.com>;tag=a1',
        'To: <sip:bob@example.com>',
        'Call-ID: rr1',
        'CSeq: 7 INVITE',
        'Contact: <sip:alice@10.0.0.5:5060>',
        'Max-Forwards: 69',
        ...rr,
        'Content-Type: application/sdp',
      ],
      offer,
    );
    await w.run(50);
    const ok = proxy.responses('INVITE').find((x) => x.status === 200)!;
    expect(ok).toBeDefined();
    expect(ok.getAll('record-route').join(', ')).toBe(
      '<sip:127.0.0.9:5060;lr>, <sip:10.0.0.1:5060;lr;ftag=x>, <sip:10.0.0.2;lr>',
    );
    proxy.send(
      [
        'ACK sip:bob@127.0.0.2:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bKp2',
        'From: <sip:alice@example.com>;tag=a1',
        `To: ${ok.get('to')}`,
        'Call-ID: rr1',
        'CSeq: 7 ACK',
        'Max-Forwards: 69',
      ],
      '',
    );
    await w.run(50);
    expect(call).toBeDefined();
    void call!.hangup();
    await w.run(50);
    const byes = proxy.requests('BYE');
    expect(byes).toHaveLength(1);
    const bye = byes[0]!.msg as SipRequest;
    expect(bye.uri).toBe('sip:alice@10.0.0.5:5060');
    expect(bye.getAll('route').join(', ')).toBe(
      '<sip:127.0.0.9:5060;lr>, <sip:10.0.0.1:5060;lr;ftag=x>, <sip:10.0.0.2;lr>',
    );
  });

  it('CANCEL racing the 200: CANCEL gets 200, no 487, the call stays (RFC 3261 §9.2)', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    uas.on('invite', (inv) => void inv.answer(answerSdp));
    const r = raw(w.net.attach('127.0.0.1', 5070));
    r.send(req('INVITE', { branch: 'z9hG4bKc1', callId: 'c1', extra: ['Content-Type: application/sdp'] }), offer);
    await w.run(20);
    r.send(req('CANCEL', { branch: 'z9hG4bKc1', callId: 'c1' }));
    await w.run(20);
    expect(r.responses('INVITE').map((x) => x.status)).toContain(200);
    expect(r.responses('INVITE').map((x) => x.status)).not.toContain(487);
    expect(r.responses('CANCEL').map((x) => x.status)).toEqual([200]);
    expect(uas.activeCalls).toBe(1);
  });

  it('ACK reusing the INVITE branch (some UAs) still confirms the 2xx (RFC 6026 §8.7: to the TU)', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    let confirmed = false;
    uas.on('invite', (inv) => void inv.answer(answerSdp).then(() => (confirmed = true)));
    const r = raw(w.net.attach('127.0.0.1', 5070));
    r.send(req('INVITE', { branch: 'z9hG4bKsame', callId: 'sb1', extra: ['Content-Type: application/sdp'] }), offer);
    await w.run(20);
    const ok = r.responses('INVITE').find((x) => x.status === 200)!;
    r.send(req('ACK', { branch: 'z9hG4bKsame', callId: 'sb1', to: ok.get('to')! }));
    await w.run(3000);
    expect(confirmed).toBe(true);
    expect(r.responses('INVITE').filter((x) => x.status === 200)).toHaveLength(1);
  });

  it('re-INVITE glare: an INVITE arriving while ours is pending gets 491 (RFC 3261 §14.2)', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    let call: Call | undefined;
    uas.on('invite', (inv) => {
      void inv.answer(answerSdp).then((c) => {
        call = c;
      });
    });
    const r = raw(w.net.attach('127.0.0.1', 5070));
    r.send(req('INVITE', { branch: 'z9hG4bKg1', callId: 'g1', extra: ['Content-Type: application/sdp'] }), offer);
    await w.run(20);
    const ok = r.responses('INVITE').find((x) => x.status === 200)!;
    const to = ok.get('to')!;
    r.send(req('ACK', { branch: 'z9hG4bKg2', callId: 'g1', to }));
    await w.run(20);
    expect(call).toBeDefined();
    // we send a re-INVITE (hold) and the peer does not answer it yet; its own re-INVITE crosses ours
    void call!.reinvite(answerSdp.replace('m=audio', 'a=sendonly\r\nm=audio')).catch(() => {});
    await w.run(20);
    expect(r.requests('INVITE')).toHaveLength(1);
    r.send(
      req('INVITE', { branch: 'z9hG4bKg3', callId: 'g1', cseq: 2, to, extra: ['Content-Type: application/sdp'] }),
      offer,
    );
    await w.run(20);
    expect(r.responses('INVITE').map((x) => x.status)).toContain(491);
  });
});

describe('UAC against real peers', () => {
  it('2xx through a proxy: the ACK and BYE follow the route set (RFC 3261 §12.1.2, §13.2.2.4)', async () => {
    const w = world();
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    const proxy = raw(w.net.attach('127.0.0.9', 5060));
    const out = uac.invite('sip:bob@127.0.0.9:5060', { sdp: offer });
    await w.run(20);
    const inv = proxy.requests('INVITE')[0]!.msg as SipRequest;
    const reply = (status: number, extra: string[], body = '') =>
      proxy.send(
        [
          `SIP/2.0 ${status} ${status === 200 ? 'OK' : 'Session Progress'}`,
          ...inv.getAll('via').map((v) => `Via: ${v}`),
          'Record-Route: <sip:127.0.0.9:5060;lr>',
          `From: ${inv.get('from')}`,
          `To: ${inv.get('to')};tag=b1`,
          `Call-ID: ${inv.callId}`,
          `CSeq: ${inv.get('cseq')}`,
          'Contact: <sip:bob@10.0.0.7:5062>',
          ...extra,
        ],
        body,
        { address: '127.0.0.1', port: 5060 },
      );
    // PRACK-less 183 with the answer, then a 200 without a body (the answer stays the 183's)
    reply(183, ['Content-Type: application/sdp'], answerSdp);
    await w.run(20);
    reply(200, []);
    await w.run(20);
    const call = await out.result;
    expect(call.remoteSdp).toBe(answerSdp);
    const acks = proxy.requests('ACK');
    expect(acks).toHaveLength(1);
    const ack = acks[0]!.msg as SipRequest;
    expect(ack.uri).toBe('sip:bob@10.0.0.7:5062');
    expect(ack.getAll('route')).toEqual(['<sip:127.0.0.9:5060;lr>']);
    void call.hangup();
    await w.run(20);
    const bye = proxy.requests('BYE')[0]?.msg as SipRequest | undefined;
    expect(bye?.uri).toBe('sip:bob@10.0.0.7:5062');
    expect(bye?.getAll('route')).toEqual(['<sip:127.0.0.9:5060;lr>']);
  });
});

describe('TimerQueues (one loop timer for every transaction timer)', () => {
  it('fires each armed entry at its deadline, in deadline order, skipping disarmed and re-armed ones', () => {
    const clock = new ManualClock(0);
    const loop = createLoop({ clock });
    const q = new TimerQueues(loop);
    const fired: string[] = [];
    const mk = (name: string) => ({
      dueAt: undefined as number | undefined,
      onDue: (now: number) => fired.push(`${name}@${now}`),
    });
    const a = mk('a');
    const b = mk('b');
    const c = mk('c');
    const d = mk('d');
    q.arm(a, 500);
    q.arm(b, 32_000);
    clock.advance(100);
    q.arm(c, 600); // same delay as a: same FIFO
    q.arm(d, 32_100);
    q.disarm(b);
    q.arm(d, 700); // re-armed earlier: the 32 100 slot is stale
    clock.advance(40_000);
    expect(fired).toEqual(['a@500', 'c@600', 'd@700']);
    expect(q.queued).toBe(0);
  });
});

describe('late offer in a re-INVITE', () => {
  it('a re-INVITE without SDP: our 200 carries an offer, the answer in the ACK becomes remoteSdp', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    let call: Call | undefined;
    const updates: (string | undefined)[] = [];
    uas.on('invite', (inv) => {
      void inv.answer(answerSdp).then((c) => {
        call = c;
        c.on('updated', (sdp) => updates.push(sdp));
      });
    });
    const r = raw(w.net.attach('127.0.0.1', 5070));
    r.send(req('INVITE', { branch: 'z9hG4bKl1', callId: 'l1', extra: ['Content-Type: application/sdp'] }), offer);
    await w.run(20);
    const to = r
      .responses('INVITE')
      .find((x) => x.status === 200)!
      .get('to')!;
    r.send(req('ACK', { branch: 'z9hG4bKl2', callId: 'l1', to }));
    await w.run(20);
    r.send(req('INVITE', { branch: 'z9hG4bKl3', callId: 'l1', cseq: 2, to }));
    await w.run(20);
    const ok2 = r.responses('INVITE').filter((x) => x.status === 200)[1]!;
    expect(ok2.bodyText).toContain('m=audio 5000');
    const held = offer.replace('m=audio 4000', 'm=audio 4002');
    r.send(
      req('ACK', { branch: 'z9hG4bKl4', callId: 'l1', cseq: 2, to, extra: ['Content-Type: application/sdp'] }),
      held,
    );
    await w.run(20);
    expect(call!.remoteSdp).toBe(held);
    expect(updates).toEqual([held]);
  });
});

describe('TimerQueues under odd delays', () => {
  it('many distinct delays still fire exactly, and empty one-off queues are dropped', () => {
    const clock = new ManualClock(0);
    const loop = createLoop({ clock });
    const q = new TimerQueues(loop);
    const fired: number[] = [];
    for (let i = 1; i <= 100; i++) {
      const t = { dueAt: undefined as number | undefined, onDue: (now: number) => fired.push(now) };
      q.arm(t, i * 7 + 3);
    }
    clock.advance(1000);
    expect(fired).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) * 7 + 3));
    expect(q.queued).toBe(0);
  });
});
