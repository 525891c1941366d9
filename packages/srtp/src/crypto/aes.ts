/**
 * AES (FIPS-197) encryption only, with 32-bit T-tables and a key schedule expanded once per key.
 * SRTP needs the forward cipher only: AES-CM, AES-GCM and AES-f8 are all built on encryption.
 * Words are big-endian: word 0 of a block is bytes 0..3.
 */

/** The AES S-box and the four encryption T-tables (also copied into the wasm backend's memory). */
export const SBOX = new Uint8Array(256);
export const TE0 = new Int32Array(256);
export const TE1 = new Int32Array(256);
export const TE2 = new Int32Array(256);
export const TE3 = new Int32Array(256);

(function buildTables(): void {
  // GF(2^8) exp/log tables with generator 3.
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= (x << 1) ^ (x & 0x80 ? 0x1b : 0);
    x &= 0xff;
  }
  for (let i = 0; i < 256; i++) {
    let inv = i === 0 ? 0 : exp[(255 - log[i]!) % 255]!;
    let s = inv;
    for (let r = 0; r < 4; r++) {
      inv = ((inv << 1) | (inv >>> 7)) & 0xff;
      s ^= inv;
    }
    s ^= 0x63;
    SBOX[i] = s;
    const s2 = ((s << 1) ^ (s & 0x80 ? 0x1b : 0)) & 0xff;
    const s3 = s2 ^ s;
    const t = (s2 << 24) | (s << 16) | (s << 8) | s3;
    TE0[i] = t;
    TE1[i] = (t >>> 8) | (t << 24);
    TE2[i] = (t >>> 16) | (t << 16);
    TE3[i] = (t >>> 24) | (t << 8);
  }
})();

function subWord(w: number): number {
  return (
    ((SBOX[w >>> 24]! << 24) | (SBOX[(w >>> 16) & 0xff]! << 16) | (SBOX[(w >>> 8) & 0xff]! << 8) | SBOX[w & 0xff]!) >>>
    0
  );
}

/** An expanded AES encryption key. */
export interface AesKey {
  /** Round keys, 4·(rounds+1) big-endian words. */
  readonly rk: Int32Array;
  /** 10, 12 or 14. */
  readonly rounds: number;
}

/** Expands a 16-, 24- or 32-octet AES key (FIPS-197 §5.2). */
export function expandAesKey(key: Uint8Array): AesKey {
  const nk = key.length / 4;
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new RangeError('AES key must be 16/24/32');
  const rounds = nk + 6;
  const rk = new Int32Array(4 * (rounds + 1));
  for (let i = 0; i < nk; i++) {
    rk[i] = ((key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!) >>> 0;
  }
  let rcon = 1;
  for (let i = nk; i < rk.length; i++) {
    let t = rk[i - 1]!;
    if (i % nk === 0) {
      t = (subWord(((t << 8) | (t >>> 24)) >>> 0) ^ (rcon << 24)) >>> 0;
      rcon = ((rcon << 1) ^ (rcon & 0x80 ? 0x1b : 0)) & 0xff;
    } else if (nk > 6 && i % nk === 4) {
      t = subWord(t);
    }
    rk[i] = (rk[i - nk]! ^ t) >>> 0;
  }
  return { rk, rounds };
}

/** Output of the last block encryption (avoids allocating per block). */
export const aesOut = new Int32Array(4);

/** Encrypts one block given as four big-endian words; the result lands in {@link aesOut}. */
export function aesEncryptWords(k: AesKey, i0: number, i1: number, i2: number, i3: number): void {
  const rk = k.rk;
  const te0 = TE0;
  const te1 = TE1;
  const te2 = TE2;
  const te3 = TE3;
  let s0 = i0 ^ rk[0]!;
  let s1 = i1 ^ rk[1]!;
  let s2 = i2 ^ rk[2]!;
  let s3 = i3 ^ rk[3]!;
  let r = 4;
  const last = k.rounds * 4;
  while (r < last) {
    const t0 = te0[s0 >>> 24]! ^ te1[(s1 >>> 16) & 0xff]! ^ te2[(s2 >>> 8) & 0xff]! ^ te3[s3 & 0xff]! ^ rk[r]!;
    const t1 = te0[s1 >>> 24]! ^ te1[(s2 >>> 16) & 0xff]! ^ te2[(s3 >>> 8) & 0xff]! ^ te3[s0 & 0xff]! ^ rk[r + 1]!;
    const t2 = te0[s2 >>> 24]! ^ te1[(s3 >>> 16) & 0xff]! ^ te2[(s0 >>> 8) & 0xff]! ^ te3[s1 & 0xff]! ^ rk[r + 2]!;
    const t3 = te0[s3 >>> 24]! ^ te1[(s0 >>> 16) & 0xff]! ^ te2[(s1 >>> 8) & 0xff]! ^ te3[s2 & 0xff]! ^ rk[r + 3]!;
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
    r += 4;
  }
  const sb = SBOX;
  aesOut[0] =
    ((sb[s0 >>> 24]! << 24) | (sb[(s1 >>> 16) & 0xff]! << 16) | (sb[(s2 >>> 8) & 0xff]! << 8) | sb[s3 & 0xff]!) ^
    rk[last]!;
  aesOut[1] =
    ((sb[s1 >>> 24]! << 24) | (sb[(s2 >>> 16) & 0xff]! << 16) | (sb[(s3 >>> 8) & 0xff]! << 8) | sb[s0 & 0xff]!) ^
    rk[last + 1]!;
  aesOut[2] =
    ((sb[s2 >>> 24]! << 24) | (sb[(s3 >>> 16) & 0xff]! << 16) | (sb[(s0 >>> 8) & 0xff]! << 8) | sb[s1 & 0xff]!) ^
    rk[last + 2]!;
  aesOut[3] =
    ((sb[s3 >>> 24]! << 24) | (sb[(s0 >>> 16) & 0xff]! << 16) | (sb[(s1 >>> 8) & 0xff]! << 8) | sb[s2 & 0xff]!) ^
    rk[last + 3]!;
}

/** Encrypts the 16-octet block `inp[io..]` into `out[oo..]` (may alias). */
export function aesEncryptBlock(k: AesKey, inp: Uint8Array, io: number, out: Uint8Array, oo: number): void {
  aesEncryptWords(k, rd32(inp, io), rd32(inp, io + 4), rd32(inp, io + 8), rd32(inp, io + 12));
  wr32(out, oo, aesOut[0]!);
  wr32(out, oo + 4, aesOut[1]!);
  wr32(out, oo + 8, aesOut[2]!);
  wr32(out, oo + 12, aesOut[3]!);
}

/** Reads a big-endian 32-bit word (as a signed int32). */
export function rd32(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** Writes a big-endian 32-bit word. */
export function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/**
 * Counter-mode keystream XOR: block j uses the counter (c0, c1, c2, c3 + j mod 2^32).
 * `dst[d..d+len) = src[s..s+len) XOR keystream`; src and dst may be the same range.
 * Covers AES-CM of RFC 3711 §4.1.1 (c3 low 16 bits are the block counter; IVs keep them zero) and GCM's inc32.
 */
export function aesCtrXor(
  k: AesKey,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  src: Uint8Array,
  s: number,
  dst: Uint8Array,
  d: number,
  len: number,
): void {
  const rk = k.rk;
  const last = k.rounds * 4;
  const te0 = TE0;
  const te1 = TE1;
  const te2 = TE2;
  const te3 = TE3;
  const sb = SBOX;
  // Only word 3 of the counter block changes inside a packet, so the round-1 table lookups on words 0..2 are
  // done once per packet (12 of every block's 16 round-1 lookups).
  const a0 = c0 ^ rk[0]!;
  const a1 = c1 ^ rk[1]!;
  const a2 = c2 ^ rk[2]!;
  const p0 = te0[a0 >>> 24]! ^ te1[(a1 >>> 16) & 0xff]! ^ te2[(a2 >>> 8) & 0xff]! ^ rk[4]!;
  const p1 = te0[a1 >>> 24]! ^ te1[(a2 >>> 16) & 0xff]! ^ te3[a0 & 0xff]! ^ rk[5]!;
  const p2 = te0[a2 >>> 24]! ^ te2[(a0 >>> 8) & 0xff]! ^ te3[a1 & 0xff]! ^ rk[6]!;
  const p3 = te1[(a0 >>> 16) & 0xff]! ^ te2[(a1 >>> 8) & 0xff]! ^ te3[a2 & 0xff]! ^ rk[7]!;
  const rk3 = rk[3]!;
  let ctr = c3;
  let off = 0;
  while (off < len) {
    const x3 = ctr ^ rk3;
    ctr = (ctr + 1) | 0;
    let s0 = p0 ^ te3[x3 & 0xff]!;
    let s1 = p1 ^ te2[(x3 >>> 8) & 0xff]!;
    let s2 = p2 ^ te1[(x3 >>> 16) & 0xff]!;
    let s3 = p3 ^ te0[x3 >>> 24]!;
    let r = 8;
    while (r < last) {
      const t0 = te0[s0 >>> 24]! ^ te1[(s1 >>> 16) & 0xff]! ^ te2[(s2 >>> 8) & 0xff]! ^ te3[s3 & 0xff]! ^ rk[r]!;
      const t1 = te0[s1 >>> 24]! ^ te1[(s2 >>> 16) & 0xff]! ^ te2[(s3 >>> 8) & 0xff]! ^ te3[s0 & 0xff]! ^ rk[r + 1]!;
      const t2 = te0[s2 >>> 24]! ^ te1[(s3 >>> 16) & 0xff]! ^ te2[(s0 >>> 8) & 0xff]! ^ te3[s1 & 0xff]! ^ rk[r + 2]!;
      const t3 = te0[s3 >>> 24]! ^ te1[(s0 >>> 16) & 0xff]! ^ te2[(s1 >>> 8) & 0xff]! ^ te3[s2 & 0xff]! ^ rk[r + 3]!;
      s0 = t0;
      s1 = t1;
      s2 = t2;
      s3 = t3;
      r += 4;
    }
    const k0 =
      ((sb[s0 >>> 24]! << 24) | (sb[(s1 >>> 16) & 0xff]! << 16) | (sb[(s2 >>> 8) & 0xff]! << 8) | sb[s3 & 0xff]!) ^
      rk[last]!;
    const k1 =
      ((sb[s1 >>> 24]! << 24) | (sb[(s2 >>> 16) & 0xff]! << 16) | (sb[(s3 >>> 8) & 0xff]! << 8) | sb[s0 & 0xff]!) ^
      rk[last + 1]!;
    const k2 =
      ((sb[s2 >>> 24]! << 24) | (sb[(s3 >>> 16) & 0xff]! << 16) | (sb[(s0 >>> 8) & 0xff]! << 8) | sb[s1 & 0xff]!) ^
      rk[last + 2]!;
    const k3 =
      ((sb[s3 >>> 24]! << 24) | (sb[(s0 >>> 16) & 0xff]! << 16) | (sb[(s1 >>> 8) & 0xff]! << 8) | sb[s2 & 0xff]!) ^
      rk[last + 3]!;
    const n = len - off;
    const si = s + off;
    const di = d + off;
    if (n >= 16) {
      dst[di] = src[si]! ^ (k0 >>> 24);
      dst[di + 1] = src[si + 1]! ^ (k0 >>> 16);
      dst[di + 2] = src[si + 2]! ^ (k0 >>> 8);
      dst[di + 3] = src[si + 3]! ^ k0;
      dst[di + 4] = src[si + 4]! ^ (k1 >>> 24);
      dst[di + 5] = src[si + 5]! ^ (k1 >>> 16);
      dst[di + 6] = src[si + 6]! ^ (k1 >>> 8);
      dst[di + 7] = src[si + 7]! ^ k1;
      dst[di + 8] = src[si + 8]! ^ (k2 >>> 24);
      dst[di + 9] = src[si + 9]! ^ (k2 >>> 16);
      dst[di + 10] = src[si + 10]! ^ (k2 >>> 8);
      dst[di + 11] = src[si + 11]! ^ k2;
      dst[di + 12] = src[si + 12]! ^ (k3 >>> 24);
      dst[di + 13] = src[si + 13]! ^ (k3 >>> 16);
      dst[di + 14] = src[si + 14]! ^ (k3 >>> 8);
      dst[di + 15] = src[si + 15]! ^ k3;
      off += 16;
    } else {
      for (let i = 0; i < n; i++) {
        const w = i < 4 ? k0 : i < 8 ? k1 : i < 12 ? k2 : k3;
        dst[di + i] = src[si + i]! ^ (w >>> (24 - 8 * (i & 3)));
      }
      off = len;
    }
  }
}
