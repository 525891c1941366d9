import { describe, expect, it } from 'vitest';
import {
  AlertDescription,
  DtlsEngine,
  DtlsError,
  type DtlsEvent,
  fingerprint,
  generateCertificate,
} from '../src/index.js';
import { drain, runNet } from './net.js';

const serverCert = generateCertificate();
const clientCert = generateCertificate();
const rsaCert = generateCertificate({ keyType: 'rsa-2048' });

function errorOf(events: DtlsEvent[]): DtlsError {
  const e = events.find((x) => x.type === 'error');
  if (e?.type !== 'error') throw new Error(`no error event in ${JSON.stringify(events.map((x) => x.type))}`);
  expect(e.error).toBeInstanceOf(DtlsError);
  return e.error;
}

/** Flips the last octet of handshake message `type` in an epoch-0 datagram (the end of its signature). */
function flipLastByteOf(type: number) {
  return (d: Uint8Array): Uint8Array => {
    const out = d.slice();
    let off = 0;
    while (off + 13 <= out.length) {
      const len = (out[off + 11]! << 8) | out[off + 12]!;
      const epoch = (out[off + 3]! << 8) | out[off + 4]!;
      if (out[off] === 22 && epoch === 0) {
        let h = off + 13;
        while (h + 12 <= off + 13 + len) {
          const msgType = out[h]!;
          const mlen = (out[h + 1]! << 16) | (out[h + 2]! << 8) | out[h + 3]!;
          const fo = (out[h + 6]! << 16) | (out[h + 7]! << 8) | out[h + 8]!;
          const fl = (out[h + 9]! << 16) | (out[h + 10]! << 8) | out[h + 11]!;
          if (msgType === type && fo + fl === mlen && fl > 0) out[h + 12 + fl - 1]! ^= 0x01;
          h += 12 + fl;
        }
      }
      off += 13 + len;
    }
    return out;
  };
}

describe('verification failures end the handshake with the right alert', () => {
  for (const [label, cert] of [
    ['ECDSA', serverCert],
    ['RSA', rsaCert],
  ] as const) {
    it(`a tampered ServerKeyExchange signature (${label}) → decrypt_error`, () => {
      const client = new DtlsEngine({ role: 'client', certificate: clientCert });
      const server = new DtlsEngine({ role: 'server', certificate: cert });
      const r = runNet(client, server, { mitm: (from, d) => (from === 'server' ? flipLastByteOf(12)(d) : d) });
      const ce = errorOf(r.clientEvents);
      expect(ce.alert).toBe(AlertDescription.decryptError);
      expect(ce.message).toMatch(/ServerKeyExchange/);
      const se = errorOf(r.serverEvents);
      expect(se.remote).toBe(true);
      expect(se.alert).toBe(AlertDescription.decryptError);
    });
  }

  it('a tampered CertificateVerify → decrypt_error at the server', () => {
    const client = new DtlsEngine({ role: 'client', certificate: clientCert });
    const server = new DtlsEngine({ role: 'server', certificate: serverCert });
    const r = runNet(client, server, { mitm: (from, d) => (from === 'client' ? flipLastByteOf(15)(d) : d) });
    const se = errorOf(r.serverEvents);
    expect(se.alert).toBe(AlertDescription.decryptError);
    expect(se.message).toMatch(/CertificateVerify/);
    expect(errorOf(r.clientEvents).remote).toBe(true);
  });

  it('a tampered server Finished → decrypt_error at the client', () => {
    const client = new DtlsEngine({ role: 'client', certificate: clientCert });
    const server = new DtlsEngine({
      role: 'server',
      certificate: serverCert,
      tamperHandshake: (t, b) => (t === 20 ? b.map((x, i) => (i === 0 ? x ^ 0x80 : x)) : b),
    });
    const r = runNet(client, server);
    const ce = errorOf(r.clientEvents);
    expect(ce.alert).toBe(AlertDescription.decryptError);
    expect(ce.message).toMatch(/Finished/);
  });

  it('a tampered client Finished → decrypt_error at the server', () => {
    const client = new DtlsEngine({
      role: 'client',
      certificate: clientCert,
      tamperHandshake: (t, b) => (t === 20 ? b.map((x, i) => (i === 11 ? x ^ 1 : x)) : b),
    });
    const server = new DtlsEngine({ role: 'server', certificate: serverCert });
    const r = runNet(client, server);
    const se = errorOf(r.serverEvents);
    expect(se.alert).toBe(AlertDescription.decryptError);
    expect(se.message).toMatch(/Finished/);
  });

  it('a wrong server fingerprint → bad_certificate', () => {
    const other = generateCertificate();
    const client = new DtlsEngine({
      role: 'client',
      certificate: clientCert,
      expectedFingerprints: [fingerprint(other.chain[0]!)],
    });
    const server = new DtlsEngine({ role: 'server', certificate: serverCert });
    const r = runNet(client, server);
    expect(errorOf(r.clientEvents).alert).toBe(AlertDescription.badCertificate);
    const se = errorOf(r.serverEvents);
    expect(se.remote).toBe(true);
    expect(se.alert).toBe(AlertDescription.badCertificate);
  });

  it('a wrong client fingerprint → bad_certificate at the server', () => {
    const client = new DtlsEngine({ role: 'client', certificate: clientCert });
    const server = new DtlsEngine({
      role: 'server',
      certificate: serverCert,
      expectedFingerprints: [fingerprint(serverCert.chain[0]!, 'sha-1')],
    });
    const r = runNet(client, server);
    expect(errorOf(r.serverEvents).alert).toBe(AlertDescription.badCertificate);
  });

  it('a server that verifies its peer rejects a client without a certificate', () => {
    const client = new DtlsEngine({ role: 'client' });
    const server = new DtlsEngine({
      role: 'server',
      certificate: serverCert,
      expectedFingerprints: [fingerprint(clientCert.chain[0]!)],
    });
    const r = runNet(client, server);
    expect(errorOf(r.serverEvents).alert).toBe(AlertDescription.handshakeFailure);
    const strict = new DtlsEngine({ role: 'server', certificate: serverCert, requireClientCertificate: true });
    const r2 = runNet(new DtlsEngine({ role: 'client' }), strict);
    expect(errorOf(r2.serverEvents).alert).toBe(AlertDescription.handshakeFailure);
  });

  it('a client without a certificate connects when the server does not verify its peer', () => {
    const client = new DtlsEngine({ role: 'client' });
    const server = new DtlsEngine({ role: 'server', certificate: serverCert });
    const r = runNet(client, server);
    expect(r.serverEvents.some((e) => e.type === 'connected')).toBe(true);
    expect(server.info?.peerCertificates).toEqual([]);
  });

  it('no common cipher suite → handshake_failure', () => {
    const client = new DtlsEngine({ role: 'client', cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'] });
    const server = new DtlsEngine({ role: 'server', certificate: serverCert });
    const r = runNet(client, server);
    expect(errorOf(r.serverEvents).alert).toBe(AlertDescription.handshakeFailure);
    expect(errorOf(r.clientEvents).remote).toBe(true);
  });

  it('CA-chain verification accepts a trusted self-signed certificate and rejects others', () => {
    const ok = runNet(
      new DtlsEngine({ role: 'client', ca: [serverCert.chain[0]!], certificate: clientCert }),
      new DtlsEngine({ role: 'server', certificate: serverCert }),
    );
    expect(ok.clientEvents.some((e) => e.type === 'connected')).toBe(true);
    const bad = runNet(
      new DtlsEngine({ role: 'client', ca: [rsaCert.chain[0]!], certificate: clientCert }),
      new DtlsEngine({ role: 'server', certificate: serverCert }),
    );
    expect(errorOf(bad.clientEvents).alert).toBe(AlertDescription.badCertificate);
  });
});

describe('record layer protection after the handshake', () => {
  function connectedPair() {
    const client = new DtlsEngine({ role: 'client', certificate: clientCert });
    const server = new DtlsEngine({ role: 'server', certificate: serverCert });
    const r = runNet(client, server);
    expect(client.connected && server.connected).toBe(true);
    return { client, server, now: r.timeMs };
  }

  it('drops replayed records and counts them', () => {
    const { client, server, now } = connectedPair();
    client.send(Uint8Array.of(1, 2, 3));
    const [d] = drain(client).datagrams;
    server.handleInput(d!, now);
    server.handleInput(d!, now);
    const events = drain(server).events;
    expect(events).toEqual([{ type: 'applicationData', data: Uint8Array.of(1, 2, 3) }]);
    expect(server.stats.replayed).toBe(1);
  });

  it('accepts reordered records inside the window and drops those left of it', () => {
    const { client, server, now } = connectedPair();
    const ds: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      client.send(Uint8Array.of(i));
      ds.push(drain(client).datagrams[0]!);
    }
    server.handleInput(ds[99]!, now);
    server.handleInput(ds[50]!, now); // inside the 64-record window
    server.handleInput(ds[10]!, now); // left of the window
    const got = drain(server).events.map((e) => (e.type === 'applicationData' ? e.data[0] : -1));
    expect(got).toEqual([99, 50]);
    expect(server.stats.replayed).toBe(1);
  });

  it('drops a record whose authentication tag fails (RFC 6347 §4.1.2.7) without failing the association', () => {
    const { client, server, now } = connectedPair();
    client.send(Uint8Array.of(9));
    const d = drain(client).datagrams[0]!.slice();
    d[d.length - 1]! ^= 0xff;
    server.handleInput(d, now);
    expect(drain(server).events).toEqual([]);
    expect(server.stats.badRecordMac).toBe(1);
    expect(server.connected).toBe(true);
  });

  it('close_notify closes both sides', () => {
    const { client, server, now } = connectedPair();
    client.close();
    const out = drain(client);
    expect(out.events).toEqual([{ type: 'closed', byPeer: false }]);
    server.handleInput(out.datagrams[0]!, now);
    expect(drain(server).events).toEqual([{ type: 'closed', byPeer: true }]);
    expect(() => client.send(Uint8Array.of(1))).toThrow(/before the handshake/);
  });
});
