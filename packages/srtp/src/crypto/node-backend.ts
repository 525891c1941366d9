import type { Cipher, Hash } from 'node:crypto';
import { type Aead, aadWithTail, type CtrCipher, type Mac, type SrtpBackend } from './backend.js';

type NodeCrypto = typeof import('node:crypto');

/**
 * node:crypto, reached through `process.getBuiltinModule` so that this package has no static import of a Node
 * built-in and still loads in browsers and workers (where this backend is simply unavailable).
 */
function nodeCrypto(): NodeCrypto | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const m = proc?.getBuiltinModule?.('node:crypto');
  return (m as NodeCrypto | undefined) ?? null;
}

const nc = nodeCrypto();

function aesName(len: number, mode: string): string {
  return `aes-${len * 8}-${mode}`;
}

/**
 * AES-CM on node:crypto without per-packet cipher set-up: one long-lived AES-ECB cipher (no padding, whole
 * blocks, so it keeps no state between calls) encrypts the packet's counter blocks; the keystream is XORed in.
 */
class NodeCtr implements CtrCipher {
  private readonly ecb: Cipher;
  private ctrs = new Uint8Array(256);
  constructor(key: Uint8Array) {
    this.ecb = nc!.createCipheriv(aesName(key.length, 'ecb'), key, null);
    this.ecb.setAutoPadding(false);
  }
  xor(iv: Uint8Array, src: Uint8Array, s: number, dst: Uint8Array, d: number, len: number): void {
    const n = (len + 15) >>> 4;
    if (n === 0) return;
    if (this.ctrs.length < n * 16) this.ctrs = new Uint8Array(n * 16);
    const c = this.ctrs;
    const hi = (iv[12]! << 24) | (iv[13]! << 16) | (iv[14]! << 8) | iv[15]!;
    for (let j = 0; j < n; j++) {
      const o = j * 16;
      c.set(iv.subarray(0, 12), o);
      const w = (hi + j) | 0;
      c[o + 12] = w >>> 24;
      c[o + 13] = w >>> 16;
      c[o + 14] = w >>> 8;
      c[o + 15] = w;
    }
    const ks = this.ecb.update(c.subarray(0, n * 16));
    for (let i = 0; i < len; i++) dst[d + i] = src[s + i]! ^ ks[i]!;
  }
  encryptBlock(inp: Uint8Array, io: number, out: Uint8Array, oo: number): void {
    out.set(this.ecb.update(inp.subarray(io, io + 16)), oo);
  }
}

/** HMAC-SHA1 from two keyed SHA-1 states (ipad and opad blocks absorbed once) that are copied per packet. */
class NodeHmac implements Mac {
  private readonly inner: Hash;
  private readonly outer: Hash;
  private readonly roc = new Uint8Array(4);
  constructor(key: Uint8Array) {
    const k = key.length > 64 ? nc!.createHash('sha1').update(key).digest() : key;
    const ipad = new Uint8Array(64);
    const opad = new Uint8Array(64);
    for (let i = 0; i < 64; i++) {
      const b = k[i] ?? 0;
      ipad[i] = b ^ 0x36;
      opad[i] = b ^ 0x5c;
    }
    this.inner = nc!.createHash('sha1').update(ipad);
    this.outer = nc!.createHash('sha1').update(opad);
  }
  sign(data: Uint8Array, start: number, end: number, roc: number, out: Uint8Array, oo: number, tagLen: number): void {
    const h = this.inner.copy();
    h.update(data.subarray(start, end));
    if (roc >= 0) {
      const r = this.roc;
      r[0] = roc >>> 24;
      r[1] = roc >>> 16;
      r[2] = roc >>> 8;
      r[3] = roc;
      h.update(r);
    }
    const mac = this.outer.copy().update(h.digest()).digest();
    for (let i = 0; i < tagLen; i++) out[oo + i] = mac[i]!;
  }
}

/** AES-GCM on node:crypto: the GCM IV changes per packet, so a cipher object per packet is unavoidable here. */
class NodeGcm implements Aead {
  private readonly alg: string;
  constructor(private readonly key: Uint8Array) {
    this.alg = aesName(key.length, 'gcm');
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
    const c = nc!.createCipheriv(this.alg as 'aes-128-gcm', this.key, iv.subarray(0, 12), { authTagLength: 16 });
    c.setAAD(aadWithTail(aad, a, alen, tail));
    const ct = c.update(src.subarray(s, s + len));
    c.final();
    dst.set(ct, d);
    dst.set(c.getAuthTag(), d + len);
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
    const c = nc!.createDecipheriv(this.alg as 'aes-128-gcm', this.key, iv.subarray(0, 12), { authTagLength: 16 });
    c.setAAD(aadWithTail(aad, a, alen, tail));
    c.setAuthTag(src.subarray(s + len, s + len + 16));
    const pt = c.update(src.subarray(s, s + len));
    try {
      c.final();
    } catch {
      return false;
    }
    dst.set(pt, d);
    return true;
  }
}

/** Whether node:crypto is reachable here. */
export const nodeBackendAvailable = nc !== null;

/** The node:crypto backend (OpenSSL underneath: AES-NI, SHA extensions where the CPU has them). */
export const nodeBackend: SrtpBackend = Object.freeze({
  name: 'node',
  ctr: (key: Uint8Array): CtrCipher => new NodeCtr(key),
  hmacSha1: (key: Uint8Array): Mac => new NodeHmac(key),
  gcm: (key: Uint8Array): Aead => new NodeGcm(key),
});
