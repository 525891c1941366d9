import { type KeyObject, randomBytes } from 'node:crypto';
import {
  certificatePublicKey,
  type DtlsCertificate,
  fingerprint,
  matchesFingerprint,
  pemBlocks,
} from './certificate.js';
import {
  AlertDescription,
  AlertLevel,
  CIPHER_SUITES,
  type CipherSuiteInfo,
  type CipherSuiteName,
  ContentType,
  cipherSuiteInfo,
  DTLS_1_0,
  DTLS_1_2,
  EMPTY_RENEGOTIATION_INFO_SCSV,
  ExtensionType,
  type GroupName,
  HandshakeType,
  NamedGroup,
  SRTP_PROFILES,
  type SrtpProfileInfo,
  srtpProfileInfo,
} from './constants.js';
import { computeCookie, verifyCookie } from './cookie.js';
import { DtlsError, DtlsUsageError } from './errors.js';
import { type EcdheKeyPair, generateEcdhe, groupName } from './keyexchange.js';
import { parseAlert, serializeAlert } from './messages/alert.js';
import { parseCertificate, serializeCertificate } from './messages/certificate.js';
import {
  ClientCertificateType,
  parseCertificateRequest,
  serializeCertificateRequest,
} from './messages/certificate-request.js';
import { parseCertificateVerify, serializeCertificateVerify } from './messages/certificate-verify.js';
import { parseClientHello, serializeClientHello } from './messages/client-hello.js';
import { parseClientKeyExchange, serializeClientKeyExchange } from './messages/client-key-exchange.js';
import {
  type Extension,
  parseAlpn,
  parseU16List,
  parseUseSrtp,
  serializeAlpn,
  serializeUseSrtp,
  u16List,
} from './messages/extensions.js';
import { parseFinished, serializeFinished } from './messages/finished.js';
import {
  HANDSHAKE_HEADER_LENGTH,
  type HandshakeFragment,
  parseHandshakeFragments,
  serializeHandshake,
  writeHandshakeHeader,
} from './messages/handshake-header.js';
import { parseHelloVerifyRequest, serializeHelloVerifyRequest } from './messages/hello-verify-request.js';
import { parseServerHello, serializeServerHello } from './messages/server-hello.js';
import {
  parseServerKeyExchange,
  serializeEcdhParams,
  serializeServerKeyExchange,
} from './messages/server-key-exchange.js';
import { validateCertificatePath } from './path-validation.js';
import {
  digest,
  exportKeyingMaterial,
  extendedMasterSecret,
  finishedVerifyData,
  keyBlock,
  masterSecret,
  type PrfHash,
} from './prf.js';
import {
  AEAD_OVERHEAD,
  ChaChaRecordCipher,
  type DtlsRecord,
  GcmRecordCipher,
  MAX_PLAINTEXT,
  parseRecords,
  RECORD_HEADER_LENGTH,
  type RecordCipher,
  ReplayWindow,
  serializePlainRecord,
} from './record.js';
import { chooseScheme, DEFAULT_SIGNATURE_SCHEMES, keyKind, schemeKind, signWith, verifyWith } from './signature.js';

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
  /** Anti-replay window size in records (default 64). */
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
  srtpProfile?: SrtpProfileInfo;
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
export type DtlsOutput =
  | { kind: 'datagram'; data: Uint8Array }
  | { kind: 'event'; event: DtlsEvent }
  | { kind: 'deadline'; at: number | null };

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

type State = 'idle' | 'handshake' | 'connected' | 'closed' | 'failed';

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
type Expect =
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

type FlightEntry = { kind: 'hs'; type: number; seq: number; body: Uint8Array; epoch: number } | { kind: 'ccs' };

interface Reassembly {
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

const MAX_HANDSHAKE_MESSAGE = 65536;
const MAX_MESSAGE_LOOKAHEAD = 16;
const MAX_PENDING_RECORDS = 32;
/** Bounds on a fragmented ClientHello a server reassembles before the cookie exchange. */
const MAX_CLIENT_HELLO = 16384;
const MAX_CLIENT_HELLO_SEQ = 2;
const RESERVED_EXPORTER_LABELS = new Set([
  'client finished',
  'server finished',
  'master secret',
  'key expansion',
  'extended master secret',
]);

/**
 * A sans-I/O DTLS 1.2 endpoint (RFC 6347) for one association. Feed it datagrams with `handleInput`, the time with
 * `handleTimeout`, and drain `pollOutput` until it returns a deadline.
 *
 * ```ts
 * const client = new DtlsEngine({ role: 'client', certificate: generateCertificate() });
 * client.start(now);
 * for (let o = client.pollOutput(); o.kind !== 'deadline'; o = client.pollOutput()) { … }
 * ```
 */
export class DtlsEngine {
  /** Drop counters. */
  readonly stats: DtlsStats = {
    datagramsIn: 0,
    recordsIn: 0,
    malformed: 0,
    replayed: 0,
    badRecordMac: 0,
    droppedEpoch: 0,
    droppedUnexpected: 0,
    retransmits: 0,
  };
  /** Which side of the handshake this engine plays. */
  readonly role: 'client' | 'server';
  private readonly opts: DtlsEngineOptions;
  private readonly random: (n: number) => Uint8Array;
  private readonly suites: CipherSuiteInfo[];
  private readonly groups: number[];
  private readonly srtpProfiles: SrtpProfileInfo[];
  private readonly mtu: number;
  /** MTU used for flights; lowered after repeated timeouts (RFC 6347 §4.1.1.1). */
  private sendMtu: number;
  private flightTimeouts = 0;
  private readonly cookieSecret: Uint8Array;
  private readonly anchors: Uint8Array[];

  private state: State = 'idle';
  private expect: Expect;
  private outputs: DtlsOutput[] = [];

  // handshake
  private clientRandom: Uint8Array = new Uint8Array(32);
  private serverRandom: Uint8Array = new Uint8Array(32);
  private cookie: Uint8Array = new Uint8Array(0);
  private sendMsgSeq = 0;
  private recvMsgSeq = 0;
  private reasm = new Map<number, Reassembly>();
  private transcript: Uint8Array[] = [];
  private suite: CipherSuiteInfo | undefined;
  private group = 0;
  private ecdhe: EcdheKeyPair | undefined;
  private pms: Uint8Array | undefined;
  private master: Uint8Array | undefined;
  private ems = false;
  private srtp: SrtpProfileInfo | undefined;
  private alpn: string | undefined;
  private peerChain: Uint8Array[] = [];
  private peerKey: KeyObject | undefined;
  private certRequested = false;
  private certRequestSchemes: number[] | undefined;
  private peerSigSchemes: number[] | undefined;
  private clientHelloBody: Uint8Array | undefined;
  private pendingCcs = false;
  private offeredRenegotiationInfo = false;

  // record layer
  private writeEpoch = 0;
  private writeSeq = [0, 0];
  private writeCipher: RecordCipher | undefined;
  private readEpoch = 0;
  private readCipher: RecordCipher | undefined;
  private nextReadCipher: RecordCipher | undefined;
  private readonly replay: ReplayWindow;
  private pendingRecords: DtlsRecord[] = [];
  private earlyAppData: Uint8Array[] = [];

  // retransmission (RFC 6347 §4.2.4)
  private flight: FlightEntry[] = [];
  private rto: number;
  private retransmitAt: number | null = null;
  private handshakeDeadline: number | null = null;
  private lastFlightSentAt = Number.NEGATIVE_INFINITY;
  private retransmitRequested = false;
  private connectedInfo: DtlsConnectionInfo | undefined;

  constructor(opts: DtlsEngineOptions) {
    if (opts.role !== 'client' && opts.role !== 'server') throw new DtlsUsageError("role must be 'client' or 'server'");
    if (opts.role === 'server' && !opts.certificate) throw new DtlsUsageError('a DTLS server needs a certificate');
    if (opts.certificate) {
      if (opts.certificate.chain.length === 0) throw new DtlsUsageError('certificate chain is empty');
      if (!keyKind(opts.certificate.privateKey)) throw new DtlsUsageError('certificate key must be ECDSA or RSA');
    }
    this.opts = opts;
    this.role = opts.role;
    this.random = opts.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.suites = (opts.cipherSuites ?? CIPHER_SUITES.map((s) => s.name)).map((n) => {
      const s = cipherSuiteInfo(n);
      if (!s) throw new DtlsUsageError(`unknown cipher suite ${n}`);
      return s;
    });
    if (this.suites.length === 0) throw new DtlsUsageError('no cipher suites configured');
    this.groups = (opts.groups ?? ['x25519', 'secp256r1', 'secp384r1']).map((g) => {
      const id = NamedGroup[g];
      if (id === undefined) throw new DtlsUsageError(`unknown group ${g}`);
      return id;
    });
    this.srtpProfiles = (opts.srtpProfiles ?? []).map((p) => {
      const info = srtpProfileInfo(p);
      if (!info)
        throw new DtlsUsageError(
          `unknown SRTP profile ${p}; use one of ${SRTP_PROFILES.map((x) => x.name).join(', ')}`,
        );
      return info;
    });
    this.mtu = opts.mtu ?? 1200;
    this.sendMtu = this.mtu;
    if (!Number.isInteger(this.mtu) || this.mtu < 100 || this.mtu > 65507)
      throw new DtlsUsageError('mtu must be 100..65507');
    for (const [k, v] of [
      ['initialRetransmitMs', opts.initialRetransmitMs],
      ['maxRetransmitMs', opts.maxRetransmitMs],
    ] as const) {
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new DtlsUsageError(`${k} must be a positive number`);
    }
    this.rto = opts.initialRetransmitMs ?? DEFAULT_INITIAL_RETRANSMIT_MS;
    this.replay = new ReplayWindow(opts.replayWindow ?? 64);
    this.cookieSecret = opts.cookieSecret ?? this.random(32);
    this.anchors = (opts.ca ?? []).flatMap((c) => (typeof c === 'string' ? pemBlocks(c) : [c]));
    this.expect = this.role === 'client' ? 'serverHello' : 'clientHello';
  }

  /** True once the handshake completed and until the association closes. */
  get connected(): boolean {
    return this.state === 'connected';
  }

  /** The ClientHello random of this handshake (a public value; all zero before it is known). */
  get clientHelloRandom(): Uint8Array {
    return this.clientRandom.slice();
  }

  /** Parameters of the established association (undefined before `connected`). */
  get info(): DtlsConnectionInfo | undefined {
    return this.connectedInfo;
  }

  private clientCertificateRequired(): boolean {
    if (this.opts.requireClientCertificate !== undefined) return this.opts.requireClientCertificate;
    const verifies =
      (this.opts.expectedFingerprints?.length ?? 0) > 0 ||
      this.anchors.length > 0 ||
      this.opts.verifyCertificate !== undefined;
    return verifies && (this.opts.requestClientCertificate ?? true);
  }

  private isDead(): boolean {
    return this.state === 'closed' || this.state === 'failed';
  }

  /** Client: sends the first ClientHello. Server: arms the handshake deadline. Call once. */
  start(now: number): void {
    if (this.state !== 'idle') throw new DtlsUsageError('start() may be called once');
    this.state = 'handshake';
    this.handshakeDeadline = now + (this.opts.handshakeTimeoutMs ?? 60_000);
    if (this.role === 'client') {
      this.clientRandom = this.random(32);
      this.sendClientHello(now);
    }
  }

  /** Feeds one received datagram. Never throws on peer input: problems become counters or an `error` event. */
  handleInput(datagram: Uint8Array, now: number): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    if (this.state === 'idle') {
      if (this.role === 'client') return;
      this.start(now);
    }
    this.stats.datagramsIn++;
    this.retransmitRequested = false;
    try {
      const { records, malformed } = parseRecords(datagram);
      if (malformed) this.stats.malformed++;
      for (const rec of records) {
        if (this.isDead()) break;
        try {
          this.processRecord(rec, now);
        } catch (e) {
          // Principle 6 / RFC 6347 §4.1.2.7: nothing unauthenticated ends an established association. The paths
          // below drop such input explicitly; this keeps any that was missed from becoming fatal.
          if (this.state === 'connected' && rec.epoch === 0 && e instanceof DtlsError) {
            this.stats.malformed++;
            continue;
          }
          throw e;
        }
      }
      if (this.retransmitRequested && this.flight.length > 0 && !this.isDead()) {
        this.retransmitRequested = false;
        if (now - this.lastFlightSentAt >= Math.min(250, this.rto / 4)) {
          this.stats.retransmits++;
          // RFC 6347 §4.2.4: once connected our flight is the last one: resent on request, never on a timer
          this.sendFlight(now, this.state !== 'connected');
        }
      }
    } catch (e) {
      this.fail(e instanceof DtlsError ? e : new DtlsError(`internal error: ${(e as Error).message}`), now);
    }
  }

  /** Tells the engine the time: retransmits a flight (doubling the timeout, RFC 6347 §4.2.4.1) or gives up. */
  handleTimeout(now: number): void {
    if (this.state !== 'handshake' && this.state !== 'connected') return;
    if (this.handshakeDeadline !== null && now >= this.handshakeDeadline && this.state === 'handshake') {
      const e = new DtlsError('handshake timed out', AlertDescription.handshakeFailure);
      this.state = 'failed';
      this.retransmitAt = null;
      this.handshakeDeadline = null;
      this.emit({ type: 'error', error: e });
      return;
    }
    if (this.retransmitAt !== null && now >= this.retransmitAt && this.flight.length > 0) {
      this.rto = Math.min(this.rto * 2, this.opts.maxRetransmitMs ?? DEFAULT_MAX_RETRANSMIT_MS);
      // RFC 6347 §4.1.1.1: when retransmissions get no answer, the path MTU may be smaller than assumed; after two
      // silent timeouts, fragment to at most 576 octets (the IPv4 minimum reassembly size).
      if (++this.flightTimeouts >= 2 && this.sendMtu > 576) this.sendMtu = 576;
      this.stats.retransmits++;
      this.sendFlight(now);
    }
  }

  /** Next output: a datagram, an event, or the next deadline (absolute ms; null = nothing scheduled). */
  pollOutput(): DtlsOutput {
    const o = this.outputs.shift();
    if (o) return o;
    let at: number | null = null;
    if (this.state === 'handshake') {
      at = this.handshakeDeadline;
      if (this.retransmitAt !== null && (at === null || this.retransmitAt < at)) at = this.retransmitAt;
    }
    return { kind: 'deadline', at };
  }

  /** Sends application data (one record, one datagram). Throws DtlsUsageError when not connected or too large. */
  send(data: Uint8Array): void {
    if (this.state !== 'connected' || !this.writeCipher)
      throw new DtlsUsageError('send() before the handshake completed');
    if (data.length > MAX_PLAINTEXT)
      throw new DtlsUsageError(`application data must be at most ${MAX_PLAINTEXT} octets`);
    this.outputs.push({ kind: 'datagram', data: this.sealRecord(ContentType.applicationData, data) });
  }

  /** Sends close_notify (RFC 5246 §7.2.1) and closes the association. */
  close(): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    if (this.state !== 'idle') this.sendAlert(AlertLevel.warning, AlertDescription.closeNotify);
    this.state = 'closed';
    this.retransmitAt = null;
    this.emit({ type: 'closed', byPeer: false });
    this.wipe();
  }

  /**
   * RFC 5705 exporter over the negotiated master secret and PRF hash. `context === undefined` means "no context"
   * (as EXTRACTOR-dtls_srtp requires).
   */
  exportKeyingMaterial(label: string, length: number, context?: Uint8Array): Uint8Array {
    if (!this.master || !this.suite || this.state !== 'connected') {
      throw new DtlsUsageError('exportKeyingMaterial() needs a connected association');
    }
    if (RESERVED_EXPORTER_LABELS.has(label))
      throw new DtlsUsageError(`exporter label '${label}' is reserved (RFC 5705 §4)`);
    if (!Number.isInteger(length) || length < 1 || length > 65535) throw new DtlsUsageError('length must be 1..65535');
    // RFC 5705 §4: the context is prefixed with a uint16 length.
    if (context !== undefined && (!(context instanceof Uint8Array) || context.length > 65535))
      throw new DtlsUsageError('exporter context must be a Uint8Array of at most 65535 octets');
    return exportKeyingMaterial(
      this.suite.hash,
      this.master,
      label,
      this.clientRandom,
      this.serverRandom,
      length,
      context,
    );
  }

  /**
   * DTLS-SRTP keying material (RFC 5764 §4.2): `EXTRACTOR-dtls_srtp`, `2 × (key + salt)` octets laid out as client
   * key, server key, client salt, server salt. Undefined when use_srtp was not negotiated.
   */
  srtpKeyingMaterial(): { profile: SrtpProfileInfo; material: Uint8Array } | undefined {
    if (!this.srtp) return undefined;
    const profile = this.srtp;
    return {
      profile,
      material: this.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 2 * (profile.keyLength + profile.saltLength)),
    };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // record layer

  private emit(event: DtlsEvent): void {
    this.outputs.push({ kind: 'event', event });
  }

  private processRecord(rec: DtlsRecord, now: number): void {
    this.stats.recordsIn++;
    if (rec.version !== DTLS_1_2 && !(rec.version === DTLS_1_0 && rec.epoch === 0)) {
      this.stats.malformed++;
      return;
    }
    let plaintext: Uint8Array;
    const epoch = rec.epoch;
    if (epoch === this.readEpoch + 1) {
      // A record of the next epoch can only belong to this handshake (no renegotiation): buffer it until the
      // ChangeCipherSpec; once connected, a future epoch is noise.
      if (this.state === 'handshake' && this.pendingRecords.length < MAX_PENDING_RECORDS) {
        const header = rec.header.slice();
        this.pendingRecords.push({ ...rec, header, fragment: rec.fragment.slice() });
      } else this.stats.droppedEpoch++;
      return;
    }
    if (epoch === 0) {
      plaintext = rec.fragment;
      if (this.readEpoch > 0 && rec.type !== ContentType.handshake) {
        // Unauthenticated epoch-0 alerts/CCS after the switch are ignored (possible spoofing or late duplicates).
        this.stats.droppedEpoch++;
        return;
      }
    } else if (epoch === this.readEpoch && this.readCipher) {
      if (!this.replay.check(rec.seq)) {
        this.stats.replayed++;
        return;
      }
      const pt = this.readCipher.open(rec);
      if (!pt) {
        // RFC 6347 §4.1.2.7: invalid records are silently discarded.
        this.stats.badRecordMac++;
        return;
      }
      this.replay.update(rec.seq);
      plaintext = pt;
    } else {
      this.stats.droppedEpoch++;
      return;
    }
    // Epoch 0 is plaintext: anyone on the path can forge it. Malformed framing in it is dropped and counted (RFC 6347
    // §4.1.2.7), never fatal; in an authenticated epoch it is the peer's own protocol violation.
    const authenticated = epoch > 0;
    switch (rec.type) {
      case ContentType.handshake: {
        let fragments: HandshakeFragment[];
        try {
          fragments = parseHandshakeFragments(plaintext);
        } catch (e) {
          if (authenticated) throw e;
          this.stats.malformed++;
          return;
        }
        for (const f of fragments) {
          this.onFragment(f, rec, now);
          if (this.state === 'failed' || this.state === 'closed') return;
        }
        return;
      }
      case ContentType.changeCipherSpec:
        if (plaintext.length !== 1 || plaintext[0] !== 1) {
          if (!authenticated) {
            this.stats.malformed++;
            return;
          }
          throw new DtlsError('bad ChangeCipherSpec', AlertDescription.decodeError);
        }
        this.onChangeCipherSpec(now);
        return;
      case ContentType.alert:
        if (!authenticated && plaintext.length !== 2) {
          this.stats.malformed++;
          return;
        }
        this.onAlert(plaintext, epoch, now);
        return;
      case ContentType.applicationData:
        if (epoch === 0) {
          this.stats.droppedUnexpected++;
          return;
        }
        if (this.state === 'connected') this.emit({ type: 'applicationData', data: plaintext });
        else if (this.earlyAppData.length < 16) this.earlyAppData.push(plaintext);
        else this.stats.droppedUnexpected++;
        return;
      default:
        this.stats.droppedUnexpected++;
    }
  }

  private sealRecord(type: number, body: Uint8Array, epoch = this.writeEpoch): Uint8Array {
    const seq = this.writeSeq[epoch]!;
    // RFC 6347 §4.1: the 48-bit sequence number must not wrap; without renegotiation the association ends.
    if (seq >= 2 ** 48 - 1) throw new DtlsError('record sequence numbers exhausted', AlertDescription.internalError);
    this.writeSeq[epoch] = seq + 1;
    if (epoch === 0) return serializePlainRecord(type, 0, seq, body);
    const c = this.writeCipher;
    if (!c) throw new DtlsError('no write keys for epoch 1');
    return c.seal(type, epoch, seq, body);
  }

  private sendAlert(level: number, description: number): void {
    const body = serializeAlert({ level, description });
    try {
      this.outputs.push({ kind: 'datagram', data: this.sealRecord(ContentType.alert, body) });
    } catch {
      // no keys: nothing can be sent
    }
  }

  private fail(err: DtlsError, _now: number): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    if (!err.remote) this.sendAlert(AlertLevel.fatal, err.alert);
    this.state = 'failed';
    this.retransmitAt = null;
    this.handshakeDeadline = null;
    this.emit({ type: 'error', error: err });
    this.wipe();
  }

  private wipe(): void {
    this.pms?.fill(0);
    this.master?.fill(0);
    this.master = undefined;
    this.flight = [];
    this.reasm.clear();
    this.pendingRecords = [];
  }

  private onAlert(body: Uint8Array, epoch: number, now: number): void {
    const a = parseAlert(body);
    if (a.description === AlertDescription.closeNotify) {
      if (this.state === 'connected' || this.state === 'handshake') {
        this.sendAlert(AlertLevel.warning, AlertDescription.closeNotify);
        this.state = 'closed';
        this.retransmitAt = null;
        this.emit({ type: 'closed', byPeer: true });
        this.wipe();
      }
      return;
    }
    if (a.level === AlertLevel.fatal) {
      this.fail(new DtlsError(`peer sent fatal alert ${a.description} (epoch ${epoch})`, a.description, true), now);
      return;
    }
    this.stats.droppedUnexpected++;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // flights (RFC 6347 §4.2.4)

  private queueHandshake(type: number, body0: Uint8Array): void {
    const body = this.opts.tamperHandshake ? this.opts.tamperHandshake(type, body0) : body0;
    const seq = this.sendMsgSeq++;
    this.flight.push({ kind: 'hs', type, seq, body, epoch: this.writeEpoch });
    this.transcript.push(serializeHandshake(type, seq, body));
  }

  private queueChangeCipherSpec(): void {
    this.flight.push({ kind: 'ccs' });
  }

  /** Starts a new flight (the previous one is acknowledged by the peer's new flight). */
  private newFlight(): void {
    this.flight = [];
    this.flightTimeouts = 0;
    this.rto = this.opts.initialRetransmitMs ?? DEFAULT_INITIAL_RETRANSMIT_MS;
  }

  /** Serializes the current flight into datagrams packed to the MTU, fragmenting messages as needed. */
  private sendFlight(now: number, armTimer = true): void {
    const datagrams: Uint8Array[] = [];
    let cur: Uint8Array[] = [];
    let curLen = 0;
    const flush = () => {
      if (cur.length === 0) return;
      const d = new Uint8Array(curLen);
      let off = 0;
      for (const r of cur) {
        d.set(r, off);
        off += r.length;
      }
      datagrams.push(d);
      cur = [];
      curLen = 0;
    };
    const add = (rec: Uint8Array) => {
      if (curLen + rec.length > this.sendMtu) flush();
      cur.push(rec);
      curLen += rec.length;
    };
    let epoch = 0;
    for (const e of this.flight) {
      if (e.kind === 'ccs') {
        add(this.sealRecord(ContentType.changeCipherSpec, Uint8Array.of(1), epoch));
        epoch = 1;
        continue;
      }
      epoch = e.epoch;
      const overhead =
        RECORD_HEADER_LENGTH +
        HANDSHAKE_HEADER_LENGTH +
        (epoch > 0 ? (this.writeCipher?.overhead ?? AEAD_OVERHEAD) : 0);
      let off = 0;
      do {
        let room = this.sendMtu - curLen - overhead;
        if (room < Math.min(64, e.body.length - off)) {
          flush();
          room = this.sendMtu - overhead;
        }
        const n = Math.min(room, e.body.length - off);
        const frag = new Uint8Array(HANDSHAKE_HEADER_LENGTH + n);
        writeHandshakeHeader(frag, 0, e.type, e.body.length, e.seq, off, n);
        frag.set(e.body.subarray(off, off + n), HANDSHAKE_HEADER_LENGTH);
        add(this.sealRecord(ContentType.handshake, frag, epoch));
        off += n;
      } while (off < e.body.length);
    }
    flush();
    for (const d of datagrams) this.outputs.push({ kind: 'datagram', data: d });
    this.lastFlightSentAt = now;
    this.retransmitAt = armTimer ? now + this.rto : null;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // handshake reassembly (RFC 6347 §4.2.3)

  private onFragment(f: HandshakeFragment, rec: DtlsRecord, now: number): void {
    if (this.state === 'connected') {
      if (rec.epoch > 0 && (f.msgType === HandshakeType.helloRequest || f.msgType === HandshakeType.clientHello)) {
        // Renegotiation is refused (RFC 5746 §4.5 / RFC 5246 §7.2.2).
        this.sendAlert(AlertLevel.warning, AlertDescription.noRenegotiation);
        return;
      }
      if (this.role === 'server' && f.messageSeq < this.recvMsgSeq && FLIGHT5_TYPES.has(f.msgType)) {
        // The client did not get our last flight: its retransmitted flight 5 asks for flight 6 again (RFC 6347
        // §4.2.4). A ClientHello here is a late duplicate (its answer was flight 4, long acknowledged) or a
        // restarted client, which the transport hands to a new association (RFC 6347 §4.2.8): dropped.
        this.retransmitRequested = true;
        return;
      }
      this.stats.droppedUnexpected++;
      return;
    }
    // Flights that bypass sequencing: the server's first ClientHello and the client's HelloVerifyRequest.
    if (this.role === 'server' && this.expect === 'clientHello') {
      if (f.msgType !== HandshakeType.clientHello) {
        this.stats.droppedUnexpected++;
        return;
      }
      if (f.fragmentOffset === 0 && f.fragmentLength === f.length) {
        if (!parses(parseClientHello, f.body)) {
          this.stats.malformed++;
          return;
        }
        this.reasm.clear();
        this.onClientHello(f.body, f.messageSeq, rec, now);
        return;
      }
      // A ClientHello larger than the path MTU comes in fragments (RFC 6347 §4.2.3): reassemble it (bounded).
      if (f.messageSeq > MAX_CLIENT_HELLO_SEQ || f.length > MAX_CLIENT_HELLO) {
        this.stats.droppedUnexpected++;
        return;
      }
      const whole = this.addFragment(f, rec.epoch);
      if (whole) {
        this.reasm.clear();
        if (!parses(parseClientHello, whole)) {
          this.stats.malformed++;
          return;
        }
        this.onClientHello(whole, f.messageSeq, rec, now);
      }
      return;
    }
    if (f.msgType === HandshakeType.helloRequest) {
      // RFC 5246 §7.4.1.1: a HelloRequest while negotiating is ignored; it is not part of the transcript.
      this.stats.droppedUnexpected++;
      return;
    }
    if (this.role === 'client' && f.msgType === HandshakeType.helloVerifyRequest) {
      if (this.expect === 'serverHello' && f.fragmentOffset === 0 && f.fragmentLength === f.length) {
        if (parses(parseHelloVerifyRequest, f.body)) this.onHelloVerifyRequest(f.body, now);
        else this.stats.malformed++;
      } else this.stats.droppedUnexpected++;
      return;
    }
    if (f.messageSeq < this.recvMsgSeq) {
      this.retransmitRequested = true;
      return;
    }
    if (f.messageSeq >= this.recvMsgSeq + MAX_MESSAGE_LOOKAHEAD || f.length > MAX_HANDSHAKE_MESSAGE) {
      this.stats.droppedUnexpected++;
      return;
    }
    this.addFragment(f, rec.epoch);
    for (;;) {
      const next = this.reasm.get(this.recvMsgSeq);
      if (!next || next.got < next.length) break;
      this.reasm.delete(this.recvMsgSeq);
      if (next.epoch === 0 && !this.plausible(next.type, next.buf)) {
        // An unauthenticated message of the wrong type or that does not parse is noise (possibly forged): drop it
        // without consuming its message_seq, so the real one (retransmitted) is still accepted.
        this.stats.malformed++;
        break;
      }
      const seq = this.recvMsgSeq++;
      this.onMessage(next.type, next.buf, seq, now);
      if (this.state !== 'handshake') break;
    }
  }

  /**
   * Adds a fragment to its message's reassembly buffer (fragments may overlap or repeat, RFC 6347 §4.2.3); returns
   * the message body once every octet arrived.
   */
  private addFragment(f: HandshakeFragment, epoch: number): Uint8Array | undefined {
    let r = this.reasm.get(f.messageSeq);
    if (r && (r.type !== f.msgType || r.length !== f.length || r.epoch !== epoch)) {
      // Fragments that disagree on the message (type, length or epoch): at least one is forged or corrupt. An
      // incomplete message is restarted from the newest fragment so a forged first fragment cannot block the real
      // message for good; a complete one is kept.
      this.stats.malformed++;
      if (r.got === r.length) return undefined;
      r = undefined;
    }
    if (!r) {
      r = {
        type: f.msgType,
        length: f.length,
        epoch,
        buf: new Uint8Array(f.length),
        have: new Uint8Array(f.length),
        got: 0,
      };
      this.reasm.set(f.messageSeq, r);
    }
    if (r.got < r.length) {
      r.buf.set(f.body, f.fragmentOffset);
      for (let i = f.fragmentOffset; i < f.fragmentOffset + f.fragmentLength; i++) {
        if (r.have[i] === 0) {
          r.have[i] = 1;
          r.got++;
        }
      }
    }
    return r.got === r.length ? r.buf : undefined;
  }

  /**
   * Whether an unauthenticated (epoch 0) handshake message is worth acting on: the type this point of the handshake
   * expects, and a body that parses. Semantic checks (signatures, negotiated values) stay in {@link onMessage}.
   */
  private plausible(type: number, body: Uint8Array): boolean {
    switch (this.expect) {
      case 'serverHello':
        return type === HandshakeType.serverHello && parses(parseServerHello, body);
      case 'certificate':
      case 'clientCertificate':
        return type === HandshakeType.certificate && parses(parseCertificate, body);
      case 'serverKeyExchange':
        return type === HandshakeType.serverKeyExchange && parses(parseServerKeyExchange, body);
      case 'certificateRequestOrDone':
        return (
          (type === HandshakeType.certificateRequest && parses(parseCertificateRequest, body)) ||
          (type === HandshakeType.serverHelloDone && body.length === 0)
        );
      case 'serverHelloDone':
        return type === HandshakeType.serverHelloDone && body.length === 0;
      case 'clientKeyExchange':
        return type === HandshakeType.clientKeyExchange && parses(parseClientKeyExchange, body);
      case 'certificateVerify':
        return type === HandshakeType.certificateVerify && parses(parseCertificateVerify, body);
      default:
        // Finished is only ever sent under the new keys (epoch 1).
        return false;
    }
  }

  private onMessage(type: number, body: Uint8Array, seq: number, now: number): void {
    const full = () => serializeHandshake(type, seq, body);
    const unexpected = () =>
      new DtlsError(
        `unexpected handshake message ${type} while expecting ${this.expect}`,
        AlertDescription.unexpectedMessage,
      );
    switch (this.expect) {
      case 'serverHello':
        if (type !== HandshakeType.serverHello) throw unexpected();
        this.newFlight();
        this.retransmitAt = null;
        this.onServerHello(body);
        this.transcript.push(full());
        this.expect = 'certificate';
        return;
      case 'certificate':
        if (type !== HandshakeType.certificate) throw unexpected();
        this.transcript.push(full());
        this.onPeerCertificate(body, false);
        this.expect = 'serverKeyExchange';
        return;
      case 'serverKeyExchange':
        if (type !== HandshakeType.serverKeyExchange) throw unexpected();
        this.onServerKeyExchange(body);
        this.transcript.push(full());
        this.expect = 'certificateRequestOrDone';
        return;
      case 'certificateRequestOrDone':
        if (type === HandshakeType.certificateRequest) {
          const cr = parseCertificateRequest(body);
          this.certRequested = true;
          this.certRequestSchemes = cr.signatureSchemes;
          this.transcript.push(full());
          this.expect = 'serverHelloDone';
          return;
        }
        if (type !== HandshakeType.serverHelloDone) throw unexpected();
        this.onServerHelloDone(body, full(), now);
        return;
      case 'serverHelloDone':
        if (type !== HandshakeType.serverHelloDone) throw unexpected();
        this.onServerHelloDone(body, full(), now);
        return;
      case 'clientCertificate':
        if (type !== HandshakeType.certificate) throw unexpected();
        this.transcript.push(full());
        this.onPeerCertificate(body, true);
        this.expect = 'clientKeyExchange';
        return;
      case 'clientKeyExchange': {
        if (type !== HandshakeType.clientKeyExchange) throw unexpected();
        if (this.certRequested && this.peerChain.length === 0 && this.clientCertificateRequired()) {
          throw new DtlsError('client certificate required', AlertDescription.handshakeFailure);
        }
        const point = parseClientKeyExchange(body);
        this.pms = this.ecdhe!.computeSecret(point);
        this.transcript.push(full());
        this.deriveKeys();
        this.expect = this.peerChain.length > 0 ? 'certificateVerify' : 'changeCipherSpec';
        if (this.expect === 'changeCipherSpec') this.maybeActivateCcs(now);
        return;
      }
      case 'certificateVerify': {
        if (type !== HandshakeType.certificateVerify) throw unexpected();
        const cv = parseCertificateVerify(body);
        if (!DEFAULT_SIGNATURE_SCHEMES.includes(cv.signatureScheme)) {
          throw new DtlsError('CertificateVerify uses a scheme we did not offer', AlertDescription.illegalParameter);
        }
        const data = concatAll(this.transcript);
        if (!verifyWith(cv.signatureScheme, this.peerKey!, data, cv.signature)) {
          throw new DtlsError('CertificateVerify signature does not verify', AlertDescription.decryptError);
        }
        this.transcript.push(full());
        this.expect = 'changeCipherSpec';
        this.maybeActivateCcs(now);
        return;
      }
      case 'finished': {
        if (type !== HandshakeType.finished) throw unexpected();
        const vd = parseFinished(body);
        const expected = finishedVerifyData(
          this.suite!.hash,
          this.master!,
          this.role === 'server',
          digest(this.suite!.hash, this.transcript),
        );
        if (!timingSafe(vd, expected))
          throw new DtlsError('Finished verify_data mismatch', AlertDescription.decryptError);
        this.transcript.push(full());
        if (this.role === 'server') this.sendServerFlight6(now);
        else this.retransmitAt = null;
        this.onConnected();
        return;
      }
      default:
        throw unexpected();
    }
  }

  private onChangeCipherSpec(now: number): void {
    if (this.state === 'connected' || this.readEpoch > 0) {
      this.stats.droppedUnexpected++;
      return;
    }
    this.pendingCcs = true;
    this.maybeActivateCcs(now);
  }

  /** Switches the read side to epoch 1 once the CCS arrived and the handshake reached the point where it belongs. */
  private maybeActivateCcs(now: number): void {
    if (!this.pendingCcs || this.expect !== 'changeCipherSpec' || !this.nextReadCipher) return;
    this.pendingCcs = false;
    this.readEpoch = 1;
    this.readCipher = this.nextReadCipher;
    this.expect = 'finished';
    const pending = this.pendingRecords;
    this.pendingRecords = [];
    for (const r of pending) {
      if (this.state !== 'handshake') break;
      this.processRecord(r, now);
    }
  }

  private deriveKeys(): void {
    const s = this.suite!;
    if (this.ems) {
      this.master = extendedMasterSecret(s.hash, this.pms!, digest(s.hash, this.transcript));
    } else {
      this.master = masterSecret(s.hash, this.pms!, this.clientRandom, this.serverRandom);
    }
    this.pms!.fill(0);
    const kb = keyBlock(s.hash, this.master, this.clientRandom, this.serverRandom, s.keyLength, s.ivLength);
    const Cipher = s.aead === 'aes-gcm' ? GcmRecordCipher : ChaChaRecordCipher;
    const client = new Cipher(kb.clientWriteKey, kb.clientWriteIv);
    const server = new Cipher(kb.serverWriteKey, kb.serverWriteIv);
    this.writeCipher = this.role === 'client' ? client : server;
    this.nextReadCipher = this.role === 'client' ? server : client;
  }

  private onConnected(): void {
    this.state = 'connected';
    this.handshakeDeadline = null;
    this.pms = undefined;
    const info: DtlsConnectionInfo = {
      version: 'DTLSv1.2',
      cipherSuite: this.suite!.name,
      group: groupName(this.group)!,
      extendedMasterSecret: this.ems,
      peerCertificates: this.peerChain,
      peerFingerprint: this.peerChain[0] ? fingerprint(this.peerChain[0]) : '',
    };
    if (this.srtp) info.srtpProfile = this.srtp;
    if (this.alpn !== undefined) info.alpn = this.alpn;
    this.connectedInfo = info;
    this.emit({ type: 'connected', info });
    for (const d of this.earlyAppData) this.emit({ type: 'applicationData', data: d });
    this.earlyAppData = [];
  }

  // ---------------------------------------------------------------------------------------------------------------
  // client side

  private clientExtensions(): Extension[] {
    const exts: Extension[] = [
      { type: ExtensionType.supportedGroups, data: u16List(this.groups) },
      { type: ExtensionType.ecPointFormats, data: Uint8Array.of(1, 0) },
      { type: ExtensionType.signatureAlgorithms, data: u16List(DEFAULT_SIGNATURE_SCHEMES) },
      { type: ExtensionType.extendedMasterSecret, data: new Uint8Array(0) },
      { type: ExtensionType.renegotiationInfo, data: Uint8Array.of(0) },
    ];
    if (this.srtpProfiles.length > 0) {
      exts.push({ type: ExtensionType.useSrtp, data: serializeUseSrtp(this.srtpProfiles.map((p) => p.id)) });
    }
    if (this.opts.alpn && this.opts.alpn.length > 0)
      exts.push({ type: ExtensionType.alpn, data: serializeAlpn(this.opts.alpn) });
    return exts;
  }

  private sendClientHello(now: number): void {
    this.newFlight();
    this.transcript = [];
    this.clientHelloBody ??= serializeClientHello({
      version: DTLS_1_2,
      random: this.clientRandom,
      sessionId: new Uint8Array(0),
      cookie: new Uint8Array(0),
      cipherSuites: this.suites.map((s) => s.id),
      compressionMethods: [0],
      extensions: this.clientExtensions(),
    });
    const body =
      this.cookie.length === 0
        ? this.clientHelloBody
        : serializeClientHello({ ...parseClientHello(this.clientHelloBody), cookie: this.cookie });
    this.queueHandshake(HandshakeType.clientHello, body);
    this.recvMsgSeq = this.sendMsgSeq - 1;
    this.sendFlight(now);
  }

  private onHelloVerifyRequest(body: Uint8Array, now: number): void {
    const hvr = parseHelloVerifyRequest(body);
    // An unauthenticated HelloVerifyRequest that no server would send (RFC 6347 §4.2.1: version 1.0 or 1.2, a
    // 1..255-octet cookie) is noise, dropped: the real one, or our retransmission timer, carries the handshake on.
    if ((hvr.version !== DTLS_1_2 && hvr.version !== DTLS_1_0) || hvr.cookie.length === 0 || hvr.cookie.length > 255) {
      this.stats.malformed++;
      return;
    }
    if (timingSafe(hvr.cookie, this.cookie)) {
      // A duplicate of the HelloVerifyRequest we already answered: our flight timer covers a lost ClientHello.
      this.stats.droppedUnexpected++;
      return;
    }
    if (this.sendMsgSeq > 4) {
      this.stats.droppedUnexpected++;
      return;
    }
    this.cookie = hvr.cookie.slice();
    this.sendClientHello(now);
  }

  private onServerHello(body: Uint8Array): void {
    const sh = parseServerHello(body);
    if (sh.version !== DTLS_1_2)
      throw new DtlsError('server did not choose DTLS 1.2', AlertDescription.protocolVersion);
    const suite = this.suites.find((s) => s.id === sh.cipherSuite);
    if (!suite) throw new DtlsError('server chose a suite we did not offer', AlertDescription.illegalParameter);
    if (sh.compressionMethod !== 0) throw new DtlsError('server chose compression', AlertDescription.illegalParameter);
    this.suite = suite;
    this.serverRandom = sh.random.slice();
    let ems = false;
    const offered = new Set(this.clientExtensions().map((e) => e.type));
    for (const e of sh.extensions) {
      if (!offered.has(e.type))
        throw new DtlsError(`unsolicited extension ${e.type}`, AlertDescription.unsupportedExtension);
      switch (e.type) {
        case ExtensionType.extendedMasterSecret:
          if (e.data.length !== 0) throw new DtlsError('bad extended_master_secret', AlertDescription.decodeError);
          ems = true;
          break;
        case ExtensionType.renegotiationInfo:
          if (e.data.length !== 1 || e.data[0] !== 0) {
            throw new DtlsError('bad renegotiation_info', AlertDescription.handshakeFailure);
          }
          break;
        case ExtensionType.useSrtp: {
          const u = parseUseSrtp(e.data);
          const p = u.profiles.length === 1 ? this.srtpProfiles.find((x) => x.id === u.profiles[0]) : undefined;
          if (!p)
            throw new DtlsError('server chose an SRTP profile we did not offer', AlertDescription.illegalParameter);
          // RFC 5764 §4.1.1: a non-empty srtp_mki that differs from the (empty) one we offered aborts the handshake.
          if (u.mki.length !== 0)
            throw new DtlsError('server returned an srtp_mki we did not offer', AlertDescription.illegalParameter);
          this.srtp = p;
          break;
        }
        case ExtensionType.alpn: {
          const names = parseAlpn(e.data);
          if (names.length !== 1 || !this.opts.alpn?.includes(names[0]!)) {
            throw new DtlsError('server chose an ALPN protocol we did not offer', AlertDescription.illegalParameter);
          }
          this.alpn = names[0]!;
          break;
        }
        default:
          break;
      }
    }
    if (!ems && (this.opts.requireExtendedMasterSecret ?? true)) {
      throw new DtlsError('server did not negotiate extended_master_secret', AlertDescription.handshakeFailure);
    }
    this.ems = ems;
  }

  private onPeerCertificate(body: Uint8Array, fromClient: boolean): void {
    const chain = parseCertificate(body).map((c) => c.slice());
    if (chain.length === 0) {
      if (fromClient) {
        this.peerChain = [];
        return;
      }
      throw new DtlsError('server sent no certificate', AlertDescription.badCertificate);
    }
    let leafKey: KeyObject;
    try {
      leafKey = certificatePublicKey(chain[0]!);
    } catch {
      throw new DtlsError('peer certificate does not parse', AlertDescription.badCertificate);
    }
    const kind = keyKind(leafKey);
    if (!kind) throw new DtlsError('peer key type unsupported', AlertDescription.unsupportedCertificate);
    if (!fromClient && kind !== this.suite!.auth) {
      throw new DtlsError('server certificate does not match the suite', AlertDescription.unsupportedCertificate);
    }
    const fps = this.opts.expectedFingerprints;
    if (fps && fps.length > 0 && !fps.some((fp) => matchesFingerprint(chain[0]!, fp))) {
      throw new DtlsError('peer certificate fingerprint mismatch', AlertDescription.badCertificate);
    }
    if (this.anchors.length > 0) {
      const v = validateCertificatePath(chain, this.anchors, { time: (this.opts.wallClock ?? Date.now)() });
      if (!v.ok)
        throw new DtlsError(`peer certificate chain does not verify: ${v.reason}`, AlertDescription.badCertificate);
    }
    if (this.opts.verifyCertificate && !this.opts.verifyCertificate(chain)) {
      throw new DtlsError('peer certificate rejected by the application', AlertDescription.badCertificate);
    }
    this.peerChain = chain;
    this.peerKey = leafKey;
    this.emit({ type: 'peerCertificate', chain, fingerprint: fingerprint(chain[0]!) });
  }

  private onServerKeyExchange(body: Uint8Array): void {
    const ske = parseServerKeyExchange(body);
    if (!this.groups.includes(ske.group))
      throw new DtlsError('server chose a group we did not offer', AlertDescription.illegalParameter);
    if (
      !DEFAULT_SIGNATURE_SCHEMES.includes(ske.signatureScheme) ||
      schemeKind(ske.signatureScheme) !== this.suite!.auth
    ) {
      throw new DtlsError('ServerKeyExchange signature scheme not offered', AlertDescription.illegalParameter);
    }
    const signed = concatAll([this.clientRandom, this.serverRandom, ske.params]);
    if (!verifyWith(ske.signatureScheme, this.peerKey!, signed, ske.signature)) {
      throw new DtlsError('ServerKeyExchange signature does not verify', AlertDescription.decryptError);
    }
    this.group = ske.group;
    this.ecdhe = generateEcdhe(ske.group);
    this.pms = this.ecdhe.computeSecret(ske.publicKey);
  }

  private onServerHelloDone(body: Uint8Array, full: Uint8Array, now: number): void {
    if (body.length !== 0) throw new DtlsError('ServerHelloDone not empty', AlertDescription.decodeError);
    this.transcript.push(full);
    this.sendClientFlight5(now);
  }

  private sendClientFlight5(now: number): void {
    this.newFlight();
    const cert = this.opts.certificate;
    let cvScheme: number | undefined;
    if (this.certRequested) {
      if (cert) {
        cvScheme = chooseScheme(cert.privateKey, this.certRequestSchemes);
      }
      // RFC 5246 §7.4.6: without a certificate the server can verify (none, or no scheme of ours among the
      // requested ones) the client sends an empty Certificate; the server decides whether to go on.
      this.queueHandshake(
        HandshakeType.certificate,
        serializeCertificate(cert && cvScheme !== undefined ? cert.chain : []),
      );
    }
    this.queueHandshake(HandshakeType.clientKeyExchange, serializeClientKeyExchange(this.ecdhe!.publicKey));
    this.deriveKeys();
    if (cert && cvScheme !== undefined) {
      const sig = signWith(cvScheme, cert.privateKey, concatAll(this.transcript));
      this.queueHandshake(
        HandshakeType.certificateVerify,
        serializeCertificateVerify({ signatureScheme: cvScheme, signature: sig }),
      );
    }
    this.queueChangeCipherSpec();
    this.writeEpoch = 1;
    const vd = finishedVerifyData(this.suite!.hash, this.master!, true, digest(this.suite!.hash, this.transcript));
    this.queueHandshake(HandshakeType.finished, serializeFinished(vd));
    this.expect = 'changeCipherSpec';
    this.sendFlight(now);
    this.maybeActivateCcs(now);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // server side

  private onClientHello(body: Uint8Array, messageSeq: number, rec: DtlsRecord, now: number): void {
    const ch = parseClientHello(body);
    const peer = this.opts.peerId ?? '';
    if ((this.opts.cookieExchange ?? true) && !verifyCookie(this.cookieSecret, peer, ch)) {
      // Stateless HelloVerifyRequest (RFC 6347 §4.2.1): same record sequence number as the ClientHello.
      const hvr = serializeHelloVerifyRequest({
        version: DTLS_1_0,
        cookie: computeCookie(this.cookieSecret, peer, ch),
      });
      const hs = serializeHandshake(HandshakeType.helloVerifyRequest, messageSeq, hvr);
      this.outputs.push({
        kind: 'datagram',
        data: serializePlainRecord(ContentType.handshake, 0, rec.seq, hs, DTLS_1_0),
      });
      return;
    }
    // DTLS versions count down: 0xfefd (1.2) is newer than 0xfeff (1.0). A client offering 1.2 or newer gets 1.2.
    if (ch.version > DTLS_1_2) throw new DtlsError('client does not offer DTLS 1.2', AlertDescription.protocolVersion);
    if (!ch.compressionMethods.includes(0))
      throw new DtlsError('null compression not offered', AlertDescription.illegalParameter);
    this.clientRandom = ch.random.slice();
    // Our HelloVerifyRequest reused the first ClientHello's record sequence number (RFC 6347 §4.2.1); continue from
    // this ClientHello's so the client's epoch-0 replay window does not drop the ServerHello.
    this.writeSeq[0] = Math.max(this.writeSeq[0]!, rec.seq);
    this.sendMsgSeq = messageSeq;
    this.recvMsgSeq = messageSeq + 1;
    this.transcript = [serializeHandshake(HandshakeType.clientHello, messageSeq, body)];
    this.expect = 'done';

    const cert = this.opts.certificate!;
    const kind = keyKind(cert.privateKey)!;
    const exts = new Map(ch.extensions.map((e) => [e.type, e.data]));
    const suite = this.suites.find((s) => s.auth === kind && ch.cipherSuites.includes(s.id));
    if (!suite) throw new DtlsError('no cipher suite in common', AlertDescription.handshakeFailure);
    this.suite = suite;
    const groupsExt = exts.get(ExtensionType.supportedGroups);
    const clientGroups = groupsExt ? parseU16List(groupsExt) : [NamedGroup.secp256r1];
    const group = this.groups.find((g) => clientGroups.includes(g));
    if (group === undefined) throw new DtlsError('no ECDHE group in common', AlertDescription.handshakeFailure);
    this.group = group;
    const pf = exts.get(ExtensionType.ecPointFormats);
    if (pf && !(pf.length >= 2 && pf.subarray(1).includes(0))) {
      throw new DtlsError('uncompressed points not offered', AlertDescription.illegalParameter);
    }
    const sa = exts.get(ExtensionType.signatureAlgorithms);
    this.peerSigSchemes = sa ? parseU16List(sa) : undefined;
    const scheme = chooseScheme(cert.privateKey, this.peerSigSchemes);
    if (scheme === undefined) throw new DtlsError('no signature scheme in common', AlertDescription.handshakeFailure);
    this.ems = exts.has(ExtensionType.extendedMasterSecret);
    if (!this.ems && (this.opts.requireExtendedMasterSecret ?? true)) {
      throw new DtlsError('client did not offer extended_master_secret', AlertDescription.handshakeFailure);
    }
    const ri = exts.get(ExtensionType.renegotiationInfo);
    if (ri && !(ri.length === 1 && ri[0] === 0))
      throw new DtlsError('bad renegotiation_info', AlertDescription.handshakeFailure);
    this.offeredRenegotiationInfo = ri !== undefined || ch.cipherSuites.includes(EMPTY_RENEGOTIATION_INFO_SCSV);

    const shExts: Extension[] = [];
    if (this.offeredRenegotiationInfo) shExts.push({ type: ExtensionType.renegotiationInfo, data: Uint8Array.of(0) });
    if (this.ems) shExts.push({ type: ExtensionType.extendedMasterSecret, data: new Uint8Array(0) });
    if (pf) shExts.push({ type: ExtensionType.ecPointFormats, data: Uint8Array.of(1, 0) });
    const us = exts.get(ExtensionType.useSrtp);
    if (us && this.srtpProfiles.length > 0) {
      const offered = parseUseSrtp(us).profiles;
      const p = this.srtpProfiles.find((x) => offered.includes(x.id));
      if (p) {
        this.srtp = p;
        shExts.push({ type: ExtensionType.useSrtp, data: serializeUseSrtp([p.id]) });
      }
    }
    const alpnExt = exts.get(ExtensionType.alpn);
    if (alpnExt && this.opts.alpn && this.opts.alpn.length > 0) {
      const offered = parseAlpn(alpnExt);
      const name = this.opts.alpn.find((n) => offered.includes(n));
      if (name === undefined) throw new DtlsError('no ALPN protocol in common', AlertDescription.noApplicationProtocol);
      this.alpn = name;
      shExts.push({ type: ExtensionType.alpn, data: serializeAlpn([name]) });
    }

    // flight 4
    this.newFlight();
    this.serverRandom = this.random(32);
    this.queueHandshake(
      HandshakeType.serverHello,
      serializeServerHello({
        version: DTLS_1_2,
        random: this.serverRandom,
        sessionId: new Uint8Array(0),
        cipherSuite: suite.id,
        compressionMethod: 0,
        extensions: shExts,
      }),
    );
    this.queueHandshake(HandshakeType.certificate, serializeCertificate(cert.chain));
    this.ecdhe = generateEcdhe(group);
    const params = serializeEcdhParams(group, this.ecdhe.publicKey);
    const sig = signWith(scheme, cert.privateKey, concatAll([this.clientRandom, this.serverRandom, params]));
    this.queueHandshake(HandshakeType.serverKeyExchange, serializeServerKeyExchange(params, scheme, sig));
    this.certRequested = this.opts.requestClientCertificate ?? true;
    if (this.certRequested) {
      this.queueHandshake(
        HandshakeType.certificateRequest,
        serializeCertificateRequest({
          certificateTypes: [ClientCertificateType.ecdsaSign, ClientCertificateType.rsaSign],
          signatureSchemes: [...DEFAULT_SIGNATURE_SCHEMES],
          authorities: [],
        }),
      );
    }
    this.queueHandshake(HandshakeType.serverHelloDone, new Uint8Array(0));
    this.expect = this.certRequested ? 'clientCertificate' : 'clientKeyExchange';
    this.sendFlight(now);
  }

  private sendServerFlight6(now: number): void {
    this.newFlight();
    this.queueChangeCipherSpec();
    this.writeEpoch = 1;
    const vd = finishedVerifyData(this.suite!.hash, this.master!, false, digest(this.suite!.hash, this.transcript));
    this.queueHandshake(HandshakeType.finished, serializeFinished(vd));
    // The last flight is not retransmitted on a timer; it is resent when the client repeats flight 5.
    this.sendFlight(now, false);
  }
}

/** Handshake messages of the client's second flight (RFC 6347 §4.2.4, flight 5). */
const FLIGHT5_TYPES = new Set<number>([
  HandshakeType.certificate,
  HandshakeType.clientKeyExchange,
  HandshakeType.certificateVerify,
  HandshakeType.finished,
]);

/** True when `parse` accepts `body` (decoders throw a DtlsError on malformed input). */
function parses(parse: (b: Uint8Array) => unknown, body: Uint8Array): boolean {
  try {
    parse(body);
    return true;
  } catch {
    return false;
  }
}

function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function timingSafe(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** The hash a suite's PRF uses. */
export function suiteHash(name: CipherSuiteName): PrfHash {
  return cipherSuiteInfo(name)!.hash;
}
