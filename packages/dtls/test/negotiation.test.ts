import { describe, expect, it } from 'vitest';
import { AlertDescription, DtlsEngine, type DtlsEvent, generateCertificate } from '../src/index.js';
import { parseClientHello, serializeClientHello } from '../src/messages/client-hello.js';
import { serializeHandshake } from '../src/messages/handshake-header.js';
import { serializePlainRecord } from '../src/record.js';
import { drain, runNet } from './net.js';

const cert = generateCertificate();

function alertOf(events: DtlsEvent[]): number | undefined {
  const e = events.find((x) => x.type === 'error');
  return e?.type === 'error' ? e.error.alert : undefined;
}

/** A ClientHello datagram from a real client engine, rewritten by `edit`. */
function clientHelloWith(edit: (ch: ReturnType<typeof parseClientHello>) => void): Uint8Array {
  const c = new DtlsEngine({ role: 'client', certificate: cert });
  c.start(0);
  const d = drain(c).datagrams[0]!;
  const ch = parseClientHello(d.subarray(13 + 12));
  edit(ch);
  return serializePlainRecord(22, 0, 0, serializeHandshake(1, 0, serializeClientHello(ch)));
}

describe('negotiation rules', () => {
  it('extended_master_secret is required by default on both sides (RFC 7627)', () => {
    const server = new DtlsEngine({ role: 'server', certificate: cert, cookieExchange: false });
    server.handleInput(
      clientHelloWith((ch) => {
        ch.extensions = ch.extensions.filter((e) => e.type !== 23);
      }),
      0,
    );
    expect(alertOf(drain(server).events)).toBe(AlertDescription.handshakeFailure);
  });

  it('with requireExtendedMasterSecret=false a client without RFC 7627 gets the RFC 5246 master secret', () => {
    const noEms = (t: number, b: Uint8Array) =>
      t === 1
        ? serializeClientHello({
            ...parseClientHello(b),
            extensions: parseClientHello(b).extensions.filter((e) => e.type !== 23),
          })
        : b;
    const client = new DtlsEngine({
      role: 'client',
      certificate: cert,
      requireExtendedMasterSecret: false,
      tamperHandshake: noEms,
    });
    const server = new DtlsEngine({ role: 'server', certificate: cert, requireExtendedMasterSecret: false });
    runNet(client, server);
    expect(client.info?.extendedMasterSecret).toBe(false);
    expect(server.info?.extendedMasterSecret).toBe(false);
    expect(client.exportKeyingMaterial('EXPERIMENTAL-a', 16)).toEqual(
      server.exportKeyingMaterial('EXPERIMENTAL-a', 16),
    );
    // and the default client refuses such a server reply
    const strict = new DtlsEngine({ role: 'client', certificate: cert, tamperHandshake: noEms });
    const r = runNet(strict, new DtlsEngine({ role: 'server', certificate: cert, requireExtendedMasterSecret: false }));
    expect(alertOf(r.clientEvents)).toBe(AlertDescription.handshakeFailure);
  });

  it('a ClientHello modified in flight is caught by the Finished check', () => {
    const client = new DtlsEngine({ role: 'client', certificate: cert });
    const server = new DtlsEngine({ role: 'server', certificate: cert });
    const r = runNet(client, server, {
      mitm: (from, d) => {
        if (from !== 'client' || d[13] !== 1) return d;
        return clientHelloWithBody(d, (ch) => {
          ch.cipherSuites = ch.cipherSuites.filter((c) => c !== 0xc02c);
        });
      },
    });
    expect(alertOf(r.serverEvents)).toBe(AlertDescription.decryptError);
  });

  it('a DTLS 1.0-only client gets protocol_version', () => {
    const server = new DtlsEngine({ role: 'server', certificate: cert, cookieExchange: false });
    server.handleInput(
      clientHelloWith((ch) => {
        ch.version = 0xfeff;
      }),
      0,
    );
    expect(alertOf(drain(server).events)).toBe(AlertDescription.protocolVersion);
  });

  it('a ClientHello without null compression gets illegal_parameter', () => {
    const server = new DtlsEngine({ role: 'server', certificate: cert, cookieExchange: false });
    server.handleInput(
      clientHelloWith((ch) => {
        ch.compressionMethods = [1];
      }),
      0,
    );
    expect(alertOf(drain(server).events)).toBe(AlertDescription.illegalParameter);
  });

  it('no common group → handshake_failure', () => {
    const client = new DtlsEngine({ role: 'client', certificate: cert, groups: ['secp384r1'] });
    const server = new DtlsEngine({ role: 'server', certificate: cert, groups: ['x25519'] });
    const r = runNet(client, server);
    expect(alertOf(r.serverEvents)).toBe(AlertDescription.handshakeFailure);
  });

  it('an offered but unsupported SRTP profile list just omits use_srtp (RFC 5764 §4.1.1)', () => {
    const client = new DtlsEngine({ role: 'client', certificate: cert, srtpProfiles: [2] });
    const server = new DtlsEngine({ role: 'server', certificate: cert, srtpProfiles: [7] });
    runNet(client, server);
    expect(client.connected).toBe(true);
    expect(client.info?.srtpProfile).toBeUndefined();
    expect(client.srtpKeyingMaterial()).toBeUndefined();
  });

  it('X25519, P-256 and P-384 each work, and the group is reported', () => {
    for (const g of ['x25519', 'secp256r1', 'secp384r1'] as const) {
      const client = new DtlsEngine({ role: 'client', certificate: cert, groups: [g] });
      const server = new DtlsEngine({ role: 'server', certificate: cert });
      runNet(client, server);
      expect(client.info?.group).toBe(g);
      expect(server.info?.group).toBe(g);
    }
  });

  it('exporter: reserved labels and use before connect are API misuse', () => {
    const client = new DtlsEngine({ role: 'client', certificate: cert });
    expect(() => client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 60)).toThrow(/connected/);
    const server = new DtlsEngine({ role: 'server', certificate: cert });
    runNet(client, server);
    expect(() => client.exportKeyingMaterial('master secret', 48)).toThrow(/reserved/);
    const ctx = Uint8Array.of(1, 2, 3);
    expect(client.exportKeyingMaterial('EXPERIMENTAL-x', 32, ctx)).toEqual(
      server.exportKeyingMaterial('EXPERIMENTAL-x', 32, ctx),
    );
    expect(() => new DtlsEngine({ role: 'server' })).toThrow(/needs a certificate/);
    expect(() => new DtlsEngine({ role: 'client', srtpProfiles: ['SRTP_BOGUS'] })).toThrow(/unknown SRTP profile/);
  });
});

function clientHelloWithBody(d: Uint8Array, edit: (ch: ReturnType<typeof parseClientHello>) => void): Uint8Array {
  const seq = d[4 + 13]! * 256 + d[5 + 13]!;
  const ch = parseClientHello(d.subarray(13 + 12));
  edit(ch);
  return serializePlainRecord(22, 0, 0, serializeHandshake(1, seq, serializeClientHello(ch)));
}
