import type { CtrCipher } from './crypto/backend.js';

/**
 * The per-packet transforms' inputs: counter blocks and IVs (AES-CM RFC 3711 §4.1.1, AES-GCM RFC 7714 §8.1/§9.1,
 * AES-f8 RFC 3711 §4.1.2) written into a caller's 16-octet scratch, and the f8 keystream itself.
 */

/** AES-CM IV (RFC 3711 §4.1.1): k_s·2^16 XOR SSRC·2^64 XOR i·2^16, i = hi·2^16 + lo. */
export function cmIv(iv: Uint8Array, salt: Uint8Array, ssrc: number, hi: number, lo: number): Uint8Array {
  iv[0] = salt[0]!;
  iv[1] = salt[1]!;
  iv[2] = salt[2]!;
  iv[3] = salt[3]!;
  iv[4] = salt[4]! ^ (ssrc >>> 24);
  iv[5] = salt[5]! ^ ((ssrc >>> 16) & 0xff);
  iv[6] = salt[6]! ^ ((ssrc >>> 8) & 0xff);
  iv[7] = salt[7]! ^ (ssrc & 0xff);
  iv[8] = salt[8]! ^ (hi >>> 24);
  iv[9] = salt[9]! ^ ((hi >>> 16) & 0xff);
  iv[10] = salt[10]! ^ ((hi >>> 8) & 0xff);
  iv[11] = salt[11]! ^ (hi & 0xff);
  iv[12] = salt[12]! ^ (lo >>> 8);
  iv[13] = salt[13]! ^ (lo & 0xff);
  iv[14] = 0;
  iv[15] = 0;
  return iv;
}

/** GCM IV (RFC 7714 §8.1 / §9.1): (0x0000 || SSRC || a || b) XOR salt, a/b = ROC/SEQ or 0/index. */
export function gcmIv(iv: Uint8Array, salt: Uint8Array, ssrc: number, a: number, b: number, bLen: 2 | 4): Uint8Array {
  iv[0] = salt[0]!;
  iv[1] = salt[1]!;
  iv[2] = salt[2]! ^ (ssrc >>> 24);
  iv[3] = salt[3]! ^ ((ssrc >>> 16) & 0xff);
  iv[4] = salt[4]! ^ ((ssrc >>> 8) & 0xff);
  iv[5] = salt[5]! ^ (ssrc & 0xff);
  if (bLen === 2) {
    iv[6] = salt[6]! ^ (a >>> 24);
    iv[7] = salt[7]! ^ ((a >>> 16) & 0xff);
    iv[8] = salt[8]! ^ ((a >>> 8) & 0xff);
    iv[9] = salt[9]! ^ (a & 0xff);
    iv[10] = salt[10]! ^ (b >>> 8);
    iv[11] = salt[11]! ^ (b & 0xff);
  } else {
    iv[6] = salt[6]!;
    iv[7] = salt[7]!;
    iv[8] = salt[8]! ^ (b >>> 24);
    iv[9] = salt[9]! ^ ((b >>> 16) & 0xff);
    iv[10] = salt[10]! ^ ((b >>> 8) & 0xff);
    iv[11] = salt[11]! ^ (b & 0xff);
  }
  return iv;
}

/** AES-f8 (RFC 3711 §4.1.2): IV' = E(k_e XOR m, IV); S(j) = E(k_e, IV' XOR j XOR S(j-1)). */
export function aesF8(
  ctr: CtrCipher,
  masked: CtrCipher,
  iv: Uint8Array,
  src: Uint8Array,
  s: number,
  dst: Uint8Array,
  d: number,
  len: number,
): void {
  const ivp = new Uint8Array(16);
  masked.encryptBlock(iv, 0, ivp, 0);
  const sj = new Uint8Array(16);
  const blk = new Uint8Array(16);
  for (let j = 0, off = 0; off < len; j++, off += 16) {
    for (let i = 0; i < 16; i++) blk[i] = ivp[i]! ^ sj[i]!;
    blk[12] = blk[12]! ^ ((j >>> 24) & 0xff);
    blk[13] = blk[13]! ^ ((j >>> 16) & 0xff);
    blk[14] = blk[14]! ^ ((j >>> 8) & 0xff);
    blk[15] = blk[15]! ^ (j & 0xff);
    ctr.encryptBlock(blk, 0, sj, 0);
    const n = Math.min(16, len - off);
    for (let i = 0; i < n; i++) dst[d + off + i] = src[s + off + i]! ^ sj[i]!;
  }
}

/** f8 SRTP IV (RFC 3711 §4.1.2.2): 0x00 || M||PT || SEQ || TS || SSRC || ROC. */
export function f8RtpIv(iv: Uint8Array, rtp: Uint8Array, roc: number): Uint8Array {
  iv.set(rtp.subarray(0, 12));
  iv[0] = 0;
  iv[12] = roc >>> 24;
  iv[13] = (roc >>> 16) & 0xff;
  iv[14] = (roc >>> 8) & 0xff;
  iv[15] = roc & 0xff;
  return iv;
}

/** f8 SRTCP IV (RFC 3711 §4.1.2.3): 0..0 (32 bits) || E || SRTCP index || V..PT || length || SSRC. */
export function f8RtcpIv(iv: Uint8Array, rtcp: Uint8Array, word: number): Uint8Array {
  iv.fill(0, 0, 4);
  iv[4] = word >>> 24;
  iv[5] = (word >>> 16) & 0xff;
  iv[6] = (word >>> 8) & 0xff;
  iv[7] = word & 0xff;
  iv.set(rtcp.subarray(0, 8), 8);
  return iv;
}
