import { findSrtpProfile, SRTP_PROFILES, type SrtpProfile } from '@mdh/srtp';
/**
 * Protocol numbers for DTLS 1.2 (RFC 6347), TLS 1.2 (RFC 5246), ECC (RFC 8422), extended master secret
 * (RFC 7627), use_srtp (RFC 5764, RFC 7714), ALPN (RFC 7301) and signature schemes (RFC 8446 §4.2.3).
 */

/** DTLS 1.2 wire version (RFC 6347 §4.1: {254, 253}). */
export const DTLS_1_2 = 0xfefd;
/** DTLS 1.0 wire version, accepted on a ClientHello/HelloVerifyRequest record (RFC 6347 §4.2.1). */
export const DTLS_1_0 = 0xfeff;

/** Record content types (RFC 5246 §6.2.1). */
export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
} as const;

/** Handshake message types (RFC 5246 §7.4, RFC 6347 §4.3.2). */
export const HandshakeType = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  helloVerifyRequest: 3,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
} as const;

/** Alert levels (RFC 5246 §7.2). */
export const AlertLevel = { warning: 1, fatal: 2 } as const;

/** Alert descriptions (RFC 5246 §7.2, RFC 7301 §3.2). */
export const AlertDescription = {
  closeNotify: 0,
  unexpectedMessage: 10,
  badRecordMac: 20,
  recordOverflow: 22,
  handshakeFailure: 40,
  badCertificate: 42,
  unsupportedCertificate: 43,
  certificateRevoked: 44,
  certificateExpired: 45,
  certificateUnknown: 46,
  illegalParameter: 47,
  unknownCa: 48,
  accessDenied: 49,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  insufficientSecurity: 71,
  internalError: 80,
  userCanceled: 90,
  noRenegotiation: 100,
  unsupportedExtension: 110,
  noApplicationProtocol: 120,
} as const;

/** Names of alert descriptions, for messages. */
export const alertName = (d: number): string => {
  for (const [k, v] of Object.entries(AlertDescription)) if (v === d) return k;
  return `alert_${d}`;
};

/** Extension types. */
export const ExtensionType = {
  serverName: 0,
  supportedGroups: 10,
  ecPointFormats: 11,
  signatureAlgorithms: 13,
  useSrtp: 14,
  alpn: 16,
  encryptThenMac: 22,
  extendedMasterSecret: 23,
  sessionTicket: 35,
  renegotiationInfo: 0xff01,
} as const;

/** Named groups (RFC 8422 §5.1.1, RFC 7919). */
export const NamedGroup = { secp256r1: 23, secp384r1: 24, x25519: 29 } as const;
/** A supported ECDHE group name. */
export type GroupName = keyof typeof NamedGroup;

/** Signature schemes (RFC 8446 §4.2.3; in TLS 1.2 the hash/signature pairs of RFC 5246 §7.4.1.4.1). */
export const SignatureScheme = {
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  /** RSASSA-PSS with an id-RSASSA-PSS (PSS-only) public key (RFC 8446 §4.2.3). */
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  /** {sha1, rsa}: the RFC 5246 §7.4.1.4.1 default for peers without signature_algorithms; never offered. */
  rsa_pkcs1_sha1: 0x0201,
  /** {sha1, ecdsa}: as above. */
  ecdsa_sha1: 0x0203,
} as const;

/** Cipher suite description. */
export interface CipherSuiteInfo {
  /** IANA id. */
  id: number;
  /** IANA name. */
  name: CipherSuiteName;
  /** Signature algorithm of the certificate. */
  auth: 'ecdsa' | 'rsa';
  /** AEAD key length in octets. */
  keyLength: 16 | 32;
  /** Record protection: AES-GCM (RFC 5288) or ChaCha20-Poly1305 (RFC 7905). */
  aead: 'aes-gcm' | 'chacha20-poly1305';
  /** Implicit IV length from the key block: 4 for AES-GCM, 12 for ChaCha20-Poly1305. */
  ivLength: 4 | 12;
  /** PRF / transcript hash. */
  hash: 'sha256' | 'sha384';
}

/** The supported cipher suites (RFC 5289 §3). */
export type CipherSuiteName =
  | 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'
  | 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'
  | 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'
  | 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'
  | 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'
  | 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256';

const gcm = { aead: 'aes-gcm', ivLength: 4 } as const;
const chacha = { aead: 'chacha20-poly1305', ivLength: 12, keyLength: 32, hash: 'sha256' } as const;

/** Cipher suite table (RFC 5289 §3, RFC 7905 §2), in default preference order. */
export const CIPHER_SUITES: readonly CipherSuiteInfo[] = [
  { id: 0xc02b, name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', auth: 'ecdsa', keyLength: 16, hash: 'sha256', ...gcm },
  { id: 0xc02f, name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', auth: 'rsa', keyLength: 16, hash: 'sha256', ...gcm },
  { id: 0xc02c, name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', auth: 'ecdsa', keyLength: 32, hash: 'sha384', ...gcm },
  { id: 0xc030, name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', auth: 'rsa', keyLength: 32, hash: 'sha384', ...gcm },
  { id: 0xcca9, name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', auth: 'ecdsa', ...chacha },
  { id: 0xcca8, name: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', auth: 'rsa', ...chacha },
];

/** Looks up a cipher suite by id or name. */
export function cipherSuiteInfo(idOrName: number | string): CipherSuiteInfo | undefined {
  return CIPHER_SUITES.find((s) => s.id === idOrName || s.name === idOrName);
}

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3). */
export const EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

/**
 * The DTLS-SRTP protection profiles this engine negotiates, in default preference order: the @mdh/srtp profiles
 * that have an IANA DTLS-SRTP id (RFC 5764 §4.1.2, RFC 7714 §14.2), without the NULL-cipher ones. @mdh/srtp owns
 * the profile table; this is a view of it.
 */
export const DTLS_SRTP_PROFILES: readonly SrtpProfile[] = Object.freeze(
  SRTP_PROFILES.filter((p) => p.dtlsId !== null && p.cipher !== 'NULL'),
);

/**
 * Looks up a DTLS-SRTP profile (one of {@link DTLS_SRTP_PROFILES}) by its DTLS-SRTP id or by any name @mdh/srtp's
 * `findSrtpProfile` accepts (IANA, SDES or OpenSSL spelling). Undefined when unknown or not negotiable over DTLS.
 */
export function dtlsSrtpProfile(idOrName: number | string): SrtpProfile | undefined {
  if (typeof idOrName === 'number') return DTLS_SRTP_PROFILES.find((p) => p.dtlsId === idOrName);
  const p = findSrtpProfile(idOrName);
  return p && DTLS_SRTP_PROFILES.includes(p) ? p : undefined;
}
