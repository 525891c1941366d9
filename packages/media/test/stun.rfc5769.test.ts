// RFC 5769 "Test Vectors for Session Traversal Utilities for NAT (STUN)" (R. Denis-Courmont, April 2010),
// §2.1–§2.4: the sample messages below are the octets printed in the RFC, copied here (RFC text:
// https://www.rfc-editor.org/rfc/rfc5769). Copyright (c) 2010 IETF Trust and the persons identified as the
// document authors; code components under the Simplified BSD License.
import { describe, expect, it } from 'vitest';
import {
  decodeText,
  decodeXorAddress,
  getAttribute,
  parseStun,
  readU32,
  readU64,
  StunAttr,
  StunKey,
  serializeStun,
  textValue,
  u32Value,
  u64Value,
  verifyFingerprint,
  verifyIntegrity,
  xorAddressValue,
} from '../src/index.js';

const hex = (s: string) => Uint8Array.from(s.trim().split(/\s+/), (b) => Number.parseInt(b, 16));

/** RFC 5769 §2.1 Sample Request (short-term password "VOkJxbRl1RmTxUk/WvJxBt"). */
const REQUEST = hex(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`);

/** RFC 5769 §2.2 Sample IPv4 Response (XOR-MAPPED-ADDRESS 192.0.2.1:32853). */
const RESPONSE_V4 = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96`);

/** RFC 5769 §2.3 Sample IPv6 Response (XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853). */
const RESPONSE_V6 = hex(`
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c`);

/** RFC 5769 §2.4 Sample Request with Long-Term Authentication (username "マトリックス", password "TheMatrIX"). */
const LONG_TERM = hex(`
  00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
  00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
  00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
  00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`);

const PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';
const TID = hex('b7 e7 a7 01 bc 34 d6 86 fa 87 df ae');

describe('RFC 5769 §2.1 sample request', () => {
  const msg = parseStun(REQUEST);
  it('parses the header and every attribute', () => {
    expect(msg.method).toBe(1);
    expect(msg.class).toBe('request');
    expect(msg.transactionId).toEqual(TID);
    expect(decodeText(getAttribute(msg, StunAttr.SOFTWARE)!)).toBe('STUN test client');
    expect(readU32(getAttribute(msg, StunAttr.PRIORITY)!)).toBe(0x6e0001ff);
    expect(readU64(getAttribute(msg, StunAttr.ICE_CONTROLLED)!)).toBe(0x932ff9b151263b36n);
    expect(decodeText(getAttribute(msg, StunAttr.USERNAME)!)).toBe('evtj:h6vY');
    expect(msg.unknownRequired).toEqual([]);
  });
  it('verifies MESSAGE-INTEGRITY with the short-term password and FINGERPRINT', () => {
    expect(verifyIntegrity(msg, StunKey.shortTerm(PASSWORD))).toBe(true);
    expect(verifyIntegrity(msg, StunKey.shortTerm('VOkJxbRl1RmTxUk/WvJxBu'))).toBe(false);
    expect(verifyFingerprint(msg)).toBe(true);
    expect(REQUEST[2]).toBe(0x00); // verification restores the length field it patches
    expect(REQUEST[3]).toBe(0x58);
  });
  it('is reproduced byte for byte (with the RFC’s 0x20 padding)', () => {
    const built = serializeStun({
      class: 'request',
      transactionId: TID,
      attributes: [
        { type: StunAttr.SOFTWARE, value: textValue('STUN test client') },
        { type: StunAttr.PRIORITY, value: u32Value(0x6e0001ff) },
        { type: StunAttr.ICE_CONTROLLED, value: u64Value(0x932ff9b151263b36n) },
        { type: StunAttr.USERNAME, value: textValue('evtj:h6vY') },
      ],
      integrity: StunKey.shortTerm(PASSWORD),
      fingerprint: true,
      padding: 0x20,
    });
    expect(built).toEqual(REQUEST);
  });
  it('any flipped bit breaks integrity or fingerprint', () => {
    for (let i = 0; i < REQUEST.length * 8; i += 7) {
      const b = REQUEST.slice();
      b[i >> 3]! ^= 1 << (i & 7);
      const m = (() => {
        try {
          return parseStun(b);
        } catch {
          return undefined;
        }
      })();
      if (!m) continue;
      expect(verifyIntegrity(m, StunKey.shortTerm(PASSWORD)) && verifyFingerprint(m)).toBe(false);
    }
  });
});

describe.each([
  ['§2.2 IPv4', RESPONSE_V4, { address: '192.0.2.1', port: 32853 }],
  ['§2.3 IPv6', RESPONSE_V6, { address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 }],
])('RFC 5769 %s sample response', (_name, bytes, mapped) => {
  const msg = parseStun(bytes);
  it('parses XOR-MAPPED-ADDRESS and SOFTWARE', () => {
    expect(msg.class).toBe('success');
    expect(decodeText(getAttribute(msg, StunAttr.SOFTWARE)!)).toBe('test vector');
    expect(decodeXorAddress(getAttribute(msg, StunAttr.XOR_MAPPED_ADDRESS)!, msg.transactionId)).toEqual(mapped);
  });
  it('verifies MESSAGE-INTEGRITY and FINGERPRINT', () => {
    expect(verifyIntegrity(msg, StunKey.shortTerm(PASSWORD))).toBe(true);
    expect(verifyFingerprint(msg)).toBe(true);
  });
  it('is reproduced byte for byte', () => {
    const built = serializeStun({
      class: 'success',
      transactionId: TID,
      attributes: [
        { type: StunAttr.SOFTWARE, value: textValue('test vector') },
        { type: StunAttr.XOR_MAPPED_ADDRESS, value: xorAddressValue(mapped, TID) },
      ],
      integrity: StunKey.shortTerm(PASSWORD),
      fingerprint: true,
      padding: 0x20,
    });
    expect(built).toEqual(bytes);
  });
});

describe('RFC 5769 §2.4 long-term credentials', () => {
  const msg = parseStun(LONG_TERM);
  const key = StunKey.longTerm('マトリックス', 'example.org', 'TheMatrIX');
  it('parses USERNAME, NONCE, REALM and verifies MESSAGE-INTEGRITY with MD5(username:realm:password)', () => {
    expect(decodeText(getAttribute(msg, StunAttr.USERNAME)!)).toBe('マトリックス');
    expect(decodeText(getAttribute(msg, StunAttr.NONCE)!)).toBe('f//499k954d6OL34oL9FSTvy64sA');
    expect(decodeText(getAttribute(msg, StunAttr.REALM)!)).toBe('example.org');
    expect(msg.fingerprintOffset).toBe(-1);
    expect(verifyFingerprint(msg)).toBe(false);
    expect(verifyIntegrity(msg, key)).toBe(true);
    expect(verifyIntegrity(msg, StunKey.longTerm('マトリックス', 'example.org', 'thematrix'))).toBe(false);
  });
  it('is reproduced byte for byte', () => {
    const built = serializeStun({
      class: 'request',
      transactionId: msg.transactionId,
      attributes: [
        { type: StunAttr.USERNAME, value: textValue('マトリックス') },
        { type: StunAttr.NONCE, value: textValue('f//499k954d6OL34oL9FSTvy64sA') },
        { type: StunAttr.REALM, value: textValue('example.org') },
      ],
      integrity: key,
    });
    expect(built).toEqual(LONG_TERM);
  });
});
