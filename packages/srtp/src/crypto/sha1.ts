/**
 * SHA-1 (FIPS 180-4) compression and HMAC-SHA1 (RFC 2104) with the inner and outer states precomputed once per
 * key, so a packet costs only the compressions of its own data plus one outer block.
 */
import { rd32, wr32 } from './aes.js';

const W = new Int32Array(80);

/** One SHA-1 compression over the 16 words already in W[0..15]; updates st[0..4]. */
function compress(st: Int32Array): void {
  const w = W;
  for (let i = 16; i < 80; i++) {
    const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
    w[i] = (x << 1) | (x >>> 31);
  }
  let a = st[0]!;
  let b = st[1]!;
  let c = st[2]!;
  let d = st[3]!;
  let e = st[4]!;
  let i = 0;
  for (; i < 20; i++) {
    const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (; i < 40; i++) {
    const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (; i < 60; i++) {
    const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + w[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (; i < 80; i++) {
    const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + w[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  st[0] = (st[0]! + a) | 0;
  st[1] = (st[1]! + b) | 0;
  st[2] = (st[2]! + c) | 0;
  st[3] = (st[3]! + d) | 0;
  st[4] = (st[4]! + e) | 0;
}

const IV = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0];

/** Plain SHA-1 of a byte string (used for HMAC keys longer than a block). */
export function sha1(data: Uint8Array): Uint8Array {
  const st = Int32Array.from(IV);
  const total = data.length;
  const padded = new Uint8Array((((total + 8) >>> 6) + 1) * 64);
  padded.set(data);
  padded[total] = 0x80;
  const bits = total * 8;
  wr32(padded, padded.length - 8, Math.floor(bits / 0x100000000));
  wr32(padded, padded.length - 4, bits >>> 0);
  for (let o = 0; o < padded.length; o += 64) {
    for (let j = 0; j < 16; j++) W[j] = rd32(padded, o + 4 * j);
    compress(st);
  }
  const out = new Uint8Array(20);
  for (let j = 0; j < 5; j++) wr32(out, 4 * j, st[j]!);
  return out;
}

/** HMAC-SHA1 with precomputed inner/outer chaining values. */
export class HmacSha1 {
  private readonly inner = new Int32Array(5);
  private readonly outer = new Int32Array(5);
  private readonly st = new Int32Array(5);
  private readonly tail = new Uint8Array(128);

  constructor(key: Uint8Array) {
    const k = key.length > 64 ? sha1(key) : key;
    const pad = new Uint8Array(64);
    pad.set(k);
    this.inner.set(IV);
    this.outer.set(IV);
    for (let j = 0; j < 16; j++) W[j] = rd32(pad, 4 * j) ^ 0x36363636;
    compress(this.inner);
    for (let j = 0; j < 16; j++) W[j] = rd32(pad, 4 * j) ^ 0x5c5c5c5c;
    compress(this.outer);
    pad.fill(0);
  }

  /**
   * Writes the first `tagLen` octets of HMAC(key, data[start..end) || ROC) to out[oo..]; `roc < 0` means no ROC
   * word (SRTCP). RFC 3711 §4.2: the SRTP authenticated portion is followed by the 32-bit ROC.
   */
  sign(data: Uint8Array, start: number, end: number, roc: number, out: Uint8Array, oo: number, tagLen: number): void {
    const st = this.st;
    st.set(this.inner);
    const w = W;
    let o = start;
    while (end - o >= 64) {
      for (let j = 0; j < 16; j++, o += 4) w[j] = (data[o]! << 24) | (data[o + 1]! << 16) | (data[o + 2]! << 8) | data[o + 3]!;
      compress(st);
    }
    const tail = this.tail;
    let n = end - o;
    for (let i = 0; i < n; i++) tail[i] = data[o + i]!;
    let msgLen = end - start;
    if (roc >= 0) {
      wr32(tail, n, roc);
      n += 4;
      msgLen += 4;
    }
    tail[n] = 0x80;
    const blocks = n + 9 <= 64 ? 1 : 2;
    const lim = blocks * 64;
    tail.fill(0, n + 1, lim - 8);
    const bits = (msgLen + 64) * 8;
    wr32(tail, lim - 8, Math.floor(bits / 0x100000000));
    wr32(tail, lim - 4, bits >>> 0);
    for (let b = 0; b < lim; b += 64) {
      for (let j = 0; j < 16; j++) w[j] = rd32(tail, b + 4 * j);
      compress(st);
    }
    // Outer hash: one block = inner digest (5 words) || 0x80 || zeros || length (64 + 20 octets = 672 bits).
    w[0] = st[0]!;
    w[1] = st[1]!;
    w[2] = st[2]!;
    w[3] = st[3]!;
    w[4] = st[4]!;
    w[5] = 0x80000000 | 0;
    for (let j = 6; j < 15; j++) w[j] = 0;
    w[15] = 672;
    st.set(this.outer);
    compress(st);
    for (let i = 0; i < tagLen; i++) out[oo + i] = st[i >> 2]! >>> (24 - 8 * (i & 3));
  }
}
