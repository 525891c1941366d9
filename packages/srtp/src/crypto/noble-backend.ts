import { gcm, unsafe } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { type Aead, aadWithTail, type CtrCipher, type Mac, type SrtpBackend } from './backend.js';

/**
 * AES-CM on @noble/ciphers: the key is expanded once (`unsafe.expandKeyLE`), and noble's 128-bit-counter CTR
 * (`unsafe.ctrCounter`) runs per packet. Inputs are copied to aligned scratch first (noble views them as words).
 */
class NobleCtr implements CtrCipher {
  private readonly xk: Uint32Array;
  private readonly nonce = new Uint8Array(16);
  constructor(key: Uint8Array) {
    this.xk = unsafe.expandKeyLE(key);
  }
  xor(iv: Uint8Array, src: Uint8Array, s: number, dst: Uint8Array, d: number, len: number): void {
    if (len === 0) return;
    this.nonce.set(iv.subarray(0, 16));
    dst.set(unsafe.ctrCounter(this.xk, this.nonce, src.slice(s, s + len)), d);
  }
  encryptBlock(inp: Uint8Array, io: number, out: Uint8Array, oo: number): void {
    out.set(unsafe.encryptBlock(this.xk, inp.slice(io, io + 16)), oo);
  }
  wipe(): void {
    this.xk.fill(0);
  }
}

/** HMAC-SHA1 on @noble/hashes: the keyed HMAC (inner and outer states) is built once and cloned per packet. */
class NobleMac implements Mac {
  private readonly base: ReturnType<typeof hmac.create>;
  private readonly roc = new Uint8Array(4);
  constructor(key: Uint8Array) {
    this.base = hmac.create(sha1, key);
  }
  sign(data: Uint8Array, start: number, end: number, roc: number, out: Uint8Array, oo: number, tagLen: number): void {
    const h = this.base.clone();
    h.update(data.subarray(start, end));
    if (roc >= 0) {
      const r = this.roc;
      r[0] = roc >>> 24;
      r[1] = (roc >>> 16) & 0xff;
      r[2] = (roc >>> 8) & 0xff;
      r[3] = roc & 0xff;
      h.update(r);
    }
    out.set(h.digest().subarray(0, tagLen), oo);
  }
  wipe(): void {
    this.base.destroy();
  }
}

/** AES-GCM on @noble/ciphers: noble's GCM takes the nonce at construction, so one instance per packet. */
class NobleGcm implements Aead {
  private readonly key: Uint8Array;
  constructor(key: Uint8Array) {
    this.key = key.slice();
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
    const c = gcm(this.key, iv.slice(0, 12), aadWithTail(aad, a, alen, tail));
    dst.set(c.encrypt(src.slice(s, s + len)), d);
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
    const c = gcm(this.key, iv.slice(0, 12), aadWithTail(aad, a, alen, tail));
    let pt: Uint8Array;
    try {
      pt = c.decrypt(src.slice(s, s + len + 16));
    } catch {
      return false;
    }
    dst.set(pt, d);
    return true;
  }
  wipe(): void {
    this.key.fill(0);
  }
}

/**
 * A backend built on the audited @noble/ciphers and @noble/hashes primitives (portable to browsers and workers).
 * Byte-identical to the others; slower than `jsBackend`, whose own loops avoid noble's per-call checks, copies and
 * (for GCM) per-packet key expansion and GHASH tables.
 */
export const nobleBackend: SrtpBackend = Object.freeze({
  name: 'noble',
  ctr: (key: Uint8Array): CtrCipher => new NobleCtr(key),
  hmacSha1: (key: Uint8Array): Mac => new NobleMac(key),
  gcm: (key: Uint8Array): Aead => new NobleGcm(key),
});
