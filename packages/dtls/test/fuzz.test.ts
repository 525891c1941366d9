import { DtlsEngine, DtlsError, generateCertificate, statelessHelloVerify } from '@mdh/dtls';
import {
  clientMidHandshake,
  connectedPair,
  drainEngine,
  dtlsDecoders,
  serverAwaitingClientHello,
} from '@mdh/dtls/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../src/messages/certificate.js';
import { parseCertificateRequest } from '../src/messages/certificate-request.js';
import { parseClientHello } from '../src/messages/client-hello.js';
import { parseHandshakeFragments } from '../src/messages/handshake-header.js';
import { parseServerHello } from '../src/messages/server-hello.js';
import { parseServerKeyExchange } from '../src/messages/server-key-exchange.js';
import { drain, rng, runNet } from './net.js';

const serverCert = generateCertificate();
const clientCert = generateCertificate();

function onlyTypedErrors(e: DtlsEngine): void {
  const out = drain(e);
  for (const ev of out.events) {
    if (ev.type !== 'error') continue;
    expect(ev.error).toBeInstanceOf(DtlsError);
    // an "internal error" would mean a bug surfaced as an untyped exception inside the engine
    expect(ev.error.message).not.toMatch(/^internal error/);
  }
}

describe('fuzzed input never throws untyped errors or hangs', () => {
  it('decoders throw only DtlsError', () => {
    const parsers = [
      parseClientHello,
      parseServerHello,
      parseServerKeyExchange,
      parseCertificate,
      parseCertificateRequest,
      parseHandshakeFragments,
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        for (const p of parsers) {
          try {
            p(b);
          } catch (e) {
            expect(e).toBeInstanceOf(DtlsError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('random datagrams into fresh client and server engines', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 400 }), { maxLength: 8 }), (ds) => {
        const server = new DtlsEngine({ role: 'server', certificate: serverCert, cookieExchange: false });
        const client = new DtlsEngine({ role: 'client' });
        client.start(0);
        drain(client);
        for (const d of ds) {
          server.handleInput(d, 1);
          client.handleInput(d, 1);
        }
        onlyTypedErrors(server);
        onlyTypedErrors(client);
      }),
      { numRuns: 500 },
    );
  });

  it('structured-looking records (DTLS content types, valid headers, random bodies)', () => {
    const record = fc
      .record({
        type: fc.constantFrom(20, 21, 22, 23),
        epoch: fc.constantFrom(0, 1, 2),
        seq: fc.integer({ min: 0, max: 100 }),
        body: fc.uint8Array({ maxLength: 200 }),
        msgType: fc.constantFrom(1, 2, 3, 11, 12, 13, 14, 15, 16, 20),
      })
      .map(({ type, epoch, seq, body, msgType }) => {
        const inner =
          type === 22 ? new Uint8Array([msgType, 0, 0, body.length, 0, 0, 0, 0, 0, 0, 0, body.length, ...body]) : body;
        return new Uint8Array([
          type,
          0xfe,
          0xfd,
          0,
          epoch,
          0,
          0,
          0,
          0,
          0,
          seq,
          inner.length >> 8,
          inner.length & 0xff,
          ...inner,
        ]);
      });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 6 }), (recs) => {
        const server = new DtlsEngine({ role: 'server', certificate: serverCert, cookieExchange: false });
        const client = new DtlsEngine({ role: 'client' });
        client.start(0);
        drain(client);
        for (const r of recs) {
          server.handleInput(r, 1);
          client.handleInput(r, 1);
        }
        onlyTypedErrors(server);
        onlyTypedErrors(client);
      }),
      { numRuns: 1000 },
    );
  });

  it('bit-flipped handshake datagrams in flight: the handshake ends (connected or a typed error), never hangs', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rand = rng(seed * 7919);
      const client = new DtlsEngine({ role: 'client', certificate: clientCert, handshakeTimeoutMs: 20_000 });
      const server = new DtlsEngine({ role: 'server', certificate: serverCert, handshakeTimeoutMs: 20_000 });
      const r = runNet(client, server, {
        seed,
        maxTimeMs: 60_000,
        mitm: (_from, d) => {
          if (rand() < 0.25) {
            const c = d.slice();
            const n = 1 + Math.floor(rand() * 3);
            for (let i = 0; i < n; i++) c[Math.floor(rand() * c.length)]! ^= 1 << Math.floor(rand() * 8);
            return c;
          }
          return d;
        },
      });
      for (const evs of [r.clientEvents, r.serverEvents]) {
        const end = evs.find((e) => e.type === 'connected' || e.type === 'error');
        expect(end, `seed ${seed}`).toBeDefined();
        for (const e of evs) {
          if (e.type !== 'error') continue;
          expect(e.error).toBeInstanceOf(DtlsError);
          expect(e.error.message).not.toMatch(/^internal error/);
        }
      }
    }
  });
});

describe('structure-aware mutation of real handshake datagrams (@mdh/dtls/testing entry points)', () => {
  const pair = connectedPair();
  const corpus = [...pair.trace.fromClient, ...pair.trace.fromServer];
  const secret = new Uint8Array(32).fill(7);
  /** A mutation of a real datagram: bit flips, byte overwrites, truncation, record splicing, header edits. */
  const mutated = fc
    .record({
      base: fc.integer({ min: 0, max: corpus.length - 1 }),
      other: fc.integer({ min: 0, max: corpus.length - 1 }),
      op: fc.constantFrom('flip', 'set', 'truncate', 'splice', 'header', 'epoch0'),
      pos: fc.nat(),
      val: fc.integer({ min: 0, max: 255 }),
      n: fc.integer({ min: 1, max: 4 }),
    })
    .map(({ base, other, op, pos, val, n }) => {
      const d = corpus[base]!.slice();
      const at = pos % Math.max(1, d.length);
      switch (op) {
        case 'flip':
          for (let i = 0; i < n; i++) d[(at + i * 7) % d.length]! ^= 1 << ((val + i) % 8);
          return d;
        case 'set':
          d[at] = val;
          return d;
        case 'truncate':
          return d.subarray(0, at);
        case 'splice': {
          const o = corpus[other]!;
          const out = new Uint8Array(at + o.length);
          out.set(d.subarray(0, at));
          out.set(o, at);
          return out;
        }
        case 'header':
          // a field of the record header or the first handshake header (type, version, epoch, length, msg fields)
          d[at % Math.min(d.length, 25)] = val;
          return d;
        default:
          // the datagram's records re-labelled as epoch 0 (unauthenticated)
          if (d.length > 4) d[3] = d[4] = 0;
          return d;
      }
    });

  it('into a server awaiting its ClientHello and a client mid-handshake: typed errors only, never a throw', () => {
    fc.assert(
      fc.property(fc.array(mutated, { minLength: 1, maxLength: 4 }), (ds) => {
        const s = serverAwaitingClientHello({ server: { cookieExchange: false } });
        const c = clientMidHandshake();
        for (const d of ds) {
          s.server.handleInput(d, s.now);
          c.client.handleInput(d, c.now);
          // the listener's stateless cookie check never throws either
          expect(['accept', 'reply', 'drop']).toContain(statelessHelloVerify(d, secret, '192.0.2.1:5000').action);
        }
        onlyTypedErrors(s.server);
        onlyTypedErrors(c.client);
      }),
      { numRuns: 150 },
    );
  });

  it('into a connected pair: the association survives every mutated datagram and still carries data', () => {
    fc.assert(
      fc.property(fc.array(mutated, { minLength: 1, maxLength: 8 }), (ds) => {
        const { client, server, now } = connectedPair();
        for (const d of ds) {
          client.handleInput(d, now);
          server.handleInput(d, now);
        }
        for (const e of [client, server]) {
          const evs = drainEngine(e).events.filter((x) => x.type !== 'applicationData');
          expect(evs).toEqual([]);
          expect(e.connected).toBe(true);
        }
        client.send(Uint8Array.of(7));
        for (const d of drainEngine(client).datagrams) server.handleInput(d, now);
        expect(drainEngine(server).events).toEqual([{ type: 'applicationData', data: Uint8Array.of(7) }]);
      }),
      { numRuns: 150 },
    );
  });

  it('every decoder throws only DtlsError on mutated real messages', () => {
    fc.assert(
      fc.property(mutated, (d) => {
        for (const decode of Object.values(dtlsDecoders)) {
          for (const input of [d, d.subarray(13), d.subarray(25)]) {
            try {
              decode(input);
            } catch (e) {
              expect(e).toBeInstanceOf(DtlsError);
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
