/** WAV (RIFF/WAVE, 16-bit PCM mono 8 kHz): exact header bytes, round trips, and every kind of bad file. */
import { describe, expect, it } from 'vitest';
import { readWav, tryReadWav, WavError, wavSize, writeWav, writeWavHeaderInto } from '../src/index.js';

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const u16 = (n: number) => [n & 0xff, n >>> 8];

/** A WAV file from parts: fmt fields and extra chunks, built byte by byte (independent of the writer). */
function build(o: {
  tag?: number;
  ch?: number;
  rate?: number;
  bits?: number;
  before?: number[];
  data?: number[];
  dataSize?: number;
  fmt?: boolean;
}) {
  const ch = o.ch ?? 1;
  const rate = o.rate ?? 8000;
  const bits = o.bits ?? 16;
  const fmt = [
    ...ascii('fmt '),
    ...u32(16),
    ...u16(o.tag ?? 1),
    ...u16(ch),
    ...u32(rate),
    ...u32((rate * ch * bits) / 8),
    ...u16((ch * bits) / 8),
    ...u16(bits),
  ];
  const data = o.data ?? [1, 0, 0xff, 0xff, 0, 0x80];
  const body = [
    ...ascii('WAVE'),
    ...(o.before ?? []),
    ...(o.fmt === false ? [] : fmt),
    ...ascii('data'),
    ...u32(o.dataSize ?? data.length),
    ...data,
  ];
  return new Uint8Array([...ascii('RIFF'), ...u32(body.length), ...body]);
}

describe('WAV', () => {
  it('writes the canonical 44-octet header', () => {
    const h = new Uint8Array(44);
    expect(writeWavHeaderInto(3, h)).toBe(44);
    expect([...h]).toEqual([
      ...ascii('RIFF'),
      ...u32(42),
      ...ascii('WAVE'),
      ...ascii('fmt '),
      ...u32(16),
      ...u16(1),
      ...u16(1),
      ...u32(8000),
      ...u32(16000),
      ...u16(2),
      ...u16(16),
      ...ascii('data'),
      ...u32(6),
    ]);
  });
  it('round-trips samples, little-endian', () => {
    const s = new Int16Array([0, 1, -1, 32767, -32768, 1234]);
    const f = writeWav(s);
    expect(f.length).toBe(wavSize(6));
    expect([...f.subarray(44, 50)]).toEqual([0, 0, 1, 0, 0xff, 0xff]);
    const r = readWav(f);
    expect(r).toMatchObject({ sampleRate: 8000, channels: 1, truncated: false });
    expect([...r.samples]).toEqual([...s]);
  });
  it('reads a file built by hand, skipping unknown (odd-sized, padded) chunks; accepts EXTENSIBLE with PCM', () => {
    const r = readWav(build({ before: [...ascii('LIST'), ...u32(3), 1, 2, 3, 0] }));
    expect([...r.samples]).toEqual([1, -1, -32768]);
    // WAVE_FORMAT_EXTENSIBLE: cbSize 22, valid bits, channel mask, sub-format GUID starting with 0x0001
    const ext = [
      ...ascii('fmt '),
      ...u32(40),
      ...u16(0xfffe),
      ...u16(1),
      ...u32(8000),
      ...u32(16000),
      ...u16(2),
      ...u16(16),
      ...u16(22),
      ...u16(16),
      ...u32(4),
      ...u16(1),
      ...Array(14).fill(0),
    ];
    const body = [...ascii('WAVE'), ...ext, ...ascii('data'), ...u32(2), 7, 0];
    expect([...readWav(new Uint8Array([...ascii('RIFF'), ...u32(body.length), ...body])).samples]).toEqual([7]);
  });
  it('refuses other formats with unsupported-format, naming what it found', () => {
    for (const o of [
      { ch: 2 },
      { rate: 16000 },
      { bits: 8 },
      { tag: 3, bits: 32 },
      { tag: 6 },
      { rate: 44100, ch: 2 },
    ]) {
      const r = tryReadWav(build(o));
      expect(r).toBeInstanceOf(WavError);
      expect((r as WavError).reason).toBe('unsupported-format');
    }
    expect((tryReadWav(build({ ch: 2 })) as WavError).message).toMatch(/2 channel/);
  });
  it('names every structural fault', () => {
    const reason = (b: Uint8Array) => (tryReadWav(b) as WavError).reason;
    expect(reason(new Uint8Array(0))).toBe('truncated');
    expect(reason(new Uint8Array(11))).toBe('truncated');
    expect(reason(new Uint8Array([...ascii('RIFX'), 0, 0, 0, 0, ...ascii('WAVE')]))).toBe('not-riff');
    expect(reason(new Uint8Array([...ascii('RIFF'), 0, 0, 0, 0, ...ascii('AVI ')]))).toBe('not-wave');
    expect(reason(new Uint8Array([...ascii('RIFF'), 4, 0, 0, 0, ...ascii('WAVE')]))).toBe('no-fmt');
    expect(reason(build({ fmt: false }))).toBe('no-fmt');
    expect(reason(build({}).subarray(0, 36))).toBe('no-data');
    expect(reason(build({}).subarray(0, 30))).toBe('truncated');
    expect(reason(build({ before: [...ascii('junk'), ...u32(1000), 1, 2] }))).toBe('truncated');
    const many = Array.from({ length: 70 }, () => [...ascii('junk'), ...u32(0)]).flat();
    expect(reason(build({ before: many }))).toBe('bad-chunk');
    expect((tryReadWav(build({ data: Array(40).fill(0) }), { maxSamples: 19 }) as WavError).reason).toBe('too-large');
    expect(() => readWav(new Uint8Array(3))).toThrow(WavError);
  });
  it('a data chunk cut short (or with a streaming size) reads what is there and says so', () => {
    const r = readWav(build({ data: [1, 0, 2, 0, 3], dataSize: 0xffffffff }));
    expect([...r.samples]).toEqual([1, 2]);
    expect(r.truncated).toBe(true);
  });
  it('every prefix and random garbage give a result or a WavError, never a throw', () => {
    const f = writeWav(new Int16Array(50).map((_, i) => i * 100));
    for (let n = 0; n <= f.length; n++) {
      const r = tryReadWav(f.subarray(0, n));
      if (n < 44) expect(r).toBeInstanceOf(WavError);
      else expect((r as { samples: Int16Array }).samples.length).toBe((n - 44) >> 1);
    }
    let seed = 1;
    for (let i = 0; i < 3000; i++) {
      const b = f.slice();
      for (let k = 0; k < 4; k++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        b[(seed >>> 8) % b.length] = seed & 0xff;
      }
      expect(() => tryReadWav(b)).not.toThrow();
    }
  });
  it('refuses impossible headers (API misuse)', () => {
    expect(() => writeWavHeaderInto(-1, new Uint8Array(44))).toThrow(RangeError);
    expect(() => writeWavHeaderInto(2 ** 31, new Uint8Array(44))).toThrow(RangeError);
    expect(() => writeWavHeaderInto(1, new Uint8Array(43))).toThrow(RangeError);
  });
});
