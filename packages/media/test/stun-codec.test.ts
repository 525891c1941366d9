import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressValue,
  crc32,
  decodeAddress,
  decodeErrorCode,
  decodeUnknownAttributes,
  decodeXorAddress,
  errorCodeValue,
  getAttribute,
  isStunMessage,
  parseStun,
  STUN_MAX_ATTRIBUTES,
  StunAttr,
  StunKey,
  StunParseError,
  StunUsageError,
  serializeStun,
  stunMessageType,
  textValue,
  tryParseStun,
  unknownAttributesValue,
  verifyFingerprint,
  verifyIntegrity,
  verifyIntegritySha256,
  xorAddressValue,
} from '../src/index.js';

const TID = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
const enc = new TextEncoder();
const KEY = StunKey.shortTerm('0123456789012345678901');

function errCode(data: Uint8Array): string {
  const r = tryParseStun(data);
  return r instanceof StunParseError ? r.code : 'ok';
}

describe('crypto helpers', () => {
  it('CRC-32 check value (ISO-HDLC): "123456789" → 0xCBF43926', () => {
    expect(crc32(enc.encode('123456789'))).toBe(0xcbf43926);
  });
  it('HMAC-SHA1 matches RFC 2202 cases 1 and 6 (key longer than a block)', () => {
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    expect(hex(new StunKey(new Uint8Array(20).fill(0x0b)).hmacSha1(enc.encode('Hi There')))).toBe(
      'b617318655057264e28bc0b6fb378c8ef146be00',
    );
    expect(
      hex(
        new StunKey(new Uint8Array(80).fill(0xaa)).hmacSha1(
          enc.encode('Test Using Larger Than Block-Size Key - Hash Key First'),
        ),
      ),
    ).toBe('aa4ae5e15272d00e95705637ce8a3b55ed402112');
  });
  it('HMAC-SHA1 agrees with node:crypto for every length 0..200 (block-boundary padding)', () => {
    const key = enc.encode('VOkJxbRl1RmTxUk/WvJxBt');
    const h = new StunKey(key);
    for (let n = 0; n <= 200; n++) {
      const d = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      expect(Buffer.from(h.hmacSha1(d))).toEqual(createHmac('sha1', key).update(d).digest());
    }
  });
});

describe('message type (RFC 8489 §5 Figure 3)', () => {
  it('interleaves method and class bits and parses them back', () => {
    expect(stunMessageType(1, 'request')).toBe(0x0001);
    expect(stunMessageType(1, 'indication')).toBe(0x0011);
    expect(stunMessageType(1, 'success')).toBe(0x0101);
    expect(stunMessageType(1, 'error')).toBe(0x0111);
    expect(stunMessageType(0xfff, 'error')).toBe(0x3fff);
    for (const method of [1, 3, 0x0a5, 0xfff])
      for (const cls of ['request', 'indication', 'success', 'error'] as const) {
        const m = parseStun(serializeStun({ method, class: cls, transactionId: TID }));
        expect([m.method, m.class]).toEqual([method, cls]);
      }
  });
  it('refuses misuse with StunUsageError', () => {
    expect(() => serializeStun({ class: 'request', transactionId: new Uint8Array(11) })).toThrow(StunUsageError);
    expect(() => serializeStun({ method: 0x1000, class: 'request', transactionId: TID })).toThrow(StunUsageError);
    expect(() =>
      serializeStun({
        class: 'request',
        transactionId: TID,
        attributes: [{ type: 0x8022, value: new Uint8Array(70000) }],
      }),
    ).toThrow(StunUsageError);
  });
});

describe('attribute values', () => {
  it('XOR-MAPPED-ADDRESS and MAPPED-ADDRESS round-trip IPv4 and IPv6', () => {
    for (const a of [
      { address: '203.0.113.7', port: 1 },
      { address: '2001:db8::1', port: 65535 },
      { address: '::', port: 3478 },
      { address: 'fe80::1:2:3:4', port: 7 },
      { address: '::ffff:192.0.2.9', port: 9 },
    ]) {
      const want = a.address === '::ffff:192.0.2.9' ? { address: '::ffff:c000:209', port: 9 } : a;
      expect(decodeXorAddress(xorAddressValue(a, TID), TID)).toEqual(want);
      expect(decodeAddress(addressValue(a))).toEqual(want);
    }
    expect(decodeXorAddress(new Uint8Array([0, 3, 0, 0, 1, 2, 3, 4]), TID)).toBeUndefined();
    expect(decodeXorAddress(new Uint8Array([0, 1, 0, 0, 1, 2, 3]), TID)).toBeUndefined();
    expect(decodeAddress(new Uint8Array([0, 2, 0, 0, 1, 2, 3, 4]))).toBeUndefined();
    expect(() => xorAddressValue({ address: 'example.org', port: 1 }, TID)).toThrow(StunUsageError);
  });
  it('ERROR-CODE and UNKNOWN-ATTRIBUTES round-trip', () => {
    expect(decodeErrorCode(errorCodeValue(487))).toEqual({ code: 487, reason: 'Role Conflict' });
    expect(decodeErrorCode(errorCodeValue(420, 'x'))).toEqual({ code: 420, reason: 'x' });
    expect(decodeErrorCode(new Uint8Array([0, 0, 2, 0]))).toBeUndefined();
    expect(decodeErrorCode(new Uint8Array([0, 0, 4, 100]))).toBeUndefined();
    expect(() => errorCodeValue(200)).toThrow(StunUsageError);
    expect(decodeUnknownAttributes(unknownAttributesValue([0x7123, 0x0030]))).toEqual([0x7123, 0x0030]);
    expect(decodeUnknownAttributes(new Uint8Array(3))).toBeUndefined();
  });
});

describe('parse errors are typed, never thrown by tryParseStun', () => {
  const good = serializeStun({
    class: 'request',
    transactionId: TID,
    attributes: [{ type: StunAttr.SOFTWARE, value: textValue('abc') }],
    integrity: KEY,
    fingerprint: true,
  });
  const mutate = (f: (b: Uint8Array) => void) => {
    const b = good.slice();
    f(b);
    return b;
  };
  it('framing', () => {
    expect(errCode(good)).toBe('ok');
    expect(isStunMessage(good)).toBe(true);
    expect(errCode(good.subarray(0, 19))).toBe('too-short');
    expect(errCode(mutate((b) => (b[0] = 0x80)))).toBe('not-stun');
    expect(errCode(mutate((b) => (b[5] = 0)))).toBe('bad-cookie');
    expect(errCode(mutate((b) => (b[3] = b[3]! + 2)))).toBe('bad-length');
    expect(errCode(good.subarray(0, good.length - 4))).toBe('bad-length');
    expect(errCode(new Uint8Array([...good, 0, 0, 0, 0]))).toBe('bad-length');
    expect(isStunMessage(good.subarray(0, good.length - 4))).toBe(false);
    expect(() => parseStun(good.subarray(0, 3))).toThrow(StunParseError);
  });
  it('attribute bounds and fixed lengths', () => {
    expect(errCode(mutate((b) => (b[23] = 200)))).toBe('truncated-attribute'); // SOFTWARE length past the end
    const mi = (len: number) =>
      new Uint8Array([0, 1, 0, 4 + len, 0x21, 0x12, 0xa4, 0x42, ...TID, 0, 8, 0, len, ...new Uint8Array(len)]);
    expect(errCode(mi(20))).toBe('ok');
    expect(errCode(mi(16))).toBe('bad-attribute');
    const fp = new Uint8Array([0, 1, 0, 12, 0x21, 0x12, 0xa4, 0x42, ...TID, 0x80, 0x28, 0, 8, ...new Uint8Array(8)]);
    expect(errCode(fp)).toBe('bad-attribute');
    const sha = new Uint8Array([0, 1, 0, 16, 0x21, 0x12, 0xa4, 0x42, ...TID, 0, 0x1c, 0, 12, ...new Uint8Array(12)]);
    expect(errCode(sha)).toBe('bad-attribute');
  });
  it('nothing may follow FINGERPRINT', () => {
    const b = new Uint8Array([...good, 0x80, 0x22, 0, 0]);
    b[3] = b[3]! + 4;
    expect(errCode(b)).toBe('fingerprint-not-last');
  });
  it('attribute count is bounded', () => {
    const n = STUN_MAX_ATTRIBUTES + 1;
    const attrs = Array.from({ length: n }, () => ({ type: 0x8022, value: new Uint8Array(0) }));
    expect(errCode(serializeStun({ class: 'request', transactionId: TID, attributes: attrs }))).toBe(
      'too-many-attributes',
    );
    expect(errCode(serializeStun({ class: 'request', transactionId: TID, attributes: attrs.slice(1) }))).toBe('ok');
  });
});

describe('attribute ordering around MESSAGE-INTEGRITY (RFC 8489 §14.5–§14.7)', () => {
  it('ignores attributes after MESSAGE-INTEGRITY but keeps MESSAGE-INTEGRITY-SHA256 and FINGERPRINT', () => {
    const signed = serializeStun({ class: 'request', transactionId: TID, integrity: KEY });
    // append a USERNAME after MESSAGE-INTEGRITY, then a FINGERPRINT over the whole thing
    const extra = [0, 6, 0, 4, 0x61, 0x62, 0x63, 0x64];
    const body = new Uint8Array([...signed, ...extra, 0x80, 0x28, 0, 4, 0, 0, 0, 0]);
    body[3] = body.length - 20;
    const crc = (crc32(body, 0, body.length - 8) ^ 0x5354554e) >>> 0;
    new DataView(body.buffer).setUint32(body.length - 4, crc);
    const m = parseStun(body);
    expect(m.ignoredAttributes).toBe(1);
    expect(getAttribute(m, StunAttr.USERNAME)).toBeUndefined();
    expect(verifyIntegrity(m, KEY)).toBe(true);
    expect(verifyFingerprint(m)).toBe(true);
  });
  it('an unknown comprehension-required attribute after MESSAGE-INTEGRITY does not count', () => {
    const signed = serializeStun({ class: 'request', transactionId: TID, integrity: KEY });
    const body = new Uint8Array([...signed, 0x70, 0x00, 0, 0]);
    body[3] = body.length - 20;
    expect(parseStun(body).unknownRequired).toEqual([]);
    const before = parseStun(
      serializeStun({
        class: 'request',
        transactionId: TID,
        attributes: [
          { type: 0x7000, value: new Uint8Array(1) },
          { type: 0xc000, value: new Uint8Array(1) },
        ],
        integrity: KEY,
      }),
    );
    expect(before.unknownRequired).toEqual([0x7000]);
  });
  it('MESSAGE-INTEGRITY-SHA256 alone and after MESSAGE-INTEGRITY', () => {
    for (const withSha1 of [false, true]) {
      const m = parseStun(
        serializeStun({
          class: 'request',
          transactionId: TID,
          attributes: [{ type: StunAttr.USERNAME, value: textValue('a:b') }],
          ...(withSha1 ? { integrity: KEY } : {}),
          integritySha256: KEY,
          fingerprint: true,
        }),
      );
      expect(verifyIntegritySha256(m, KEY)).toBe(true);
      expect(verifyIntegritySha256(m, StunKey.shortTerm('other'))).toBe(false);
      expect(verifyIntegrity(m, KEY)).toBe(withSha1);
      expect(verifyFingerprint(m)).toBe(true);
    }
  });
  it('pads values with zero octets and keeps lengths unpadded', () => {
    const b = serializeStun({
      class: 'request',
      transactionId: TID,
      attributes: [{ type: StunAttr.USERNAME, value: textValue('abcde') }],
    });
    expect(b.length).toBe(20 + 4 + 8);
    expect(Array.from(b.subarray(24))).toEqual([0x61, 0x62, 0x63, 0x64, 0x65, 0, 0, 0]);
    expect(getAttribute(parseStun(b), StunAttr.USERNAME)).toEqual(enc.encode('abcde'));
  });
});

describe('fuzz: random and mutated input', () => {
  const seed = serializeStun({
    class: 'request',
    transactionId: TID,
    attributes: [
      { type: StunAttr.USERNAME, value: textValue('abcd:efgh') },
      { type: StunAttr.XOR_MAPPED_ADDRESS, value: xorAddressValue({ address: '2001:db8::5', port: 9 }, TID) },
      { type: StunAttr.ERROR_CODE, value: errorCodeValue(401) },
    ],
    integrity: KEY,
    fingerprint: true,
  });
  const probe = (b: Uint8Array) => {
    const m = tryParseStun(b);
    if (m instanceof StunParseError) return;
    expect(m.raw.length).toBe(b.length);
    verifyIntegrity(m, KEY);
    verifyIntegritySha256(m, KEY);
    verifyFingerprint(m);
    for (const a of m.attributes) {
      decodeXorAddress(a.value, m.transactionId);
      decodeAddress(a.value);
      decodeErrorCode(a.value);
      decodeUnknownAttributes(a.value);
    }
  };
  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        if (b.length >= 8) b.set([b[0]! & 3, b[1]!, 0, (b.length - 20) & 0xfc, 0x21, 0x12, 0xa4, 0x42]);
        expect(() => probe(b)).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });
  it('never throws on bit-flipped or truncated valid messages, and a changed message never verifies', () => {
    fc.assert(
      fc.property(fc.nat(seed.length * 8 - 1), fc.nat(seed.length), (bit, cut) => {
        const b = seed.slice();
        b[bit >> 3]! ^= 1 << (bit & 7);
        expect(() => probe(b)).not.toThrow();
        expect(() => probe(seed.subarray(0, cut))).not.toThrow();
        const m = tryParseStun(b);
        if (!(m instanceof StunParseError)) expect(verifyIntegrity(m, KEY) && verifyFingerprint(m)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
