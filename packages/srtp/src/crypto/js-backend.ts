import { type AesKey, aesCtrXor, aesEncryptBlock, aesEncryptWords, aesOut, expandAesKey, rd32 } from './aes.js';
import type { Aead, CtrCipher, Mac, SrtpBackend } from './backend.js';
import { GhashKey, ghashBlock, ghashBytes, ghY } from './ghash.js';
import { HmacSha1 } from './sha1.js';

class JsCtr implements CtrCipher {
  private readonly k: AesKey;
  constructor(key: Uint8Array) {
    this.k = expandAesKey(key);
  }
  xor(iv: Uint8Array, src: Uint8Array, s: number, dst: Uint8Array, d: number, len: number): void {
    aesCtrXor(this.k, rd32(iv, 0), rd32(iv, 4), rd32(iv, 8), rd32(iv, 12), src, s, dst, d, len);
  }
  encryptBlock(inp: Uint8Array, io: number, out: Uint8Array, oo: number): void {
    aesEncryptBlock(this.k, inp, io, out, oo);
  }
  wipe(): void {
    this.k.rk.fill(0);
  }
}

/** The last partial AAD block plus the SRTCP tail word (at most 15 + 4 octets): no allocation per packet. */
const tailBuf = new Uint8Array(20);

class JsGcm implements Aead {
  private readonly k: AesKey;
  private readonly h: GhashKey;
  constructor(key: Uint8Array) {
    this.k = expandAesKey(key);
    aesEncryptWords(this.k, 0, 0, 0, 0);
    this.h = new GhashKey(aesOut[0]!, aesOut[1]!, aesOut[2]!, aesOut[3]!);
  }

  /** GHASH over AAD (+ tail word) and ciphertext, XOR E(K, J0); result in ghY. */
  private tag(
    iv: Uint8Array,
    aad: Uint8Array,
    a: number,
    alen: number,
    tail: number,
    ct: Uint8Array,
    c: number,
    clen: number,
  ): void {
    const h = this.h;
    ghY.fill(0);
    let totalA = alen;
    if (tail >= 0) {
      // AAD = aad || tail word: absorb whole blocks of aad, then the rest together with the 4 tail octets.
      const whole = alen & ~15;
      ghashBytes(h, aad, a, whole);
      const rest = alen - whole;
      const blk = tailBuf;
      for (let i = 0; i < rest; i++) blk[i] = aad[a + whole + i]!;
      blk[rest] = tail >>> 24;
      blk[rest + 1] = tail >>> 16;
      blk[rest + 2] = tail >>> 8;
      blk[rest + 3] = tail;
      ghashBytes(h, blk, 0, rest + 4);
      totalA += 4;
    } else {
      ghashBytes(h, aad, a, alen);
    }
    ghashBytes(h, ct, c, clen);
    const abits = totalA * 8;
    const cbits = clen * 8;
    ghashBlock(h, Math.floor(abits / 0x100000000), abits | 0, Math.floor(cbits / 0x100000000), cbits | 0);
    const y0 = ghY[0]!;
    const y1 = ghY[1]!;
    const y2 = ghY[2]!;
    const y3 = ghY[3]!;
    aesEncryptWords(this.k, rd32(iv, 0), rd32(iv, 4), rd32(iv, 8), 1);
    ghY[0] = y0 ^ aesOut[0]!;
    ghY[1] = y1 ^ aesOut[1]!;
    ghY[2] = y2 ^ aesOut[2]!;
    ghY[3] = y3 ^ aesOut[3]!;
  }

  seal(
    iv: Uint8Array,
    aad: Uint8Array,
    a: number,
    alen: number,
    tail: number,
    src: Uint8Array,
    s: number,
    len: number,
    dst: Uint8Array,
    d: number,
  ): void {
    aesCtrXor(this.k, rd32(iv, 0), rd32(iv, 4), rd32(iv, 8), 2, src, s, dst, d, len);
    this.tag(iv, aad, a, alen, tail, dst, d, len);
    const o = d + len;
    for (let i = 0; i < 16; i++) dst[o + i] = ghY[i >> 2]! >>> (24 - 8 * (i & 3));
  }

  open(
    iv: Uint8Array,
    aad: Uint8Array,
    a: number,
    alen: number,
    tail: number,
    src: Uint8Array,
    s: number,
    len: number,
    dst: Uint8Array,
    d: number,
  ): boolean {
    this.tag(iv, aad, a, alen, tail, src, s, len);
    const o = s + len;
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= (src[o + i]! ^ (ghY[i >> 2]! >>> (24 - 8 * (i & 3)))) & 0xff;
    if (diff !== 0) return false;
    aesCtrXor(this.k, rd32(iv, 0), rd32(iv, 4), rd32(iv, 8), 2, src, s, dst, d, len);
    return true;
  }

  wipe(): void {
    this.k.rk.fill(0);
    this.h.t.fill(0);
  }
}

/**
 * The portable backend: AES (T-tables, key schedule cached), HMAC-SHA1 (inner/outer state cached) and GHASH
 * (per-key 8-bit tables) in plain TypeScript; runs in browsers and workers.
 */
export const jsBackend: SrtpBackend = Object.freeze({
  name: 'js',
  ctr: (key: Uint8Array): CtrCipher => new JsCtr(key),
  hmacSha1: (key: Uint8Array): Mac => new HmacSha1(key),
  gcm: (key: Uint8Array): Aead => new JsGcm(key),
});
