import type { CoreOutput } from '@mdh/loop';
import type { SrtpProfile } from '@mdh/srtp';
import type { DtlsCertificate } from './certificate.js';
import { type CipherSuiteName, cipherSuiteInfo, type GroupName, HandshakeType } from './constants.js';
import type { DtlsError } from './errors.js';
import type { PrfHash } from './prf.js';

/** Engine configuration. Everything but `role` (and `certificate` for a server) has a default. */
export interface DtlsEngineOptions {
  /** Which side of the handshake this engine plays. */
  role: 'client' | 'server';
  /** Local identity; required for a server, needed by a client asked for a certificate (mutual auth). */
  certificate?: DtlsCertificate;
  /** Cipher suites in preference order (default: all four AES-GCM suites). */
  cipherSuites?: readonly CipherSuiteName[];
  /** ECDHE groups in preference order (default x25519, secp256r1, secp384r1). */
  groups?: readonly GroupName[];
  /** DTLS-SRTP profiles (ids or names) in preference order; empty or absent: use_srtp is not negotiated. */
  srtpProfiles?: readonly (number | string)[];
  /** ALPN protocol names in preference order. */
  alpn?: readonly string[];
  /** Server: send a CertificateRequest (default true, as WebRTC requires mutual authentication). */
  requestClientCertificate?: boolean;
  /**
   * Server: fail when the client sends no certificate. Default: true when the peer is to be verified
   * (`expectedFingerprints`, `ca` or `verifyCertificate` given) and a certificate is requested, else false.
   */
  requireClientCertificate?: boolean;
  /** Accept the peer only if its leaf matches one of these RFC 8122 fingerprints (`sha-256 AB:…`). */
  expectedFingerprints?: readonly string[];
  /** Trust anchors (PEM text or DER) for CA-chain verification of the peer. */
  ca?: readonly (string | Uint8Array)[];
  /** Extra application check of the peer chain (DER, leaf first); return false to reject. */
  verifyCertificate?: (chain: readonly Uint8Array[]) => boolean;
  /** Largest datagram this engine sends (default 1200). */
  mtu?: number;
  /**
   * First retransmission timeout of each flight in ms (default {@link DEFAULT_INITIAL_RETRANSMIT_MS}, 400); it doubles
   * at every retransmission (RFC 6347 §4.2.4.1) up to `maxRetransmitMs`.
   */
  initialRetransmitMs?: number;
  /** Retransmission timeout cap in ms (default {@link DEFAULT_MAX_RETRANSMIT_MS}, 2000). */
  maxRetransmitMs?: number;
  /** Give up a handshake that has not completed after this many ms (default 60000). */
  handshakeTimeoutMs?: number;
  /** Require RFC 7627 extended_master_secret (default true). */
  requireExtendedMasterSecret?: boolean;
  /**
   * Read-only key log hook (like Node's TLS `keylog` event): called once per handshake, as soon as the master
   * secret is derived, with the client random and the 48-octet master secret (copies) — what an NSS key log
   * `CLIENT_RANDOM` line carries, which Wireshark uses to decrypt the handshake's Finished and the records. It
   * hands out the association's secret: for debugging only. An exception it throws is ignored.
   */
  keylog?: (secret: { clientRandom: Uint8Array; masterSecret: Uint8Array }) => void;
  /** Anti-replay window size in records, 1..32768 (default 64; RFC 6347 §4.1.2.6). */
  replayWindow?: number;
  /** Random source (default node:crypto randomBytes). Used for randoms, session ids and the cookie secret. */
  random?: (n: number) => Uint8Array;
  /** Server: HMAC secret for HelloVerifyRequest cookies (default: random per engine). */
  cookieSecret?: Uint8Array;
  /** Server: demand a cookie exchange (default true). */
  cookieExchange?: boolean;
  /** Server: the peer's transport address, bound into the cookie (e.g. `127.0.0.1:5000`). */
  peerId?: string;
  /** Wall clock for certificate validity checks (default Date.now). */
  wallClock?: () => number;
  /**
   * @internal Test hook that lets a test act as a misbehaving peer: rewrites an outgoing handshake body before it
   * is sent (and hashed).
   */
  tamperHandshake?: (msgType: number, body: Uint8Array) => Uint8Array;
}

/** Parameters of an established association. */
export interface DtlsConnectionInfo {
  version: 'DTLSv1.2';
  cipherSuite: CipherSuiteName;
  /** The ECDHE group. */
  group: GroupName;
  /** Negotiated DTLS-SRTP profile, if any. */
  srtpProfile?: SrtpProfile;
  /** Negotiated ALPN protocol, if any. */
  alpn?: string;
  /** Always true: the master secret is the RFC 7627 extended one (unless the option allowed otherwise). */
  extendedMasterSecret: boolean;
  /** Peer chain, DER, leaf first (empty when a client sent no certificate). */
  peerCertificates: Uint8Array[];
  /** RFC 8122 sha-256 fingerprint of the peer leaf (empty string when none). */
  peerFingerprint: string;
}

/** Events reported by {@link DtlsEngine.pollOutput}. */
export type DtlsEvent =
  | { type: 'peerCertificate'; chain: Uint8Array[]; fingerprint: string }
  | { type: 'connected'; info: DtlsConnectionInfo }
  | { type: 'applicationData'; data: Uint8Array }
  | { type: 'closed'; byPeer: boolean }
  | { type: 'error'; error: DtlsError };

/** One output of the engine: a datagram to send, an event, or the next deadline (`at: null` = none). */
export type DtlsOutput = CoreOutput<DtlsEvent>;

/** Counters for dropped input (STYLE §4a: noise is dropped and counted). */
export interface DtlsStats {
  datagramsIn: number;
  recordsIn: number;
  malformed: number;
  replayed: number;
  badRecordMac: number;
  droppedEpoch: number;
  droppedUnexpected: number;
  retransmits: number;
}

export type State = 'idle' | 'handshake' | 'connected' | 'closed' | 'failed';

/**
 * Where the handshake is: the next peer message this engine expects (RFC 5246 §7.3, RFC 6347 §4.2.4 flights).
 *
 * ```
 *  client                                  server
 *  ClientHello            -------->                      flight 1
 *                         <--------   HelloVerifyRequest flight 2
 *  ClientHello(cookie)    -------->                      flight 3
 *                                       ServerHello      flight 4
 *                                       Certificate
 *                                 ServerKeyExchange
 *                                CertificateRequest
 *                         <--------   ServerHelloDone
 *  Certificate, ClientKeyExchange, CertificateVerify
 *  [ChangeCipherSpec], Finished -------->                flight 5
 *                         <--------  [ChangeCipherSpec], Finished  flight 6
 * ```
 */
export type Expect =
  | 'serverHello'
  | 'certificate'
  | 'serverKeyExchange'
  | 'certificateRequestOrDone'
  | 'serverHelloDone'
  | 'clientHello'
  | 'clientCertificate'
  | 'clientKeyExchange'
  | 'certificateVerify'
  | 'changeCipherSpec'
  | 'finished'
  | 'done';

export type FlightEntry = { kind: 'hs'; type: number; seq: number; body: Uint8Array; epoch: number } | { kind: 'ccs' };

export interface Reassembly {
  type: number;
  length: number;
  /** Epoch of the records the fragments came in: epoch 0 is unauthenticated (RFC 6347 §4.1.2.7). */
  epoch: number;
  buf: Uint8Array;
  have: Uint8Array;
  got: number;
}

/**
 * Default first retransmission timeout of a flight. RFC 6347 §4.2.4.1 recommends 1 s but leaves the value to the
 * implementation; RFC 9147 §5.8.2 (DTLS 1.3) recommends 100 ms. A DTLS-SRTP handshake runs over a path ICE has
 * just checked, whose round trip is well under 400 ms on nearly every network (intercontinental paths ~300 ms), so a
 * spurious retransmission is rare while a lost first flight costs 0.4 s instead of 1 s. Measured on the simulated
 * network of test/loss.test.ts (30% loss, 10% duplication, 30% reordering, 100 seeds): median 3.5 s → 1.6 s.
 */
export const DEFAULT_INITIAL_RETRANSMIT_MS = 400;
/**
 * Default cap of the doubling retransmission timeout (400 → 800 → 1600 → 2000 ms). RFC 6347 §4.2.4.1 lets the
 * timer grow to 60 s, but then one unlucky loss late in a handshake costs tens of seconds (before: 4 of 100 lossy
 * handshakes took over 60 s); WebRTC stacks keep it short (pion/dtls retransmits at a fixed interval). The traffic
 * stays bounded: one flight per 2 s at most, and only until the handshake deadline.
 */
export const DEFAULT_MAX_RETRANSMIT_MS = 2000;

export const MAX_HANDSHAKE_MESSAGE = 65536;
export const MAX_MESSAGE_LOOKAHEAD = 16;
export const MAX_PENDING_RECORDS = 32;
/** Bounds on a fragmented ClientHello a server reassembles before the cookie exchange. */
export const MAX_CLIENT_HELLO = 16384;
export const MAX_CLIENT_HELLO_SEQ = 2;
export const RESERVED_EXPORTER_LABELS = new Set([
  'client finished',
  'server finished',
  'master secret',
  'key expansion',
  'extended master secret',
]);

/** Handshake messages of the client's second flight (RFC 6347 §4.2.4, flight 5). */
export const FLIGHT5_TYPES = new Set<number>([
  HandshakeType.certificate,
  HandshakeType.clientKeyExchange,
  HandshakeType.certificateVerify,
  HandshakeType.finished,
]);

/** True when `parse` accepts `body` (decoders throw a DtlsError on malformed input). */
export function parses(parse: (b: Uint8Array) => unknown, body: Uint8Array): boolean {
  try {
    parse(body);
    return true;
  } catch {
    return false;
  }
}

export function timingSafe(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** The hash a suite's PRF uses. */
export function suiteHash(name: CipherSuiteName): PrfHash {
  return cipherSuiteInfo(name)!.hash;
}
