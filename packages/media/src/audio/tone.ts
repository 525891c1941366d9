/**
 * Tones as 16-bit linear PCM (8 kHz by default) and a dominant-frequency detector (the Goertzel algorithm: one
 * DFT bin per frequency, a second-order recurrence per sample). Pure: no clock, no allocation per frame.
 */

/** Options of a {@link ToneGenerator}. */
export interface ToneOptions {
  /** Frequency in Hz, or several summed (e.g. a DTMF pair [697, 1209]); default 440. */
  frequency?: number | readonly number[];
  /** Peak amplitude of each component (default 8000 of 32767). */
  amplitude?: number;
  /** Sample rate (default 8000). */
  sampleRate?: number;
}

/**
 * A continuous sine tone (or sum of sines) cut into frames of any length; the phase carries over from frame to
 * frame, so consecutive frames join without a click.
 *
 * ```ts
 * const tone = new ToneGenerator({ frequency: 440 });
 * const pcm = new Int16Array(160); // 20 ms
 * tone.fill(pcm);
 * ```
 */
export class ToneGenerator {
  /** The component frequencies, Hz. */
  readonly frequencies: readonly number[];
  /** Samples per second. */
  readonly sampleRate: number;
  private readonly amplitude: number;
  private readonly step: Float64Array;
  private n = 0;
  /** Samples after which the waveform repeats exactly (so the counter stays small), or 0. */
  private readonly period: number;

  constructor(o: ToneOptions = {}) {
    const f = o.frequency ?? 440;
    this.frequencies = typeof f === 'number' ? [f] : [...f];
    this.sampleRate = o.sampleRate ?? 8000;
    this.amplitude = o.amplitude ?? 8000;
    if (!(this.sampleRate > 0)) throw new RangeError('sampleRate must be > 0');
    if (this.frequencies.length === 0 || this.frequencies.some((x) => !(x >= 0 && x <= this.sampleRate / 2))) {
      throw new RangeError('each frequency must be 0..sampleRate/2');
    }
    if (!(Math.abs(this.amplitude * this.frequencies.length) <= 32767)) throw new RangeError('amplitude would clip');
    this.step = Float64Array.from(this.frequencies, (x) => (2 * Math.PI * x) / this.sampleRate);
    // integer frequencies at an integer rate repeat every rate / gcd(f1, f2, …, rate) samples
    let g = this.sampleRate;
    for (const x of this.frequencies) g = Number.isInteger(x) && Number.isInteger(g) ? gcd(x, g) : 0;
    this.period = g > 0 ? this.sampleRate / g : 0;
  }

  /** Writes the next `count` samples (default: to the end of `out`) at `offset`; returns the count. */
  fill(out: Int16Array, offset = 0, count = out.length - offset): number {
    const n = Math.max(0, Math.min(count, out.length - offset));
    const k = this.step;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < k.length; j++) v += Math.sin(k[j]! * this.n);
      out[offset + i] = Math.round(this.amplitude * v);
      this.n++;
      if (this.n === this.period) this.n = 0;
    }
    return n;
  }

  /** Starts the waveform again from phase 0. */
  reset(): void {
    this.n = 0;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Signal power at `frequency` over `samples` (Goertzel): s[n] = x[n] + 2cos(ω)s[n−1] − s[n−2], power
 * s1² + s2² − 2cos(ω)s1s2. `count` limits the samples read (default all).
 */
export function goertzelPower(
  samples: ArrayLike<number>,
  frequency: number,
  sampleRate = 8000,
  count = samples.length,
): number {
  const c = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  const n = Math.min(count, samples.length);
  for (let i = 0; i < n; i++) {
    const s0 = samples[i]! + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/**
 * The dominant frequency of a signal between `minHz` and `maxHz`: a Goertzel scan in 10 Hz steps, refined in
 * 0.5 Hz steps around the best, over at most the first second of samples. Returns 0 for silence (mean power
 * under 1) or fewer than 64 samples. Used to check that received audio is the tone sent.
 */
export function dominantFrequency(samples: ArrayLike<number>, sampleRate = 8000, minHz = 100, maxHz = 3500): number {
  const n = Math.min(samples.length, sampleRate);
  if (n < 64) return 0;
  let energy = 0;
  for (let i = 0; i < n; i++) energy += samples[i]! * samples[i]!;
  if (energy / n < 1) return 0;
  let best = minHz;
  let bestP = -1;
  for (let f = minHz; f <= maxHz; f += 10) {
    const p = goertzelPower(samples, f, sampleRate, n);
    if (p > bestP) {
      bestP = p;
      best = f;
    }
  }
  let fine = best;
  for (let f = best - 10; f <= best + 10; f += 0.5) {
    const p = goertzelPower(samples, f, sampleRate, n);
    if (p > bestP) {
      bestP = p;
      fine = f;
    }
  }
  return fine;
}
