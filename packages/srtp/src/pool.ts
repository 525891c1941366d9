/**
 * Output allocation for `protect`/`unprotect`: views carved from a shared 16 KiB ArrayBuffer, like Node's Buffer
 * pool. A fresh typed array over 64 octets costs a backing-store allocation (≈0.5 µs, a fifth of an SRTP packet's
 * cost); a view into the slab costs a small object. Consequence: `packet.buffer` may hold other packets — use
 * `packet.slice()` to own a standalone copy (e.g. before transferring the buffer to a worker).
 */
const SLAB = 16384;
/** Two pools, so protected (ciphertext) and unprotected (plaintext) packets never share an ArrayBuffer. */
const slabs = [new ArrayBuffer(SLAB), new ArrayBuffer(SLAB)];
const used = [0, 0];

/** An 8-octet-aligned view of `n` octets from pool 0 (protect) or 1 (unprotect); large requests get their own buffer. */
export function allocPacket(n: number, pool: 0 | 1): Uint8Array {
  if (n > SLAB >>> 2) return new Uint8Array(n);
  let slab = slabs[pool]!;
  let at = used[pool]!;
  // a slab transferred away (postMessage) is detached: start a new one
  if (at + n > SLAB || slab.byteLength === 0) {
    slab = new ArrayBuffer(SLAB);
    slabs[pool] = slab;
    at = 0;
  }
  used[pool] = (at + n + 7) & ~7;
  return new Uint8Array(slab, at, n);
}
