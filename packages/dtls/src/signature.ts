import { constants, type KeyObject, sign, verify } from 'node:crypto';
import { SignatureScheme } from './constants.js';

/** Key kinds this engine signs with. */
export type KeyKind = 'ecdsa' | 'rsa';

interface SchemeInfo {
  kind: KeyKind;
  hash: string;
  pss: boolean;
  /** rsa_pss_pss_*: only for PSS-only (id-RSASSA-PSS) keys; the other RSA schemes only for rsaEncryption keys. */
  pssKey?: boolean;
}

const SCHEMES = new Map<number, SchemeInfo>([
  [SignatureScheme.ecdsa_secp256r1_sha256, { kind: 'ecdsa', hash: 'sha256', pss: false }],
  [SignatureScheme.ecdsa_secp384r1_sha384, { kind: 'ecdsa', hash: 'sha384', pss: false }],
  [SignatureScheme.ecdsa_secp521r1_sha512, { kind: 'ecdsa', hash: 'sha512', pss: false }],
  [SignatureScheme.rsa_pss_rsae_sha256, { kind: 'rsa', hash: 'sha256', pss: true }],
  [SignatureScheme.rsa_pss_rsae_sha384, { kind: 'rsa', hash: 'sha384', pss: true }],
  [SignatureScheme.rsa_pss_pss_sha256, { kind: 'rsa', hash: 'sha256', pss: true, pssKey: true }],
  [SignatureScheme.rsa_pss_pss_sha384, { kind: 'rsa', hash: 'sha384', pss: true, pssKey: true }],
  [SignatureScheme.rsa_pss_pss_sha512, { kind: 'rsa', hash: 'sha512', pss: true, pssKey: true }],
  [SignatureScheme.rsa_pkcs1_sha256, { kind: 'rsa', hash: 'sha256', pss: false }],
  [SignatureScheme.rsa_pkcs1_sha384, { kind: 'rsa', hash: 'sha384', pss: false }],
  [SignatureScheme.rsa_pkcs1_sha512, { kind: 'rsa', hash: 'sha512', pss: false }],
  // Never offered; used only towards a peer that sent no signature_algorithms (RFC 5246 §7.4.1.4.1).
  [SignatureScheme.rsa_pkcs1_sha1, { kind: 'rsa', hash: 'sha1', pss: false }],
  [SignatureScheme.ecdsa_sha1, { kind: 'ecdsa', hash: 'sha1', pss: false }],
]);

/** Signature schemes offered in signature_algorithms / CertificateRequest, in preference order. */
export const DEFAULT_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.ecdsa_secp521r1_sha512,
  SignatureScheme.rsa_pkcs1_sha512,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
];

/** The key kind of a KeyObject, or undefined when unsupported. */
export function keyKind(key: KeyObject): KeyKind | undefined {
  const t = key.asymmetricKeyType;
  if (t === 'ec') return 'ecdsa';
  // An id-RSASSA-PSS key is an RSA key restricted to PSS signatures: it serves ECDHE_RSA suites with rsa_pss_pss_*.
  if (t === 'rsa' || t === 'rsa-pss') return 'rsa';
  return undefined;
}

/** True for a PSS-only (id-RSASSA-PSS) RSA key. */
function isPssKey(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'rsa-pss';
}

/** True if `scheme` can be used with `key` (kind, and PSS-only keys with rsa_pss_pss_* only). */
function fits(s: SchemeInfo, key: KeyObject): boolean {
  return keyKind(key) === s.kind && (s.pssKey ?? false) === isPssKey(key);
}

/** The key kind a scheme needs, or undefined when the scheme is unknown. */
export function schemeKind(scheme: number): KeyKind | undefined {
  return SCHEMES.get(scheme)?.kind;
}

/**
 * Picks the first scheme of `offered` (peer preference) that fits our key and that we support; with no list (the
 * peer sent no signature_algorithms) the RFC 5246 §7.4.1.4.1 default, SHA-1.
 */
export function chooseScheme(key: KeyObject, offered: readonly number[] | undefined): number | undefined {
  const kind = keyKind(key);
  if (!kind) return undefined;
  // RFC 5246 §7.4.1.4.1: a peer that sent no signature_algorithms supports {sha1, rsa} / {sha1, ecdsa} only.
  const list = offered ?? (kind === 'ecdsa' ? [SignatureScheme.ecdsa_sha1] : [SignatureScheme.rsa_pkcs1_sha1]);
  const ecCurve = key.asymmetricKeyDetails?.namedCurve;
  const preferred = kind === 'ecdsa' && ecCurve === 'secp384r1' ? SignatureScheme.ecdsa_secp384r1_sha384 : undefined;
  if (preferred !== undefined && list.includes(preferred)) return preferred;
  for (const s of list) {
    const info = SCHEMES.get(s);
    if (info && fits(info, key)) return s;
  }
  return undefined;
}

/** Signs `data` with a TLS 1.2 SignatureAndHashAlgorithm (ECDSA signatures are DER, RFC 8422 §5.4). */
export function signWith(scheme: number, key: KeyObject, data: Uint8Array): Uint8Array {
  const s = SCHEMES.get(scheme);
  if (!s) throw new RangeError(`unsupported signature scheme ${scheme}`);
  if (s.pss) {
    return new Uint8Array(
      sign(s.hash, data, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      }),
    );
  }
  return new Uint8Array(sign(s.hash, data, key));
}

/** Verifies a signature; false on any mismatch, malformed signature or key/scheme disagreement. */
export function verifyWith(scheme: number, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const s = SCHEMES.get(scheme);
  if (!s || !fits(s, key)) return false;
  try {
    if (s.pss) {
      return verify(
        s.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    }
    return verify(s.hash, data, key, signature);
  } catch {
    return false;
  }
}
