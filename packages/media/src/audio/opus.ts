/**
 * Opus (RFC 6716) for calls, on `opusscript` (libopus compiled to WebAssembly, from npm: no compiler needed). RTP
 * carries it with a 48 kHz clock whatever the audio bandwidth (RFC 7587 §4.1); libopus itself encodes from and
 * decodes to 8, 12, 16, 24 or 48 kHz PCM, so the session's PCM API stays what it is for G.711 — 16-bit mono at
 * 8 kHz, 160 samples per 20 ms — and libopus does the rate conversion (the audio is narrowband; a wider PCM API is
 * not offered). The library is loaded on first use, so sessions that never negotiate Opus never load it.
 */
import { createRequire } from 'node:module';
import { MediaError } from '../errors.js';

/** RTP clock rate of Opus (RFC 7587 §4.1). */
export const OPUS_CLOCK_RATE = 48_000;
/** The PCM rate of the session's audio API when the codec is Opus. */
export const OPUS_PCM_RATE = 8000;
/** Largest Opus packet accepted for decoding (RFC 6716 §3.4: 1275 bytes per frame, up to 3 frames here). */
const MAX_PACKET = 1276 * 3;

interface OpusScriptInstance {
  encode(pcm: Uint8Array, frameSize: number): Uint8Array;
  decode(packet: Uint8Array): Uint8Array;
  delete(): void;
}
interface OpusScriptClass {
  new (rate: number, channels: number, application?: number): OpusScriptInstance;
  Application: { VOIP: number };
}

let lib: OpusScriptClass | undefined;

function load(): OpusScriptClass {
  if (lib) return lib;
  try {
    lib = createRequire(import.meta.url)('opusscript') as OpusScriptClass;
    return lib;
  } catch (e) {
    throw new MediaError('bad-argument', `Opus needs the opusscript package: ${(e as Error).message}`);
  }
}

/** Whether Opus can be used here (the opusscript package loads). */
export function opusAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

/**
 * One call direction pair of Opus state: an encoder (VoIP mode) and a decoder, both mono at 8 kHz PCM.
 *
 * ```ts
 * const opus = new OpusCodec();
 * const packet = opus.encode(new Int16Array(160)); // 20 ms
 * const pcm = opus.decode(packet);                 // 160 samples
 * opus.close();
 * ```
 */
export class OpusCodec {
  private readonly enc: OpusScriptInstance;
  private readonly dec: OpusScriptInstance;
  private closed = false;
  /** Packets that failed to decode (corrupt or truncated). */
  decodeErrors = 0;

  /** Makes the encoder and decoder; throws {@link MediaError} when opusscript is not installed. */
  constructor() {
    const L = load();
    this.enc = new L(OPUS_PCM_RATE, 1, L.Application.VOIP);
    this.dec = new L(OPUS_PCM_RATE, 1);
  }

  /** Encodes one frame (2.5–60 ms of 8 kHz PCM; 160 samples for 20 ms) to one Opus packet. */
  encode(pcm: Int16Array): Uint8Array {
    if (this.closed) throw new MediaError('closed', 'OpusCodec is closed');
    const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    return new Uint8Array(this.enc.encode(bytes, pcm.length));
  }

  /** Decodes one packet to 8 kHz PCM; undefined for an undecodable one (counted in {@link decodeErrors}). */
  decode(packet: Uint8Array): Int16Array | undefined {
    if (this.closed || packet.length === 0 || packet.length > MAX_PACKET) {
      this.decodeErrors++;
      return undefined;
    }
    try {
      const out = this.dec.decode(packet);
      const pcm = new Int16Array(out.length / 2);
      new Uint8Array(pcm.buffer).set(out);
      return pcm;
    } catch {
      this.decodeErrors++;
      return undefined;
    }
  }

  /** Frees the WebAssembly memory (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.enc.delete();
    this.dec.delete();
  }
}
