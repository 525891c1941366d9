import { encodeG711 } from './g711.js';

/**
 * A sine tone cut into G.711 frames (default 440 Hz, 8 kHz, 20 ms = 160 samples per packet, RFC 3551 §4.5).
 *
 * ```ts
 * const tone = new ToneGenerator({ frequency: 440 });
 * const payload = tone.nextFrame(); // 160 PCMU bytes
 * ```
 */
export class ToneGenerator {
  readonly frequency: number;
  readonly sampleRate: number;
  readonly samplesPerFrame: number;
  private readonly amplitude: number;
  private readonly codec: 'PCMU' | 'PCMA';
  private n = 0;
  /** Samples after which the frame sequence repeats (when small enough to cache), else undefined. */
  private readonly cycle: number | undefined;
  private readonly cache = new Map<number, Uint8Array>();

  constructor(
    o: { frequency?: number; sampleRate?: number; ptimeMs?: number; amplitude?: number; codec?: 'PCMU' | 'PCMA' } = {},
  ) {
    this.frequency = o.frequency ?? 440;
    this.sampleRate = o.sampleRate ?? 8000;
    this.samplesPerFrame = Math.round((this.sampleRate * (o.ptimeMs ?? 20)) / 1000);
    this.amplitude = o.amplitude ?? 8000;
    this.codec = o.codec ?? 'PCMU';
    // The waveform repeats every rate/gcd(f, rate) samples; the frames repeat every lcm(that, frame).
    let cycle: number | undefined;
    if (Number.isInteger(this.frequency) && this.frequency > 0) {
      const period = this.sampleRate / gcd(this.frequency, this.sampleRate);
      const frames = period / gcd(period, this.samplesPerFrame);
      if (frames <= 400) cycle = frames * this.samplesPerFrame;
    }
    this.cycle = cycle;
  }

  /** The next frame's encoded payload (frames repeat with the tone's period, so they are computed once). */
  nextFrame(): Uint8Array {
    const f = this.frame(this.n);
    this.n += this.samplesPerFrame;
    if (this.cycle !== undefined && this.n >= this.cycle) this.n -= this.cycle;
    return f;
  }

  private frame(start: number): Uint8Array {
    const hit = this.cache.get(start);
    if (hit) return hit;
    const s = new Float64Array(this.samplesPerFrame);
    const w = (2 * Math.PI * this.frequency) / this.sampleRate;
    for (let i = 0; i < s.length; i++) s[i] = this.amplitude * Math.sin(w * (start + i));
    const out = encodeG711(s, this.codec);
    if (this.cycle !== undefined) this.cache.set(start, out);
    return out;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function goertzelPower(x: ArrayLike<number>, f: number, rate: number): number {
  const k = (2 * Math.PI * f) / rate;
  const c = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i]! + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/**
 * The dominant frequency of a signal between `minHz` and `maxHz` (Goertzel scan, 10 Hz then 0.5 Hz steps),
 * over the first second, or 0 for silence. Used to check that the audio coming back is the tone.
 */
export function dominantFrequency(samples: ArrayLike<number>, sampleRate = 8000, minHz = 100, maxHz = 3500): number {
  const n = Math.min(samples.length, sampleRate);
  if (n < 64) return 0;
  const x = new Float64Array(n);
  let energy = 0;
  for (let i = 0; i < n; i++) {
    x[i] = samples[i]!;
    energy += x[i]! * x[i]!;
  }
  if (energy / n < 1) return 0;
  let best = minHz;
  let bestP = -1;
  for (let f = minHz; f <= maxHz; f += 10) {
    const p = goertzelPower(x, f, sampleRate);
    if (p > bestP) {
      bestP = p;
      best = f;
    }
  }
  let fine = best;
  for (let f = best - 10; f <= best + 10; f += 0.5) {
    const p = goertzelPower(x, f, sampleRate);
    if (p > bestP) {
      bestP = p;
      fine = f;
    }
  }
  return fine;
}
