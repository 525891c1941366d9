import { describe, expect, it } from 'vitest';
import { DtlsEngine, generateCertificate } from '../src/index.js';
import { connectedInfo, drain, rng, runNet } from './net.js';

// Principle 6 and RFC 6347 §4.1.2.7: invalid records are dropped silently; nothing unauthenticated (epoch 0, a
// failed MAC, a foreign epoch) ends an established association or a handshake that is otherwise going well.

const serverCert = generateCertificate();
const clientCert = generateCertificate();

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

/** A DTLS 1.2 record (RFC 6347 §4.1) with the given header fields and body. */
function record(type: number, epoch: number, seq: number, body: Uint8Array, lengthField = body.length): Uint8Array {
  const out = new Uint8Array(13 + body.length);
  out.set([
    type,
    0xfe,
    0xfd,
    epoch >> 8,
    epoch & 0xff,
    0,
    0,
    0,
    0,
    0,
    seq & 0xff,
    lengthField >> 8,
    lengthField & 0xff,
  ]);
  out.set(body, 13);
  return out;
}

/** A handshake fragment header (RFC 6347 §4.2.2) followed by `body`. */
function fragment(
  msgType: number,
  length: number,
  msgSeq: number,
  offset: number,
  body: Uint8Array,
  fragLen = body.length,
) {
  const h = new Uint8Array(12 + body.length);
  h.set([msgType, length >> 16, (length >> 8) & 0xff, length & 0xff, msgSeq >> 8, msgSeq & 0xff]);
  h.set([offset >> 16, (offset >> 8) & 0xff, offset & 0xff, fragLen >> 16, (fragLen >> 8) & 0xff, fragLen & 0xff], 6);
  h.set(body, 12);
  return h;
}

function connectedPair() {
  const client = new DtlsEngine({ role: 'client', certificate: clientCert, srtpProfiles: [1] });
  const server = new DtlsEngine({ role: 'server', certificate: serverCert, srtpProfiles: [1] });
  let clientHello: Uint8Array | undefined;
  let flight5: Uint8Array[] = [];
  const r = runNet(client, server, {
    mitm: (from, d) => {
      // keep copies of the client's (cookie) ClientHello and its flight 5 for replay as an attacker would
      if (from === 'client' && d[0] === 22 && d[13] === 1) clientHello = d.slice();
      if (from === 'client' && d[0] !== 22 && d[0] !== 20) return d;
      if (from === 'client' && d[13] === 11) flight5 = [];
      if (from === 'client' && d[13] !== 1) flight5.push(d.slice());
      return d;
    },
  });
  expect(client.connected && server.connected).toBe(true);
  return { client, server, now: r.timeMs + 10, clientHello: clientHello!, flight5 };
}

/** Asserts both engines are still connected, reported nothing, and carry application data both ways. */
function stillWorks(client: DtlsEngine, server: DtlsEngine, now: number): void {
  const ce = drain(client);
  const se = drain(server);
  expect(ce.events.filter((e) => e.type !== 'applicationData')).toEqual([]);
  expect(se.events.filter((e) => e.type !== 'applicationData')).toEqual([]);
  expect(client.connected && server.connected).toBe(true);
  client.send(Uint8Array.of(1, 2, 3));
  for (const d of drain(client).datagrams) server.handleInput(d, now);
  expect(drain(server).events).toEqual([{ type: 'applicationData', data: Uint8Array.of(1, 2, 3) }]);
  server.send(Uint8Array.of(4, 5));
  for (const d of drain(server).datagrams) client.handleInput(d, now);
  expect(drain(client).events).toEqual([{ type: 'applicationData', data: Uint8Array.of(4, 5) }]);
}

const junk = hex('aabbccddeeff00112233');

/** Forged datagrams an off-path attacker can send at an established association, by name. */
const attacks: [string, Uint8Array][] = [
  [
    'issue #14 reproduction: fragment past the message end',
    hex('16fefd0000000000000063000d020000010000000000000002aa'),
  ],
  ['truncated handshake header (5 octets)', record(22, 0, 5, hex('0100000000'))],
  ['record length beyond the datagram', record(22, 0, 6, hex('01000000'), 400)],
  ['fragment_length beyond the record', record(22, 0, 7, fragment(2, 100, 1, 0, hex('00'), 100))],
  ['epoch-0 ServerHello/ClientHello of junk', record(22, 0, 8, fragment(2, junk.length, 1, 0, junk))],
  ['epoch-0 Finished of junk', record(22, 0, 9, fragment(20, 12, 5, 0, junk.subarray(0, 12)))],
  ['epoch-0 HelloRequest', record(22, 0, 10, fragment(0, 0, 0, 0, new Uint8Array(0)))],
  ['epoch-0 fatal alert (handshake_failure)', record(21, 0, 11, hex('0228'))],
  ['epoch-0 close_notify', record(21, 0, 12, hex('0100'))],
  ['epoch-0 alert of the wrong length', record(21, 0, 13, hex('02'))],
  ['epoch-0 ChangeCipherSpec', record(20, 0, 14, hex('01'))],
  ['epoch-0 malformed ChangeCipherSpec', record(20, 0, 15, hex('0203'))],
  ['epoch-0 application data', record(23, 0, 16, junk)],
  ['unknown content type 25', record(25, 0, 17, junk)],
  ['unknown content type 255 at epoch 1', record(255, 1, 18, junk)],
  ['epoch-1 record with a bad MAC', record(23, 1, 500, new Uint8Array(40))],
  ['epoch-1 alert with a bad MAC', record(21, 1, 501, new Uint8Array(26))],
  ['future epoch 2', record(22, 2, 0, fragment(0, 0, 0, 0, new Uint8Array(0)))],
  ['far future epoch 0xffff', record(21, 0xffff, 0, hex('0228'))],
  ['DTLS 1.0 record at epoch 1', Uint8Array.from([23, 0xfe, 0xff, 0, 1, 0, 0, 0, 0, 0, 1, 0, 2, 1, 2])],
  ['empty datagram', new Uint8Array(0)],
  ['a lone octet', hex('16')],
];

describe('no unauthenticated input ends an established association (RFC 6347 §4.1.2.7)', () => {
  for (const [name, d] of attacks) {
    it(`${name}: dropped at both client and server`, () => {
      const { client, server, now } = connectedPair();
      client.handleInput(d, now);
      server.handleInput(d, now);
      // the same record again and inside a datagram with a good record after it
      client.handleInput(d, now + 1);
      server.handleInput(d, now + 1);
      stillWorks(client, server, now + 2);
    });
  }

  it('a replayed ClientHello (late duplicate) at an established server is dropped, no flight is resent', () => {
    const { client, server, now, clientHello } = connectedPair();
    expect(clientHello).toBeDefined();
    server.handleInput(clientHello, now);
    expect(drain(server).datagrams).toEqual([]);
    stillWorks(client, server, now + 1);
  });

  it("a retransmitted flight 5 gets the server's last flight again (RFC 6347 §4.2.4) and the client ignores it", () => {
    const { client, server, now, flight5 } = connectedPair();
    expect(flight5.length).toBeGreaterThan(0);
    for (const d of flight5) server.handleInput(d, now + 1000);
    const resent = drain(server).datagrams;
    expect(resent.length).toBeGreaterThan(0);
    expect(resent.some((d) => d[0] === 20)).toBe(true); // the ChangeCipherSpec of flight 6
    for (const d of resent) client.handleInput(d, now + 1001);
    stillWorks(client, server, now + 1002);
  });

  it('the last flight resent on request is not then retransmitted on a timer (RFC 6347 §4.2.4)', () => {
    // found by `pnpm sim`: after one retransmitted flight 5 the server resent flight 6 every 2 s until it closed
    const { server, now, flight5 } = connectedPair();
    for (const d of flight5) server.handleInput(d, now + 1000);
    expect(drain(server).datagrams.length).toBeGreaterThan(0);
    for (const t of [2_000, 5_000, 10_000, 30_000, 60_000]) {
      server.handleTimeout(now + t);
      expect(drain(server).datagrams, `at +${t} ms`).toEqual([]);
    }
  });

  it('2,000 random epoch-0 and epoch-1 records with valid headers do not disturb the association', () => {
    const { client, server, now } = connectedPair();
    const rand = rng(99);
    for (let i = 0; i < 2000; i++) {
      const body = new Uint8Array(Math.floor(rand() * 80));
      for (let j = 0; j < body.length; j++) body[j] = Math.floor(rand() * 256);
      const type = [20, 21, 22, 23, Math.floor(rand() * 256)][Math.floor(rand() * 5)]!;
      const epoch = rand() < 0.7 ? 0 : Math.floor(rand() * 3);
      const b = type === 22 && rand() < 0.7 ? fragment(Math.floor(rand() * 21), body.length, i & 7, 0, body) : body;
      const d = record(type, epoch, i, b);
      client.handleInput(d, now);
      server.handleInput(d, now);
    }
    stillWorks(client, server, now + 1);
  });
});

describe('garbage mid-handshake is dropped, not fatal (unless authenticated)', () => {
  /** Garbage an attacker may slip in beside the real records of any flight. */
  const garbage: [string, (seq: number) => Uint8Array][] = [
    ['truncated handshake headers', (s) => record(22, 0, s, hex('0100000000'))],
    ['fragments past the message end', (s) => record(22, 0, s, fragment(2, 1, s % 7, 0, hex('00aa')))],
    ['well-framed junk messages at every message_seq', (s) => record(22, 0, s, fragment(s % 21, 10, s % 7, 0, junk))],
    ['bad ChangeCipherSpec and alert bodies', (s) => record(s % 2 ? 20 : 21, 0, s, hex('030303'))],
    ['unknown content types', (s) => record(30 + (s % 50), 0, s, junk)],
    ['epoch-1 records with bad MACs', (s) => record(22, 1, s, new Uint8Array(48))],
  ];
  for (const [name, make] of garbage) {
    it(`${name}: 20 seeds, both sides connect with equal keys`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        const rand = rng(seed * 31);
        let n = 0;
        const client = new DtlsEngine({ role: 'client', certificate: clientCert, srtpProfiles: [1] });
        const server = new DtlsEngine({ role: 'server', certificate: serverCert, srtpProfiles: [1] });
        const r = runNet(client, server, {
          seed,
          loss: 0.1,
          maxTimeMs: 60_000,
          mitm: (_from, d) => {
            if (rand() >= 0.5) return d;
            const g = make(n++);
            const out = new Uint8Array(g.length + d.length);
            // garbage before or after the real records of the datagram
            if (rand() < 0.5) {
              out.set(g, 0);
              out.set(d, g.length);
            } else {
              out.set(d, 0);
              out.set(g, d.length);
            }
            return out;
          },
        });
        try {
          connectedInfo(r.clientEvents);
          connectedInfo(r.serverEvents);
        } catch (e) {
          throw new Error(`seed ${seed}: ${(e as Error).message}`);
        }
        expect(Buffer.from(client.srtpKeyingMaterial()!.material)).toEqual(
          Buffer.from(server.srtpKeyingMaterial()!.material),
        );
      }
    });
  }

  it('a forged epoch-0 fatal alert still ends a handshake (it is not established yet), with the peer alert named', () => {
    const client = new DtlsEngine({ role: 'client', certificate: clientCert });
    client.start(0);
    drain(client);
    client.handleInput(record(21, 0, 1, hex('0228')), 5);
    const ev = drain(client).events;
    expect(ev.length).toBe(1);
    const e = ev[0]!;
    expect(e.type === 'error' && e.error.remote && e.error.alertName).toBe('handshakeFailure');
  });
});
