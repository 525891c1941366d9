import { ReplayWindow } from '@mdh/srtp';
import { describe, expect, it } from 'vitest';
import { DtlsError } from '../src/errors.js';
import { parseAlert, serializeAlert } from '../src/messages/alert.js';
import { parseCertificate, serializeCertificate } from '../src/messages/certificate.js';
import { parseCertificateRequest, serializeCertificateRequest } from '../src/messages/certificate-request.js';
import { parseCertificateVerify, serializeCertificateVerify } from '../src/messages/certificate-verify.js';
import { parseClientHello, serializeClientHello } from '../src/messages/client-hello.js';
import { parseClientKeyExchange, serializeClientKeyExchange } from '../src/messages/client-key-exchange.js';
import { parseAlpn, parseUseSrtp, serializeAlpn, serializeUseSrtp } from '../src/messages/extensions.js';
import { parseHandshakeFragments, serializeHandshake } from '../src/messages/handshake-header.js';
import { parseHelloVerifyRequest, serializeHelloVerifyRequest } from '../src/messages/hello-verify-request.js';
import { parseServerHello, serializeServerHello } from '../src/messages/server-hello.js';
import {
  parseServerKeyExchange,
  serializeEcdhParams,
  serializeServerKeyExchange,
} from '../src/messages/server-key-exchange.js';
import { ChaChaRecordCipher, GcmRecordCipher, parseRecords, serializePlainRecord } from '../src/record.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('wire messages round-trip byte-exact', () => {
  it('ClientHello', () => {
    const m = {
      version: 0xfefd,
      random: new Uint8Array(32).fill(7),
      sessionId: new Uint8Array(0),
      cookie: Uint8Array.of(1, 2, 3),
      cipherSuites: [0xc02b, 0xc02f],
      compressionMethods: [0],
      extensions: [{ type: 14, data: serializeUseSrtp([1, 7]) }],
    };
    const b = serializeClientHello(m);
    // version(2) random(32) sid(1) cookie(1+3) suites(2+4) comp(1+1) exts(2 + 4 + 7)
    expect(b.length).toBe(2 + 32 + 1 + 4 + 6 + 2 + 2 + 4 + 7);
    expect(hex(b.subarray(0, 2))).toBe('fefd');
    const p = parseClientHello(b);
    expect(p).toEqual({ ...m, extensions: [{ type: 14, data: serializeUseSrtp([1, 7]) }] });
    expect(hex(serializeClientHello(p))).toBe(hex(b));
  });

  it('use_srtp body (RFC 5764 §4.1.1)', () => {
    expect(hex(serializeUseSrtp([1, 2]))).toBe('00040001000200');
    expect(parseUseSrtp(Uint8Array.from([0, 2, 0, 7, 1, 9]))).toEqual({ profiles: [7], mki: Uint8Array.of(9) });
    expect(() => parseUseSrtp(Uint8Array.of(0, 3, 0, 1, 0, 0))).toThrow(DtlsError);
  });

  it('ALPN body (RFC 7301 §3.1)', () => {
    const b = serializeAlpn(['webrtc', 'c-webrtc']);
    expect(hex(b)).toBe(
      `0010 06${Buffer.from('webrtc').toString('hex')}08${Buffer.from('c-webrtc').toString('hex')}`.replace(' ', ''),
    );
    expect(parseAlpn(b)).toEqual(['webrtc', 'c-webrtc']);
  });

  it('ServerHello, HelloVerifyRequest, Certificate, CertificateRequest, SKE, CKE, CertificateVerify, Alert', () => {
    const sh = {
      version: 0xfefd,
      random: new Uint8Array(32).fill(1),
      sessionId: Uint8Array.of(5),
      cipherSuite: 0xc02b,
      compressionMethod: 0,
      extensions: [{ type: 23, data: new Uint8Array(0) }],
    };
    expect(parseServerHello(serializeServerHello(sh))).toEqual(sh);
    const hvr = { version: 0xfeff, cookie: Uint8Array.of(9, 9) };
    expect(hex(serializeHelloVerifyRequest(hvr))).toBe('feff020909');
    expect(parseHelloVerifyRequest(serializeHelloVerifyRequest(hvr))).toEqual(hvr);
    const chain = [Uint8Array.of(1, 2, 3), Uint8Array.of(4)];
    expect(hex(serializeCertificate(chain))).toBe('00000a000003010203000001' + '04');
    expect(parseCertificate(serializeCertificate(chain))).toEqual(chain);
    const cr = { certificateTypes: [64, 1], signatureSchemes: [0x0403, 0x0401], authorities: [] };
    expect(hex(serializeCertificateRequest(cr))).toBe('0240010004040304010000');
    expect(parseCertificateRequest(serializeCertificateRequest(cr))).toEqual(cr);
    const params = serializeEcdhParams(29, new Uint8Array(32).fill(3));
    expect(hex(params.subarray(0, 4))).toBe('03001d20');
    const ske = serializeServerKeyExchange(params, 0x0403, Uint8Array.of(0xaa, 0xbb));
    const pske = parseServerKeyExchange(ske);
    expect(pske.group).toBe(29);
    expect(hex(pske.params)).toBe(hex(params));
    expect(hex(pske.signature)).toBe('aabb');
    expect(hex(serializeClientKeyExchange(Uint8Array.of(4, 1)))).toBe('020401');
    expect(parseClientKeyExchange(Uint8Array.of(2, 4, 1))).toEqual(Uint8Array.of(4, 1));
    expect(hex(serializeCertificateVerify({ signatureScheme: 0x0804, signature: Uint8Array.of(1) }))).toBe(
      '0804000101',
    );
    expect(parseCertificateVerify(Uint8Array.of(4, 3, 0, 1, 7))).toEqual({
      signatureScheme: 0x0403,
      signature: Uint8Array.of(7),
    });
    expect(parseAlert(serializeAlert({ level: 2, description: 40 }))).toEqual({ level: 2, description: 40 });
  });

  it('handshake header and fragments (RFC 6347 §4.2.2)', () => {
    const body = new Uint8Array(10).map((_, i) => i);
    const whole = serializeHandshake(11, 3, body);
    expect(hex(whole.subarray(0, 12))).toBe('0b00000a000300000000000a');
    const frag = serializeHandshake(11, 3, body, 4, 3);
    expect(hex(frag)).toBe('0b00000a0003000004000003040506');
    const both = new Uint8Array([...frag, ...whole]);
    const fs = parseHandshakeFragments(both);
    expect(fs.map((f) => [f.fragmentOffset, f.fragmentLength])).toEqual([
      [4, 3],
      [0, 10],
    ]);
    expect(() => parseHandshakeFragments(Uint8Array.from([11, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0]))).toThrow(
      DtlsError,
    );
  });

  it('truncated messages fail with decode_error, never a RangeError', () => {
    const b = serializeClientHello({
      version: 0xfefd,
      random: new Uint8Array(32),
      sessionId: new Uint8Array(0),
      cookie: new Uint8Array(0),
      cipherSuites: [0xc02b],
      compressionMethods: [0],
      extensions: [],
    });
    for (let n = 0; n < b.length; n++) {
      let err: unknown;
      try {
        parseClientHello(b.subarray(0, n));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DtlsError);
      expect((err as DtlsError).alert).toBe(50);
    }
  });
});

describe('record layer', () => {
  it('parses several records per datagram and stops at a truncated one', () => {
    const a = serializePlainRecord(22, 0, 1, Uint8Array.of(1, 2));
    const b = serializePlainRecord(21, 0, 2 ** 40 + 5, Uint8Array.of(2, 0));
    expect(hex(b.subarray(0, 13))).toBe('16fefd'.replace('16', '15') + '0000010000000005' + '0002');
    const { records, malformed } = parseRecords(new Uint8Array([...a, ...b, 22, 0xfe]));
    expect(malformed).toBe(true);
    expect(records.map((r) => [r.type, r.seq])).toEqual([
      [22, 1],
      [21, 2 ** 40 + 5],
    ]);
  });

  it('AES-GCM records open only with the right key, header and sequence number (RFC 5288)', () => {
    for (const keyLen of [16, 32]) {
      const key = new Uint8Array(keyLen).fill(3);
      const iv = Uint8Array.of(1, 2, 3, 4);
      const tx = new GcmRecordCipher(key, iv);
      const rx = new GcmRecordCipher(key, iv);
      const rec = tx.seal(23, 1, 77, Uint8Array.of(10, 20, 30));
      expect(rec.length).toBe(13 + 8 + 3 + 16);
      expect(hex(rec.subarray(13, 21))).toBe('000100000000004d');
      const [r] = parseRecords(rec).records;
      expect(rx.open(r!)).toEqual(Uint8Array.of(10, 20, 30));
      const bad = rec.slice();
      bad[10]! ^= 1; // sequence number in the header is authenticated
      expect(rx.open(parseRecords(bad).records[0]!)).toBeUndefined();
      const wrong = new GcmRecordCipher(new Uint8Array(keyLen).fill(4), iv);
      expect(wrong.open(r!)).toBeUndefined();
    }
  });

  it('ChaCha20-Poly1305 records (RFC 7905): no explicit nonce, IV xor epoch||seq', () => {
    const key = new Uint8Array(32).fill(5);
    const iv = new Uint8Array(12).fill(6);
    const tx = new ChaChaRecordCipher(key, iv);
    const rec = tx.seal(23, 1, 5, Uint8Array.of(1, 2, 3));
    expect(rec.length).toBe(13 + 3 + 16);
    const [r] = parseRecords(rec).records;
    expect(new ChaChaRecordCipher(key, iv).open(r!)).toEqual(Uint8Array.of(1, 2, 3));
    const bad = rec.slice();
    bad[4]! ^= 1; // epoch is in the nonce and the additional data
    expect(new ChaChaRecordCipher(key, iv).open(parseRecords(bad).records[0]!)).toBeUndefined();
    // the same plaintext under a different sequence number gives a different ciphertext
    expect(hex(tx.seal(23, 1, 6, Uint8Array.of(1, 2, 3)).subarray(13, 16))).not.toBe(hex(rec.subarray(13, 16)));
  });

  it('replay window (RFC 6347 §4.1.2.6; @mdh/srtp owns the window)', () => {
    const w = new ReplayWindow(64);
    expect(w.check(0)).toBe(0);
    w.commit(0);
    expect(w.check(0)).toBe(1);
    w.commit(100);
    expect(w.check(36)).toBe(2); // 100 - 36 = 64: left of the window
    expect(w.check(37)).toBe(0);
    w.commit(37);
    expect(w.check(37)).toBe(1);
    expect(w.check(99)).toBe(0);
    w.commit(1000);
    expect(w.check(99)).toBe(2);
    expect(w.check(999)).toBe(0);
    expect(w.top).toBe(1000);
    expect(() => new ReplayWindow(0)).toThrow(RangeError);
  });
});
