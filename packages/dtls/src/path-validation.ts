import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  type Name,
  Version,
} from '@peculiar/asn1-x509';

/**
 * RFC 5280 §6.1 certification path validation, on X.509 parsed by @peculiar/asn1-x509 and signatures checked by
 * node:crypto. The peer's chain (leaf first) is the pool of untrusted certificates; a path is built from the leaf to
 * a trust anchor (RFC 4158 style, trusted issuers first, bounded) and every link is checked.
 */

/** Options of {@link validateCertificatePath}. */
export interface PathValidationOptions {
  /** The time (ms since the epoch) at which every certificate of the path must be valid (RFC 5280 §6.1.3 (a)(2)). */
  time: number;
  /** Most certificates in a path, the trust anchor included (default 8). */
  maxPathLength?: number;
}

/** The outcome of {@link validateCertificatePath}: the path (DER, leaf first, ending at the anchor) or why not. */
export type PathValidationResult = { ok: true; path: Uint8Array[] } | { ok: false; reason: string };

/** Most certificates accepted from a peer's chain (a DTLS Certificate message is bounded by its 2^24 length too). */
const MAX_CHAIN = 16;
/** Path-building steps before giving up (candidate issuers tried), so crafted chains cannot cost much CPU. */
const MAX_STEPS = 64;

/** Signature algorithms accepted on certificates: SHA-2 with RSA PKCS #1 v1.5 or ECDSA (no MD5/SHA-1). */
const SIGNATURE_ALGORITHMS: Record<string, { hash: string; key: 'rsa' | 'ec' }> = {
  '1.2.840.113549.1.1.11': { hash: 'sha256', key: 'rsa' },
  '1.2.840.113549.1.1.12': { hash: 'sha384', key: 'rsa' },
  '1.2.840.113549.1.1.13': { hash: 'sha512', key: 'rsa' },
  '1.2.840.10045.4.3.2': { hash: 'sha256', key: 'ec' },
  '1.2.840.10045.4.3.3': { hash: 'sha384', key: 'ec' },
  '1.2.840.10045.4.3.4': { hash: 'sha512', key: 'ec' },
};
const EC_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
const MIN_RSA_BITS = 2048;
/** Extensions this validator understands; any other marked critical rejects the certificate (RFC 5280 §4.2). */
const KNOWN_EXTENSIONS = new Set([
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_extKeyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
]);

/** What path validation needs of one certificate, parsed once. */
interface Cert {
  der: Uint8Array;
  version: number;
  tbs: Uint8Array;
  signature: Uint8Array;
  /** Signature algorithm (undefined: not accepted, or the inner and outer identifiers differ). */
  sigAlg: { hash: string; key: 'rsa' | 'ec' } | undefined;
  subject: string;
  issuer: string;
  notBefore: number;
  notAfter: number;
  /** basicConstraints (undefined when absent). */
  ca: boolean | undefined;
  pathLen: number | undefined;
  /** keyUsage bits as KeyUsageFlags (undefined when absent). */
  keyUsage: number | undefined;
  key: KeyObject | undefined;
  /** Why the certificate is unusable on its own (unknown critical extension, weak key...). */
  defect: string | undefined;
}

const parsedCache = new Map<string, Cert | string>();
const PARSED_CACHE_SIZE = 256;

/** Parses a DER certificate (cached by its bytes); a string is why it does not parse. */
function parse(der: Uint8Array): Cert | string {
  const id = Buffer.from(der.buffer, der.byteOffset, der.length).toString('base64');
  const hit = parsedCache.get(id);
  if (hit !== undefined) return hit;
  let out: Cert | string;
  try {
    out = parseUncached(der);
  } catch (e) {
    out = `certificate does not parse: ${(e as Error).message}`;
  }
  parsedCache.set(id, out);
  if (parsedCache.size > PARSED_CACHE_SIZE) parsedCache.delete(parsedCache.keys().next().value as string);
  return out;
}

function parseUncached(der: Uint8Array): Cert {
  const c = AsnConvert.parse(der, Certificate);
  const t = c.tbsCertificate;
  if (!c.tbsCertificateRaw) throw new Error('no tbsCertificate');
  let defect: string | undefined;
  const outer = c.signatureAlgorithm;
  // RFC 5280 §4.1.1.2: signatureAlgorithm must equal tbsCertificate.signature.
  const sameAlg =
    outer.algorithm === t.signature.algorithm &&
    Buffer.from(outer.parameters ?? new ArrayBuffer(0)).equals(
      Buffer.from(t.signature.parameters ?? new ArrayBuffer(0)),
    );
  const sigAlg = sameAlg ? SIGNATURE_ALGORITHMS[outer.algorithm] : undefined;
  let ca: boolean | undefined;
  let pathLen: number | undefined;
  let keyUsage: number | undefined;
  const seen = new Set<string>();
  for (const e of t.extensions ?? []) {
    // RFC 5280 §4.2: a certificate must not include more than one instance of an extension.
    if (seen.has(e.extnID)) defect ??= `duplicate extension ${e.extnID}`;
    seen.add(e.extnID);
    if (e.extnID === id_ce_basicConstraints) {
      const bc = AsnConvert.parse(e.extnValue, BasicConstraints);
      ca = bc.cA;
      pathLen = bc.pathLenConstraint;
    } else if (e.extnID === id_ce_keyUsage) {
      keyUsage = AsnConvert.parse(e.extnValue, KeyUsage).toNumber();
    } else if (e.critical && !KNOWN_EXTENSIONS.has(e.extnID)) {
      defect ??= `unhandled critical extension ${e.extnID}`;
    }
  }
  // RFC 5280 §4.2.1.3: keyCertSign may only be asserted when basicConstraints asserts cA.
  if (keyUsage !== undefined && (keyUsage & KeyUsageFlags.keyCertSign) !== 0 && ca !== true)
    defect ??= 'keyUsage keyCertSign without basicConstraints cA';
  let key: KeyObject | undefined;
  try {
    const spki = Buffer.from(AsnConvert.serialize(t.subjectPublicKeyInfo));
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const d = key.asymmetricKeyDetails;
    if (key.asymmetricKeyType === 'rsa') {
      if ((d?.modulusLength ?? 0) < MIN_RSA_BITS) defect ??= `RSA key shorter than ${MIN_RSA_BITS} bits`;
    } else if (key.asymmetricKeyType === 'ec') {
      if (!EC_CURVES.has(d?.namedCurve ?? '')) defect ??= `EC curve ${d?.namedCurve} not accepted`;
    } else defect ??= `key type ${key.asymmetricKeyType} not accepted`;
  } catch {
    defect ??= 'public key does not parse';
  }
  return {
    der,
    version: t.version,
    tbs: new Uint8Array(c.tbsCertificateRaw),
    signature: new Uint8Array(c.signatureValue),
    sigAlg,
    subject: canonicalName(t.subject),
    issuer: canonicalName(t.issuer),
    notBefore: t.validity.notBefore.getTime().getTime(),
    notAfter: t.validity.notAfter.getTime().getTime(),
    ca,
    pathLen,
    keyUsage,
    key,
    defect,
  };
}

/**
 * A comparable form of a distinguished name (RFC 5280 §7.1): attribute types and values per RDN, values with
 * leading/trailing white space removed, inner runs collapsed and case folded (the RFC 4518 essentials), so the same
 * name compares equal whatever string type encodes it.
 */
function canonicalName(n: Name): string {
  return JSON.stringify(
    n.map((rdn) =>
      rdn.map((atv) => `${atv.type}=${atv.value.toString().trim().replace(/\s+/g, ' ').toLowerCase()}`).sort(),
    ),
  );
}

/** Whether `issuer`'s key verified `cert`'s signature with an accepted algorithm matching the key type. */
function signedBy(cert: Cert, issuer: Cert): boolean {
  const alg = cert.sigAlg;
  if (!alg || !issuer.key || issuer.key.asymmetricKeyType !== alg.key) return false;
  try {
    return cryptoVerify(alg.hash, cert.tbs, issuer.key, cert.signature);
  } catch {
    return false;
  }
}

/** RFC 5280 §6.1.3 (a)(2): the certificate is valid at `time` (bounds inclusive). */
function validAt(c: Cert, time: number): boolean {
  return c.notBefore <= time && time <= c.notAfter;
}

/** Whether `c` may issue certificates (RFC 5280 §6.1.4 (k), (n)): cA set, and keyCertSign when keyUsage is present. */
function issuerDefect(c: Cert): string | undefined {
  // A version 1 certificate has no extensions; as a trust anchor it is a CA by configuration (RFC 5280 §6.1.4 (k)).
  if (c.ca !== true && c.version !== Version.v1) return 'issuer is not a CA (basicConstraints cA is not set)';
  if (c.keyUsage !== undefined && (c.keyUsage & KeyUsageFlags.keyCertSign) === 0)
    return 'issuer keyUsage lacks keyCertSign';
  return undefined;
}

/**
 * Validates a peer's certificate chain against trust anchors (RFC 5280 §6.1). `chain` is DER, leaf first; the
 * certificates after the leaf are untrusted candidates for the path, in any order. A path is accepted when it runs
 * from the leaf to a trust anchor (a leaf that is itself an anchor stands alone) and:
 * - every certificate is valid at `options.time` (the anchor too), parses, and has no unhandled critical extension;
 * - each is signed by the next with SHA-2 RSA or ECDSA (the inner and outer algorithm identifiers equal), RSA keys are
 *   at least 2048 bits and EC keys on P-256, P-384 or P-521;
 * - each issuer's subject equals the issued certificate's issuer name (name chaining, §6.1.3 (a)(4));
 * - every issuer has basicConstraints cA (§6.1.4 (k)) and keyCertSign when it has keyUsage (§6.1.4 (n)), and no
 *   pathLenConstraint is exceeded by the non-self-issued intermediates below it (§6.1.4 (l), (m));
 * - the leaf, when it has keyUsage, allows digitalSignature (a DTLS peer signs with it);
 * - the path has at most `maxPathLength` certificates. A self-signed leaf that is not an anchor is refused.
 */
export function validateCertificatePath(
  chain: readonly Uint8Array[],
  anchors: readonly Uint8Array[],
  options: PathValidationOptions,
): PathValidationResult {
  if (chain.length === 0) return { ok: false, reason: 'empty certificate chain' };
  if (chain.length > MAX_CHAIN) return { ok: false, reason: `more than ${MAX_CHAIN} certificates in the chain` };
  const maxLen = options.maxPathLength ?? 8;
  const time = options.time;
  const certs: Cert[] = [];
  for (const d of chain) {
    const c = parse(d);
    if (typeof c === 'string') return { ok: false, reason: c };
    certs.push(c);
  }
  const trusted: Cert[] = [];
  for (const d of anchors) {
    const c = parse(d);
    if (typeof c !== 'string') trusted.push(c);
  }
  const leaf = certs[0]!;
  const lp = leafProblem(leaf, time);
  if (lp) return { ok: false, reason: lp };
  // A leaf that is itself a trust anchor (a pinned, usually self-signed certificate).
  if (trusted.some((a) => Buffer.from(a.der).equals(Buffer.from(leaf.der)))) return { ok: true, path: [leaf.der] };
  const search = new PathSearch(certs, trusted, maxLen, time);
  if (search.extend()) return { ok: true, path: search.path.map((c) => c.der) };
  if (leaf.subject === leaf.issuer && signedBy(leaf, leaf))
    return { ok: false, reason: 'self-signed certificate is not trusted' };
  return { ok: false, reason: search.firstFailure ?? 'no path to a trust anchor (issuer not found)' };
}

function leafProblem(leaf: Cert, time: PathValidationOptions['time']): string | undefined {
  if (leaf.defect) return `leaf: ${leaf.defect}`;
  if (!validAt(leaf, time)) return 'leaf is outside its validity period';
  if (leaf.keyUsage !== undefined && (leaf.keyUsage & KeyUsageFlags.digitalSignature) === 0)
    return 'leaf keyUsage lacks digitalSignature';
  return undefined;
}

/** Depth-first path building from the leaf towards a trust anchor (RFC 5280 §6.1, RFC 4158), bounded in steps. */
class PathSearch {
  steps = 0;
  firstFailure: string | undefined;
  readonly used = new Set<number>([0]);
  readonly path: Cert[];

  constructor(
    private readonly certs: readonly Cert[],
    private readonly trusted: readonly Cert[],
    private readonly maxLen: number,
    private readonly time: PathValidationOptions['time'],
  ) {
    this.path = [certs[0]!];
  }

  private fail(why: string): false {
    this.firstFailure ??= why;
    return false;
  }

  /** Whether `issuer` may be appended to the path (its own checks and the link to the current end). */
  private linkOk(issuer: Cert): boolean {
    const path = this.path;
    const child = path[path.length - 1]!;
    if (issuer.subject !== child.issuer) return false;
    if (++this.steps > MAX_STEPS) return this.fail('path building gave up (too many candidates)');
    if (!signedBy(child, issuer))
      return this.fail(child.sigAlg ? 'signature does not verify' : 'signature algorithm not accepted');
    if (issuer.defect) return this.fail(issuer.defect);
    const d = issuerDefect(issuer);
    if (d) return this.fail(d);
    if (!validAt(issuer, this.time)) return this.fail('issuer certificate is outside its validity period');
    // RFC 5280 §6.1.4 (l)-(m): intermediates below this issuer, self-issued ones not counted.
    let below = 0;
    for (let i = 1; i < path.length; i++) if (path[i]!.subject !== path[i]!.issuer) below++;
    if (issuer.pathLen !== undefined && below > issuer.pathLen) return this.fail('pathLenConstraint exceeded');
    if (path.length + 1 > this.maxLen) return this.fail(`path longer than ${this.maxLen} certificates`);
    return true;
  }

  /** Extends the path by one issuer (backtracking); true when it reached a trust anchor. */
  extend(): boolean {
    // Trusted issuers first (as RFC 4158 §3.5 and OpenSSL's default do), then the peer's untrusted certificates.
    for (const a of this.trusted) {
      if (this.linkOk(a)) {
        this.path.push(a);
        return true;
      }
    }
    for (let i = 1; i < this.certs.length; i++) {
      if (this.used.has(i)) continue;
      const c = this.certs[i]!;
      if (!this.linkOk(c)) continue;
      this.used.add(i);
      this.path.push(c);
      if (this.extend()) return true;
      this.path.pop();
      this.used.delete(i);
    }
    return false;
  }
}
