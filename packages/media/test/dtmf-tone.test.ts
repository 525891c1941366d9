/** In-band DTMF: Q.23 frequency pairs and the Goertzel detector on generated key presses. */
import { describe, expect, it } from 'vitest';
import { DtmfToneDetector, dtmfFrequencies, ToneGenerator } from '../src/index.js';

/** Key presses of `onMs`, `offMs` apart, as 8 kHz PCM with optional noise and twist (high/low amplitude). */
function keys(digits: string, onMs = 100, offMs = 60, noise = 0, twist = 1, amp = 5000): Int16Array {
  const out: number[] = [];
  let seed = 17;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  for (const d of digits) {
    const [lo, hi] = dtmfFrequencies(d)!;
    const a = new Int16Array((onMs * 8000) / 1000);
    const b = new Int16Array(a.length);
    new ToneGenerator({ frequency: lo, amplitude: amp }).fill(a);
    new ToneGenerator({ frequency: hi, amplitude: Math.round(amp * twist) }).fill(b);
    for (let i = 0; i < a.length; i++) out.push(a[i]! + b[i]! + Math.round(noise * 2 * rnd()));
    for (let i = 0; i < (offMs * 8000) / 1000; i++) out.push(Math.round(noise * 2 * rnd()));
  }
  return Int16Array.from(out);
}

function detect(pcm: Int16Array, frame = 160) {
  const det = new DtmfToneDetector();
  for (let i = 0; i < pcm.length; i += frame) det.push(pcm.subarray(i, i + frame));
  det.flush();
  const got = [];
  for (let e = det.poll(); e; e = det.poll()) got.push(e);
  return got;
}

describe('DTMF tones (ITU-T Q.23)', () => {
  it('maps the keypad to its frequency pairs', () => {
    expect(dtmfFrequencies('1')).toEqual([697, 1209]);
    expect(dtmfFrequencies('0')).toEqual([941, 1336]);
    expect(dtmfFrequencies('#')).toEqual([941, 1477]);
    expect(dtmfFrequencies('d')).toEqual([941, 1633]);
    expect(dtmfFrequencies('x')).toBeUndefined();
    expect(dtmfFrequencies('12')).toBeUndefined();
  });

  it('detects every key once, in order, with its duration', () => {
    const got = detect(keys('0123456789*#ABCD'));
    expect(got.map((e) => e.digit).join('')).toBe('0123456789*#ABCD');
    for (const e of got) expect(Math.abs(e.durationSamples - 800)).toBeLessThanOrEqual(2 * 205);
    expect(got[1]!.startSample).toBeGreaterThanOrEqual(1280 - 205);
  });

  it('holds up to noise and to twist within the limits (8 dB normal, 4 dB reverse), at any frame size', () => {
    expect(
      detect(keys('159#', 80, 50, 1500))
        .map((e) => e.digit)
        .join(''),
    ).toBe('159#');
    expect(
      detect(keys('26', 100, 60, 0, 0.45))
        .map((e) => e.digit)
        .join(''),
    ).toBe('26');
    expect(
      detect(keys('37', 100, 60, 0, 1.5))
        .map((e) => e.digit)
        .join(''),
    ).toBe('37');
    expect(
      detect(keys('48*', 100, 60, 200), 7)
        .map((e) => e.digit)
        .join(''),
    ).toBe('48*');
  });

  it('ignores silence, single tones, short blips, strong twist and noise', () => {
    expect(detect(new Int16Array(8000))).toEqual([]);
    const single = new Int16Array(8000);
    new ToneGenerator({ frequency: 1000, amplitude: 8000 }).fill(single);
    expect(detect(single)).toEqual([]);
    const lowOnly = new Int16Array(8000);
    new ToneGenerator({ frequency: 697, amplitude: 8000 }).fill(lowOnly);
    expect(detect(lowOnly)).toEqual([]);
    expect(detect(keys('5', 20, 100))).toEqual([]); // 20 ms: under two blocks
    expect(detect(keys('5', 100, 60, 0, 4))).toEqual([]); // 12 dB reverse twist
    expect(detect(keys('5', 100, 60, 9000, 1, 1000))).toEqual([]); // buried in noise
  });

  it('refuses a bad block size (API misuse)', () => {
    expect(() => new DtmfToneDetector({ blockSize: 10 })).toThrow(RangeError);
  });
});
