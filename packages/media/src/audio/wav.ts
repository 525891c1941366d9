/**
 * WAV files (RIFF/WAVE, Microsoft's multimedia file format): read and write 16-bit linear PCM, mono, 8 kHz —
 * the audio of a narrowband call. Other formats are refused with a typed {@link WavError} naming what was
 * found. Bounded: at most `maxSamples` samples and 64 chunks are read.
 *
 * Layout: "RIFF" size "WAVE", then chunks (4-octet id, 32-bit little-endian size, data padded to an even
 * length); "fmt " holds format tag 1 (PCM), channels, sample rate, byte rate, block align, bits per sample;
 * "data" holds the samples, little-endian.
 */

/** Why a WAV file was refused. */
export type WavErrorReason =
  | 'truncated'
  | 'not-riff'
  | 'not-wave'
  | 'no-fmt'
  | 'no-data'
  | 'bad-chunk'
  | 'unsupported-format'
  | 'too-large';

/** A refused WAV file. */
export class WavError extends Error {
  override readonly name = 'WavError';
  /** Machine-friendly reason. */
  readonly reason: WavErrorReason;
  /** Octet offset where the problem was found. */
  readonly offset: number;
  constructor(reason: WavErrorReason, offset: number, detail?: string) {
    super(`WAV error (${reason}) at offset ${offset}${detail ? `: ${detail}` : ''}`);
    this.reason = reason;
    this.offset = offset;
  }
}

/** Audio read from a WAV file. */
export interface WavAudio {
  /** Always 8000. */
  sampleRate: number;
  /** Always 1. */
  channels: number;
  /** The samples (a new array). */
  samples: Int16Array;
  /** Whether the data chunk claimed more octets than the file holds (a stream cut short); what is there is read. */
  truncated: boolean;
}

/** Options of {@link tryReadWav}. */
export interface ReadWavOptions {
  /** Most samples accepted (default 8000 · 3600 = one hour); more is `'too-large'`. */
  maxSamples?: number;
}

/** The sample rate this module reads and writes. */
export const WAV_SAMPLE_RATE = 8000;
/** Octets of the canonical header {@link writeWavHeaderInto} writes. */
export const WAV_HEADER_SIZE = 44;

const FOURCC = (s: string) =>
  (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
const RIFF = FOURCC('RIFF');
const WAVE = FOURCC('WAVE');
const FMT = FOURCC('fmt ');
const DATA = FOURCC('data');
const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Reads a 16-bit PCM mono 8 kHz WAV file. Returns the audio or a {@link WavError}; never throws.
 * WAVE_FORMAT_EXTENSIBLE is accepted when its sub-format is PCM; unknown chunks are skipped.
 */
export function tryReadWav(bytes: Uint8Array, opts: ReadWavOptions = {}): WavAudio | WavError {
  const maxSamples = opts.maxSamples ?? WAV_SAMPLE_RATE * 3600;
  if (bytes.length < 12) return new WavError('truncated', bytes.length, 'shorter than the RIFF header');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== RIFF) return new WavError('not-riff', 0);
  if (dv.getUint32(8, true) !== WAVE) return new WavError('not-wave', 8);
  let off = 12;
  let fmtSeen = false;
  for (let chunks = 0; chunks < 64; chunks++) {
    if (bytes.length - off < 8) return new WavError(fmtSeen ? 'no-data' : 'no-fmt', off);
    const id = dv.getUint32(off, true);
    const size = dv.getUint32(off + 4, true);
    const body = off + 8;
    const left = bytes.length - body;
    if (id === FMT) {
      if (size < 16 || left < 16)
        return new WavError(left < 16 ? 'truncated' : 'bad-chunk', off, 'fmt chunk under 16 octets');
      let tag = dv.getUint16(body, true);
      const channels = dv.getUint16(body + 2, true);
      const rate = dv.getUint32(body + 4, true);
      const byteRate = dv.getUint32(body + 8, true);
      const align = dv.getUint16(body + 12, true);
      const bits = dv.getUint16(body + 14, true);
      if (tag === WAVE_FORMAT_EXTENSIBLE && size >= 40 && left >= 40) tag = dv.getUint16(body + 24, true); // sub-format GUID's first 2 octets
      if (
        tag !== WAVE_FORMAT_PCM ||
        channels !== 1 ||
        rate !== WAV_SAMPLE_RATE ||
        bits !== 16 ||
        align !== 2 ||
        byteRate !== 2 * WAV_SAMPLE_RATE
      ) {
        return new WavError(
          'unsupported-format',
          body,
          `format ${tag}, ${channels} channel(s), ${rate} Hz, ${bits} bits (want PCM, 1 channel, 8000 Hz, 16 bits)`,
        );
      }
      fmtSeen = true;
    } else if (id === DATA) {
      if (!fmtSeen) return new WavError('no-fmt', off, 'data chunk before fmt');
      const have = Math.min(size, left);
      const n = have >> 1;
      if (n > maxSamples) return new WavError('too-large', off, `${n} samples > ${maxSamples}`);
      const samples = new Int16Array(n);
      for (let i = 0; i < n; i++) samples[i] = dv.getInt16(body + 2 * i, true);
      return { sampleRate: WAV_SAMPLE_RATE, channels: 1, samples, truncated: size > left };
    }
    if (size > left) return new WavError('truncated', off, `chunk of ${size} octets, ${left} left`);
    off = body + size + (size & 1);
  }
  return new WavError('bad-chunk', off, 'more than 64 chunks before the data');
}

/** As {@link tryReadWav}, but throws the {@link WavError}. */
export function readWav(bytes: Uint8Array, opts?: ReadWavOptions): WavAudio {
  const r = tryReadWav(bytes, opts);
  if (r instanceof WavError) throw r;
  return r;
}

/**
 * Writes the 44-octet canonical header of a 16-bit PCM mono 8 kHz file holding `sampleCount` samples. A
 * recorder writes it first (with its best count) and again at the end with the final count. Returns 44.
 * Throws a RangeError (API misuse) when `out` has no room or the count does not fit the 32-bit sizes.
 */
export function writeWavHeaderInto(sampleCount: number, out: Uint8Array, offset = 0): number {
  const dataBytes = sampleCount * 2;
  if (!Number.isInteger(sampleCount) || sampleCount < 0 || dataBytes + 36 > 0xffffffff) {
    throw new RangeError(`sample count ${sampleCount} does not fit a WAV file`);
  }
  if (offset < 0 || out.length - offset < WAV_HEADER_SIZE) throw new RangeError('no room for a WAV header');
  const dv = new DataView(out.buffer, out.byteOffset + offset, WAV_HEADER_SIZE);
  dv.setUint32(0, RIFF, true);
  dv.setUint32(4, 36 + dataBytes, true);
  dv.setUint32(8, WAVE, true);
  dv.setUint32(12, FMT, true);
  dv.setUint32(16, 16, true);
  dv.setUint16(20, WAVE_FORMAT_PCM, true);
  dv.setUint16(22, 1, true);
  dv.setUint32(24, WAV_SAMPLE_RATE, true);
  dv.setUint32(28, 2 * WAV_SAMPLE_RATE, true);
  dv.setUint16(32, 2, true);
  dv.setUint16(34, 16, true);
  dv.setUint32(36, DATA, true);
  dv.setUint32(40, dataBytes, true);
  return WAV_HEADER_SIZE;
}

/** Octets of a WAV file of `sampleCount` samples: 44 + 2 per sample. */
export function wavSize(sampleCount: number): number {
  return WAV_HEADER_SIZE + 2 * sampleCount;
}

/** Writes a whole WAV file (header + little-endian samples) at `offset`; returns the octets written. */
export function writeWavInto(samples: Int16Array, out: Uint8Array, offset = 0): number {
  if (out.length - offset < wavSize(samples.length)) throw new RangeError('no room for the WAV file');
  writeWavHeaderInto(samples.length, out, offset);
  const dv = new DataView(out.buffer, out.byteOffset + offset + WAV_HEADER_SIZE, 2 * samples.length);
  for (let i = 0; i < samples.length; i++) dv.setInt16(2 * i, samples[i]!, true);
  return wavSize(samples.length);
}

/** A new WAV file (16-bit PCM, mono, 8 kHz) holding `samples`. */
export function writeWav(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(wavSize(samples.length));
  writeWavInto(samples, out);
  return out;
}

/** Little-endian octets of PCM samples (the body of a data chunk), written at `offset`; returns the octets written. */
export function pcmToLittleEndianInto(samples: Int16Array, out: Uint8Array, offset = 0): number {
  if (out.length - offset < 2 * samples.length) throw new RangeError('no room for the samples');
  const dv = new DataView(out.buffer, out.byteOffset + offset, 2 * samples.length);
  for (let i = 0; i < samples.length; i++) dv.setInt16(2 * i, samples[i]!, true);
  return 2 * samples.length;
}
