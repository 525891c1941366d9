/**
 * GHASH (NIST SP 800-38D §6.4) with 8-bit tables per byte position: X·H = XOR over the 16 octets of X of
 * T[i][X_i]. 16×256 entries of 128 bits (64 KiB) are built once per key, then one block costs 16 lookups.
 */

/** Per-key GHASH multiplication tables (4 words per entry). */
export class GhashKey {
  readonly t: Int32Array;

  constructor(h0: number, h1: number, h2: number, h3: number) {
    const t = new Int32Array(16 * 256 * 4);
    // V_k = H·x^k in GCM's reflected bit order: V_{k+1} = V_k >> 1, XOR R = 0xE1 || 0^120 on carry.
    let v0 = h0;
    let v1 = h1;
    let v2 = h2;
    let v3 = h3;
    for (let k = 0; k < 128; k++) {
      const pos = k >> 3;
      const bit = 0x80 >>> (k & 7);
      const e = (pos * 256 + bit) * 4;
      t[e] = v0;
      t[e + 1] = v1;
      t[e + 2] = v2;
      t[e + 3] = v3;
      const carry = v3 & 1;
      v3 = (v3 >>> 1) | (v2 << 31);
      v2 = (v2 >>> 1) | (v1 << 31);
      v1 = (v1 >>> 1) | (v0 << 31);
      v0 = (v0 >>> 1) ^ (carry ? 0xe1000000 | 0 : 0);
    }
    for (let pos = 0; pos < 16; pos++) {
      const base = pos * 256 * 4;
      for (let b = 2; b < 256; b++) {
        const low = b & -b;
        if (low === b) continue;
        const a = base + (b ^ low) * 4;
        const c = base + low * 4;
        const o = base + b * 4;
        t[o] = t[a]! ^ t[c]!;
        t[o + 1] = t[a + 1]! ^ t[c + 1]!;
        t[o + 2] = t[a + 2]! ^ t[c + 2]!;
        t[o + 3] = t[a + 3]! ^ t[c + 3]!;
      }
    }
    this.t = t;
  }
}

/** Running GHASH state Y (4 big-endian words). */
export const ghY = new Int32Array(4);

/** Y = (Y XOR block)·H for the block of four big-endian words. */
export function ghashBlock(key: GhashKey, x0: number, x1: number, x2: number, x3: number): void {
  const t = key.t;
  const y = ghY;
  const a = y[0]! ^ x0;
  const b = y[1]! ^ x1;
  const c = y[2]! ^ x2;
  const d = y[3]! ^ x3;
  let z0 = 0;
  let z1 = 0;
  let z2 = 0;
  let z3 = 0;
  let e = ((a >>> 24) & 0xff) << 2;
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = (1024 + (((a >>> 16) & 0xff) << 2)) | 0;
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 2048 + (((a >>> 8) & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 3072 + ((a & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 4096 + (((b >>> 24) & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 5120 + (((b >>> 16) & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 6144 + (((b >>> 8) & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 7168 + ((b & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 8192 + (((c >>> 24) & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 9216 + (((c >>> 16) & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 10240 + (((c >>> 8) & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 11264 + ((c & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 12288 + (((d >>> 24) & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 13312 + (((d >>> 16) & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 14336 + (((d >>> 8) & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  e = 15360 + ((d & 0xff) << 2);
  z0 ^= t[e]!;
  z1 ^= t[e + 1]!;
  z2 ^= t[e + 2]!;
  z3 ^= t[e + 3]!;
  y[0] = z0;
  y[1] = z1;
  y[2] = z2;
  y[3] = z3;
}

/** Absorbs data[s..s+len) zero-padded to whole blocks (SP 800-38D §7.1 step 5), state kept in locals. */
export function ghashBytes(key: GhashKey, data: Uint8Array, s: number, len: number): void {
  const t = key.t;
  const end = s + len;
  let y0 = ghY[0]!;
  let y1 = ghY[1]!;
  let y2 = ghY[2]!;
  let y3 = ghY[3]!;
  let o = s;
  const p = pad16;
  while (o < end) {
    let b: Uint8Array = data;
    let i = o;
    if (end - o < 16) {
      p.fill(0);
      for (let k = 0; o + k < end; k++) p[k] = data[o + k]!;
      b = p;
      i = 0;
    }
    const a0 = y0 ^ ((b[i + 0]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);
    const a1 = y1 ^ ((b[i + 4]! << 24) | (b[i + 5]! << 16) | (b[i + 6]! << 8) | b[i + 7]!);
    const a2 = y2 ^ ((b[i + 8]! << 24) | (b[i + 9]! << 16) | (b[i + 10]! << 8) | b[i + 11]!);
    const a3 = y3 ^ ((b[i + 12]! << 24) | (b[i + 13]! << 16) | (b[i + 14]! << 8) | b[i + 15]!);
    let e = 0;
    e = (a0 >>> 24) << 2;
    let z0 = t[e]!;
    let z1 = t[e + 1]!;
    let z2 = t[e + 2]!;
    let z3 = t[e + 3]!;
    e = 1024 + (((a0 >>> 16) & 0xff) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 2048 + (((a0 >>> 8) & 0xff) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 3072 + ((a0 & 0xff) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 4096 + ((a1 >>> 24) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 5120 + (((a1 >>> 16) & 0xff) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 6144 + (((a1 >>> 8) & 0xff) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 7168 + ((a1 & 0xff) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 8192 + ((a2 >>> 24) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 9216 + (((a2 >>> 16) & 0xff) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 10240 + (((a2 >>> 8) & 0xff) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 11264 + ((a2 & 0xff) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 12288 + ((a3 >>> 24) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 13312 + (((a3 >>> 16) & 0xff) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 14336 + (((a3 >>> 8) & 0xff) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    e = 15360 + ((a3 & 0xff) << 2);
    z0 ^= t[e]!;
    z1 ^= t[e + 1]!;
    z2 ^= t[e + 2]!;
    z3 ^= t[e + 3]!;
    y0 = z0;
    y1 = z1;
    y2 = z2;
    y3 = z3;
    o += 16;
  }
  ghY[0] = y0;
  ghY[1] = y1;
  ghY[2] = y2;
  ghY[3] = y3;
}

const pad16 = new Uint8Array(16);
