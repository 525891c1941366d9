import { aesCtrXor, expandAesKey, rd32 } from './crypto/aes.js';
import { SrtpConfigError } from './errors.js';
import type { SrtpProfile } from './profiles.js';

/** Key derivation labels (RFC 3711 §4.3.1, §4.3.2). */
export const SrtpLabel = Object.freeze({
  rtpEncryption: 0,
  rtpAuthentication: 1,
  rtpSalt: 2,
  rtcpEncryption: 3,
  rtcpAuthentication: 4,
  rtcpSalt: 5,
});

/** Session keys of one direction for SRTP or SRTCP. */
export interface SrtpSessionKeys {
  /** Session encryption key k_e (cipher key length; unused by NULL). */
  readonly cipherKey: Uint8Array;
  /** Session salt k_s (14 octets, 12 for AEAD). */
  readonly salt: Uint8Array;
  /** Session authentication key k_a (20 octets for HMAC-SHA1; empty for AEAD). */
  readonly authKey: Uint8Array;
}

/**
 * The AES-CM PRF of RFC 3711 §4.3.3 (and RFC 6188 §3 for AES-192/256): x = master_salt XOR
 * (label || index DIV kdr) right-aligned in 14 octets; output = AES-CM keystream under the master key with
 * IV = x·2^16, truncated to `length`. Key derivation rate 0 only (r = 0). A 12-octet AEAD master salt is
 * right-padded with two zero octets to 14 (RFC 7714 §11).
 */
export function srtpPrf(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, length: number): Uint8Array {
  const x = new Uint8Array(16);
  x.set(masterSalt.subarray(0, 14));
  x[7] = x[7]! ^ label;
  const out = new Uint8Array(length);
  const k = expandAesKey(masterKey);
  aesCtrXor(k, rd32(x, 0), rd32(x, 4), rd32(x, 8), rd32(x, 12), out, 0, out, 0, length);
  return out;
}

/** Derives the SRTP (labels 0-2) and SRTCP (labels 3-5) session keys of a profile (RFC 3711 §4.3). */
export function deriveSrtpSessionKeys(
  profile: SrtpProfile,
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
  keyDerivationRate = 0,
): { srtp: SrtpSessionKeys; srtcp: SrtpSessionKeys } {
  if (keyDerivationRate !== 0) {
    throw new SrtpConfigError(
      `key derivation rate ${keyDerivationRate} is not supported: only 0 (keys derived once per master key, ` +
        'RFC 3711 §4.3.1; required by DTLS-SRTP, RFC 5764 §4.1.2)',
    );
  }
  if (!(masterKey instanceof Uint8Array) || masterKey.length !== profile.masterKeyLength) {
    throw new SrtpConfigError(
      `${profile.name} needs a ${profile.masterKeyLength}-octet master key, got ${describe(masterKey)}`,
    );
  }
  if (!(masterSalt instanceof Uint8Array) || masterSalt.length !== profile.masterSaltLength) {
    throw new SrtpConfigError(
      `${profile.name} needs a ${profile.masterSaltLength}-octet master salt, got ${describe(masterSalt)}`,
    );
  }
  const kl = profile.cipherKeyLength;
  const sl = profile.sessionSaltLength;
  const al = profile.authKeyLength;
  const one = (enc: number, auth: number, salt: number): SrtpSessionKeys => ({
    cipherKey: srtpPrf(masterKey, masterSalt, enc, kl),
    authKey: al > 0 ? srtpPrf(masterKey, masterSalt, auth, al) : new Uint8Array(0),
    salt: srtpPrf(masterKey, masterSalt, salt, sl),
  });
  return { srtp: one(0, 1, 2), srtcp: one(3, 4, 5) };
}

function describe(v: unknown): string {
  return v instanceof Uint8Array ? `${v.length} octets` : typeof v;
}
