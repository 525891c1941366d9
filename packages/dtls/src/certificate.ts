import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { DtlsUsageError } from './errors.js';
import { validateCertificatePath } from './path-validation.js';
import { type KeyKind, keyKind } from './signature.js';

/** A local identity: the certificate chain (DER, leaf first) and its private key. */
export interface DtlsCertificate {
  /** DER certificates, leaf first. */
  chain: Uint8Array[];
  /** The leaf's private key. */
  privateKey: KeyObject;
}

/** Options for {@link generateCertificate}. */
export interface GenerateCertificateOptions {
  /** `'ecdsa-p256'` (default, as browsers do), `'ecdsa-p384'` or `'rsa-2048'`. */
  keyType?: 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048';
  /** Subject/issuer common name; default `mdh`. */
  commonName?: string;
  /** Validity in days from now (default 30); notBefore is one day in the past. */
  days?: number;
}

const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_RSA_SHA256 = '1.2.840.113549.1.1.11';
const OID_COMMON_NAME = '2.5.4.3';

/**
 * Generates a self-signed X.509 v3 certificate (RFC 5280 §4.1) with a fresh key, signed with ECDSA-SHA256 or
 * RSA-SHA256, as WebRTC endpoints do (RFC 8827 §6.5: fingerprints, not CAs, authenticate the peer). The certificate is
 * built with @peculiar/asn1-x509 and signed with node:crypto (synchronously).
 */
export function generateCertificate(opts: GenerateCertificateOptions = {}): DtlsCertificate {
  const type = opts.keyType ?? 'ecdsa-p256';
  const { publicKey, privateKey } =
    type === 'rsa-2048'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: type === 'ecdsa-p384' ? 'P-384' : 'P-256' });
  // RFC 4055 §5 / RFC 5758 §3.2: the RSA algorithm identifier carries NULL parameters, the ECDSA one none.
  const algorithm = () =>
    type === 'rsa-2048'
      ? new AlgorithmIdentifier({ algorithm: OID_RSA_SHA256, parameters: null })
      : new AlgorithmIdentifier({ algorithm: OID_ECDSA_SHA256 });
  const serial = new Uint8Array(randomBytes(8));
  serial[0] = (serial[0]! & 0x7f) | 0x01; // a positive INTEGER (RFC 5280 §4.1.2.2)
  const now = Date.now();
  const days = opts.days ?? 30;
  const name = () =>
    new Name([
      new RelativeDistinguishedName([
        new AttributeTypeAndValue({
          type: OID_COMMON_NAME,
          value: new AttributeValue({ utf8String: opts.commonName ?? 'mdh' }),
        }),
      ]),
    ]);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serial.buffer,
    signature: algorithm(),
    issuer: name(),
    // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (Time chooses).
    validity: new Validity({ notBefore: new Date(now - 86_400_000), notAfter: new Date(now + days * 86_400_000) }),
    subject: name(),
    subjectPublicKeyInfo: AsnConvert.parse(publicKey.export({ format: 'der', type: 'spki' }), SubjectPublicKeyInfo),
  });
  const tbsDer = AsnConvert.serialize(tbs);
  const signature = sign('sha256', new Uint8Array(tbsDer), privateKey);
  const cert = new Certificate({
    tbsCertificate: tbs,
    tbsCertificateRaw: tbsDer,
    signatureAlgorithm: algorithm(),
    signatureValue: new Uint8Array(signature).buffer,
  });
  return { chain: [new Uint8Array(AsnConvert.serialize(cert))], privateKey };
}

/** Encodes DER as PEM with the given label. */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Decodes every PEM block with the given label. */
export function pemBlocks(pem: string, label = 'CERTIFICATE'): Uint8Array[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  const out: Uint8Array[] = [];
  for (const m of pem.matchAll(re)) out.push(new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
  return out;
}

/** Loads a certificate chain (PEM, leaf first) and private key (PEM, PKCS#8, SEC1 or PKCS#1). */
export function loadCertificate(certPem: string, keyPem: string): DtlsCertificate {
  const chain = pemBlocks(certPem);
  if (chain.length === 0) throw new DtlsUsageError('no CERTIFICATE block in the certificate PEM');
  const privateKey = createPrivateKey(keyPem);
  if (!keyKind(privateKey)) throw new DtlsUsageError('the private key must be ECDSA or RSA');
  const leaf = new X509Certificate(chain[0]!);
  if (!leaf.checkPrivateKey(privateKey)) throw new DtlsUsageError('the private key does not match the certificate');
  return { chain, privateKey };
}

/** PEM of a certificate's private key (PKCS#8). */
export function privateKeyPem(cert: DtlsCertificate): string {
  return cert.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

const FP_HASHES: Record<string, string> = {
  'sha-1': 'sha1',
  'sha-224': 'sha224',
  'sha-256': 'sha256',
  'sha-384': 'sha384',
  'sha-512': 'sha512',
};

/**
 * RFC 8122 §5 fingerprint of a DER certificate: `sha-256 AB:CD:…` (uppercase hex, colon separated).
 */
export function fingerprint(der: Uint8Array, hash: 'sha-1' | 'sha-256' | 'sha-384' | 'sha-512' = 'sha-256'): string {
  const h = createHash(FP_HASHES[hash]!).update(der).digest('hex').toUpperCase();
  return `${hash} ${h.match(/../g)!.join(':')}`;
}

/** True if `der` matches an RFC 8122 fingerprint string (hash name and hex compared case-insensitively). */
export function matchesFingerprint(der: Uint8Array, expected: string): boolean {
  const m = /^\s*([A-Za-z0-9-]+)\s+([0-9A-Fa-f:]+)\s*$/.exec(expected);
  if (!m) return false;
  const alg = m[1]!.toLowerCase();
  const node = FP_HASHES[alg];
  if (!node) return false;
  const want = m[2]!.replace(/:/g, '').toLowerCase();
  return createHash(node).update(der).digest('hex') === want;
}

/** Key kind of a certificate's public key. */
export function certificateKeyKind(cert: X509Certificate): KeyKind | undefined {
  return keyKind(cert.publicKey);
}

/**
 * Whether a peer chain (DER, leaf first) validates against the trust anchors at `wallTimeMs`: RFC 5280 §6.1 path
 * validation as {@link validateCertificatePath} does it (which also says why a chain fails).
 */
export function verifyChain(chain: readonly Uint8Array[], anchors: readonly Uint8Array[], wallTimeMs: number): boolean {
  return validateCertificatePath(chain, anchors, { time: wallTimeMs }).ok;
}

const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_SIZE = 256;

/**
 * The public key of a DER certificate. Parsing X.509 dominates a handshake's CPU time, and endpoints meet the same
 * peer certificates again and again (WebRTC and SIP endpoints keep theirs for the session's life), so the last 256
 * parsed certificates are cached by their exact DER bytes. Throws when the certificate does not parse.
 */
export function certificatePublicKey(der: Uint8Array): KeyObject {
  const id = Buffer.from(der.buffer, der.byteOffset, der.length).toString('base64');
  const hit = keyCache.get(id);
  if (hit) {
    keyCache.delete(id);
    keyCache.set(id, hit);
    return hit;
  }
  const key = new X509Certificate(der).publicKey;
  keyCache.set(id, key);
  if (keyCache.size > KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value as string);
  return key;
}
