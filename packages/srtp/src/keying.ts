import { SrtpConfigError } from './errors.js';
import { getSrtpProfile, type SrtpProfile } from './profiles.js';
import { SrtpSession, type SrtpSessionOptions } from './session.js';

/** A master key and master salt for one direction. */
export interface SrtpMasterKey {
  /** Master key (16, 24 or 32 octets by profile). */
  readonly key: Uint8Array;
  /** Master salt (14 octets, or 12 for AEAD profiles). */
  readonly salt: Uint8Array;
}

/** Keys for both directions, from our point of view. */
export interface SrtpKeyPair {
  /** Profile the material was split for. */
  readonly profile: SrtpProfile;
  /** Key we protect outgoing SRTP/SRTCP with. */
  readonly local: SrtpMasterKey;
  /** Key we unprotect incoming SRTP/SRTCP with. */
  readonly remote: SrtpMasterKey;
}

/**
 * Splits DTLS-SRTP exported keying material (RFC 5764 §4.2):
 * `client_write_key | server_write_key | client_write_salt | server_write_salt`.
 * The DTLS client protects with the client-write key; the server with the server-write key.
 * @param profile profile name or object (its key and salt lengths fix the layout)
 * @param material exactly `profile.keyingMaterialLength` octets from the exporter (`EXTRACTOR-dtls_srtp`)
 * @param role our DTLS role
 */
export function srtpKeysFromKeyingMaterial(
  profile: string | SrtpProfile,
  material: Uint8Array,
  role: 'client' | 'server',
): SrtpKeyPair {
  const prof = getSrtpProfile(profile);
  const k = prof.masterKeyLength;
  const s = prof.masterSaltLength;
  if (!(material instanceof Uint8Array) || material.length !== 2 * (k + s)) {
    throw new SrtpConfigError(
      `keying material for ${prof.name} must be ${2 * (k + s)} octets, got ${material?.length ?? 'none'}`,
    );
  }
  if (role !== 'client' && role !== 'server') throw new SrtpConfigError(`role must be 'client' or 'server'`);
  const client: SrtpMasterKey = { key: material.slice(0, k), salt: material.slice(2 * k, 2 * k + s) };
  const server: SrtpMasterKey = { key: material.slice(k, 2 * k), salt: material.slice(2 * k + s, 2 * (k + s)) };
  return role === 'client'
    ? { profile: prof, local: client, remote: server }
    : { profile: prof, local: server, remote: client };
}

/**
 * Both SrtpSessions of a DTLS-SRTP association in one call: `tx` protects with our write key, `rx` unprotects
 * with the peer's (RFC 5764 §4.2). `options` (replay window, MKI, backend...) apply to both.
 */
export function srtpSessionsFromKeyingMaterial(
  profile: string | SrtpProfile,
  material: Uint8Array,
  role: 'client' | 'server',
  options: Omit<SrtpSessionOptions, 'profile' | 'key' | 'salt' | 'sessionKeys'> = {},
): { tx: SrtpSession; rx: SrtpSession } {
  const k = srtpKeysFromKeyingMaterial(profile, material, role);
  return {
    tx: new SrtpSession({ ...options, profile: k.profile, key: k.local.key, salt: k.local.salt }),
    rx: new SrtpSession({ ...options, profile: k.profile, key: k.remote.key, salt: k.remote.salt }),
  };
}
