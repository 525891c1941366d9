import { createLoop, ManualClock } from '@mdh/loop';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage, type SipResponse, SipStack } from '../src/index.js';
import { MemoryNetwork } from '../src/testing.js';

const enc = (s: string) => new TextEncoder().encode(s);

function setup(maxTransactions?: number) {
  const clock = new ManualClock(0);
  const loop = createLoop({ clock });
  const net = new MemoryNetwork();
  const st = net.attach('127.0.0.2', 5060);
  const stack = new SipStack({ loop, transports: [st], ...(maxTransactions ? { maxTransactions } : {}) });
  const peer = net.attach('127.0.0.1', 5070);
  const got: SipResponse[] = [];
  peer.onPacket((p) => {
    const m = parseMessage(p.data);
    if (m.kind === 'response') got.push(m);
  });
  const send = (lines: string[]) =>
    peer.send(enc(`${lines.join('\r\n')}\r\n\r\n`), { address: '127.0.0.2', port: 5060 });
  return { clock, loop, stack, got, send };
}

const options = (via: string, callId = 'c1') => [
  'OPTIONS sip:x@127.0.0.2 SIP/2.0',
  `Via: ${via}`,
  'From: <sip:a@127.0.0.1>;tag=f1',
  'To: <sip:x@127.0.0.2>',
  `Call-ID: ${callId}`,
  'CSeq: 7 OPTIONS',
  'Max-Forwards: 70',
  'Content-Length: 0',
];

describe('SipStack matching (RFC 3261 §17.2.3, §18.2, RFC 3581)', () => {
  it('a retransmission matches by branch and gets the same response; the TU sees one request', async () => {
    const s = setup();
    let n = 0;
    s.stack.onRequest = (r) => {
      n++;
      r.reply(200);
    };
    await s.send(options('SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc'));
    await s.send(options('SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc'));
    expect(n).toBe(1);
    expect(s.got.map((r) => r.status)).toEqual([200, 200]);
    expect(s.stack.stats.retransmissionsIn).toBe(1);
  });

  it('RFC 2543 fallback: without the magic cookie, Call-ID/From tag/CSeq/Via identify the transaction', async () => {
    const s = setup();
    let n = 0;
    s.stack.onRequest = (r) => {
      n++;
      r.reply(200);
    };
    await s.send(options('SIP/2.0/UDP 127.0.0.1:5070;branch=old1'));
    await s.send(options('SIP/2.0/UDP 127.0.0.1:5070;branch=old1'));
    await s.send(options('SIP/2.0/UDP 127.0.0.1:5070', 'c2'));
    expect(n).toBe(2);
    expect(s.got).toHaveLength(3);
  });

  it('rport is filled and received added when the source differs (RFC 3581 §4, §18.2.1)', async () => {
    const s = setup();
    s.stack.onRequest = (r) => r.reply(200);
    await s.send(options('SIP/2.0/UDP 192.0.2.9:5999;rport;branch=z9hG4bKnat'));
    const via = s.got[0]?.via;
    expect(via?.received).toBe('127.0.0.1');
    expect(via?.rport).toBe(5070);
    expect(via?.branch).toBe('z9hG4bKnat');
  });

  it('an ACK for a non-2xx stops Timer G; a CANCEL for an unknown INVITE gets 481', async () => {
    const s = setup();
    s.stack.onRequest = (r) => {
      if (r.request.method === 'INVITE') r.reply(486, { toTag: 't486' });
    };
    const inv = [
      'INVITE sip:x@127.0.0.2 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKinv',
      'From: <sip:a@127.0.0.1>;tag=f1',
      'To: <sip:x@127.0.0.2>',
      'Call-ID: i1',
      'CSeq: 1 INVITE',
      'Max-Forwards: 70',
      'Content-Length: 0',
    ];
    await s.send(inv);
    s.clock.advance(600);
    expect(s.got.map((r) => r.status)).toEqual([486, 486]);
    await s.send([
      'ACK sip:x@127.0.0.2 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKinv',
      'From: <sip:a@127.0.0.1>;tag=f1',
      'To: <sip:x@127.0.0.2>;tag=t486',
      'Call-ID: i1',
      'CSeq: 1 ACK',
      'Max-Forwards: 70',
      'Content-Length: 0',
    ]);
    s.clock.advance(10_000);
    expect(s.got).toHaveLength(2);
    await s.send(
      inv.map((l) =>
        l.replace('INVITE sip', 'CANCEL sip').replace('1 INVITE', '1 CANCEL').replace('z9hG4bKinv', 'z9hG4bKother'),
      ),
    );
    expect(s.got.at(-1)?.status).toBe(481);
  });

  it('beyond maxTransactions new requests get 503 with Retry-After', async () => {
    const s = setup(2);
    s.stack.onRequest = () => {};
    await s.send(options('SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1', 'a'));
    await s.send(options('SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK2', 'b'));
    await s.send(options('SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK3', 'c'));
    expect(s.got.map((r) => r.status)).toEqual([503]);
    expect(s.got[0]?.get('retry-after')).toBe('5');
  });

  it('never throws on random or mutated datagrams (noise is dropped and counted)', () => {
    const s = setup();
    s.stack.onRequest = (r) => r.reply(200);
    const base = enc(`${options('SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKfz').join('\r\n')}\r\n\r\n`);
    const t = s.stack.transports[0]!;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc.tuple(fc.nat(base.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, junk]) => {
            const b = base.slice();
            b.set(junk.subarray(0, Math.max(0, b.length - at)), at);
            return b;
          }),
        ),
        (data) => {
          expect(() =>
            s.stack.receive({ data, source: { address: '127.0.0.1', port: 5070 }, transport: t }),
          ).not.toThrow();
        },
      ),
      { numRuns: 500 },
    );
    expect(s.stack.stats.parseErrors).toBeGreaterThan(0);
  });
});
