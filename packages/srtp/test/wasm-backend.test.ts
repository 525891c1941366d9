import { jsBackend, SrtpSession, wasmBackend, wasmBackendAvailable } from '@mdh/srtp';
import { describe, expect, it } from 'vitest';
import { wasmMemoryBytes } from '../src/crypto/wasm-backend.js';

/** Deterministic xorshift32 octets. */
function rng(seed: number): (n: number) => Uint8Array {
  let x = seed | 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}

describe('wasm backend', () => {
  it('is available on this Node (WebAssembly SIMD) and is what auto picks', () => {
    expect(wasmBackendAvailable).toBe(true);
    const s = new SrtpSession({
      profile: 'SRTP_AEAD_AES_128_GCM',
      key: new Uint8Array(16),
      salt: new Uint8Array(12),
    });
    expect(s.backend).toBe('wasm');
  });

  it('AES-GCM equals the TypeScript backend for every length, AAD length and SRTCP tail word', () => {
    const r = rng(7);
    for (const klen of [16, 32]) {
      const key = r(klen);
      const w = wasmBackend.gcm(key);
      const j = jsBackend.gcm(key);
      for (let len = 0; len <= 200; len += 1 + (len >> 4)) {
        for (const alen of [0, 1, 12, 15, 16, 17, 40]) {
          for (const tail of [-1, 0x80000001 | 0, 0x12345678]) {
            const iv = r(12);
            const aad = r(alen + 3);
            const pt = r(len + 5);
            const a = new Uint8Array(len + 16 + 2);
            const b = new Uint8Array(len + 16 + 2);
            w.seal(iv, aad, 3, alen, tail, pt, 5, len, a, 2);
            j.seal(iv, aad, 3, alen, tail, pt, 5, len, b, 2);
            expect(a).toEqual(b);
            const back = new Uint8Array(len);
            expect(w.open(iv, aad, 3, alen, tail, a, 2, len, back, 0)).toBe(true);
            expect(back).toEqual(pt.subarray(5, 5 + len));
            // one flipped bit anywhere (AAD, ciphertext or tag) is rejected, and nothing is written
            const bad = a.slice();
            const at = 2 + ((len * 7 + alen) % (len + 16));
            bad[at] = bad[at]! ^ 0x01;
            const untouched = new Uint8Array(len).fill(0xee);
            expect(w.open(iv, aad, 3, alen, tail, bad, 2, len, untouched, 0)).toBe(false);
            expect(untouched.every((v) => v === 0xee)).toBe(true);
            if (alen > 0) {
              const aad2 = aad.slice();
              aad2[3] = aad2[3]! ^ 0x80;
              expect(w.open(iv, aad2, 3, alen, tail, a, 2, len, back, 0)).toBe(false);
            }
          }
        }
      }
      w.wipe?.();
    }
  });

  it('AES-CM and the raw block equal the TypeScript backend, in place too', () => {
    const r = rng(9);
    for (const klen of [16, 24, 32]) {
      const key = r(klen);
      const w = wasmBackend.ctr(key);
      const j = jsBackend.ctr(key);
      for (let len = 0; len <= 300; len += 7) {
        const iv = r(16);
        iv[14] = 0;
        iv[15] = 0;
        const src = r(len + 1);
        const a = new Uint8Array(len + 1);
        const b = new Uint8Array(len + 1);
        w.xor(iv, src, 1, a, 1, len);
        j.xor(iv, src, 1, b, 1, len);
        expect(a).toEqual(b);
        const inPlace = src.slice();
        w.xor(iv, inPlace, 1, inPlace, 1, len);
        expect(inPlace.subarray(1)).toEqual(a.subarray(1));
      }
      const blk = r(16);
      const a = new Uint8Array(16);
      const b = new Uint8Array(16);
      w.encryptBlock(blk, 0, a, 0);
      j.encryptBlock(blk, 0, b, 0);
      expect(a).toEqual(b);
    }
  });

  it('HMAC-SHA1 equals the TypeScript backend for every length, key length, ROC and tag length', () => {
    const r = rng(17);
    for (const klen of [0, 16, 20, 64, 65, 100]) {
      const key = r(klen);
      const w = wasmBackend.hmacSha1(key);
      const j = jsBackend.hmacSha1(key);
      for (let len = 0; len <= 260; len += 1 + (len % 5)) {
        const data = r(len + 3);
        for (const roc of [-1, 0, 0x7fffffff, 0xdeadbeef | 0]) {
          const a = new Uint8Array(21);
          const b = new Uint8Array(21);
          w.sign(data, 3, 3 + len, roc, a, 1, 20);
          j.sign(data, 3, 3 + len, roc, b, 1, 20);
          expect(a).toEqual(b);
        }
      }
      const a = new Uint8Array(4);
      w.sign(r(5), 0, 5, 7, a, 0, 4);
      w.wipe?.();
    }
    // RFC 2202 test case 2: key "Jefe", data "what do ya want for nothing?"
    const enc = new TextEncoder();
    const m = wasmBackend.hmacSha1(enc.encode('Jefe'));
    const out = new Uint8Array(20);
    const d = enc.encode('what do ya want for nothing?');
    m.sign(d, 0, d.length, -1, out, 0, 20);
    expect(Buffer.from(out).toString('hex')).toBe('effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
  });

  it('packets larger than the module I/O area take the TypeScript path with the same result', () => {
    const r = rng(11);
    const key = r(16);
    const len = 70_000;
    const iv = r(12);
    const aad = r(12);
    const pt = r(len);
    const a = new Uint8Array(len + 16);
    const b = new Uint8Array(len + 16);
    wasmBackend.gcm(key).seal(iv, aad, 0, 12, -1, pt, 0, len, a, 0);
    jsBackend.gcm(key).seal(iv, aad, 0, 12, -1, pt, 0, len, b, 0);
    expect(a).toEqual(b);
    const back = new Uint8Array(len);
    expect(wasmBackend.gcm(key).open(iv, aad, 0, 12, -1, a, 0, len, back, 0)).toBe(true);
    expect(back).toEqual(pt);
    const civ = r(16);
    const c1 = new Uint8Array(len);
    const c2 = new Uint8Array(len);
    wasmBackend.ctr(key).xor(civ, pt, 0, c1, 0, len);
    jsBackend.ctr(key).xor(civ, pt, 0, c2, 0, len);
    expect(c1).toEqual(c2);
    const m1 = new Uint8Array(10);
    const m2 = new Uint8Array(10);
    wasmBackend.hmacSha1(key).sign(pt, 0, len, 5, m1, 0, 10);
    jsBackend.hmacSha1(key).sign(pt, 0, len, 5, m2, 0, 10);
    expect(m1).toEqual(m2);
  });

  it('wiped keys give their slot back (many keys in turn do not grow the module) and refuse further use', () => {
    const r = rng(13);
    const keys = Array.from({ length: 40 }, () => wasmBackend.gcm(r(16)));
    for (const k of keys) k.wipe?.();
    const size = wasmMemoryBytes();
    const again = Array.from({ length: 40 }, () => wasmBackend.gcm(r(16)));
    for (let i = 0; i < 300; i++) wasmBackend.ctr(r(16)).wipe?.();
    expect(wasmMemoryBytes()).toBe(size);
    const iv = r(12);
    const out = new Uint8Array(32);
    again[0]!.seal(iv, out, 0, 0, -1, out, 0, 16, out, 0);
    for (const k of again) k.wipe?.();
    expect(() => keys[0]!.seal(iv, out, 0, 0, -1, out, 0, 16, out, 0)).toThrow(/wiped/);
    const c = wasmBackend.ctr(r(16));
    c.wipe?.();
    expect(() => c.xor(r(16), out, 0, out, 0, 16)).toThrow(/wiped/);
  });
});
