import { generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AlertDescription,
  connect,
  DtlsEngine,
  type DtlsEvent,
  generateCertificate,
  listen,
  statelessHelloVerify,
} from '../src/index.js';
import { parseCertificateRequest, serializeCertificateRequest } from '../src/messages/certificate-request.js';
import { parseClientHello, serializeClientHello } from '../src/messages/client-hello.js';
import { parseHandshakeFragments, serializeHandshake } from '../src/messages/handshake-header.js';
import { serializeHelloVerifyRequest } from '../src/messages/hello-verify-request.js';
import { parseServerHello, serializeServerHello } from '../src/messages/server-hello.js';
import { parseServerKeyExchange } from '../src/messages/server-key-exchange.js';
import { parseRecords, serializePlainRecord } from '../src/record.js';
import { chooseScheme, signWith, verifyWith } from '../src/signature.js';
import { drain, runNet } from './net.js';

// Real-peer shapes that the RFCs allow and browsers / older stacks produce.

const serverCert = generateCertificate();
const clientCert = generateCertificate();

const connected = (ev: DtlsEvent[]) => ev.some((e) => e.type === 'connected');
const errorAlert = (ev: DtlsEvent[]) => {
  const e = ev.find((x) => x.type === 'error');
  return e?.type === 'error' ? e.error.alert : undefined;
};

/** Rewrites our ClientHello the way a browser's looks: GREASE (RFC 8701), many extensions we do not implement. */
function browserish(extra: { type: number; data: Uint8Array }[] = []) {
  return (t: number, b: Uint8Array): Uint8Array => {
    if (t !== 1) return b;
    const ch = parseClientHello(b);
    const grease = 0x3a3a;
    return serializeClientHello({
      ...ch,
      cipherSuites: [0x0a0a, ...ch.cipherSuites, 0xc02b, 0xcca9, 0xc013, 0x009c, 0x00ff],
      extensions: [
        { type: grease, data: new Uint8Array(0) },
        { type: 0, data: Uint8Array.from([0, 14, 0, 0, 11, ...new TextEncoder().encode('example.com')]) },
        ...ch.extensions.map((e) =>
          e.type === 10
            ? { type: 10, data: Uint8Array.from([0, e.data.length, 0x2a, 0x2a, ...e.data.subarray(2)]) }
            : e,
        ),
        { type: 35, data: new Uint8Array(0) }, // session_ticket
        { type: 5, data: Uint8Array.of(1, 0, 0, 0, 0) }, // status_request
        { type: 43, data: Uint8Array.of(4, 0xfe, 0xfc, 0xfe, 0xfd) }, // supported_versions (DTLS 1.3, 1.2)
        { type: 51, data: Uint8Array.of(0, 0) }, // key_share (empty)
        { type: 28, data: Uint8Array.of(0x40, 0x01) }, // record_size_limit
        { type: 0x1a1a, data: Uint8Array.of(0) },
        ...extra,
      ],
    });
  };
}

describe('peer shapes seen in the field', () => {
  it('a browser-style ClientHello (GREASE, session_ticket, status_request, supported_versions, SNI) completes', () => {
    const client = new DtlsEngine({
      role: 'client',
      certificate: clientCert,
      srtpProfiles: [7, 1],
      tamperHandshake: browserish(),
    });
    const server = new DtlsEngine({ role: 'server', certificate: serverCert, srtpProfiles: [1, 7] });
    const r = runNet(client, server);
    expect(connected(r.clientEvents)).toBe(true);
    expect(connected(r.serverEvents)).toBe(true);
    const info = r.serverEvents.find((e) => e.type === 'connected');
    expect(info?.type === 'connected' && info.info.srtpProfile?.dtlsId).toBe(1);
  });

  it('a ClientHello larger than the MTU arrives in fragments and is reassembled (RFC 6347 §4.2.3)', () => {
    // A padding extension (RFC 7685) of 1400 octets makes the ClientHello span two datagrams at MTU 1200.
    for (const cookieExchange of [true, false]) {
      const client = new DtlsEngine({
        role: 'client',
        certificate: clientCert,
        srtpProfiles: [1],
        tamperHandshake: browserish([{ type: 21, data: new Uint8Array(1400) }]),
      });
      const server = new DtlsEngine({ role: 'server', certificate: serverCert, srtpProfiles: [1], cookieExchange });
      const r = runNet(client, server, { maxTimeMs: 20_000 });
      expect(connected(r.serverEvents)).toBe(true);
      expect(connected(r.clientEvents)).toBe(true);
    }
  });

  it('statelessHelloVerify answers a fragmented ClientHello once its fragments are all in one datagram', () => {
    const client = new DtlsEngine({
      role: 'client',
      certificate: clientCert,
      mtu: 400,
      tamperHandshake: browserish([{ type: 21, data: new Uint8Array(300) }]),
    });
    client.start(0);
    const out = drain(client).datagrams;
    expect(out.length).toBeGreaterThan(1);
    // Each datagram alone is a fragment: no state is kept for it, so it is dropped rather than answered wrongly.
    for (const d of out) expect(statelessHelloVerify(d, new Uint8Array(32), 'p').action).toBe('drop');
    // A peer that packs every fragment into one datagram (several records per datagram) gets its cookie.
    const joined = new Uint8Array(out.reduce((a, d) => a + d.length, 0));
    let off = 0;
    for (const d of out) {
      joined.set(d, off);
      off += d.length;
    }
    expect(statelessHelloVerify(joined, new Uint8Array(32), 'p').action).toBe('reply');
  });

  it('listen: a ClientHello fragmented over several datagrams gets its cookie and completes', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0, certificate: serverCert, srtpProfiles: [1] }, () => {});
    try {
      const conn = await connect({
        host: '127.0.0.1',
        port: server.port,
        certificate: clientCert,
        srtpProfiles: [1],
        mtu: 600,
        handshakeTimeoutMs: 10_000,
        tamperHandshake: browserish([{ type: 21, data: new Uint8Array(900) }]),
      });
      expect(conn.info.srtpProfile?.dtlsId).toBe(1);
      await conn.close();
    } finally {
      await server.close();
    }
  });

  it('client: a CertificateRequest no scheme of our key fits is answered with an empty Certificate (RFC 5246 §7.4.6)', () => {
    const rsaOnly = (t: number, b: Uint8Array) =>
      t === 13 ? serializeCertificateRequest({ ...parseCertificateRequest(b), signatureSchemes: [0x0401, 0x0804] }) : b;
    // Optional client authentication: the server goes on without a client certificate.
    const client = new DtlsEngine({ role: 'client', certificate: clientCert });
    const server = new DtlsEngine({ role: 'server', certificate: serverCert, tamperHandshake: rsaOnly });
    const r = runNet(client, server);
    expect(connected(r.clientEvents) && connected(r.serverEvents)).toBe(true);
    const info = r.serverEvents.find((e) => e.type === 'connected');
    expect(info?.type === 'connected' && info.info.peerCertificates.length).toBe(0);
    // Required client authentication: the server refuses, the client does not pre-empt it.
    const c2 = new DtlsEngine({ role: 'client', certificate: clientCert });
    const s2 = new DtlsEngine({
      role: 'server',
      certificate: serverCert,
      requireClientCertificate: true,
      tamperHandshake: rsaOnly,
    });
    const r2 = runNet(c2, s2, { maxTimeMs: 5000 });
    expect(errorAlert(r2.serverEvents)).toBe(AlertDescription.handshakeFailure);
  });

  it('client: a use_srtp answer carrying an MKI we did not offer aborts with illegal_parameter (RFC 5764 §4.1.1)', () => {
    const client = new DtlsEngine({ role: 'client', certificate: clientCert, srtpProfiles: [1] });
    const server = new DtlsEngine({
      role: 'server',
      certificate: serverCert,
      srtpProfiles: [1],
      tamperHandshake: (t, b) => {
        if (t !== 2) return b;
        const sh = parseServerHello(b);
        return serializeServerHello({
          ...sh,
          extensions: sh.extensions.map((e) =>
            e.type === 14 ? { type: 14, data: Uint8Array.of(0, 2, 0, 1, 1, 7) } : e,
          ),
        });
      },
    });
    const r = runNet(client, server, { maxTimeMs: 5000 });
    expect(errorAlert(r.clientEvents)).toBe(AlertDescription.illegalParameter);
  });

  it('server: a client MKI in use_srtp is answered with an empty MKI (RFC 5764 §4.1.1)', () => {
    const client = new DtlsEngine({
      role: 'client',
      certificate: clientCert,
      srtpProfiles: [1],
      tamperHandshake: (t, b) => {
        if (t !== 1) return b;
        const ch = parseClientHello(b);
        return serializeClientHello({
          ...ch,
          extensions: ch.extensions.map((e) =>
            e.type === 14 ? { type: 14, data: Uint8Array.of(0, 2, 0, 1, 2, 9, 9) } : e,
          ),
        });
      },
    });
    const server = new DtlsEngine({ role: 'server', certificate: serverCert, srtpProfiles: [1] });
    const r = runNet(client, server);
    expect(connected(r.clientEvents) && connected(r.serverEvents)).toBe(true);
  });

  it('server: no signature_algorithms from the client means SHA-1 for the ServerKeyExchange (RFC 5246 §7.4.1.4.1)', () => {
    for (const keyType of ['ecdsa-p256', 'rsa-2048'] as const) {
      const cert = keyType === 'ecdsa-p256' ? serverCert : generateCertificate({ keyType });
      const client = new DtlsEngine({
        role: 'client',
        certificate: clientCert,
        tamperHandshake: (t, b) => {
          if (t !== 1) return b;
          const ch = parseClientHello(b);
          return serializeClientHello({ ...ch, extensions: ch.extensions.filter((e) => e.type !== 13) });
        },
      });
      const server = new DtlsEngine({ role: 'server', certificate: cert, cookieExchange: false });
      client.start(0);
      for (const d of drain(client).datagrams) server.handleInput(d, 1);
      const out = drain(server);
      expect(errorAlert(out.events)).toBeUndefined();
      let ske: ReturnType<typeof parseServerKeyExchange> | undefined;
      let serverRandom: Uint8Array = new Uint8Array(0);
      for (const d of out.datagrams)
        for (const rec of parseRecords(d).records)
          for (const f of parseHandshakeFragments(rec.fragment)) {
            if (f.msgType === 2) serverRandom = parseServerHello(f.body).random;
            if (f.msgType === 12) ske = parseServerKeyExchange(f.body);
          }
      expect(ske?.signatureScheme).toBe(keyType === 'rsa-2048' ? 0x0201 : 0x0203);
      const signed = Buffer.concat([client.clientHelloRandom, serverRandom, ske!.params]);
      const pub = new X509Certificate(cert.chain[0]!).publicKey;
      expect(verify('sha1', signed, pub, ske!.signature)).toBe(true);
    }
  });

  it('client: a HelloVerifyRequest with a 255-octet cookie in a 0xfeff or 0xfefd record is answered with that cookie', () => {
    for (const recordVersion of [0xfeff, 0xfefd]) {
      const client = new DtlsEngine({ role: 'client', certificate: clientCert });
      client.start(0);
      const first = drain(client).datagrams;
      expect(first.length).toBe(1);
      const cookie = Uint8Array.from({ length: 255 }, (_, i) => i);
      const hvr = serializeHandshake(3, 0, serializeHelloVerifyRequest({ version: 0xfeff, cookie }));
      client.handleInput(serializePlainRecord(22, 0, 0, hvr, recordVersion), 5);
      const again = drain(client);
      expect(errorAlert(again.events)).toBeUndefined();
      const rec = parseRecords(again.datagrams[0]!).records[0]!;
      const f = parseHandshakeFragments(rec.fragment)[0]!;
      expect(f.msgType).toBe(1);
      expect(f.messageSeq).toBe(1);
      expect(Buffer.from(parseClientHello(f.body).cookie).equals(Buffer.from(cookie))).toBe(true);
    }
  });

  it('reassembles overlapping, duplicated and reversed handshake fragments in records of version 0xfeff', () => {
    const client = new DtlsEngine({ role: 'client', certificate: clientCert, srtpProfiles: [1] });
    const server = new DtlsEngine({
      role: 'server',
      certificate: serverCert,
      srtpProfiles: [1],
      cookieExchange: false,
    });
    client.start(0);
    for (const d of drain(client).datagrams) server.handleInput(d, 1);
    // Re-cut every epoch-0 handshake message of the server's flight into overlapping pieces, one record each.
    const records: Uint8Array[] = [];
    let seq = 100;
    for (const d of drain(server).datagrams)
      for (const rec of parseRecords(d).records)
        for (const f of parseHandshakeFragments(rec.fragment)) {
          const body = f.body;
          // pieces of 100 octets every 60: each overlaps the next by 40; a zero-length message is one piece
          for (let a = 0; a === 0 || a < body.length; a += 60) {
            const n = Math.min(100, body.length - a);
            records.push(
              serializePlainRecord(22, 0, seq++, serializeHandshake(f.msgType, f.messageSeq, body, a, n), 0xfeff),
            );
            if (a === 60) records.push(records[records.length - 1]!); // a duplicate
          }
        }
    for (const r of records.reverse()) client.handleInput(r, 2);
    const c5 = drain(client);
    expect(errorAlert(c5.events)).toBeUndefined();
    expect(c5.datagrams.length).toBeGreaterThan(0);
    for (const d of c5.datagrams) server.handleInput(d, 3);
    const s6 = drain(server);
    expect(connected(s6.events)).toBe(true);
    for (const d of s6.datagrams) client.handleInput(d, 4);
    expect(connected(drain(client).events)).toBe(true);
  });

  it('client: a HelloRequest during the handshake is ignored, not fatal (RFC 5246 §7.4.1.1)', () => {
    const client = new DtlsEngine({ role: 'client', certificate: clientCert });
    const server = new DtlsEngine({ role: 'server', certificate: serverCert });
    client.start(0);
    const ch = drain(client).datagrams;
    client.handleInput(serializePlainRecord(22, 0, 0, serializeHandshake(0, 0, new Uint8Array(0))), 1);
    const after = drain(client);
    expect(errorAlert(after.events)).toBeUndefined();
    expect(after.datagrams).toEqual([]);
    expect(client.stats.droppedUnexpected).toBe(1);
    // the handshake still completes afterwards
    const r = runNet(new DtlsEngine({ role: 'client', certificate: clientCert }), server);
    expect(connected(r.clientEvents)).toBe(true);
    expect(ch.length).toBe(1);
  });

  it('PSS-only RSA keys use rsa_pss_pss_* and rsaEncryption keys never do (RFC 8446 §4.2.3)', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(chooseScheme(pss.privateKey, [0x0401, 0x0804, 0x0809])).toBe(0x0809);
    expect(chooseScheme(rsa.privateKey, [0x0809, 0x080a, 0x0804])).toBe(0x0804);
    expect(chooseScheme(pss.privateKey, [0x0401, 0x0804])).toBeUndefined();
    const data = new TextEncoder().encode('transcript');
    const sig = signWith(0x0809, pss.privateKey, data);
    expect(verifyWith(0x0809, pss.publicKey, data, sig)).toBe(true);
    expect(verifyWith(0x0804, pss.publicKey, data, sig)).toBe(false);
    expect(verifyWith(0x0809, rsa.publicKey, data, signWith(0x0804, rsa.privateKey, data))).toBe(false);
  });

  it('RFC 5705 exporter: no context differs from an empty context; a context over 2^16-1 octets is refused', () => {
    const client = new DtlsEngine({ role: 'client', certificate: clientCert });
    const server = new DtlsEngine({ role: 'server', certificate: serverCert });
    expect(connected(runNet(client, server).clientEvents)).toBe(true);
    const none = client.exportKeyingMaterial('EXPERIMENTAL-x', 32);
    const empty = client.exportKeyingMaterial('EXPERIMENTAL-x', 32, new Uint8Array(0));
    expect(Buffer.from(none).equals(Buffer.from(empty))).toBe(false);
    expect(server.exportKeyingMaterial('EXPERIMENTAL-x', 32, new Uint8Array(0))).toEqual(empty);
    expect(() => client.exportKeyingMaterial('EXPERIMENTAL-x', 32, new Uint8Array(65536))).toThrow(/context/);
  });
});
