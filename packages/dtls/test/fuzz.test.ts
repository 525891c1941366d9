import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DtlsEngine, DtlsError, generateCertificate } from '../src/index.js';
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
