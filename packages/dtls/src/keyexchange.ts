import {
  createECDH,
  createPublicKey,
  diffieHellman,
  type ECDH,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { AlertDescription, type GroupName, NamedGroup } from './constants.js';
import { DtlsError } from './errors.js';

/** An ephemeral ECDHE key pair on one named group (RFC 8422 §5.10, RFC 7748 §6.1). */
export interface EcdheKeyPair {
  readonly group: number;
  /** Public value as it goes on the wire: 32 octets for X25519, an uncompressed point for NIST curves. */
  readonly publicKey: Uint8Array;
  /** Computes the premaster secret from the peer's public value; illegal_parameter on a bad point. */
  computeSecret(peer: Uint8Array): Uint8Array;
}

class X25519Pair implements EcdheKeyPair {
  readonly group = NamedGroup.x25519;
  readonly publicKey: Uint8Array;
  private readonly priv: KeyObject;
  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('x25519');
    // JWK import/export is an order of magnitude cheaper than the DER (SPKI) decoder in OpenSSL 3.
    const x = publicKey.export({ format: 'jwk' }).x;
    this.publicKey = new Uint8Array(Buffer.from(x ?? '', 'base64url'));
    this.priv = privateKey;
  }
  computeSecret(peer: Uint8Array): Uint8Array {
    if (peer.length !== 32) throw new DtlsError('bad X25519 public value', AlertDescription.illegalParameter);
    let s: Uint8Array;
    try {
      const pub = createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peer).toString('base64url') },
        format: 'jwk',
      });
      s = new Uint8Array(diffieHellman({ privateKey: this.priv, publicKey: pub }));
    } catch {
      throw new DtlsError('bad X25519 public value', AlertDescription.illegalParameter);
    }
    // RFC 8422 §5.11 / RFC 7748 §6.1: an all-zero shared secret must be rejected.
    let acc = 0;
    for (const b of s) acc |= b;
    if (acc === 0) throw new DtlsError('X25519 all-zero shared secret', AlertDescription.illegalParameter);
    return s;
  }
}

class NistPair implements EcdheKeyPair {
  readonly publicKey: Uint8Array;
  private readonly ecdh: ECDH;
  constructor(
    readonly group: number,
    private readonly pointLength: number,
    curve: string,
  ) {
    this.ecdh = createECDH(curve);
    this.publicKey = new Uint8Array(this.ecdh.generateKeys());
  }
  computeSecret(peer: Uint8Array): Uint8Array {
    // RFC 8422 §5.4.1: only the uncompressed form is used.
    if (peer.length !== this.pointLength || peer[0] !== 4) {
      throw new DtlsError('bad ECDH point', AlertDescription.illegalParameter);
    }
    try {
      return new Uint8Array(this.ecdh.computeSecret(peer));
    } catch {
      throw new DtlsError('ECDH point not on curve', AlertDescription.illegalParameter);
    }
  }
}

/** Generates an ephemeral key pair on `group` (a NamedGroup id). */
export function generateEcdhe(group: number): EcdheKeyPair {
  switch (group) {
    case NamedGroup.x25519:
      return new X25519Pair();
    case NamedGroup.secp256r1:
      return new NistPair(group, 65, 'prime256v1');
    case NamedGroup.secp384r1:
      return new NistPair(group, 97, 'secp384r1');
    default:
      throw new DtlsError(`unsupported group ${group}`, AlertDescription.illegalParameter);
  }
}

/** Maps a group name to its id. */
export function groupId(name: GroupName): number {
  return NamedGroup[name];
}

/** Maps a group id to its name. */
export function groupName(id: number): GroupName | undefined {
  for (const [k, v] of Object.entries(NamedGroup)) if (v === id) return k as GroupName;
  return undefined;
}
