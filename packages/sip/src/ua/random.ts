/**
 * Random bytes for tags, branches and Call-IDs drawn from a pool refilled 4 KiB at a time: one
 * `getRandomValues` call per ~400 identifiers instead of one each (it is a system call on some hosts).
 */
const POOL = 4096;
let pool = new Uint8Array(0);
let at = POOL;

/** Returns `n` (≤ 256) fresh random bytes. */
export function pooledRandom(n: number): Uint8Array {
  if (n > 256) {
    const b = new Uint8Array(n);
    globalThis.crypto.getRandomValues(b);
    return b;
  }
  if (at + n > pool.length) {
    pool = new Uint8Array(POOL);
    globalThis.crypto.getRandomValues(pool);
    at = 0;
  }
  const out = pool.slice(at, at + n);
  at += n;
  return out;
}
