import { type KeyObject, randomBytes } from 'node:crypto';
import { ReplayWindow, type SrtpProfile } from '@mdh/srtp';
import { pemBlocks } from './certificate.js';
import {
  AlertDescription,
  AlertLevel,
  CIPHER_SUITES,
  type CipherSuiteInfo,
  ContentType,
  cipherSuiteInfo,
  DTLS_1_0,
  DTLS_1_2,
  DTLS_SRTP_PROFILES,
  dtlsSrtpProfile,
  NamedGroup,
} from './constants.js';
import {
  DEFAULT_INITIAL_RETRANSMIT_MS,
  type DtlsConnectionInfo,
  type DtlsEngineOptions,
  type DtlsEvent,
  type DtlsOutput,
  type DtlsStats,
  type Expect,
  type FlightEntry,
  MAX_PENDING_RECORDS,
  type Reassembly,
  type State,
} from './engine-types.js';
import { DtlsError, DtlsUsageError } from './errors.js';
import type { EcdheKeyPair } from './keyexchange.js';
import { parseAlert, serializeAlert } from './messages/alert.js';
import { type HandshakeFragment, parseHandshakeFragments } from './messages/handshake-header.js';
import { type DtlsRecord, type RecordCipher, serializePlainRecord } from './record.js';
import { keyKind } from './signature.js';

/**
 * The state of one DTLS association and its record layer (RFC 6347 §4.1): epochs, record ciphers, the replay window
 * (@mdh/srtp's), alerts and failure. The first of the layers {@link DtlsEngine} is built from; internal.
 *
 * @internal
 */
export abstract class DtlsRecordLayer {
  protected abstract onFragment(f: HandshakeFragment, rec: DtlsRecord, now: number): void;
  protected abstract onChangeCipherSpec(now: number): void;
  protected abstract sendFlight(now: number, armTimer?: boolean): void;
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
  protected readonly opts: DtlsEngineOptions;
  protected readonly random: (n: number) => Uint8Array;
  protected readonly suites: CipherSuiteInfo[];
  protected readonly groups: number[];
  protected readonly srtpProfiles: SrtpProfile[];
  protected readonly mtu: number;
  /** MTU used for flights; lowered after repeated timeouts (RFC 6347 §4.1.1.1). */
  protected sendMtu: number;
  protected flightTimeouts = 0;
  protected readonly cookieSecret: Uint8Array;
  protected readonly anchors: Uint8Array[];

  protected state: State = 'idle';
  protected expect: Expect;
  protected outputs: DtlsOutput[] = [];

  // handshake
  protected clientRandom: Uint8Array = new Uint8Array(32);
  protected serverRandom: Uint8Array = new Uint8Array(32);
  protected cookie: Uint8Array = new Uint8Array(0);
  protected sendMsgSeq = 0;
  protected recvMsgSeq = 0;
  protected reasm = new Map<number, Reassembly>();
  protected transcript: Uint8Array[] = [];
  protected suite: CipherSuiteInfo | undefined;
  protected group = 0;
  protected ecdhe: EcdheKeyPair | undefined;
  protected pms: Uint8Array | undefined;
  protected master: Uint8Array | undefined;
  protected ems = false;
  protected srtp: SrtpProfile | undefined;
  protected alpn: string | undefined;
  protected peerChain: Uint8Array[] = [];
  protected peerKey: KeyObject | undefined;
  protected certRequested = false;
  protected certRequestSchemes: number[] | undefined;
  protected peerSigSchemes: number[] | undefined;
  protected clientHelloBody: Uint8Array | undefined;
  protected pendingCcs = false;
  protected offeredRenegotiationInfo = false;

  // record layer
  protected writeEpoch = 0;
  protected writeSeq = [0, 0];
  protected writeCipher: RecordCipher | undefined;
  protected readEpoch = 0;
  protected readCipher: RecordCipher | undefined;
  protected nextReadCipher: RecordCipher | undefined;
  protected readonly replay: ReplayWindow;
  protected pendingRecords: DtlsRecord[] = [];
  protected earlyAppData: Uint8Array[] = [];

  // retransmission (RFC 6347 §4.2.4)
  protected flight: FlightEntry[] = [];
  protected rto: number;
  protected retransmitAt: number | null = null;
  protected handshakeDeadline: number | null = null;
  protected lastFlightSentAt = Number.NEGATIVE_INFINITY;
  protected retransmitRequested = false;
  protected connectedInfo: DtlsConnectionInfo | undefined;

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
      const info = dtlsSrtpProfile(p);
      if (!info)
        throw new DtlsUsageError(
          `unknown SRTP profile ${p}; use one of ${DTLS_SRTP_PROFILES.map((x) => x.name).join(', ')}`,
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

  protected clientCertificateRequired(): boolean {
    if (this.opts.requireClientCertificate !== undefined) return this.opts.requireClientCertificate;
    const verifies =
      (this.opts.expectedFingerprints?.length ?? 0) > 0 ||
      this.anchors.length > 0 ||
      this.opts.verifyCertificate !== undefined;
    return verifies && (this.opts.requestClientCertificate ?? true);
  }

  protected isDead(): boolean {
    return this.state === 'closed' || this.state === 'failed';
  }

  // ---------------------------------------------------------------------------------------------------------------
  // record layer

  protected emit(event: DtlsEvent): void {
    this.outputs.push({ kind: 'event', event });
  }

  protected processRecord(rec: DtlsRecord, now: number): void {
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
      if (this.replay.check(rec.seq) !== 0) {
        this.stats.replayed++;
        return;
      }
      const pt = this.readCipher.open(rec);
      if (!pt) {
        // RFC 6347 §4.1.2.7: invalid records are silently discarded.
        this.stats.badRecordMac++;
        return;
      }
      this.replay.commit(rec.seq);
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

  protected sealRecord(type: number, body: Uint8Array, epoch = this.writeEpoch): Uint8Array {
    const seq = this.writeSeq[epoch]!;
    // RFC 6347 §4.1: the 48-bit sequence number must not wrap; without renegotiation the association ends.
    if (seq >= 2 ** 48 - 1) throw new DtlsError('record sequence numbers exhausted', AlertDescription.internalError);
    this.writeSeq[epoch] = seq + 1;
    if (epoch === 0) return serializePlainRecord(type, 0, seq, body);
    const c = this.writeCipher;
    if (!c) throw new DtlsError('no write keys for epoch 1');
    return c.seal(type, epoch, seq, body);
  }

  protected sendAlert(level: number, description: number): void {
    const body = serializeAlert({ level, description });
    try {
      this.outputs.push({ kind: 'datagram', data: this.sealRecord(ContentType.alert, body) });
    } catch {
      // no keys: nothing can be sent
    }
  }

  protected fail(err: DtlsError, _now: number): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    if (!err.remote) this.sendAlert(AlertLevel.fatal, err.alert);
    this.state = 'failed';
    this.retransmitAt = null;
    this.handshakeDeadline = null;
    this.emit({ type: 'error', error: err });
    this.wipe();
  }

  protected wipe(): void {
    this.pms?.fill(0);
    this.master?.fill(0);
    this.master = undefined;
    this.flight = [];
    this.reasm.clear();
    this.pendingRecords = [];
  }

  protected onAlert(body: Uint8Array, epoch: number, now: number): void {
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
}
