/**
 * In-band DTMF (ITU-T Q.23 frequencies, Q.24-style checks): the two frequencies of a digit, and a detector that
 * finds digits in 8 kHz 16-bit PCM with the Goertzel algorithm — for audio from peers that do not send RFC 4733
 * events (the PSTN side of a gateway, an old phone). Pure and sans-I/O: fed samples, it reports each key press
 * once with its duration.
 */
import { goertzelPower } from './tone.js';

/** Q.23 row (low group) frequencies, Hz. */
export const DTMF_LOW_HZ: readonly number[] = [697, 770, 852, 941];
/** Q.23 column (high group) frequencies, Hz. */
export const DTMF_HIGH_HZ: readonly number[] = [1209, 1336, 1477, 1633];
const KEYPAD = ['123A', '456B', '789C', '*0#D'];

/** The [low, high] frequencies (Hz) of a DTMF digit ('0'–'9', '*', '#', 'A'–'D'), or undefined. */
export function dtmfFrequencies(digit: string): [number, number] | undefined {
  const d = digit.toUpperCase();
  if (d.length !== 1) return undefined;
  for (let r = 0; r < 4; r++) {
    const c = KEYPAD[r]!.indexOf(d);
    if (c >= 0) return [DTMF_LOW_HZ[r]!, DTMF_HIGH_HZ[c]!];
  }
  return undefined;
}

/** Options of a {@link DtmfToneDetector}. */
export interface DtmfToneDetectorOptions {
  /** Samples per analysis block (default 205: 25.6 ms, the classic Goertzel block for DTMF at 8 kHz). */
  blockSize?: number;
  /** Lowest mean power per sample of the pair, in linear units² (default 1e4: about −40 dBm0). */
  minPower?: number;
  /** Largest high/low power ratio, dB (default 4: reverse twist). */
  maxReverseTwistDb?: number;
  /** Largest low/high power ratio, dB (default 8: normal twist). */
  maxTwistDb?: number;
  /** Consecutive blocks a digit must hold to be taken (default 2, ≈ 51 ms at the default block). */
  minBlocks?: number;
}

/** A digit found in audio. */
export interface DtmfToneEvent {
  digit: string;
  /** Sample index (from the detector's start) where the digit was first seen. */
  startSample: number;
  /** How long it lasted, in samples. */
  durationSamples: number;
}

/**
 * Finds DTMF digits in 8 kHz PCM. Feed frames of any size with {@link push}; read digits with {@link poll}.
 * In each block, the strongest tone of each group must carry most of the block's energy, exceed `minPower`,
 * be within the twist limits, and stand 6 dB above the other tones of its group; a digit is taken after
 * `minBlocks` equal blocks and reported once, when it ends (or at {@link flush}).
 */
export class DtmfToneDetector {
  private readonly n: number;
  private readonly minPower: number;
  private readonly reverseTwist: number;
  private readonly twist: number;
  private readonly minBlocks: number;
  private readonly block: Float64Array;
  private readonly low = new Float64Array(4);
  private readonly high = new Float64Array(4);
  private fill = 0;
  private sample = 0;
  private candidate: string | undefined;
  private run = 0;
  private runStart = 0;
  private active: { digit: string; start: number } | undefined;
  private gap = 0;
  private readonly out: DtmfToneEvent[] = [];

  constructor(o: DtmfToneDetectorOptions = {}) {
    this.n = o.blockSize ?? 205;
    this.minPower = o.minPower ?? 1e4;
    this.reverseTwist = 10 ** ((o.maxReverseTwistDb ?? 4) / 10);
    this.twist = 10 ** ((o.maxTwistDb ?? 8) / 10);
    this.minBlocks = o.minBlocks ?? 2;
    if (!Number.isInteger(this.n) || this.n < 64 || this.n > 8000) throw new RangeError('blockSize must be 64..8000');
    this.block = new Float64Array(this.n);
  }

  /** Analyses `pcm` (continuing the previous frames). */
  push(pcm: Int16Array): void {
    for (let i = 0; i < pcm.length; i++) {
      this.block[this.fill++] = pcm[i]!;
      if (this.fill === this.n) {
        this.analyse(this.detectBlock());
        this.fill = 0;
        this.sample += this.n;
      }
    }
  }

  /** Ends a digit still sounding (e.g. at the end of a recording); a partial block is discarded. */
  flush(): void {
    if (this.active) this.end(this.sample - this.gap * this.n);
    this.candidate = undefined;
    this.run = 0;
    this.sample += this.fill;
    this.fill = 0;
  }

  /** The next digit found, oldest first, or undefined. */
  poll(): DtmfToneEvent | undefined {
    return this.out.shift();
  }

  /** The digit one block holds, or undefined. */
  private detectBlock(): string | undefined {
    const x = this.block;
    let energy = 0;
    for (let i = 0; i < this.n; i++) energy += x[i]! * x[i]!;
    if (energy / this.n < this.minPower) return undefined;
    const low = this.low;
    const high = this.high;
    for (let k = 0; k < 4; k++) {
      low[k] = goertzelPower(x, DTMF_LOW_HZ[k]!, 8000);
      high[k] = goertzelPower(x, DTMF_HIGH_HZ[k]!, 8000);
    }
    const r = argmax(low);
    const c = argmax(high);
    const pl = low[r]!;
    const ph = high[c]!;
    // Goertzel power of a sine of amplitude A over N samples is ≈ (A·N/2)²; the block energy is ≈ N·A²/2
    const toEnergy = 2 / this.n;
    if ((pl + ph) * toEnergy < 0.6 * energy) return undefined; // other sounds dominate (speech, noise)
    if (ph > pl * this.reverseTwist || pl > ph * this.twist) return undefined;
    for (let k = 0; k < 4; k++) {
      if (k !== r && low[k]! * 4 > pl) return undefined; // 6 dB above the rest of the group
      if (k !== c && high[k]! * 4 > ph) return undefined;
    }
    return KEYPAD[r]![c]!;
  }

  private analyse(d: string | undefined): void {
    const blockStart = this.sample;
    if (d !== undefined && d === this.candidate) this.run++;
    else {
      this.candidate = d;
      this.run = d === undefined ? 0 : 1;
      this.runStart = blockStart;
    }
    if (this.active) {
      if (d === this.active.digit) {
        this.gap = 0;
        return;
      }
      // one odd block inside a tone is tolerated; two end it
      if (++this.gap < 2 && d === undefined) return;
      this.end(blockStart - (this.gap - 1) * this.n);
    }
    if (d !== undefined && this.run >= this.minBlocks) {
      this.active = { digit: d, start: this.runStart };
      this.gap = 0;
    }
  }

  private end(at: number): void {
    const a = this.active!;
    this.active = undefined;
    this.gap = 0;
    this.out.push({ digit: a.digit, startSample: a.start, durationSamples: Math.max(0, at - a.start) });
    if (this.out.length > 256) this.out.shift();
  }
}

function argmax(a: Float64Array): number {
  let m = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[m]!) m = i;
  return m;
}
