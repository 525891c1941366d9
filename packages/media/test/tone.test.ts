/** Tone generator (continuous phase, exact sine values) and the Goertzel dominant-frequency detector. */
import { describe, expect, it } from 'vitest';
import { dominantFrequency, goertzelPower, ToneGenerator } from '../src/index.js';

describe('ToneGenerator', () => {
  it('writes A·sin(2πfn/rate), continuous across frames of any size', () => {
    const g = new ToneGenerator({ frequency: 1000, amplitude: 10000 });
    const a = new Int16Array(160);
    const b = new Int16Array(77);
    g.fill(a);
    g.fill(b);
    const all = [...a, ...b];
    const want = all.map((_, n) => Math.round(10000 * Math.sin((2 * Math.PI * 1000 * n) / 8000)) + 0);
    expect(all).toEqual(want);
  });
  it('sums a DTMF pair and writes at an offset', () => {
    const g = new ToneGenerator({ frequency: [697, 1209], amplitude: 6000 });
    const out = new Int16Array(10).fill(5);
    expect(g.fill(out, 4)).toBe(6);
    expect([...out.subarray(0, 4)]).toEqual([5, 5, 5, 5]);
    for (let n = 0; n < 6; n++) {
      const want = 6000 * (Math.sin((2 * Math.PI * 697 * n) / 8000) + Math.sin((2 * Math.PI * 1209 * n) / 8000));
      expect(out[4 + n]).toBe(Math.round(want));
    }
  });
  it('stays exact after many periods (the counter wraps at the waveform period)', () => {
    const g = new ToneGenerator({ frequency: 440 });
    const buf = new Int16Array(8000);
    for (let i = 0; i < 30; i++) g.fill(buf);
    const next = new Int16Array(3);
    g.fill(next);
    const n0 = 30 * 8000;
    expect([...next]).toEqual([0, 1, 2].map((k) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * (n0 + k)) / 8000))));
    g.reset();
    g.fill(next);
    expect(next[0]).toBe(0);
  });
  it('refuses frequencies above Nyquist and clipping amplitudes (API misuse)', () => {
    expect(() => new ToneGenerator({ frequency: 4001 })).toThrow(RangeError);
    expect(() => new ToneGenerator({ frequency: [] })).toThrow(RangeError);
    expect(() => new ToneGenerator({ frequency: [1000, 2000], amplitude: 20000 })).toThrow(RangeError);
  });
});

describe('dominantFrequency / goertzelPower', () => {
  for (const f of [300, 440, 1000, 1633, 3000.5]) {
    it(`finds ${f} Hz within 1 Hz`, () => {
      const g = new ToneGenerator({ frequency: f });
      const s = new Int16Array(8000);
      g.fill(s);
      expect(Math.abs(dominantFrequency(s) - f)).toBeLessThanOrEqual(1);
    });
  }
  it('picks the stronger of two tones and survives noise', () => {
    const a = new Int16Array(4000);
    const b = new Int16Array(4000);
    new ToneGenerator({ frequency: 770, amplitude: 9000 }).fill(a);
    new ToneGenerator({ frequency: 1477, amplitude: 3000 }).fill(b);
    let seed = 3;
    const mix = a.map((v, i) => {
      seed = (seed * 69069 + 1) >>> 0;
      return v + b[i]! + ((seed >>> 20) - 2048);
    });
    expect(Math.abs(dominantFrequency(mix) - 770)).toBeLessThanOrEqual(1);
    expect(goertzelPower(mix, 1477)).toBeGreaterThan(goertzelPower(mix, 1336) * 10);
  });
  it('returns 0 for silence and for too few samples; reads at most one second', () => {
    expect(dominantFrequency(new Int16Array(8000))).toBe(0);
    expect(dominantFrequency(new Int16Array(63).fill(1000))).toBe(0);
    const s = new Int16Array(16000);
    new ToneGenerator({ frequency: 500 }).fill(s, 0, 8000);
    new ToneGenerator({ frequency: 2500 }).fill(s, 8000);
    expect(Math.abs(dominantFrequency(s) - 500)).toBeLessThanOrEqual(1);
  });
});
