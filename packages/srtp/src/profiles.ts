import { SrtpConfigError } from './errors.js';

/** Canonical profile names: the IANA DTLS-SRTP names (RFC 5764 §4.1.2, RFC 7714 §14.2) and the RFC 6188 ones. */
export type SrtpProfileName =
  | 'SRTP_AES128_CM_HMAC_SHA1_80'
  | 'SRTP_AES128_CM_HMAC_SHA1_32'
  | 'SRTP_AES192_CM_HMAC_SHA1_80'
  | 'SRTP_AES192_CM_HMAC_SHA1_32'
  | 'SRTP_AES256_CM_HMAC_SHA1_80'
  | 'SRTP_AES256_CM_HMAC_SHA1_32'
  | 'SRTP_NULL_HMAC_SHA1_80'
  | 'SRTP_NULL_HMAC_SHA1_32'
  | 'SRTP_AEAD_AES_128_GCM'
  | 'SRTP_AEAD_AES_256_GCM'
  | 'SRTP_AES128_F8_HMAC_SHA1_80';

/** SDES crypto-suite names (RFC 4568 §6.2, RFC 6188 §4, RFC 7714 §14.1) plus libsrtp's NULL suites. */
export type SdesSuiteName =
  | 'AES_CM_128_HMAC_SHA1_80'
  | 'AES_CM_128_HMAC_SHA1_32'
  | 'AES_192_CM_HMAC_SHA1_80'
  | 'AES_192_CM_HMAC_SHA1_32'
  | 'AES_256_CM_HMAC_SHA1_80'
  | 'AES_256_CM_HMAC_SHA1_32'
  | 'NULL_HMAC_SHA1_80'
  | 'NULL_HMAC_SHA1_32'
  | 'AEAD_AES_128_GCM'
  | 'AEAD_AES_256_GCM'
  | 'F8_128_HMAC_SHA1_80';

/** The cipher transform of a profile. */
export type SrtpCipher = 'AES_CM' | 'AES_GCM' | 'AES_F8' | 'NULL';

/** Everything a profile fixes: master key/salt lengths, session key lengths, tags, ids. */
export interface SrtpProfile {
  /** Canonical (DTLS-SRTP style) name. */
  readonly name: SrtpProfileName;
  /** SDES `a=crypto` suite name (RFC 4568). */
  readonly sdesName: SdesSuiteName;
  /**
   * DTLS-SRTP protection profile id (RFC 5764 §4.1.2, RFC 7714 §14.2), or null when IANA registers none
   * (AES-192/256-CM: pion's 0x0003/0x0004 are not registered and not assumed interoperable).
   */
  readonly dtlsId: number | null;
  /** Cipher transform. */
  readonly cipher: SrtpCipher;
  /** AES key size in octets of the cipher (and of the AES-CM PRF): 16, 24 or 32. */
  readonly cipherKeyLength: number;
  /** Master key length in octets (what SDES inline keys and DTLS-SRTP export carry). */
  readonly masterKeyLength: number;
  /** Master salt length in octets: 14 for AES-CM/NULL/F8, 12 for AEAD (RFC 7714 §12). */
  readonly masterSaltLength: number;
  /** Session salt length in octets (14, or 12 for AEAD). */
  readonly sessionSaltLength: number;
  /** Session authentication key length in octets (20 for HMAC-SHA1, 0 for AEAD). */
  readonly authKeyLength: number;
  /** SRTP authentication tag length in octets. */
  readonly srtpTagLength: number;
  /** SRTCP authentication tag length in octets (10 even for the _32 profiles, RFC 5764 §4.1.2). */
  readonly srtcpTagLength: number;
  /** True for the AEAD (GCM) profiles. */
  readonly aead: boolean;
  /** Octets of DTLS-SRTP keying material: 2·(master key + master salt) (RFC 5764 §4.2). */
  readonly keyingMaterialLength: number;
}

function p(
  name: SrtpProfileName,
  sdesName: SdesSuiteName,
  dtlsId: number | null,
  cipher: SrtpCipher,
  keyLen: number,
  tag: number,
): SrtpProfile {
  const aead = cipher === 'AES_GCM';
  const saltLen = aead ? 12 : 14;
  return Object.freeze({
    name,
    sdesName,
    dtlsId,
    cipher,
    cipherKeyLength: keyLen,
    masterKeyLength: keyLen,
    masterSaltLength: saltLen,
    sessionSaltLength: saltLen,
    authKeyLength: aead ? 0 : 20,
    srtpTagLength: tag,
    srtcpTagLength: aead ? 16 : 10,
    aead,
    keyingMaterialLength: 2 * (keyLen + saltLen),
  });
}

/** The profile table, in preference order (strongest commonly-interoperable first for AEAD, then AES-CM). */
export const SRTP_PROFILES: readonly SrtpProfile[] = Object.freeze([
  p('SRTP_AEAD_AES_128_GCM', 'AEAD_AES_128_GCM', 0x0007, 'AES_GCM', 16, 16),
  p('SRTP_AEAD_AES_256_GCM', 'AEAD_AES_256_GCM', 0x0008, 'AES_GCM', 32, 16),
  p('SRTP_AES128_CM_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_80', 0x0001, 'AES_CM', 16, 10),
  p('SRTP_AES128_CM_HMAC_SHA1_32', 'AES_CM_128_HMAC_SHA1_32', 0x0002, 'AES_CM', 16, 4),
  p('SRTP_AES256_CM_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_80', null, 'AES_CM', 32, 10),
  p('SRTP_AES256_CM_HMAC_SHA1_32', 'AES_256_CM_HMAC_SHA1_32', null, 'AES_CM', 32, 4),
  p('SRTP_AES192_CM_HMAC_SHA1_80', 'AES_192_CM_HMAC_SHA1_80', null, 'AES_CM', 24, 10),
  p('SRTP_AES192_CM_HMAC_SHA1_32', 'AES_192_CM_HMAC_SHA1_32', null, 'AES_CM', 24, 4),
  p('SRTP_NULL_HMAC_SHA1_80', 'NULL_HMAC_SHA1_80', 0x0005, 'NULL', 16, 10),
  p('SRTP_NULL_HMAC_SHA1_32', 'NULL_HMAC_SHA1_32', 0x0006, 'NULL', 16, 4),
  p('SRTP_AES128_F8_HMAC_SHA1_80', 'F8_128_HMAC_SHA1_80', null, 'AES_F8', 16, 10),
]);

const byName = new Map<string, SrtpProfile>();
for (const prof of SRTP_PROFILES) {
  byName.set(prof.name, prof);
  byName.set(prof.sdesName, prof);
  // OpenSSL / mdhavers spellings: SRTP_AES128_CM_SHA1_80, AES128_CM_SHA1_80, AES128_CM_HMAC_SHA1_80.
  const bare = prof.name.slice('SRTP_'.length);
  byName.set(bare, prof);
  if (bare.includes('_HMAC_SHA1_')) {
    const short = bare.replace('_HMAC_SHA1_', '_SHA1_');
    byName.set(short, prof);
    byName.set(`SRTP_${short}`, prof);
  }
}

/**
 * Looks a profile up by any accepted name, case-insensitively: DTLS-SRTP (`SRTP_AES128_CM_HMAC_SHA1_80`),
 * SDES (`AES_CM_128_HMAC_SHA1_80`), OpenSSL (`SRTP_AES128_CM_SHA1_80`) or bare (`AES128_CM_SHA1_80`).
 * Returns undefined when unknown.
 */
export function findSrtpProfile(name: string): SrtpProfile | undefined {
  return byName.get(name.trim().toUpperCase());
}

/** Like {@link findSrtpProfile} but accepts a profile object too, and throws SrtpConfigError when unknown. */
export function getSrtpProfile(name: string | SrtpProfile): SrtpProfile {
  if (typeof name !== 'string') {
    const found = name !== null && typeof name === 'object' ? byName.get(String(name.name)) : undefined;
    if (found) return found;
    throw new SrtpConfigError(
      `unknown SRTP profile ${typeof name === 'object' ? `'${String(name?.name)}'` : String(name)}`,
    );
  }
  const prof = findSrtpProfile(name);
  if (!prof) {
    throw new SrtpConfigError(
      `unknown SRTP profile '${name}'; use one of ${SRTP_PROFILES.map((x) => x.name).join(', ')} or their SDES names`,
    );
  }
  return prof;
}

/** The profile with a DTLS-SRTP protection profile id (RFC 5764 §4.1.2), or undefined. */
export function srtpProfileByDtlsId(id: number): SrtpProfile | undefined {
  return SRTP_PROFILES.find((x) => x.dtlsId === id);
}
