import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ByteReader,
  BytesFormatError,
  BytesRangeError,
  ByteWriter,
  concat,
  constantTimeEqual,
  equal,
  fromBase64,
  fromHex,
  latin1Decode,
  latin1Encode,
  toBase64,
  toHex,
  utf8Decode,
  utf8Encode,
} from '../src/index.js';

const widths = [
  ['u8', 1, 8],
  ['u16', 2, 16],
  ['u16le', 2, 16],
  ['u24', 3, 24],
  ['u24le', 3, 24],
  ['u32', 4, 32],
  ['u32le', 4, 32],
  ['u48', 6, 48],
  ['u48le', 6, 48],
] as const;

describe('ByteReader', () => {
  it('reads every width in both byte orders', () => {
    const b = fromHex('0102030405060708');
    const r = new ByteReader(b);
    expect(r.u8()).toBe(0x01);
    expect(r.u16()).toBe(0x0203);
    expect(r.u16le()).toBe(0x0504);
    expect(r.remaining).toBe(3);
    expect(new ByteReader(b).u24()).toBe(0x010203);
    expect(new ByteReader(b).u24le()).toBe(0x030201);
    expect(new ByteReader(b).u32()).toBe(0x01020304);
    expect(new ByteReader(b).u32le()).toBe(0x04030201);
    expect(new ByteReader(b).u48()).toBe(0x010203040506);
    expect(new ByteReader(b).u48le()).toBe(0x060504030201);
    expect(new ByteReader(b).u64()).toBe(0x0102030405060708n);
    expect(new ByteReader(b).u64le()).toBe(0x0807060504030201n);
    expect(new ByteReader(fromHex('ffffffffffffffff')).u64()).toBe(0xffffffffffffffffn);
    expect(new ByteReader(fromHex('ffffffffffff')).u48()).toBe(2 ** 48 - 1);
    expect(new ByteReader(fromHex('ff')).i8()).toBe(-1);
    expect(new ByteReader(fromHex('fffffe')).i24()).toBe(-2);
  });

  it('bytes() is a zero-copy view; skip and peek do not copy', () => {
    const b = fromHex('aabbccdd');
    const r = new ByteReader(b);
    r.skip(1);
    expect(r.peek()).toBe(0xbb);
    expect(r.peek(1)).toBe(0xcc);
    const v = r.bytes(2);
    expect(toHex(v)).toBe('bbcc');
    b[1] = 0x11;
    expect(v[0]).toBe(0x11);
    expect(v.buffer).toBe(b.buffer);
    expect(toHex(r.peekBytes(1))).toBe('dd');
    expect(toHex(r.rest())).toBe('dd');
    expect(r.remaining).toBe(0);
  });

  it('throws BytesRangeError naming offset, width and length, and does not move', () => {
    const r = new ByteReader(new Uint8Array(3));
    r.u16();
    try {
      r.u16();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BytesRangeError);
      const err = e as BytesRangeError;
      expect([err.offset, err.width, err.length]).toEqual([2, 2, 3]);
      expect(err.message).toContain('offset 2');
    }
    expect(r.offset).toBe(2);
    expect(() => r.bytes(2)).toThrow(BytesRangeError);
    expect(() => r.bytes(-1)).toThrow(BytesRangeError);
    expect(() => r.skip(5)).toThrow(BytesRangeError);
    expect(() => r.peek(1)).toThrow(BytesRangeError);
    expect(() => new ByteReader(new Uint8Array(2), 3)).toThrow(BytesRangeError);
    expect(() => new ByteReader(new Uint8Array(0)).u8()).toThrow(BytesRangeError);
  });

  it('respects a subarray with a non-zero byteOffset', () => {
    const big = fromHex('00112233445566');
    const r = new ByteReader(big.subarray(2, 5));
    expect(r.u24()).toBe(0x223344);
    expect(() => r.u8()).toThrow(BytesRangeError);
  });
});

describe('ByteWriter', () => {
  it('writes every width, grows, and reserve/patch fills length fields', () => {
    const w = new ByteWriter(2);
    const len = w.reserve(2);
    w.u8(1).u16(0x0203).u16le(0x0504).u24(0x060708).u24le(0x0b0a09).u32(0x0c0d0e0f).u32le(0x13121110);
    w.u48(0x141516171819).u48le(0x1f1e1d1c1b1a).u64(0x2021222324252627n).u64le(0x2f2e2d2c2b2a2928n);
    w.patchU16(len, w.since(len));
    const out = w.finish();
    expect(toHex(out)).toBe(
      `002f${'0102030405060708090a0b0c0d0e0f10111213141516171819' + '1a1b1c1d1e1f' + '2021222324252627' + '28292a2b2c2d2e2f'}`,
    );
  });

  it('over a caller buffer, refuses to overflow', () => {
    const buf = new Uint8Array(4);
    const w = new ByteWriter(buf);
    w.u16(0xabcd);
    expect(() => w.u24(1)).toThrow(BytesRangeError);
    w.u16(0x0102);
    expect(toHex(buf)).toBe('abcd0102');
    expect(w.finish().buffer).toBe(buf.buffer);
    expect(() => w.u8(0)).toThrow(BytesRangeError);
  });

  it('rejects values out of range for their width, never wraps', () => {
    const w = new ByteWriter();
    expect(() => w.u8(256)).toThrow(BytesRangeError);
    expect(() => w.u8(-1)).toThrow(BytesRangeError);
    expect(() => w.u8(1.5)).toThrow(BytesRangeError);
    expect(() => w.u16(65536)).toThrow(BytesRangeError);
    expect(() => w.u24(2 ** 24)).toThrow(BytesRangeError);
    expect(() => w.u32(2 ** 32)).toThrow(BytesRangeError);
    expect(() => w.u48(2 ** 48)).toThrow(BytesRangeError);
    expect(() => w.u64(1n << 64n)).toThrow(BytesRangeError);
    expect(() => w.u64(-1n)).toThrow(BytesRangeError);
    expect(() => w.i8(128)).toThrow(BytesRangeError);
    const s = w.reserve(1);
    expect(() => w.patchU8(s, 300)).toThrow(BytesRangeError);
    expect(() => w.patch(s, new Uint8Array(2))).toThrow(BytesRangeError);
    expect(w.offset).toBe(1);
  });

  it('property: write → read round-trips random values at random offsets', () => {
    fc.assert(
      fc.property(
        fc.nat(16),
        fc.array(
          fc.oneof(
            ...widths.map(([name, , bits]) =>
              fc.record({ name: fc.constant(name), v: fc.integer({ min: 0, max: 2 ** bits - 1 }) }),
            ),
            fc.record({ name: fc.constant('u64'), v: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
            fc.record({ name: fc.constant('u64le'), v: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
          ),
          { maxLength: 40 },
        ),
        (pad, ops) => {
          const w = new ByteWriter(1);
          w.zeros(pad);
          for (const op of ops) (w as unknown as Record<string, (v: unknown) => void>)[op.name]!.call(w, op.v);
          const r = new ByteReader(w.finish(), pad);
          for (const op of ops) expect((r as unknown as Record<string, () => unknown>)[op.name]!.call(r)).toBe(op.v);
          expect(r.remaining).toBe(0);
        },
      ),
    );
  });
});

describe('codecs', () => {
  it('hex round-trips and rejects bad input with a typed error', () => {
    expect(toHex(fromHex('00FFa5'))).toBe('00ffa5');
    expect(() => fromHex('abc')).toThrow(BytesFormatError);
    expect(() => fromHex('zz')).toThrow(BytesFormatError);
    try {
      fromHex('00g0');
    } catch (e) {
      expect((e as BytesFormatError).index).toBe(2);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(equal(fromHex(toHex(b)), b)).toBe(true);
      }),
    );
  });

  it('base64 matches RFC 4648 §10 vectors and Node, and rejects bad input', () => {
    const vec: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, enc] of vec) {
      expect(toBase64(utf8Encode(plain))).toBe(enc);
      expect(utf8Decode(fromBase64(enc))).toBe(plain);
    }
    expect(utf8Decode(fromBase64('Zm9vYg'))).toBe('foob');
    for (const bad of ['Z', 'Zm9v!', 'Zg===', 'Z=g=', 'Zm9vY']) expect(() => fromBase64(bad)).toThrow(BytesFormatError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const s = toBase64(b);
        expect(s).toBe(Buffer.from(b).toString('base64'));
        expect(equal(fromBase64(s), b)).toBe(true);
      }),
    );
  });

  it('utf8, latin1, concat, equal, constantTimeEqual', () => {
    expect(utf8Encode('é€')).toEqual(new Uint8Array([0xc3, 0xa9, 0xe2, 0x82, 0xac]));
    expect(utf8Decode(new Uint8Array([0xff]))).toBe('\ufffd');
    expect(() => utf8Decode(new Uint8Array([0xff]), true)).toThrow(BytesFormatError);
    expect(latin1Decode(latin1Encode('é\u00ff'))).toBe('é\u00ff');
    expect(() => latin1Encode('€')).toThrow(BytesFormatError);
    expect(latin1Decode(new Uint8Array(20000).fill(65)).length).toBe(20000);
    expect(toHex(concat(fromHex('01'), new Uint8Array(0), fromHex('0203')))).toBe('010203');
    expect(equal(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(equal(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(constantTimeEqual(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(constantTimeEqual(fromHex('0102'), fromHex('0002'))).toBe(false);
    expect(constantTimeEqual(fromHex('01'), fromHex('0102'))).toBe(false);
  });
});
