/**
 * G.711 companding (ITU-T G.711): μ-law (PCMU, RTP payload type 0) and A-law (PCMA, 8), as used by
 * RFC 3551 §4.5.14. Encoders take 16-bit linear samples.
 */

const BIAS = 0x84;
const CLIP = 32635;

/** Encodes one 16-bit linear sample to μ-law. */
export function linearToUlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; mask >>= 1) exp--;
  const mant = (s >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | mant) & 0xff;
}

/** Decodes one μ-law byte to a 16-bit linear sample. */
export function ulawToLinear(u: number): number {
  const x = ~u & 0xff;
  const sign = x & 0x80;
  const exp = (x >> 4) & 0x07;
  const mant = x & 0x0f;
  const s = (((mant << 3) + BIAS) << exp) - BIAS;
  return sign ? -s : s;
}

/** Encodes one 16-bit linear sample to A-law. */
export function linearToAlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample))) >> 3;
  let mask: number;
  if (s >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    s = -s - 1;
  }
  const seg = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff].findIndex((end) => s <= end);
  if (seg < 0) return 0x7f ^ mask;
  const aval = (seg << 4) | ((seg < 2 ? s >> 1 : s >> seg) & 0x0f);
  return aval ^ mask;
}

/** Decodes one A-law byte to a 16-bit linear sample. */
export function alawToLinear(a: number): number {
  const x = a ^ 0x55;
  let t = (x & 0x0f) << 4;
  const seg = (x & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return x & 0x80 ? t : -t;
}

/** Decodes a G.711 payload to linear samples. */
export function decodeG711(payload: Uint8Array, codec: 'PCMU' | 'PCMA'): Int16Array {
  const out = new Int16Array(payload.length);
  const f = codec === 'PCMU' ? ulawToLinear : alawToLinear;
  for (let i = 0; i < payload.length; i++) out[i] = f(payload[i]!);
  return out;
}

/** Encodes linear samples to a G.711 payload. */
export function encodeG711(samples: ArrayLike<number>, codec: 'PCMU' | 'PCMA'): Uint8Array {
  const out = new Uint8Array(samples.length);
  const f = codec === 'PCMU' ? linearToUlaw : linearToAlaw;
  for (let i = 0; i < samples.length; i++) out[i] = f(samples[i]!);
  return out;
}
