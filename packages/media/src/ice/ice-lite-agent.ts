import { randomBytes } from 'node:crypto';
import type { CoreOutput } from '@mdh/loop';
import { sameAddress, type TransportAddress } from './address.js';
import { hostCandidates, type IceCandidate } from './candidate.js';
import {
  formatIceAttributes,
  generateIceCredentials,
  type IceSdpLines,
  isValidIcePwd,
  isValidIceUfrag,
} from './ice-sdp.js';
import { errorCodeValue, textValue, unknownAttributesValue, xorAddressValue } from './stun-attributes.js';
import { StunAttr, StunErrorCode, StunMethod } from './stun-constants.js';
import { StunParseError, StunUsageError } from './stun-error.js';
import { StunKey } from './stun-key.js';
import {
  type StunAttribute,
  type StunMessage,
  serializeStun,
  tryParseStun,
  verifyFingerprint,
  verifyIntegrity,
  verifyIntegritySha256,
} from './stun-message.js';

/** How a response is signed: not at all (the request did not authenticate), or as the request was (§9.1.3). */
type ResponseAuth = 'none' | 'sha1' | 'sha256';

/** Options of {@link IceLiteAgent}. Only `localAddresses` is required. */
export interface IceLiteAgentOptions {
  /** The bound UDP address(es) the host candidates advertise, preferred first (RFC 8445 §5.1.1.1). */
  localAddresses: readonly TransportAddress[];
  /** Component id of the candidates (default 1; with rtcp-mux and BUNDLE there is only one). */
  component?: number;
  /** Random source for credentials (default node:crypto randomBytes). */
  random?: (n: number) => Uint8Array;
  /** Local ufrag (default: generated; must be 4–256 ice-chars). */
  ufrag?: string;
  /** Local pwd (default: generated; must be 22–256 ice-chars). */
  pwd?: string;
  /** The peer's ufrag, if already known (see {@link IceLiteAgent.setRemoteCredentials}). */
  remoteUfrag?: string;
  /**
   * Give up when no pair has been nominated this long after {@link IceLiteAgent.start} (default 30000 ms): the
   * `failed` event says `no-checks` when no valid check ever arrived, else `no-nomination`.
   */
  connectTimeoutMs?: number;
  /** Consent lifetime: no valid check on the selected pair for this long ends it (default 30000 ms, RFC 7675 §5.1). */
  consentTimeoutMs?: number;
  /**
   * Answer authenticated checks from addresses that were not signalled, i.e. peer-reflexive candidates (RFC 8445
   * §7.3.1.3; default true, as browsers behind NAT or hiding local IPs need). When false, only sources added with
   * {@link IceLiteAgent.addRemoteCandidate} are answered; others are dropped.
   */
  acceptPeerReflexive?: boolean;
  /** SOFTWARE attribute for responses (RFC 8489 §14.14); none by default. */
  software?: string;
  /** Bound on queued outputs not yet polled (default 256); datagrams past it are dropped and counted. */
  maxQueuedOutputs?: number;
}

/** Lifecycle: `new` → `checking` (started) → `connected` (a pair nominated) → `failed`; `closed` by the owner. */
export type IceLiteState = 'new' | 'checking' | 'connected' | 'failed' | 'closed';

/** Why the agent failed. */
export type IceFailureReason = 'no-checks' | 'no-nomination' | 'consent-expired';

/** A candidate pair as the lite agent sees it: the local address a check arrived on and its source. */
export interface IceCandidatePair {
  /** Our host candidate's address (send media from here). */
  local: TransportAddress;
  /** The peer's address the nominating check came from (send media here). */
  remote: TransportAddress;
}

/** Events from {@link IceLiteAgent.pollOutput}. */
export type IceLiteEvent =
  | { type: 'state'; state: IceLiteState }
  /** The media destination (RFC 8445 §8.1.1 selected pair) was set or moved: send media to `remote` from `local`. */
  | { type: 'selected-pair'; pair: IceCandidatePair }
  | { type: 'failed'; reason: IceFailureReason; message: string };

/**
 * One output: a datagram to send to `to` (from the local address `from` when the agent has several), an event, or
 * the next deadline (`at: null` = none).
 */
export type IceLiteOutput = CoreOutput<IceLiteEvent, { to: TransportAddress; from?: TransportAddress }>;

/** Counters (STYLE §4a: noise is dropped and counted). */
export interface IceLiteStats {
  /** STUN datagrams fed to `handleInput`. */
  datagramsIn: number;
  /** Not well-formed STUN (typed parse error). */
  malformed: number;
  /** Indications, responses and non-Binding methods (a lite agent sends no requests). */
  ignored: number;
  /** Requests without a valid FINGERPRINT (dropped, RFC 8489 §7.3). */
  badFingerprint: number;
  /** 400 sent: USERNAME or MESSAGE-INTEGRITY missing (RFC 8489 §9.1.3). */
  badRequest: number;
  /** 401 sent: wrong USERNAME or MESSAGE-INTEGRITY (RFC 8489 §9.1.3). */
  unauthenticated: number;
  /** 420 sent: unknown comprehension-required attributes (RFC 8489 §6.3.1.1). */
  unknownAttribute: number;
  /** 487 sent: the peer claimed the controlled role (RFC 8445 §7.3.1.1). */
  roleConflict: number;
  /** Dropped: arrived on an address that is not ours, or (without peer-reflexive) from one not signalled. */
  notCandidate: number;
  /** Dropped after the agent failed or closed. */
  afterEnd: number;
  /** Valid checks answered with a success response. */
  validChecks: number;
  /** Valid checks with USE-CANDIDATE. */
  nominations: number;
  /** Datagrams dropped because outputs were not polled. */
  outputOverflow: number;
}

const ENC = new TextEncoder();

function eqBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A sans-I/O ICE-lite agent (RFC 8445 §2.5, §6.1.1 lite rules, §7.3 answering checks) for one media stream. It owns
 * the local credentials and host candidates, answers Binding requests, and latches the media destination to the
 * pair the controlling (full) peer nominates. It never sends requests: a lite agent is always controlled.
 *
 * Feed STUN datagrams (RFC 7983: first octet 0..3) with {@link handleInput}, the time with {@link handleTimeout},
 * and drain {@link pollOutput} until it returns a deadline.
 *
 * ```ts
 * const agent = new IceLiteAgent({ localAddresses: [{ address: '192.0.2.1', port: 40000 }] });
 * const { session, media } = agent.sdpLines(); // a=ice-lite, a=ice-ufrag, a=ice-pwd, a=candidate…, a=end-of-candidates
 * agent.setRemoteCredentials(remote.ufrag);
 * agent.start(now);
 * agent.handleInput(datagram, from, now);
 * for (let o = agent.pollOutput(); o.kind !== 'deadline'; o = agent.pollOutput()) { … }
 * ```
 */
export class IceLiteAgent {
  /** Local username fragment. */
  readonly ufrag: string;
  /** Local password (the MESSAGE-INTEGRITY key of checks sent to us, RFC 8445 §7.2.2). */
  readonly pwd: string;
  /** Host candidates for the bound addresses. */
  readonly localCandidates: readonly IceCandidate[];
  /** Counters. */
  readonly stats: IceLiteStats = {
    datagramsIn: 0,
    malformed: 0,
    ignored: 0,
    badFingerprint: 0,
    badRequest: 0,
    unauthenticated: 0,
    unknownAttribute: 0,
    roleConflict: 0,
    notCandidate: 0,
    afterEnd: 0,
    validChecks: 0,
    nominations: 0,
    outputOverflow: 0,
  };

  private readonly key: StunKey;
  private readonly localAddresses: readonly TransportAddress[];
  private readonly remoteAddresses: TransportAddress[] = [];
  private remoteUfrag: string | undefined;
  private expectedUsername: Uint8Array | undefined;
  private readonly usernamePrefix: Uint8Array;
  private readonly outputs: IceLiteOutput[] = [];
  private readonly connectTimeoutMs: number;
  private readonly consentTimeoutMs: number;
  private readonly acceptPeerReflexive: boolean;
  private readonly software: Uint8Array | undefined;
  private readonly maxQueued: number;
  private _state: IceLiteState = 'new';
  private selected: IceCandidatePair | undefined;
  private connectDeadline: number | null = null;
  private lastConsentAt = 0;
  private sawValidCheck = false;

  constructor(opts: IceLiteAgentOptions) {
    if (!opts.localAddresses || opts.localAddresses.length === 0)
      throw new StunUsageError('IceLiteAgent needs at least one local address');
    const component = opts.component ?? 1;
    if (!(Number.isInteger(component) && component >= 1 && component <= 256))
      throw new StunUsageError('component must be 1..256');
    const creds =
      opts.ufrag !== undefined && opts.pwd !== undefined
        ? { ufrag: opts.ufrag, pwd: opts.pwd }
        : generateIceCredentials(opts.random ?? ((n) => new Uint8Array(randomBytes(n))));
    const ufrag = opts.ufrag ?? creds.ufrag;
    const pwd = opts.pwd ?? creds.pwd;
    if (!isValidIceUfrag(ufrag)) throw new StunUsageError('ufrag must be 4-256 ice-chars (RFC 8839 §5.4)');
    if (!isValidIcePwd(pwd)) throw new StunUsageError('pwd must be 22-256 ice-chars (RFC 8839 §5.4)');
    this.ufrag = ufrag;
    this.pwd = pwd;
    this.key = StunKey.shortTerm(pwd);
    this.usernamePrefix = ENC.encode(`${ufrag}:`);
    this.localAddresses = opts.localAddresses.map((a) => ({ address: a.address, port: a.port }));
    this.localCandidates = hostCandidates(this.localAddresses, component);
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
    this.consentTimeoutMs = opts.consentTimeoutMs ?? 30_000;
    this.acceptPeerReflexive = opts.acceptPeerReflexive ?? true;
    this.software = opts.software !== undefined ? textValue(opts.software) : undefined;
    this.maxQueued = opts.maxQueuedOutputs ?? 256;
    if (opts.remoteUfrag !== undefined) this.setRemoteCredentials(opts.remoteUfrag);
  }

  /** Current lifecycle state (always readable, STYLE §5b). */
  get state(): IceLiteState {
    return this._state;
  }

  /** The nominated pair media goes over, or undefined before nomination. */
  get selectedPair(): IceCandidatePair | undefined {
    return this.selected;
  }

  /** Where media goes: the remote side of the selected pair while connected, else undefined. */
  get remoteAddress(): TransportAddress | undefined {
    return this._state === 'connected' ? this.selected?.remote : undefined;
  }

  /**
   * The SDP attribute lines for this agent: `a=ice-lite` (session) and credentials, `a=ice-options:ice2` (RFC 8445
   * §10: an RFC 8445 agent says so), candidates and `a=end-of-candidates` (media).
   */
  sdpLines(): IceSdpLines {
    return formatIceAttributes({
      ufrag: this.ufrag,
      pwd: this.pwd,
      lite: true,
      options: ['ice2'],
      candidates: this.localCandidates,
      endOfCandidates: true,
    });
  }

  /**
   * Sets the peer's ufrag from its SDP: checks must then carry USERNAME `localUfrag:remoteUfrag` (RFC 8445 §7.2.2).
   * Until it is set, any remote part is accepted (checks may arrive before the peer's description, §7.3). The
   * peer's pwd is not needed: a lite agent only verifies checks, which are keyed with the local pwd.
   */
  setRemoteCredentials(ufrag: string): void {
    if (!isValidIceUfrag(ufrag)) throw new StunUsageError('remote ufrag must be 4-256 ice-chars (RFC 8839 §5.4)');
    this.remoteUfrag = ufrag;
    this.expectedUsername = ENC.encode(`${this.ufrag}:${ufrag}`);
  }

  /** Records a signalled remote candidate (only UDP candidates of an IP address matter to this agent). */
  addRemoteCandidate(c: IceCandidate | TransportAddress): void {
    if ('transport' in c && c.transport.toUpperCase() !== 'UDP') return;
    if (this.remoteAddresses.length >= 64) return;
    this.remoteAddresses.push({ address: c.address, port: c.port });
  }

  /** Arms the connect timeout. Called by the first `handleInput` or `handleTimeout` if not called before. */
  start(now: number): void {
    if (this._state !== 'new') return;
    this.connectDeadline = now + this.connectTimeoutMs;
    this.setState('checking');
  }

  /** Stops the agent: nothing is answered any more. */
  close(): void {
    if (this._state === 'closed') return;
    this.connectDeadline = null;
    this.setState('closed');
  }

  /**
   * Feeds one datagram that RFC 7983 classified as STUN, received from `from` on the local address `local` (omit
   * it when the agent has one address). Never throws on peer input: what is not a valid check is answered with the
   * RFC's error response or dropped, and counted; only an authenticated check moves the media destination.
   */
  handleInput(datagram: Uint8Array, from: TransportAddress, now: number, local?: TransportAddress): void {
    if (this._state === 'new') this.start(now);
    this.stats.datagramsIn++;
    if (this._state === 'failed' || this._state === 'closed') {
      this.stats.afterEnd++;
      return;
    }
    const msg = tryParseStun(datagram);
    if (msg instanceof StunParseError) {
      this.stats.malformed++;
      return;
    }
    // A lite agent only answers Binding requests; indications are keepalives (RFC 8445 §11) and it never sends
    // requests, so responses are stray.
    if (msg.method !== StunMethod.binding || msg.class !== 'request') {
      this.stats.ignored++;
      return;
    }
    const localAddr = local ?? this.localAddresses[0]!;
    if (local && !this.localAddresses.some((a) => sameAddress(a, local))) {
      this.stats.notCandidate++;
      return;
    }
    if (!this.acceptPeerReflexive && !this.remoteAddresses.some((a) => sameAddress(a, from))) {
      this.stats.notCandidate++;
      return;
    }
    // RFC 8445 §7.2.2 / RFC 8489 §7.3: ICE uses FINGERPRINT; a request without a valid one is discarded.
    if (!verifyFingerprint(msg)) {
      this.stats.badFingerprint++;
      return;
    }
    try {
      this.answer(msg, from, localAddr, now);
    } catch {
      // Only a bug could get here (e.g. an address we cannot encode); count it, never throw into the loop.
      this.stats.malformed++;
    }
  }

  private answer(msg: StunMessage, from: TransportAddress, local: TransportAddress, now: number): void {
    // RFC 8489 §9.1.3 (short-term credentials): USERNAME and MESSAGE-INTEGRITY are required (else 400); the
    // USERNAME must be ours (else 401) and the MESSAGE-INTEGRITY must verify with our password (else 401). Neither
    // error carries MESSAGE-INTEGRITY, since the request did not authenticate.
    let username: Uint8Array | undefined;
    const attrs = msg.attributes;
    let controlled = false;
    let useCandidate = false;
    for (let i = 0; i < attrs.length; i++) {
      const t = attrs[i]!.type;
      if (t === StunAttr.USERNAME) username ??= attrs[i]!.value;
      else if (t === StunAttr.ICE_CONTROLLED) controlled = true;
      else if (t === StunAttr.USE_CANDIDATE) useCandidate = true;
    }
    // A request protected with MESSAGE-INTEGRITY-SHA256 is verified, and answered, with it (§9.1.3, §14.6).
    const auth: ResponseAuth = msg.integritySha256Offset >= 0 ? 'sha256' : 'sha1';
    if (username === undefined || (msg.integrityOffset < 0 && auth === 'sha1')) {
      this.stats.badRequest++;
      this.respondError(msg, from, local, StunErrorCode.badRequest, 'none');
      return;
    }
    if (
      !this.usernameMatches(username) ||
      !(auth === 'sha256' ? verifyIntegritySha256(msg, this.key) : verifyIntegrity(msg, this.key))
    ) {
      this.stats.unauthenticated++;
      this.respondError(msg, from, local, StunErrorCode.unauthenticated, 'none');
      return;
    }
    // RFC 8489 §6.3.1.1: unknown comprehension-required attributes → 420 listing them.
    if (msg.unknownRequired.length > 0) {
      this.stats.unknownAttribute++;
      this.respondError(msg, from, local, StunErrorCode.unknownAttribute, auth, msg.unknownRequired);
      return;
    }
    // RFC 8445 §7.3.1.1: we are controlled and so is the peer. A lite agent cannot take the controlling role
    // (§6.1.1), so it always keeps its role and answers 487, as the rule does for an agent whose tie-breaker is not
    // smaller than the peer's.
    if (controlled) {
      this.stats.roleConflict++;
      this.respondError(msg, from, local, StunErrorCode.roleConflict, auth);
      return;
    }
    // RFC 8445 §7.3.1.4 / RFC 8489 §14.2: success with XOR-MAPPED-ADDRESS = the source, MESSAGE-INTEGRITY with the
    // same password, FINGERPRINT.
    const out: StunAttribute[] = [
      { type: StunAttr.XOR_MAPPED_ADDRESS, value: xorAddressValue(from, msg.transactionId) },
    ];
    if (this.software) out.push({ type: StunAttr.SOFTWARE, value: this.software });
    this.send(
      serializeStun({
        class: 'success',
        transactionId: msg.transactionId,
        attributes: out,
        ...(auth === 'sha256' ? { integritySha256: this.key } : { integrity: this.key }),
        fingerprint: true,
      }),
      from,
      local,
    );
    this.stats.validChecks++;
    this.sawValidCheck = true;
    const sel = this.selected;
    const onSelected = sel !== undefined && sameAddress(sel.remote, from) && sameAddress(sel.local, local);
    if (useCandidate) {
      // RFC 8445 §7.3.1.5 and §8.2: the controlling agent nominated this pair; media now goes here.
      this.stats.nominations++;
      this.lastConsentAt = now;
      if (!onSelected) {
        this.selected = { local, remote: { address: from.address, port: from.port } };
        this.emit({ type: 'selected-pair', pair: this.selected });
      }
      if (this._state === 'checking') {
        this.connectDeadline = null;
        this.setState('connected');
      }
    } else if (onSelected) {
      // RFC 7675 §5.1: a valid check on the selected pair renews consent.
      this.lastConsentAt = now;
    }
  }

  private usernameMatches(u: Uint8Array): boolean {
    const exp = this.expectedUsername;
    if (exp) return eqBytes(u, exp);
    const p = this.usernamePrefix;
    if (u.length <= p.length) return false;
    for (let i = 0; i < p.length; i++) if (u[i] !== p[i]) return false;
    return true;
  }

  private respondError(
    req: StunMessage,
    to: TransportAddress,
    local: TransportAddress,
    code: number,
    auth: ResponseAuth,
    unknown?: readonly number[],
  ): void {
    const attrs: StunAttribute[] = [{ type: StunAttr.ERROR_CODE, value: errorCodeValue(code) }];
    if (unknown) attrs.push({ type: StunAttr.UNKNOWN_ATTRIBUTES, value: unknownAttributesValue(unknown) });
    if (this.software) attrs.push({ type: StunAttr.SOFTWARE, value: this.software });
    this.send(
      serializeStun({
        class: 'error',
        transactionId: req.transactionId,
        attributes: attrs,
        ...(auth === 'sha1' ? { integrity: this.key } : auth === 'sha256' ? { integritySha256: this.key } : {}),
        fingerprint: true,
      }),
      to,
      local,
    );
  }

  private send(data: Uint8Array, to: TransportAddress, local: TransportAddress): void {
    if (this.outputs.length >= this.maxQueued) {
      this.stats.outputOverflow++;
      return;
    }
    const o: IceLiteOutput =
      this.localAddresses.length > 1
        ? { kind: 'datagram', data, to: { address: to.address, port: to.port }, from: local }
        : { kind: 'datagram', data, to: { address: to.address, port: to.port } };
    this.outputs.push(o);
  }

  /** Tells the agent the time: fails it when nothing was nominated in time or consent expired (RFC 7675 §5.1). */
  handleTimeout(now: number): void {
    if (this._state === 'new') this.start(now);
    if (this._state === 'checking' && this.connectDeadline !== null && now >= this.connectDeadline) {
      this.fail(
        this.sawValidCheck ? 'no-nomination' : 'no-checks',
        this.sawValidCheck
          ? `valid ICE checks arrived but none nominated a pair within ${this.connectTimeoutMs} ms`
          : `no valid ICE connectivity check arrived within ${this.connectTimeoutMs} ms`,
      );
    } else if (this._state === 'connected' && now >= this.lastConsentAt + this.consentTimeoutMs) {
      this.fail(
        'consent-expired',
        `no valid ICE check on the selected pair for ${this.consentTimeoutMs} ms (RFC 7675)`,
      );
    }
  }

  private fail(reason: IceFailureReason, message: string): void {
    this.connectDeadline = null;
    this.setState('failed');
    this.emit({ type: 'failed', reason, message });
  }

  /** Next output: a datagram, an event, or the next deadline (absolute ms; null = nothing scheduled). */
  pollOutput(): IceLiteOutput {
    const o = this.outputs.shift();
    if (o) return o;
    let at: number | null = null;
    if (this._state === 'checking') at = this.connectDeadline;
    else if (this._state === 'connected') at = this.lastConsentAt + this.consentTimeoutMs;
    return { kind: 'deadline', at };
  }

  private setState(s: IceLiteState): void {
    if (this._state === s) return;
    this._state = s;
    this.emit({ type: 'state', state: s });
  }

  private emit(event: IceLiteEvent): void {
    this.outputs.push({ kind: 'event', event });
  }

  /** The remote ufrag, once known. */
  get remoteUsernameFragment(): string | undefined {
    return this.remoteUfrag;
  }
}
