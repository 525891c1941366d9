import { SrtpSession, type SrtpSessionOptions, srtpKeysFromKeyingMaterial } from '@mdh/srtp';
import type { DtlsEngine } from './engine.js';
import { DtlsUsageError } from './errors.js';
import type { DtlsSession } from './session.js';

/** Options passed through to both SrtpSessions (everything but the profile and keys). */
export type DtlsSrtpOptions = Omit<SrtpSessionOptions, 'profile' | 'key' | 'salt' | 'sessionKeys'>;

/** The two SRTP contexts of a DTLS-SRTP association (RFC 5764 §4.2). */
export interface DtlsSrtpSessions {
  /** Negotiated profile name, e.g. `SRTP_AES128_CM_HMAC_SHA1_80`. */
  profile: string;
  /** Protects what we send (our write key: client_write for the DTLS client). */
  outbound: SrtpSession;
  /** Unprotects what we receive (the peer's write key). */
  inbound: SrtpSession;
}

/**
 * Builds ready SrtpSessions from a connected DTLS association that negotiated use_srtp: exports
 * `EXTRACTOR-dtls_srtp` and splits it by our DTLS role (RFC 5764 §4.2). Throws DtlsUsageError before the
 * handshake completes or when no SRTP profile was negotiated.
 *
 * ```ts
 * const { outbound, inbound } = srtpSessionsFromDtls(conn.session);
 * sock.send(outbound.protect(rtpPacket), port, host);
 * ```
 */
export function srtpSessionsFromDtls(dtls: DtlsEngine | DtlsSession, options: DtlsSrtpOptions = {}): DtlsSrtpSessions {
  const engine = 'engine' in dtls ? dtls.engine : dtls;
  const km = engine.srtpKeyingMaterial();
  if (!km) throw new DtlsUsageError('use_srtp was not negotiated on this DTLS association');
  const profile = km.profile;
  const keys = srtpKeysFromKeyingMaterial(profile, km.material, engine.role);
  km.material.fill(0);
  return {
    profile: profile.name,
    outbound: new SrtpSession({ ...options, profile, key: keys.local.key, salt: keys.local.salt }),
    inbound: new SrtpSession({ ...options, profile, key: keys.remote.key, salt: keys.remote.salt }),
  };
}
