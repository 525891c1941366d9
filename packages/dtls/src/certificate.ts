import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { DtlsUsageError } from './errors.js';
import { type KeyKind, keyKind } from './signature.js';

/** A local identity: the certificate chain (DER, leaf first) and its private key. */
export interface DtlsCertificate {
  /** DER certificates, leaf first. */
  chain: Uint8Array[];
  /** The leaf's private key. */
  privateKey: KeyObject;
}

// --- minimal DER writer (X.690) -------------------------------------------------------------------------------

function derLen(n: number): number[] {
  if (n < 0x80) return [n];
  const b: number[] = [];
  while (n > 0) {
    b.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | b.length, ...b];
}

function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const len = content.reduce((a, c) => a + c.length, 0);
  const hdr = [tag, ...derLen(len)];
  const out = new Uint8Array(hdr.length + len);
  out.set(hdr, 0);
  let off = hdr.length;
  for (const c of content) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
const OID_ECDSA_SHA256 = Uint8Array.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
const OID_RSA_SHA256 = Uint8Array.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]);
const OID_CN = Uint8Array.from([0x06, 0x03, 0x55, 0x04, 0x03]);
const DER_NULL = Uint8Array.from([0x05, 0x00]);

function derTime(d: Date): Uint8Array {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const y = d.getUTCFullYear();
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  if (y < 2050) return tlv(0x17, new TextEncoder().encode(`${p(y % 100)}${rest}`));
  return tlv(0x18, new TextEncoder().encode(`${p(y, 4)}${rest}`));
}

function name(cn: string): Uint8Array {
  return seq(tlv(0x31, seq(OID_CN, tlv(0x0c, new TextEncoder().encode(cn)))));
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

/**
 * Generates a self-signed X.509 v3 certificate (RFC 5280 §4.1) with a fresh key, signed with ECDSA-SHA256 or
 * RSA-SHA256, as WebRTC endpoints do (RFC 8827 §6.5: fingerprints, not CAs, authenticate the peer).
 */
export function generateCertificate(opts: GenerateCertificateOptions = {}): DtlsCertificate {
  const type = opts.keyType ?? 'ecdsa-p256';
  const { publicKey, privateKey } =
    type === 'rsa-2048'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: type === 'ecdsa-p384' ? 'P-384' : 'P-256' });
  const isRsa = type === 'rsa-2048';
  const algId = isRsa ? seq(OID_RSA_SHA256, DER_NULL) : seq(OID_ECDSA_SHA256);
  const serial = new Uint8Array(randomBytes(8));
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const now = Date.now();
  const days = opts.days ?? 30;
  const cn = name(opts.commonName ?? 'mdh');
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Uint8Array.of(2))),
    tlv(0x02, serial),
    algId,
    cn,
    seq(derTime(new Date(now - 86_400_000)), derTime(new Date(now + days * 86_400_000))),
    cn,
    spki,
  );
  const sig = new Uint8Array(sign('sha256', tbs, privateKey));
  const bits = new Uint8Array(sig.length + 1);
  bits.set(sig, 1);
  const der = seq(tbs, algId, tlv(0x03, bits));
  return { chain: [der], privateKey };
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
 * Verifies a peer chain (leaf first) against trust anchors: each certificate must be issued and signed by the
 * next, the last by an anchor (or be one), and every certificate must be within its validity at `wallTimeMs`.
 */
export function verifyChain(chain: readonly Uint8Array[], anchors: readonly Uint8Array[], wallTimeMs: number): boolean {
  try {
    const certs = chain.map((d) => new X509Certificate(d));
    const roots = anchors.map((d) => new X509Certificate(d));
    for (const c of certs) {
      if (Date.parse(c.validFrom) > wallTimeMs || Date.parse(c.validTo) < wallTimeMs) return false;
    }
    for (let i = 0; i + 1 < certs.length; i++) {
      const c = certs[i]!;
      const issuer = certs[i + 1]!;
      if (!c.checkIssued(issuer) || !c.verify(issuer.publicKey)) return false;
    }
    const last = certs[certs.length - 1];
    if (!last) return false;
    for (const r of roots) {
      if (r.raw.equals(last.raw)) return true;
      if (last.checkIssued(r) && last.verify(r.publicKey)) return true;
    }
    return false;
  } catch {
    return false;
  }
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
