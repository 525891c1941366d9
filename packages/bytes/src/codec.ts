import { BytesFormatError } from './errors.js';

const HEX = '0123456789abcdef';
const HEX_PAIRS: string[] = [];
for (let i = 0; i < 256; i++) HEX_PAIRS.push(HEX[i >> 4]! + HEX[i & 15]!);

/** Lowercase hex, no separators. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX_PAIRS[b[i]!];
  return s;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Decode hex (either case). Whitespace and `:` separators are not accepted; odd length throws. */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new BytesFormatError(`hex string has odd length ${s.length}`, s.length - 1);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexVal(s.charCodeAt(2 * i));
    const lo = hexVal(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      const at = hi < 0 ? 2 * i : 2 * i + 1;
      throw new BytesFormatError(`invalid hex character ${JSON.stringify(s[at])} at index ${at}`, at);
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_REV = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_REV[B64.charCodeAt(i)] = i;

/** Standard base64 (RFC 4648 §4) with padding. */
export function toBase64(b: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rem = b.length - i;
  if (rem === 1) {
    const n = b[i]! << 16;
    s += `${B64[n >> 18]}${B64[(n >> 12) & 63]}==`;
  } else if (rem === 2) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8);
    s += `${B64[n >> 18]}${B64[(n >> 12) & 63]}${B64[(n >> 6) & 63]}=`;
  }
  return s;
}

/**
 * Decode standard base64 (RFC 4648 §4). Padding is optional; any character outside the alphabet,
 * misplaced padding or an impossible length throws {@link BytesFormatError}.
 */
export function fromBase64(s: string): Uint8Array {
  let end = s.length;
  let pad = 0;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) {
    end--;
    pad++;
  }
  if (pad > 2) throw new BytesFormatError('too much base64 padding', end);
  if (end % 4 === 1) throw new BytesFormatError(`invalid base64 length ${s.length}`, end);
  if (pad > 0 && (end + pad) % 4 !== 0) throw new BytesFormatError('misplaced base64 padding', end);
  const outLen = Math.floor((end * 3) / 4);
  const out = new Uint8Array(outLen);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64_REV[c]! : -1;
    if (v < 0) throw new BytesFormatError(`invalid base64 character ${JSON.stringify(s[i])} at index ${i}`, i);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Non-zero leftover bits mean a non-canonical encoding (RFC 4648 §3.5); accept, as most decoders do.
  return out;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });
const decFatal = new TextDecoder('utf-8', { fatal: true });

/** Encode a string as UTF-8. */
export function utf8Encode(s: string): Uint8Array {
  return enc.encode(s);
}

/** Decode UTF-8; invalid sequences become U+FFFD unless `strict`, which throws BytesFormatError. */
export function utf8Decode(b: Uint8Array, strict = false): string {
  if (!strict) return dec.decode(b);
  try {
    return decFatal.decode(b);
  } catch {
    throw new BytesFormatError('invalid UTF-8', -1);
  }
}

/** Encode a string whose code units are all ≤ 0xFF, one byte each; others throw. */
export function latin1Encode(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new BytesFormatError(`character at index ${i} is not latin-1`, i);
    out[i] = c;
  }
  return out;
}

/** Decode bytes one code unit each (never fails). */
export function latin1Decode(b: Uint8Array): string {
  let s = '';
  const CH = 8192;
  for (let i = 0; i < b.length; i += CH) {
    s += String.fromCharCode.apply(null, b.subarray(i, i + CH) as unknown as number[]);
  }
  return s;
}

/** Concatenate into one new array. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Byte-wise equality (not constant time). */
export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Equality whose running time depends only on the lengths, not on where the inputs differ
 * (for MACs and authentication tags).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
