/**
 * HMAC-SHA1 (RFC 2104 over FIPS 180-4 SHA-1) with the key's inner and outer pad states computed once, so that
 * MESSAGE-INTEGRITY (RFC 8489 §14.5) over a 20–100 octet STUN message costs two or three compressions and no
 * allocation. `bench/stun.mjs` measured this faster than both `node:crypto` createHmac and @noble/hashes for such
 * inputs (the per-call set-up dominates there).
 */

const IV = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0] as const;
const W = new Int32Array(80);

/** One SHA-1 compression of the 64-octet block at `b[o..o+64)` into `s` (FIPS 180-4 §6.1.2). */
function compress(s: Int32Array, b: Uint8Array, o: number): void {
  const w = W;
  for (let i = 0; i < 16; i++, o += 4) w[i] = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  for (let i = 16; i < 80; i++) {
    const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
    w[i] = (x << 1) | (x >>> 31);
  }
  let a = s[0]!;
  let bb = s[1]!;
  let c = s[2]!;
  let d = s[3]!;
  let e = s[4]!;
  for (let i = 0; i < 80; i++) {
    let f: number;
    let k: number;
    if (i < 20) {
      f = (bb & c) | (~bb & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = bb ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (bb & c) | (bb & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = bb ^ c ^ d;
      k = 0xca62c1d6;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) | 0;
    e = d;
    d = c;
    c = (bb << 30) | (bb >>> 2);
    bb = a;
    a = t;
  }
  s[0] = (s[0]! + a) | 0;
  s[1] = (s[1]! + bb) | 0;
  s[2] = (s[2]! + c) | 0;
  s[3] = (s[3]! + d) | 0;
  s[4] = (s[4]! + e) | 0;
}

const TAIL = new Uint8Array(128);

/** Hashes `data[start..end)` continuing from `state` after `prefixLen` octets already absorbed; writes 20 octets. */
function finish(
  state: Int32Array,
  prefixLen: number,
  data: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outOff: number,
): void {
  let p = start;
  for (; p + 64 <= end; p += 64) compress(state, data, p);
  const rest = end - p;
  const tail = TAIL;
  tail.fill(0);
  for (let i = 0; i < rest; i++) tail[i] = data[p + i]!;
  tail[rest] = 0x80;
  const blocks = rest < 56 ? 1 : 2;
  const bits = (prefixLen + end - start) * 8; // < 2^32 for any STUN message
  const lenAt = blocks * 64 - 4;
  tail[lenAt] = bits >>> 24;
  tail[lenAt + 1] = bits >>> 16;
  tail[lenAt + 2] = bits >>> 8;
  tail[lenAt + 3] = bits;
  compress(state, tail, 0);
  if (blocks === 2) compress(state, tail, 64);
  for (let i = 0; i < 5; i++) {
    const v = state[i]!;
    out[outOff++] = v >>> 24;
    out[outOff++] = v >>> 16;
    out[outOff++] = v >>> 8;
    out[outOff++] = v;
  }
}

/** SHA-1 of `data` (used for HMAC keys longer than the block size, RFC 2104 §2). */
export function sha1(data: Uint8Array): Uint8Array {
  const s = Int32Array.from(IV);
  const out = new Uint8Array(20);
  finish(s, 0, data, 0, data.length, out, 0);
  return out;
}

/** An HMAC-SHA1 key with precomputed pad states. */
export class HmacSha1 {
  private readonly inner = new Int32Array(5);
  private readonly outer = new Int32Array(5);
  private readonly state = new Int32Array(5);
  private readonly mid = new Uint8Array(20);

  constructor(key: Uint8Array) {
    const k = key.length > 64 ? sha1(key) : key;
    const pad = new Uint8Array(64);
    this.inner.set(IV);
    this.outer.set(IV);
    for (let i = 0; i < 64; i++) pad[i] = (k[i] ?? 0) ^ 0x36;
    compress(this.inner, pad, 0);
    for (let i = 0; i < 64; i++) pad[i] = (k[i] ?? 0) ^ 0x5c;
    compress(this.outer, pad, 0);
  }

  /** HMAC-SHA1 of `data[start..end)`, written as 20 octets at `out[outOff..]`. */
  macInto(data: Uint8Array, start: number, end: number, out: Uint8Array, outOff: number): void {
    const s = this.state;
    s.set(this.inner);
    finish(s, 64, data, start, end, this.mid, 0);
    s.set(this.outer);
    finish(s, 64, this.mid, 0, 20, out, outOff);
  }

  /** HMAC-SHA1 of `data` as a new 20-octet array. */
  mac(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(20);
    this.macInto(data, 0, data.length, out, 0);
    return out;
  }
}
