/**
 * G.711 (ITU-T G.711 Tables 1a/2a): every code's reconstruction value from the table formulas, every 16-bit
 * input's code from an independent segment/bias formulation of the encoding rule, and round-trip properties.
 */
import { describe, expect, it } from 'vitest';
import {
  alawDecode,
  alawEncode,
  alawToLinear,
  g711Decode,
  g711Encode,
  g711PayloadType,
  g711Silence,
  linearToAlaw,
  linearToUlaw,
  ulawDecode,
  ulawEncode,
  ulawToLinear,
} from '../src/index.js';

/** μ-law by the biased-segment rule (G.711 §3.2, bias 33 on the 14-bit grid): the encoder written differently. */
function refUlaw(s: number): number {
  let x = Math.floor(s / 4);
  const mask = x < 0 ? 0x7f : 0xff;
  if (x < 0) x = -x;
  x = Math.min(x, 8159) + 33; // biased magnitude, 33..8192
  let seg = 0;
  while (seg < 8 && x >= 64 << seg) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((x >> (seg + 1)) & 0x0f)) ^ mask;
}

/** A-law by the segment rule (G.711 §3.1, 13-bit grid, negative inputs one's complement). */
function refAlaw(s: number): number {
  let x = Math.floor(s / 8);
  const mask = x >= 0 ? 0xd5 : 0x55;
  if (x < 0) x = -x - 1;
  let seg = 0;
  while (seg < 8 && x >= 32 << seg) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  const mant = seg < 2 ? (x >> 1) & 0x0f : (x >> seg) & 0x0f;
  return ((seg << 4) | mant) ^ mask;
}

describe('G.711 decode (reconstruction values, G.711 Tables 1a/2a)', () => {
  it('μ-law: byte b → ±((2m + 33)·2^e − 33)·4 with the bits inverted', () => {
    for (let b = 0; b < 256; b++) {
      const u = ~b & 0xff;
      const e = (u >> 4) & 7;
      const m = u & 15;
      const mag = ((2 * m + 33) * 2 ** e - 33) * 4;
      expect(ulawToLinear(b)).toBe((u & 0x80 ? -mag : mag) + 0);
    }
    expect(ulawToLinear(0xff)).toBe(0);
    expect(ulawToLinear(0x80)).toBe(32124);
    expect(ulawToLinear(0x00)).toBe(-32124);
  });
  it('A-law: byte b → ±(2m + 1)·8 in segment 0, ±(2m + 33)·2^(e−1)·8 above, even bits inverted', () => {
    for (let b = 0; b < 256; b++) {
      const a = b ^ 0x55;
      const e = (a >> 4) & 7;
      const m = a & 15;
      const mag = (e === 0 ? 2 * m + 1 : (2 * m + 33) * 2 ** (e - 1)) * 8;
      expect(alawToLinear(b)).toBe(a & 0x80 ? mag : -mag);
    }
    expect(alawToLinear(0xd5)).toBe(8);
    expect(alawToLinear(0xaa)).toBe(32256);
    expect(alawToLinear(0x2a)).toBe(-32256);
  });
});

describe("G.711 encode, 'itu' decision values", () => {
  it('every 16-bit input matches the segment/bias rule', () => {
    for (let s = -32768; s <= 32767; s++) {
      if (linearToUlaw(s) !== refUlaw(s)) expect([s, linearToUlaw(s)]).toEqual([s, refUlaw(s)]);
      if (linearToAlaw(s) !== refAlaw(s)) expect([s, linearToAlaw(s)]).toEqual([s, refAlaw(s)]);
    }
  });
  it('segment end points of Table 2a (μ-law 14-bit: 31, 95, 223, …, 4063) start the next segment', () => {
    const ends = [31, 95, 223, 479, 991, 2015, 4063];
    ends.forEach((d, i) => {
      expect((~linearToUlaw(d * 4) & 0x7f) >> 4).toBe(i + 1);
      expect((~linearToUlaw(d * 4 - 1) & 0x7f) >> 4).toBe(i);
    });
  });
  it('segment end points of Table 1a (A-law 13-bit: 32, 64, …, 2048) start the next segment', () => {
    const ends = [32, 64, 128, 256, 512, 1024, 2048];
    ends.forEach((d, i) => {
      expect(((linearToAlaw(d * 8) ^ 0x55) & 0x7f) >> 4).toBe(i + 1);
      expect(((linearToAlaw(d * 8 - 1) ^ 0x55) & 0x7f) >> 4).toBe(i);
    });
  });
  it('saturates out-of-range and non-integer numbers; NaN encodes as 0', () => {
    expect(linearToUlaw(1e9)).toBe(linearToUlaw(32767));
    expect(linearToUlaw(-1e9)).toBe(linearToUlaw(-32768));
    expect(linearToAlaw(Number.NaN)).toBe(linearToAlaw(0));
    expect(linearToUlaw(99.6)).toBe(linearToUlaw(100));
  });
});

describe('G.711 round trips', () => {
  for (const codec of ['PCMU', 'PCMA'] as const) {
    for (const decisions of ['itu', 'nearest'] as const) {
      it(`${codec}/${decisions}: decode(encode(decode(b))) = decode(b) for all 256 codes`, () => {
        const codes = new Uint8Array(256).map((_, i) => i);
        const pcm = new Int16Array(256);
        g711Decode(codec, codes, pcm);
        const again = new Uint8Array(256);
        g711Encode(codec, pcm, again, 0, decisions);
        const pcm2 = new Int16Array(256);
        g711Decode(codec, again, pcm2);
        expect(pcm2).toEqual(pcm);
        // and the bytes themselves, except μ-law's negative zero (0x7F) which decodes to 0 = 0xFF
        for (let b = 0; b < 256; b++) if (!(codec === 'PCMU' && b === 0x7f)) expect(again[b]).toBe(b);
      });
      it(`${codec}/${decisions}: quantisation error is bounded by the segment step`, () => {
        const pcm = new Int16Array(65536).map((_, i) => i - 32768);
        const bytes = new Uint8Array(65536);
        g711Encode(codec, pcm, bytes, 0, decisions);
        const back = new Int16Array(65536);
        g711Decode(codec, bytes, back);
        let prev = -Infinity;
        for (let i = 0; i < 65536; i++) {
          const s = pcm[i]!;
          const err = Math.abs(back[i]! - s);
          // the step of the top segment is 1024 (μ-law) / 1024 (A-law); clipping adds up to 644 (μ) / 511 (A)
          const limit = Math.abs(s) < 256 ? 16 : Math.abs(s) / 16 + 8;
          if (Math.abs(s) < 31000 && err > limit) expect([s, back[i]]).toEqual([s, 'within step']);
          // monotonic: a larger input never decodes smaller
          if (back[i]! < prev) expect([s, back[i]]).toEqual([s, `>= ${prev}`]);
          prev = back[i]!;
        }
      });
    }
  }
  it("'itu' and 'nearest' differ only near the segment boundaries", () => {
    let diff = 0;
    for (let s = -32768; s <= 32767; s++) {
      const a = linearToUlaw(s);
      const b = linearToUlaw(s, 'nearest');
      if (a !== b) {
        diff++;
        expect(Math.abs(ulawToLinear(a) - ulawToLinear(b))).toBeLessThanOrEqual(1024);
      }
    }
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(1024);
  });
});

describe('G.711 buffers', () => {
  it('writes into the caller buffer at an offset and returns the count (short buffers truncate, never throw)', () => {
    const pcm = new Int16Array([0, 1000, -1000, 32767]);
    const out = new Uint8Array(6).fill(0x11);
    expect(ulawEncode(pcm, out, 3)).toBe(3);
    expect([...out]).toEqual([0x11, 0x11, 0x11, linearToUlaw(0), linearToUlaw(1000), linearToUlaw(-1000)]);
    expect(alawEncode(pcm, out, 10)).toBe(0);
    const back = new Int16Array(2);
    expect(ulawDecode(out.subarray(3), back)).toBe(2);
    expect([...back]).toEqual([ulawToLinear(out[3]!), ulawToLinear(out[4]!)]);
    expect(alawDecode(new Uint8Array(0), back)).toBe(0);
  });
  it('payload types and silence bytes (RFC 3551 Table 4)', () => {
    expect(g711PayloadType('PCMU')).toBe(0);
    expect(g711PayloadType('PCMA')).toBe(8);
    expect(ulawToLinear(g711Silence('PCMU'))).toBe(0);
    expect(Math.abs(alawToLinear(g711Silence('PCMA')))).toBe(8);
  });
});
