/**
 * G.711 companding (ITU-T G.711): μ-law (PCMU, RTP payload type 0) and A-law (PCMA, payload type 8), as used
 * by RFC 3551 §4.5.14. Table-driven: decoding is one lookup in a 256-entry table, encoding one lookup in a
 * 16384-entry table indexed by the 14 most significant bits of the 16-bit linear sample.
 *
 * Two sets of encoder decision values are offered ({@link G711Decisions}); decoding is the same for both:
 * - `'itu'` (default): the decision values of G.711 Tables 1a/2a — μ-law on the 14-bit grid (sign from the
 *   two's complement value), A-law on the 13-bit grid with negative inputs taken as one's complement, as the
 *   ITU-T G.191 reference code does. Each segment's first decision value belongs to the upper segment.
 * - `'nearest'`: thresholds halfway between adjacent reconstruction values on the 14-bit grid, symmetric for
 *   negative inputs. This is what ffmpeg's `pcm_mulaw` / `pcm_alaw` encoders output, byte for byte; it differs
 *   from `'itu'` only near the segment boundaries (and, for A-law, by one 14-bit step for negative inputs).
 */

/** The two G.711 laws by their RTP encoding names (RFC 3551 §6). */
export type G711Codec = 'PCMU' | 'PCMA';

/** μ-law code (magnitude 0..127, sign bit clear) → 16-bit linear value: ((2m + 33)·2^e − 33)·4 (G.711 Table 2a). */
function ulawMagnitude(code: number): number {
  const e = (code >> 4) & 0x07;
  const m = code & 0x0f;
  return (((m << 3) + 0x84) << e) - 0x84;
}

/** A-law code (magnitude 0..127) → 16-bit linear value: (2m + 1)·8 in segment 0, (2m + 33)·2^(e−1)·8 above (Table 1a). */
function alawMagnitude(code: number): number {
  const e = (code >> 4) & 0x07;
  const m = code & 0x0f;
  return e === 0 ? (m << 4) + 8 : ((m << 4) + 0x108) << (e - 1);
}

/** Decode tables: wire byte → 16-bit linear sample. */
const ULAW_TO_LINEAR = new Int16Array(256);
const ALAW_TO_LINEAR = new Int16Array(256);
/** Encode tables: ((sample + 32768) >> 2) → wire byte, per law and decision set. */
const ULAW_ITU = new Uint8Array(16384);
const ALAW_ITU = new Uint8Array(16384);
const ULAW_NEAREST = new Uint8Array(16384);
const ALAW_NEAREST = new Uint8Array(16384);

// μ-law bytes are the complement of sign|segment|mantissa (G.711 §3.2: all bits inverted, positive sign = 1);
// A-law bytes have the even bits inverted (XOR 0x55) with sign bit 1 for positive (G.711 §3.1).
for (let b = 0; b < 256; b++) {
  const u = ~b & 0xff;
  const mu = ulawMagnitude(u & 0x7f);
  ULAW_TO_LINEAR[b] = u & 0x80 ? -mu : mu;
  const a = b ^ 0x55;
  const al = alawMagnitude(a & 0x7f);
  ALAW_TO_LINEAR[b] = a & 0x80 ? al : -al;
}

/**
 * Fills a `'nearest'` encode table: index 8192 ± j is the 14-bit input ±j. Magnitude code i covers the inputs
 * from the midpoint below its reconstruction value to the midpoint above; code 127 takes the rest.
 */
function buildNearest(table: Uint8Array, magnitude: (code: number) => number, positiveMask: number): void {
  const negativeMask = positiveMask ^ 0x80;
  table[8192] = positiveMask; // input 0 → magnitude code 0, positive
  let j = 1;
  for (let i = 0; i < 127; i++) {
    // Midpoint between reconstruction values i and i+1 on the 14-bit grid (the 16-bit midpoint / 4, rounded).
    const decision = (magnitude(i) + magnitude(i + 1) + 4) >> 3;
    for (; j < decision; j++) {
      table[8192 - j] = i ^ negativeMask;
      table[8192 + j] = i ^ positiveMask;
    }
  }
  for (; j < 8192; j++) {
    table[8192 - j] = 127 ^ negativeMask;
    table[8192 + j] = 127 ^ positiveMask;
  }
  table[0] = table[1]!; // −8192 (−32768 >> 2) saturates like −8191
}

/**
 * Fills the `'itu'` encode tables from the G.711 decision values. In grid units (μ-law: 14-bit, A-law:
 * 13-bit) the lower decision value of magnitude code 16e + m is μ-law (2m + 32)·2^e − 33 (Table 2a:
 * 0, 1, 3, …, 31, 35, …, 8159) and A-law 2m in segment 0, (2m + 32)·2^(e−1) above (Table 1a: 0, 2, …, 32,
 * 34, …, 4096).
 */
function buildItu(): void {
  const uCode = new Uint8Array(8193); // 14-bit magnitude → code
  const aCode = new Uint8Array(4096); // 13-bit magnitude → code
  for (let c = 1; c < 128; c++) {
    const e = c >> 4;
    const m = c & 0x0f;
    const du = (2 * m + 32) * (1 << e) - 33;
    const da = e === 0 ? 2 * m : (2 * m + 32) * (1 << (e - 1));
    uCode.fill(c, Math.max(0, du));
    aCode.fill(c, da);
  }
  for (let idx = 0; idx < 16384; idx++) {
    const x14 = idx - 8192;
    ULAW_ITU[idx] = x14 < 0 ? uCode[-x14]! ^ 0x7f : uCode[x14]! ^ 0xff;
    const x13 = x14 >> 1;
    ALAW_ITU[idx] = x13 < 0 ? aCode[-x13 - 1]! ^ 0x55 : aCode[x13]! ^ 0xd5;
  }
}
buildNearest(ULAW_NEAREST, ulawMagnitude, 0xff);
buildNearest(ALAW_NEAREST, alawMagnitude, 0xd5);
buildItu();

/**
 * Which encoder decision values to use: `'itu'` (G.711 Tables 1a/2a, the default) or `'nearest'` (midpoints
 * between reconstruction values, identical to ffmpeg's encoders). See the module comment.
 */
export type G711Decisions = 'itu' | 'nearest';

function encodeTable(codec: G711Codec, decisions: G711Decisions): Uint8Array {
  if (codec === 'PCMU') return decisions === 'nearest' ? ULAW_NEAREST : ULAW_ITU;
  return decisions === 'nearest' ? ALAW_NEAREST : ALAW_ITU;
}

/** Rounds and clamps any number to a 16-bit linear sample (NaN → 0). */
function clamp16(sample: number): number {
  if (Number.isNaN(sample)) return 0;
  const s = Math.round(sample);
  return Math.min(32767, Math.max(-32768, s));
}

/** Encodes one 16-bit linear sample to a μ-law byte (values outside −32768..32767 saturate). */
export function linearToUlaw(sample: number, decisions: G711Decisions = 'itu'): number {
  return encodeTable('PCMU', decisions)[(clamp16(sample) + 32768) >> 2]!;
}

/** Decodes one μ-law byte (0..255; higher bits ignored) to a 16-bit linear sample. */
export function ulawToLinear(byte: number): number {
  return ULAW_TO_LINEAR[byte & 0xff]!;
}

/** Encodes one 16-bit linear sample to an A-law byte (values outside −32768..32767 saturate). */
export function linearToAlaw(sample: number, decisions: G711Decisions = 'itu'): number {
  return encodeTable('PCMA', decisions)[(clamp16(sample) + 32768) >> 2]!;
}

/** Decodes one A-law byte (0..255; higher bits ignored) to a 16-bit linear sample. */
export function alawToLinear(byte: number): number {
  return ALAW_TO_LINEAR[byte & 0xff]!;
}

/**
 * Encodes 16-bit linear PCM into a caller's buffer, one byte per sample; allocates nothing.
 * Writes `min(pcm.length, out.length - outOffset)` bytes at `outOffset` and returns that count.
 * `decisions` picks the encoder thresholds ({@link G711Decisions}; default `'itu'`).
 *
 * ```ts
 * const payload = new Uint8Array(160);
 * g711Encode('PCMU', frame, payload); // 160
 * ```
 */
export function g711Encode(
  codec: G711Codec,
  pcm: Int16Array,
  out: Uint8Array,
  outOffset = 0,
  decisions: G711Decisions = 'itu',
): number {
  const table = encodeTable(codec, decisions);
  const n = Math.max(0, Math.min(pcm.length, out.length - outOffset));
  for (let i = 0; i < n; i++) out[outOffset + i] = table[(pcm[i]! + 32768) >> 2]!;
  return n;
}

/**
 * Decodes a G.711 payload into a caller's 16-bit PCM buffer, one sample per byte; allocates nothing.
 * Writes `min(payload.length, out.length - outOffset)` samples at `outOffset` and returns that count.
 */
export function g711Decode(codec: G711Codec, payload: Uint8Array, out: Int16Array, outOffset = 0): number {
  const table = codec === 'PCMU' ? ULAW_TO_LINEAR : ALAW_TO_LINEAR;
  const n = Math.max(0, Math.min(payload.length, out.length - outOffset));
  for (let i = 0; i < n; i++) out[outOffset + i] = table[payload[i]!]!;
  return n;
}

/** μ-law encode into `out` (see {@link g711Encode}); returns the bytes written. */
export function ulawEncode(pcm: Int16Array, out: Uint8Array, outOffset = 0, decisions: G711Decisions = 'itu'): number {
  return g711Encode('PCMU', pcm, out, outOffset, decisions);
}

/** μ-law decode into `out` (see {@link g711Decode}); returns the samples written. */
export function ulawDecode(payload: Uint8Array, out: Int16Array, outOffset = 0): number {
  return g711Decode('PCMU', payload, out, outOffset);
}

/** A-law encode into `out` (see {@link g711Encode}); returns the bytes written. */
export function alawEncode(pcm: Int16Array, out: Uint8Array, outOffset = 0, decisions: G711Decisions = 'itu'): number {
  return g711Encode('PCMA', pcm, out, outOffset, decisions);
}

/** A-law decode into `out` (see {@link g711Decode}); returns the samples written. */
export function alawDecode(payload: Uint8Array, out: Int16Array, outOffset = 0): number {
  return g711Decode('PCMA', payload, out, outOffset);
}

/** The RTP static payload type of a G.711 law (RFC 3551 Table 4): PCMU 0, PCMA 8. */
export function g711PayloadType(codec: G711Codec): 0 | 8 {
  return codec === 'PCMU' ? 0 : 8;
}

/** The byte a G.711 law uses for silence (linear 0): μ-law 0xFF, A-law 0xD5. */
export function g711Silence(codec: G711Codec): number {
  return codec === 'PCMU' ? 0xff : 0xd5;
}
