import { createHash, createHmac } from 'node:crypto';

/** Hash used by the PRF and the handshake transcript. */
export type PrfHash = 'sha256' | 'sha384';

const enc = new TextEncoder();

/**
 * TLS 1.2 PRF (RFC 5246 §5): `P_hash(secret, label || seed)` truncated to `length` octets.
 * `P_hash = HMAC(secret, A(1) || seed) || HMAC(secret, A(2) || seed) || …`, `A(0) = seed`, `A(i) = HMAC(secret, A(i-1))`.
 */
export function prf(hash: PrfHash, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  const lab = enc.encode(label);
  const s = new Uint8Array(lab.length + seed.length);
  s.set(lab, 0);
  s.set(seed, lab.length);
  const out = new Uint8Array(length);
  let a: Uint8Array = s;
  let off = 0;
  while (off < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(s).digest();
    const n = Math.min(block.length, length - off);
    out.set(block.subarray(0, n), off);
    off += n;
  }
  return out;
}

/** Digest of the concatenated parts. */
export function digest(hash: PrfHash, parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(hash);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** Concatenates two byte strings. */
function cat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a, 0);
  o.set(b, a.length);
  return o;
}

/** master_secret = PRF(pre_master_secret, "master secret", client_random || server_random)[48] (RFC 5246 §8.1). */
export function masterSecret(
  hash: PrfHash,
  pms: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Uint8Array {
  return prf(hash, pms, 'master secret', cat(clientRandom, serverRandom), 48);
}

/** master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[48] (RFC 7627 §4). */
export function extendedMasterSecret(hash: PrfHash, pms: Uint8Array, sessionHash: Uint8Array): Uint8Array {
  return prf(hash, pms, 'extended master secret', sessionHash, 48);
}

/** AEAD record keys (RFC 5246 §6.3 with mac_key_length 0, RFC 5288 §3 fixed_iv_length 4). */
export interface KeyBlock {
  clientWriteKey: Uint8Array;
  serverWriteKey: Uint8Array;
  clientWriteIv: Uint8Array;
  serverWriteIv: Uint8Array;
}

/** key_block = PRF(master_secret, "key expansion", server_random || client_random) (RFC 5246 §6.3). */
export function keyBlock(
  hash: PrfHash,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  keyLength: number,
  ivLength = 4,
): KeyBlock {
  const kb = prf(hash, master, 'key expansion', cat(serverRandom, clientRandom), 2 * keyLength + 2 * ivLength);
  return {
    clientWriteKey: kb.slice(0, keyLength),
    serverWriteKey: kb.slice(keyLength, 2 * keyLength),
    clientWriteIv: kb.slice(2 * keyLength, 2 * keyLength + ivLength),
    serverWriteIv: kb.slice(2 * keyLength + ivLength, 2 * keyLength + 2 * ivLength),
  };
}

/**
 * RFC 5705 §4 exporter: `PRF(master_secret, label, client_random || server_random [|| u16 len || context])[length]`.
 * With `context === undefined` no context is mixed in (as EXTRACTOR-dtls_srtp requires, RFC 5764 §4.2).
 */
export function exportKeyingMaterial(
  hash: PrfHash,
  master: Uint8Array,
  label: string,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  length: number,
  context?: Uint8Array,
): Uint8Array {
  let seed = cat(clientRandom, serverRandom);
  if (context !== undefined) {
    const c = new Uint8Array(2 + context.length);
    c[0] = context.length >> 8;
    c[1] = context.length & 0xff;
    c.set(context, 2);
    seed = cat(seed, c);
  }
  return prf(hash, master, label, seed, length);
}

/** verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[12] (RFC 5246 §7.4.9). */
export function finishedVerifyData(
  hash: PrfHash,
  master: Uint8Array,
  client: boolean,
  transcriptHash: Uint8Array,
): Uint8Array {
  return prf(hash, master, client ? 'client finished' : 'server finished', transcriptHash, 12);
}
