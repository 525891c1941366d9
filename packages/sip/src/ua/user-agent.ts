import { EventEmitter } from 'node:events';
import { createLoop, type Loop, type TimerId } from '@mdh/loop';
import { type AbortOptions, abortable, onAbortOrTimeout } from '../abort.js';
import { DigestClient, type DigestServer } from '../auth/digest.js';
import { Dialog, dialogId } from '../dialog/dialog.js';
import { createRequest, createResponse, newCallId, newTag } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { SdpNegotiationError } from '../sdp/offer-answer.js';
import type { Timed } from '../transaction/timer-queues.js';
import { resolveTimers, type TransactionTimers } from '../transaction/timers.js';
import { defaultPort, type SipTransport, type TransportProtocol } from '../transport/transport.js';
import { parseUri, stripBrackets } from '../uri/uri.js';
import { Call, type CallOwner } from './call.js';
import { type AnswerOptions, CallMediaOwner, type CallMediaSettings } from './call-media-owner.js';
import { RegisteredFlows } from './flows.js';
import { bumpVersion, defaultAnswer } from './hold.js';
import { isDtmfInfo, parseDtmfInfo } from './info-dtmf.js';
import { type SipLogFn, type SipLogger, toLogFn } from './observability.js';
import { OPTION_100REL, PrackClient, PrackServer, ReliableProvisionals, reliability } from './prack.js';
import { pooledRandom } from './random.js';
import { replacesDialogId, Transfers } from './refer.js';
import { Registrar } from './registrar.js';
import {
  OPTION_TIMER,
  parseSessionExpires,
  retryAfter422,
  SessionTimer,
  type SessionTimerOptions,
  sessionTimerConfig,
  type UasTimerDecision,
  uacSessionHeaders,
  uacSessionTimer,
  uasSessionTimer,
} from './session-timer.js';
import { type IncomingRequest, type SendTarget, SipStack } from './stack.js';
import type { UaStats } from './stats.js';
import type { SubscribeOptions, Subscription } from './subscription.js';
import { Subscriptions } from './subscriptions.js';
import { resolveSendTargets, SipCallError, type TargetResolver } from './targets.js';

/** Options of {@link UserAgent}. */
export interface UserAgentOptions {
  /** The transports (at least one). */
  transports: SipTransport[];
  /** Event loop (default: a new one on the system clock). Tests pass one on a ManualClock. */
  loop?: Loop;
  /** User part of our AOR and Contact (default `mdh`). */
  user?: string;
  displayName?: string;
  /** Credentials for 401/407 challenges (RFC 3261 §22.2). */
  credentials?: { username: string; password: string };
  /** Challenges incoming INVITEs (and REGISTERs when the registrar has no auth of its own). */
  authServer?: DigestServer;
  /** Act as a registrar for REGISTER (RFC 3261 §10.3); true for one with default options. */
  registrar?: Registrar | boolean;
  timers?: Partial<TransactionTimers>;
  /** User-Agent / Server header value. */
  userAgent?: string;
  /** Address to advertise in Via/Contact/SDP when bound to a wildcard. */
  advertisedAddress?: string;
  /** Target resolution (RFC 3263); default: IP literals and localhost directly, names through `sipResolve`. */
  resolver?: TargetResolver;
  /** How long a UAC waits for a final response to INVITE before CANCEL (default: Timer B only). */
  inviteTimeoutMs?: number;
  /**
   * A logger: a `(level, event, fields)` function or any pino-compatible object (`logger.debug(fields, msg)`).
   * Gets `sip.send` / `sip.receive` (debug: start line, peer), `call.ended` (info) and `handler.error` (error).
   * For every message as bytes subscribe to the `mdh:sip:send` / `mdh:sip:receive` diagnostics channels.
   */
  logger?: SipLogger;
  /** Session timers (RFC 4028; default on: Session-Expires 1800, Min-SE 90); `false` turns them off. */
  sessionTimers?: SessionTimerOptions | false;
  /**
   * The user agent opens each call's media itself (call-media-owner.ts): `invite(target)` without `sdp` offers a
   * media port, `inv.answer()` without SDP answers the offer from one, and `call.media` is the running
   * `MediaSession` (closed with the call). `true` for the defaults, or {@link CallMediaSettings}. Default false.
   */
  media?: boolean | CallMediaSettings;
}

/**
 * Options of {@link UserAgent.invite}. `signal` / `timeoutMs` cancel the attempt (CANCEL, RFC 3261 §9.1; BYE
 * when a 2xx races it); `result` then rejects with the INVITE's final status (487).
 */
export interface InviteOptions extends AbortOptions {
  /** SDP offer (omit for a late offer: the 2xx then carries the offer and `answerFor` builds the ACK's answer). */
  sdp?: string;
  /** Builds the ACK's SDP answer for a late offer. */
  answerFor?: (offer: string) => string;
  /** Extra headers. */
  headers?: [string, string][];
  /** Called for every provisional response. */
  onProgress?: (res: SipResponse) => void;
  /** From URI (default our AOR). */
  from?: string;
  /**
   * With the UA option `media`: this call's media settings (over the UA's), or `false` to place it without
   * (then `sdp` or a late offer as usual). Ignored when `sdp` or `answerFor` is given.
   */
  media?: boolean | CallMediaSettings;
}

/** A call being placed: `result` settles on the final response; `cancel()` sends CANCEL (RFC 3261 §9.1). */
export interface OutgoingInvite {
  readonly result: Promise<Call>;
  /** Cancels the attempt: CANCEL once a provisional response arrived (RFC 3261 §9.1); `result` then rejects with 487. */
  cancel(): void;
}

/** Events of {@link UserAgent}. */
export interface UserAgentEvents {
  /** A new INVITE: call `answer`, `ring` or `reject` on it. */
  invite: [call: IncomingCall];
  /** An out-of-dialog request other than INVITE, REGISTER (with a registrar), OPTIONS, ACK, CANCEL. */
  request: [req: IncomingRequest];
  /** A call ended. */
  callEnded: [call: Call];
  /**
   * An application handler (a listener of `invite`, `request`, `callEnded`, or of a call's events) threw or
   * returned a rejected promise. The transaction it was handling, if still unanswered, got a final response:
   * `488` for an {@link SdpNegotiationError}, `500` otherwise; the UA keeps serving. Without an `error`
   * listener the error goes to `stack.onError` (default: console.error) — it never crashes the process.
   */
  error: [err: unknown, event: string];
}

/**
 * An incoming INVITE waiting for an answer (RFC 3261 §13.3). `answer(sdp)` sends 200 OK, retransmits it
 * until the ACK arrives (§13.3.1.4) and resolves with the {@link Call}.
 */
export class IncomingCall extends EventEmitter<{ cancel: [] }> {
  /** The INVITE. */
  readonly request: SipRequest;
  /** The offer (undefined for a late offer). */
  readonly remoteSdp: string | undefined;
  /** The To tag of our responses. */
  readonly toTag: string;
  /** Whether a CANCEL arrived. */
  cancelled = false;
  private finalSent = false;
  /** RFC 3262: the reliable provisionals of this INVITE (set when the caller supports or requires `100rel`). */
  readonly reliableProvisionals: ReliableProvisionals | undefined;

  /** @internal */
  constructor(
    private readonly ua: UserAgent,
    private readonly inc: IncomingRequest,
    private readonly receivedAt: number,
  ) {
    super({ captureRejections: true });
    this.request = inc.request;
    this.remoteSdp = inc.request.body.length ? inc.request.bodyText : undefined;
    this.toTag = newTag(pooledRandom);
    // --- RFC 3262 hook (prack.ts)
    const rel = reliability(inc.request);
    this.requires100rel = rel === 'required';
    if (rel) this.reliableProvisionals = ua._reliableFor(this, inc);
  }

  /** Whether the INVITE had `Require: 100rel` (every provisional but 100 is then sent reliably, RFC 3262 §3). */
  readonly requires100rel: boolean;

  /**
   * Sends 180 Ringing (or another provisional, e.g. 183 Session Progress with `sdp` for early media). It is
   * sent reliably (RFC 3262: `Require: 100rel`, `RSeq`, retransmitted until PRACK) when the caller requires
   * it, or supports it and `reliable` is true or the response carries SDP; `answer()` then waits for the
   * PRACK of a provisional that carried SDP (§3) and the 2xx repeats no SDP. `ring(183, sdp)` is short for
   * `ring(183, { sdp })`.
   */
  ring(status = 180, sdpOrOpts: string | { sdp?: string; reliable?: boolean } = {}): void {
    if (this.finalSent) return;
    const opts = typeof sdpOrOpts === 'string' ? { sdp: sdpOrOpts } : sdpOrOpts;
    const res = createResponse(this.request, status, {
      toTag: this.toTag,
      headers: [['Contact', this.ua.contactFor(this.inc.transport, /^sips:/i.test(this.request.uri))]],
      ...(opts.sdp !== undefined ? { body: opts.sdp, contentType: 'application/sdp' } : {}),
    });
    const rel = this.reliableProvisionals;
    if (rel && status > 100 && (this.requires100rel || opts.reliable === true || opts.sdp !== undefined)) {
      rel.send(res);
      return;
    }
    this.inc.respond(res);
  }

  /** Rejects the call with a final status (486, 603, 488...). */
  reject(status = 486, reason?: string, headers: [string, string][] = []): void {
    if (this.finalSent) return;
    this.finalSent = true;
    this.ua._finalSent(this); // RFC 3262 hook
    this.inc.respond(
      createResponse(this.request, status, { toTag: this.toTag, headers, ...(reason ? { reason } : {}) }),
    );
  }

  /**
   * Answers with 200 OK carrying `sdp`; resolves with the call once the ACK arrives. Without `sdp` on a user
   * agent with the `media` option, the UA answers the offer from a media port of its own (or offers one for a
   * late offer) and `call.media` runs (`opts`: per-call media settings and an `onMedia` callback).
   */
  answer(sdp?: string | AnswerOptions): Promise<Call> {
    // call-media-owner.ts hook
    if (typeof sdp !== 'string' && this.ua._media && sdp?.media !== false) {
      if (this.finalSent) return Promise.reject(new Error('INVITE already answered'));
      const answered = this.ua._media.answer(this, sdp ?? {});
      answered.catch((e) => {
        if (!this.finalSent)
          this.reject(e instanceof SdpNegotiationError ? 488 : e instanceof SipCallError ? e.status : 500);
      });
      return answered;
    }
    const body = typeof sdp === 'string' ? sdp : undefined;
    if (this.finalSent) return Promise.reject(new Error('INVITE already answered'));
    const rel = this.reliableProvisionals;
    if (rel?.sdpUnacknowledged) {
      // RFC 3262 §3: no 2xx while a reliable provisional with SDP is unacknowledged
      return rel.whenAcknowledged().then((ok) => {
        if (!ok || this.finalSent) throw new SipCallError(this.cancelled ? 487 : 500, 'no PRACK for the provisional');
        return this.answer(body ?? { media: false });
      });
    }
    this.finalSent = true;
    this.ua._finalSent(this);
    // the answer already went in a reliable provisional: the 2xx carries no SDP (RFC 3262 §5, RFC 6337 §3.1)
    return this.ua._answer(this, this.inc, body, this.receivedAt, rel?.answeredInProvisional === true);
  }

  /** @internal EventEmitter captureRejections hook: an async `cancel` listener rejected. */
  [Symbol.for('nodejs.rejection')](err: unknown, event: string | symbol): void {
    this.ua.handlerFailed(err, String(event));
  }

  /** @internal */
  _cancelled(): void {
    if (this.finalSent) return;
    this.cancelled = true;
    this.finalSent = true;
    this.ua._finalSent(this);
    // RFC 3261 §9.2: the INVITE is answered 487 Request Terminated.
    this.inc.respond(createResponse(this.request, 487, { toTag: this.toTag }));
    try {
      this.emit('cancel');
    } catch (e) {
      this.ua.handlerFailed(e, 'cancel');
    }
  }
}

/** A 2xx being retransmitted until its ACK (RFC 3261 §13.3.1.4); armed in the stack's timer queues. */
interface PendingAnswer extends Timed {
  resolve: (c: Call) => void;
  reject: (e: Error) => void;
  call: Call;
  bytes: Uint8Array;
  target: SendTarget;
  interval: number;
  deadline: number;
  /** Our 2xx carried the offer (the request had none): the ACK carries the answer. */
  lateOffer?: boolean;
}

interface AckRecord {
  bytes: Uint8Array;
  target: SendTarget;
  until: number;
}

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, PRACK, REFER, NOTIFY';

/**
 * Methods of the SIP extensions we know of but do not implement: answered 405 with Allow; any other method is
 * not understood and gets 501 (RFC 3261 §8.2.1).
 */
const KNOWN_METHODS = new Set([
  'INVITE',
  'ACK',
  'CANCEL',
  'BYE',
  'OPTIONS',
  'REGISTER',
  'INFO',
  'UPDATE',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'MESSAGE',
  'REFER',
]);

/** The capability headers of an OPTIONS answer (RFC 3261 §11.2). */
const OPTIONS_HEADERS: [string, string][] = [
  ['Allow', ALLOW],
  ['Accept', 'application/sdp'],
  ['Accept-Encoding', 'identity'],
  ['Accept-Language', 'en'],
  ['Supported', OPTION_100REL],
];

/** 405 (known method) or 501 (unknown method, RFC 3261 §8.2.1). */
function notAllowed(r: IncomingRequest): void {
  if (KNOWN_METHODS.has(r.request.method)) r.reply(405, { headers: [['Allow', ALLOW]] });
  else r.reply(501);
}

/**
 * A SIP user agent (RFC 3261 §8, §12-15): places and answers calls with their dialogs, BYE, CANCEL,
 * re-INVITE, OPTIONS, REGISTER (client with refresh, and a registrar), digest auth both ways, forked 2xx.
 *
 * ```ts
 * const ua = new UserAgent({ transports: [await UdpTransport.listen({ port: 5060 })] });
 * // an async handler: whatever it throws (or a caller that never ACKs) answers/ends the call and is reported
 * // as `error`, never an unhandled rejection; `ended` reaches listeners added after the call ended too
 * ua.on('invite', async (inv) => {
 *   const call = await inv.answer(answerSdp);
 *   call.on('ended', (why) => console.log('ended', why));
 * });
 * ua.on('error', (err, event) => console.warn(event, err));
 * ```
 */
export class UserAgent extends EventEmitter<UserAgentEvents> implements CallOwner {
  readonly stack: SipStack;
  readonly loop: Loop;
  readonly user: string;
  readonly registrar: Registrar | undefined;
  private readonly o: UserAgentOptions;
  private readonly t: TransactionTimers;
  private readonly calls = new Map<string, Call>();
  private readonly pending = new Map<string, PendingAnswer>();
  /** Dialogs whose re-INVITE awaits an asynchronous `call.onOffer` answer. */
  private readonly answering = new Set<string>();
  private readonly acks = new Map<string, AckRecord>();
  private readonly digest: DigestClient | undefined;
  private ackSweep: TimerId | undefined;
  private readonly housekeeping = new Set<TimerId>();
  private readonly firstCall = new WeakSet<SipRequest>();
  /** Contact values per transport, [sip, sips] (built once: the transport's address does not change). */
  private lastSdp: string | undefined;
  private lastSdpBytes = new Uint8Array(0);
  private readonly contacts = new Map<SipTransport, [string | undefined, string | undefined]>();
  /** Connections registered contacts came over (flows.ts). */
  private readonly flows = new RegisteredFlows();
  /** RFC 3262 (prack.ts): reliable provisionals we sent (UAS) and early dialogs we PRACK (UAC). */
  private readonly prackServer: PrackServer;
  private readonly prackClient = new PrackClient();
  private readonly log: SipLogFn | undefined;
  /** RFC 3891: the call an incoming INVITE replaces. */
  private readonly replaced = new WeakMap<SipRequest, Call>();
  /** RFC 3515 (refer.ts): REFERs sent and followed. */
  private readonly transfers: Transfers;
  /** RFC 4028 (session-timer.ts): options, the UAS decision per INVITE, the running timer per call. */
  private readonly st: ReturnType<typeof sessionTimerConfig> | undefined;
  private readonly uasTimers = new WeakMap<SipRequest, UasTimerDecision>();
  private readonly timers = new WeakMap<Call, SessionTimer>();
  /**
   * RFC 6665 (subscriptions.ts): the subscriptions this UA made and serves; `addPackage(name, handler)` serves
   * an event package (e.g. `message-summary`), others get 489 Bad Event.
   */
  readonly subscriptions: Subscriptions;
  /** @internal the owner of the calls' media (the `media` option), call-media-owner.ts. */
  readonly _media: CallMediaOwner | undefined;

  constructor(o: UserAgentOptions) {
    // rejected promises of async listeners come to the rejection hook below instead of going unhandled
    super({ captureRejections: true });
    if (!o.transports.length) throw new Error('UserAgent needs at least one transport');
    this.o = o;
    this.loop = o.loop ?? createLoop();
    this.user = o.user ?? 'mdh';
    this.t = resolveTimers(o.timers);
    this.stack = new SipStack({
      loop: this.loop,
      transports: o.transports,
      timers: this.t,
      userAgent: o.userAgent ?? 'mdh',
      ...(o.advertisedAddress ? { advertisedAddress: o.advertisedAddress } : {}),
    });
    this.registrar =
      o.registrar === true
        ? new Registrar({ now: () => this.loop.now(), ...(o.authServer ? { auth: o.authServer } : {}) })
        : o.registrar || undefined;
    if (o.credentials) this.digest = new DigestClient(o.credentials);
    this.prackServer = new PrackServer(this.loop);
    // refer.ts hook
    const ua = this;
    this.transfers = new Transfers({
      loop: this.loop,
      sendInDialog: (c, m, opts) => this.sendInDialog(c, m, opts),
      placeReferredCall: (from, target, headers, offer) => this.placeReferredCall(from, target, headers, offer),
      handlerFailed: (e, ev) => this.handlerFailed(e, ev),
      get aor() {
        return ua.aor;
      },
    });
    // subscriptions.ts hook
    this.subscriptions = new Subscriptions({
      loop: this.loop,
      t1: this.t.t1,
      aor: () => this.aor,
      contact: () => this.contactFor(this.o.transports[0]!),
      contactFor: (r) => this.contactFor(r.transport, /^sips:/i.test(r.request.uri)),
      send: (req) => this.send(req),
      handlerFailed: (e, ev) => this.handlerFailed(e, ev),
      hasRequestListener: () => this.listenerCount('request') > 0,
    });
    // observability.ts hook
    const log = toLogFn(o.logger);
    this.log = log;
    if (log) {
      const dec = new TextDecoder();
      this.stack.onTrace = (e) => {
        const head = dec.decode(e.data.subarray(0, 256));
        const startLine = head.slice(0, Math.max(0, head.indexOf('\r\n'))) || head;
        log('debug', e.direction === 'send' ? 'sip.send' : 'sip.receive', {
          startLine,
          peer: `${e.peer.address}:${e.peer.port}`,
          protocol: e.protocol,
          bytes: e.data.length,
        });
      };
    }
    this.st = o.sessionTimers === false ? undefined : sessionTimerConfig(o.sessionTimers || {});
    // call-media-owner.ts hook
    if (o.media) {
      const t0 = o.transports[0]!;
      this._media = new CallMediaOwner(
        { loop: this.loop, localAddress: () => t0.localAddress, advertisedAddress: o.advertisedAddress },
        o.media === true ? {} : o.media,
      );
    }
    this.stack.onRequest = (r) => this.onRequest(r);
    this.stack.onAck = (ack) => this.onAck(ack);
    this.stack.onStrayResponse = (res) => this.onStray(res);
  }

  /** @internal EventEmitter captureRejections hook: an async listener of `event` rejected. */
  [Symbol.for('nodejs.rejection')](err: unknown, event: string | symbol, subject?: unknown): void {
    this.handlerFailed(err, String(event), subject);
  }

  /**
   * @internal An application handler failed (#15: handlers cannot crash the process): the transaction it
   * handled, if unanswered, gets `488` (SDP that cannot be answered, RFC 3261 §21.4.26) or `500`
   * (§21.5.1); the error is reported through the `error` event.
   */
  handlerFailed(err: unknown, event: string, subject?: unknown): void {
    const status = err instanceof SdpNegotiationError ? 488 : 500;
    this.log?.('error', 'handler.error', { handler: event, error: err instanceof Error ? err.message : String(err) });
    try {
      if (subject instanceof IncomingCall) subject.reject(status);
      else if (isIncomingRequest(subject) && !subject.answered && subject.request.method !== 'ACK')
        subject.reply(status);
    } catch (e) {
      this.stack.onError(e);
    }
    if (this.listenerCount('error') === 0) {
      this.stack.onError(err);
      return;
    }
    try {
      this.emit('error', err, event);
    } catch (e) {
      this.stack.onError(e);
    }
  }

  /** Emits an application event; a listener that throws is {@link handlerFailed}, never propagated. */
  private fire<K extends 'invite' | 'request' | 'callEnded'>(
    event: K,
    arg: UserAgentEvents[K][0],
    subject?: unknown,
  ): void {
    try {
      (this.emit as (e: K, a: UserAgentEvents[K][0]) => boolean)(event, arg);
    } catch (e) {
      this.handlerFailed(e, event, subject);
    }
  }

  /** Live calls. */
  get activeCalls(): number {
    return this.calls.size;
  }

  /** @internal registrations kept refreshed (removed by `close()`). */
  readonly registrations = new Set<Registration>();

  /**
   * Counts of what the UA holds (for leak checks: all go back to 0 once calls end and the transactions' timers
   * have run): calls, dialogs, 2xx awaiting ACK, reliable provisionals (RFC 3262) and early dialogs being
   * PRACKed, subscriptions, registrations, transactions of each kind. See {@link UaStats}.
   */
  stats(): UaStats {
    return {
      calls: this.calls.size,
      dialogs: this.calls.size + this.prackClient.size,
      awaitingAck: this.pending.size,
      reliableProvisionals: this.prackServer.size,
      earlyDialogs: this.prackClient.size,
      subscriptions: this.transfers.size + this.subscriptions.size.made + this.subscriptions.size.served,
      registrations: this.registrations.size,
      transactions: { ...this.stack.liveTransactions, ...this.stack.transactionKinds() },
    };
  }

  /** Our AOR on the first transport, e.g. `sip:mdh@127.0.0.1:5060`. */
  get aor(): string {
    const t = this.o.transports[0]!;
    return `sip:${this.user}@${this.stack.hostPortFor(t)}`;
  }

  /**
   * Our Contact header value for a transport (with `;transport=` for non-UDP, RFC 3261 §19.1.4). A SIPS URI
   * only when the dialog must be secure (§12.1.1: the request was to a SIPS URI); otherwise `sip:` with
   * `;transport=tls`, which every peer understands.
   */
  contactFor(t: SipTransport, sips = false): string {
    const secure = sips && t.secure;
    let c = this.contacts.get(t);
    if (!c) {
      c = [undefined, undefined];
      this.contacts.set(t, c);
    }
    const i = secure ? 1 : 0;
    const have = c[i];
    if (have !== undefined) return have;
    const tp = t.protocol === 'udp' ? '' : `;transport=${t.protocol}`;
    const v = `<${secure ? 'sips' : 'sip'}:${this.user}@${this.stack.hostPortFor(t)}${tp}>`;
    c[i] = v;
    return v;
  }

  // ------------------------------------------------------------------ targets

  /**
   * Resolves a request URI to send targets, in order (RFC 3263 §4; failover on transport error/503, §4.3). A contact
   * registered here over a connection (WebSocket, TCP, TLS) is reached over that connection (RFC 7118 §5).
   */
  async targets(uriText: string): Promise<SendTarget[]> {
    const flow = this.flows.lookup(uriText, this.loop.now());
    if (flow) return [flow];
    return resolveSendTargets(this.stack, uriText, { fallback: this.o.transports[0]!, resolver: this.o.resolver });
  }

  private async targetFor(uri: string, req: SipRequest): Promise<SendTarget[]> {
    const route = req.routes[0];
    return this.targets(route ? route.uriText : uri);
  }

  // ------------------------------------------------------------------ UAC: non-INVITE

  /**
   * Sends a request and resolves with its final response, answering one 401/407 with credentials (RFC 3261
   * §22.2; again when the nonce was stale), trying the next target on transport error or 503.
   */
  async send(req: SipRequest, targets?: SendTarget[], opts: AbortOptions = {}): Promise<SipResponse> {
    // abort.ts: a non-INVITE cannot be cancelled in SIP (§9.1); we stop waiting and reject
    if (opts.signal || opts.timeoutMs !== undefined) return abortable(this.send(req, targets), opts, this.loop);
    const list = targets ?? (await this.targetFor(req.uri, req));
    let lastErr: SipResponse | undefined;
    for (let i = 0; i < list.length; i++) {
      const t = list[i]!;
      const res = await this.sendWithAuth(req, t);
      if ((res.status === 503 || res.status === 0) && i + 1 < list.length) {
        lastErr = res;
        continue;
      }
      return res;
    }
    return lastErr ?? createResponse(req, 503);
  }

  private async sendWithAuth(
    req: SipRequest,
    target: SendTarget,
    onProgress?: (r: SipResponse) => void,
  ): Promise<SipResponse> {
    let current = req;
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await this.sendOnce(current, target, onProgress);
      if ((res.status === 401 || res.status === 407) && this.digest) {
        const ch = res.getAll(res.status === 401 ? 'www-authenticate' : 'proxy-authenticate');
        const picked = DigestClient.pick(ch);
        if (!picked || (attempt > 0 && !picked.stale)) return res;
        const next = this.retryWithAuth(current, res.status, picked);
        current = next;
        continue;
      }
      return res;
    }
    return createResponse(req, 401);
  }

  private retryWithAuth(
    req: SipRequest,
    status: number,
    ch: NonNullable<ReturnType<typeof DigestClient.pick>>,
  ): SipRequest {
    const n = createRequest({
      method: req.method,
      uri: req.uri,
      from: req.get('from') ?? '',
      to: req.get('to') ?? '',
      callId: req.callId ?? newCallId(undefined, pooledRandom),
      cseq: (req.cseq?.seq ?? 1) + 1,
    });
    for (const h of req.headers) {
      const k = h.name.toLowerCase();
      if (['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'authorization', 'proxy-authorization'].includes(k))
        continue;
      n.add(h.name, h.value);
    }
    n.body = req.body;
    const hdr = status === 401 ? 'Authorization' : 'Proxy-Authorization';
    n.add(hdr, this.digest!.authorizeWith(ch, req.method, req.uri));
    return n;
  }

  private sendOnce(req: SipRequest, target: SendTarget, onProgress?: (r: SipResponse) => void): Promise<SipResponse> {
    return new Promise((resolve) => {
      this.stack.sendRequest(req, target, {
        onResponse: (res) => {
          if (res.status < 200) onProgress?.(res);
          else resolve(res);
        },
        onFailure: (why) => resolve(createResponse(req, why === 'timeout' ? 408 : 503)),
      });
    });
  }

  /** Sends OPTIONS (RFC 3261 §11) and resolves with the final response. */
  options(uri: string, opts: AbortOptions = {}): Promise<SipResponse> {
    const t = this.o.transports[0]!;
    const req = createRequest({
      method: 'OPTIONS',
      uri,
      from: `<${this.aor}>`,
      to: `<${uri}>`,
      contact: this.contactFor(t),
    });
    req.add('Accept', 'application/sdp');
    return this.send(req, undefined, opts);
  }

  /**
   * Registers our Contact with a registrar (RFC 3261 §10.2) and keeps the binding refreshed before it
   * expires; `unregister()` removes it.
   */
  async register(
    registrarUri: string,
    opts: { aor?: string; expires?: number } & AbortOptions = {},
  ): Promise<Registration> {
    const reg = new Registration(this, registrarUri, opts.aor ?? this.aor, opts.expires ?? 3600);
    await abortable(reg.refresh(), opts, this.loop);
    this.registrations.add(reg);
    return reg;
  }

  /**
   * Subscribes to an event package at `target` (RFC 6665 §4.1): a SUBSCRIBE now, refreshed before it expires;
   * the returned {@link Subscription} emits `notify` for every NOTIFY and ends on `unsubscribe()`, a
   * `terminated` NOTIFY, a failed SUBSCRIBE, or no NOTIFY within 64×T1 (Timer N). `signal` / `timeoutMs`
   * bound the wait for the first NOTIFY. Throws `SubscriptionLimitError` beyond `subscriptions.maxSubscriptions`.
   */
  subscribe(target: string, opts: SubscribeOptions): Subscription {
    return this.subscriptions.subscribe(target, opts);
  }

  // ------------------------------------------------------------------ UAC: INVITE

  /** Places a call (RFC 3261 §13.2). */
  invite(target: string, opts: InviteOptions = {}): OutgoingInvite {
    // call-media-owner.ts hook: the UA opens the media and offers it
    if (this._media && opts.sdp === undefined && !opts.answerFor && opts.media !== false) {
      return this._media.invite((o) => this.invite(target, o), opts);
    }
    const t0 = this.loop.now();
    let cancelRequested = false;
    let sendCancel: (() => void) | undefined;
    const result = (async (): Promise<Call> => {
      const targets = await this.targets(target);
      let lastStatus = 503;
      let lastRes: SipResponse | undefined;
      for (let i = 0; i < targets.length; i++) {
        const tg = targets[i]!;
        let req = this.buildInvite(target, tg.transport, opts);
        for (let attempt = 0; attempt < 3; attempt++) {
          const outcome = await this.inviteOnce(req, tg, opts, t0, (f) => {
            sendCancel = f;
            if (cancelRequested) f();
          });
          if ('call' in outcome) return outcome.call;
          const res = outcome.response;
          lastStatus = res?.status ?? outcome.status;
          lastRes = res;
          if (res && (res.status === 401 || res.status === 407) && this.digest && !cancelRequested) {
            const picked = DigestClient.pick(
              res.getAll(res.status === 401 ? 'www-authenticate' : 'proxy-authenticate'),
            );
            if (picked && (attempt === 0 || picked.stale)) {
              req = this.retryWithAuth(req, res.status, picked);
              continue;
            }
          }
          // RFC 4028 §7.4: 422 Session Interval Too Small → again with the Min-SE it names
          const again = res?.status === 422 && !cancelRequested ? retryAfter422(req, res) : undefined;
          if (again) {
            req = again;
            continue;
          }
          break;
        }
        if (lastStatus !== 503 || cancelRequested) break;
      }
      throw new SipCallError(
        lastStatus,
        lastRes?.reason ?? (lastStatus === 408 ? 'Request Timeout' : 'Service Unavailable'),
        lastRes,
      );
    })();
    const cancel = () => {
      cancelRequested = true;
      sendCancel?.();
    };
    // abort.ts hook: the signal or the time limit cancels the INVITE (a 2xx that races it gets BYE)
    if (opts.signal || opts.timeoutMs !== undefined) {
      const detach = onAbortOrTimeout(opts, cancel, this.loop);
      result.then(detach, detach);
    }
    return { result, cancel };
  }

  private buildInvite(target: string, t: SipTransport, opts: InviteOptions): SipRequest {
    const req = createRequest({
      random: pooledRandom,
      method: 'INVITE',
      uri: target,
      from: opts.from ? `<${opts.from}>` : `<${this.aor}>`,
      to: `<${target}>`,
      cseq: 1,
      contact: this.contactFor(t, /^sips:/i.test(target)),
      headers: [
        ['Allow', ALLOW],
        // RFC 3262 §4: we PRACK reliable provisionals; RFC 4028 §7.1: session timers
        ...(opts.headers?.some(([k]) => /^(supported|k)$/i.test(k))
          ? []
          : [['Supported', this.st ? `${OPTION_100REL}, ${OPTION_TIMER}` : OPTION_100REL] as [string, string]]),
        ...(this.st && !opts.headers?.some(([k]) => /^(session-expires|x)$/i.test(k))
          ? uacSessionHeaders(this.st.expires, this.st.minSE)
          : []),
        ...(opts.headers ?? []),
      ],
    });
    if (opts.sdp !== undefined) req.setBody(opts.sdp, 'application/sdp');
    return req;
  }

  private inviteOnce(
    req: SipRequest,
    target: SendTarget,
    opts: InviteOptions,
    t0: number,
    setCancel: (f: () => void) => void,
  ): Promise<{ call: Call } | { status: number; response?: SipResponse }> {
    return new Promise((resolve) => {
      let settled = false;
      let gotProvisional = false;
      let wantCancel = false;
      let established: Call | undefined;
      let branch = '';
      let earlySdp: string | undefined;
      const doCancel = () => {
        if (settled || established) return;
        wantCancel = true;
        // §9.1: a CANCEL must not be sent before a provisional response arrived.
        if (!gotProvisional) return;
        const c = createRequest({
          method: 'CANCEL',
          uri: req.uri,
          from: req.get('from') ?? '',
          to: req.get('to') ?? '',
          callId: req.callId ?? '',
          cseq: req.cseq?.seq ?? 1,
          route: req.getAll('route'),
        });
        this.stack.sendRequest(c, target, { onResponse: () => {} }, branch);
      };
      setCancel(doCancel);
      const sent = this.stack.sendRequest(req, target, {
        onResponse: (res) => {
          if (res.status < 200) {
            gotProvisional = true;
            // RFC 3262 §4 hook: PRACK a reliable provisional; retransmissions and gaps go no further
            if (this.prackClient.onProvisional(req, res, (p, d) => this.sendPrack(p, d, target)) === 'drop') return;
            // a PRACK-less 183 with SDP (early media): the answer, when the 2xx does not repeat it
            if (res.body.length && res.status > 100) earlySdp = res.bodyText;
            if (wantCancel) doCancel();
            opts.onProgress?.(res);
            return;
          }
          if (res.status < 300) {
            this.on2xx(req, res, target, opts, t0, earlySdp, (call) => {
              if (!established) {
                established = call;
                settled = true;
                if (wantCancel) void call.hangup();
                resolve({ call });
              }
            });
            return;
          }
          this.prackClient.forget(req);
          if (!settled) {
            settled = true;
            resolve({ status: res.status, response: res });
          }
        },
        onFailure: (why) => {
          this.prackClient.forget(req);
          if (!settled) {
            settled = true;
            resolve({ status: why === 'timeout' ? 408 : 503 });
          }
        },
      });
      branch = sent.request.via?.branch ?? '';
      if (this.o.inviteTimeoutMs !== undefined) {
        this.loop.after(this.o.inviteTimeoutMs, () => {
          if (!settled && !established) doCancel();
        });
      }
    });
  }

  /** A 2xx to our INVITE: a dialog per To tag; ACK each (§13.2.2.4); BYE the forks we do not keep. */
  private on2xx(
    req: SipRequest,
    res: SipResponse,
    target: SendTarget,
    opts: InviteOptions,
    t0: number,
    earlySdp: string | undefined,
    first: (c: Call) => void,
  ): void {
    const toTag = res.to?.tag;
    const fromTag = req.from?.tag;
    const callId = req.callId;
    if (!toTag || !fromTag || !callId) return;
    const id = dialogId(callId, fromTag, toTag);
    const rec = this.acks.get(id);
    if (rec) {
      // A retransmitted 2xx: the ACK is retransmitted, not rebuilt (§13.2.2.4).
      this.stack.post(rec.target, rec.bytes);
      return;
    }
    const dialog = Dialog.fromUacResponse(req, res);
    // RFC 3262: the confirmed dialog's CSeq continues above the PRACKs sent in its early dialog
    dialog.localSeq = Math.max(dialog.localSeq, this.prackClient.localSeq(id));
    this.later(64 * this.t.t1, () => this.prackClient.forget(req));
    const call = new Call(this, 'outgoing', dialog, req);
    call.localSdp = req.body.length ? req.bodyText : undefined;
    call.remoteSdp = res.body.length ? res.bodyText : req.body.length ? earlySdp : undefined;
    call.setupMs = this.loop.now() - t0;
    let ackBody: { contentType: string; data: string } | undefined;
    if (call.localSdp === undefined && call.remoteSdp !== undefined && opts.answerFor) {
      call.localSdp = opts.answerFor(call.remoteSdp);
      ackBody = { contentType: 'application/sdp', data: call.localSdp };
    }
    const ack = dialog.createAck(req.cseq?.seq ?? 1, ackBody);
    const ackTarget = this.inDialogTargetSync(call, target);
    call.flowTarget = target.transport.reliable ? target : undefined;
    const ackBytes = this.stack.sendStateless(ack, ackTarget);
    this.acks.set(id, { bytes: ackBytes, target: ackTarget, until: this.loop.now() + 64 * this.t.t1 });
    this.armAckSweep();
    this.calls.set(id, call);
    if (this.firstCall.has(req)) {
      // A forked 2xx after we kept another dialog: ACKed above, then ended with BYE (RFC 3261 §13.2.2.4).
      void call.hangup();
      return;
    }
    this.firstCall.add(req);
    // RFC 4028 §7.2 hook
    const t = this.st ? uacSessionTimer(res) : undefined;
    if (t) this.startSessionTimer(call, t.interval, t.weRefresh);
    first(call);
  }

  private armAckSweep(): void {
    if (this.ackSweep !== undefined) return;
    this.ackSweep = this.loop.after(this.t.t1 * 8, () => {
      this.ackSweep = undefined;
      const now = this.loop.now();
      for (const [k, r] of this.acks) if (r.until <= now) this.acks.delete(k);
      if (this.acks.size) this.armAckSweep();
    });
  }

  private onStray(res: SipResponse): void {
    // RFC 6026 §7.1: a 2xx retransmission after the client transaction ended still gets its ACK.
    if (res.status < 200 || res.status >= 300 || res.cseq?.method !== 'INVITE') return;
    const id = dialogId(res.callId ?? '', res.from?.tag ?? '', res.to?.tag ?? '');
    const rec = this.acks.get(id);
    if (rec) this.stack.post(rec.target, rec.bytes);
  }

  private inDialogTargetSync(call: Pick<Call, 'dialog' | 'flowTarget'>, fallback: SendTarget): SendTarget {
    if (fallback.transport.reliable) return fallback;
    const d = call.dialog;
    const uri = d.routeSet[0] ? d.routeSet[0].replace(/^[^<]*<([^>]*)>.*$/, '$1') : d.remoteTarget;
    try {
      const u = parseUri(uri);
      if (u.kind === 'sip') {
        const host = stripBrackets(u.host);
        if (/^[\d.]+$/.test(host) || host.includes(':')) {
          const tp = (u.params.transport ?? 'udp').toLowerCase() as TransportProtocol;
          const t = this.stack.transport(tp) ?? fallback.transport;
          return { transport: t, peer: { address: host, port: u.port ?? defaultPort(t.protocol) } };
        }
      }
    } catch {}
    return fallback;
  }

  /** @internal CallOwner: sends an in-dialog request and resolves with its final response. */
  sendInDialog(
    call: Call,
    method: string,
    opts: { body?: string; contentType?: string; headers?: Record<string, string> } = {},
    attempt = 0,
  ): Promise<SipResponse> {
    const req = call.dialog.createRequest(method, {
      ...(opts.body !== undefined
        ? { body: { contentType: opts.contentType ?? 'application/sdp', data: opts.body } }
        : {}),
      ...(opts.headers ? { headers: opts.headers } : {}),
    });
    const target = call.flowTarget ?? this.inDialogTargetSync(call, this.fallbackTarget(call));
    // an offer of ours is outstanding (a re-INVITE, or an UPDATE with SDP): a new offer from the peer gets 491
    const offering = method === 'INVITE' || (method === 'UPDATE' && opts.body !== undefined);
    if (offering) call.reinviting = true;
    return new Promise((resolve) => {
      let final = false;
      this.stack.sendRequest(req, target, {
        onResponse: (res) => {
          if (res.status < 200) return;
          if (method === 'INVITE' && res.status < 300) {
            call.dialog.handleRefreshResponse(res);
            const ack = call.dialog.createAck(req.cseq?.seq ?? 1);
            this.stack.sendStateless(ack, target);
          }
          if (final) return; // a retransmitted 2xx: ACKed again above
          final = true;
          if (offering) call.reinviting = false;
          // RFC 3311 §5.1: a 491 to UPDATE is retried after the same back-off as a re-INVITE's
          if (offering && res.status === 491 && attempt < 2 && call.state !== 'ended') {
            // §14.1 glare: retry after a random wait — 2.1-4 s when we own the Call-ID, else 0-2 s.
            const ms = call.direction === 'outgoing' ? 2100 + Math.random() * 1900 : Math.random() * 2000;
            this.loop.after(ms, () => {
              if (call.state === 'ended') resolve(res);
              else void this.sendInDialog(call, method, opts, attempt + 1).then(resolve);
            });
            return;
          }
          // §12.2.1.2: a 481 or 408 to a request within a dialog ends the dialog — except for the requests of a
          // subscription usage, whose 481 ends only that usage (RFC 5057 §5.1, RFC 6665 §4.1.3).
          if ((res.status === 481 || res.status === 408) && !['BYE', 'NOTIFY', 'SUBSCRIBE'].includes(method))
            call.end('error');
          resolve(res);
        },
        onFailure: (why) => {
          if (offering) call.reinviting = false;
          // §12.2.1.2: a 408/481 or timeout on an in-dialog request ends the dialog; §14.1: a re-INVITE (or
          // UPDATE) that got no answer at all ends the session with BYE (built before the dialog ends).
          if (method !== 'BYE') {
            if (why === 'timeout' && offering) void this.sendInDialog(call, 'BYE');
            call.end('timeout');
          }
          resolve(createResponse(req, why === 'timeout' ? 408 : 503));
        },
      });
    });
  }

  private fallbackTarget(call: Call): SendTarget {
    // no flow: the transport the route set's first URI or the remote target names (RFC 3261 §12.2.1.1 and §8.1.2),
    // not just the UA's first one (a UA with WSS first and UDP beside it sends a UDP dialog's BYE over UDP)
    const d = call.dialog;
    const next = d.routeSet[0] ?? d.remoteTarget;
    const named = /;transport=(udp|tcp|tls|wss?)\b/i.exec(next)?.[1]?.toLowerCase() as TransportProtocol | undefined;
    const tp: TransportProtocol = named ?? (/^<?sips:/i.test(next) ? 'tls' : 'udp');
    const t = (call.flowTarget ? undefined : this.stack.transport(tp)) ?? this.o.transports[0]!;
    return { transport: t, peer: { address: '127.0.0.1', port: defaultPort(t.protocol) }, ...(call.flowTarget ?? {}) };
  }

  /** @internal CallOwner */
  forget(call: Call): void {
    this.transfers.forget(call);
    this.timers.get(call)?.stop();
    const p = this.pending.get(call.id);
    if (p && p.call === call) {
      // The call ended before the ACK (e.g. a BYE overtook it): stop retransmitting the 2xx.
      this.pending.delete(call.id);
      this.stack.timerQueues.disarm(p);
      p.resolve(call);
    }
    if (this.calls.get(call.id) === call) {
      this.calls.delete(call.id);
      this.log?.('info', 'call.ended', {
        callId: call.dialog.callId,
        reason: call.endReason,
        direction: call.direction,
      });
      this.fire('callEnded', call);
    }
  }

  // ------------------------------------------------------------------ UAS

  private onRequest(r: IncomingRequest): void {
    try {
      this.route(r);
    } catch (e) {
      // e.g. a registrar hook that threw: the request still gets its final response
      this.handlerFailed(e, r.request.method.toLowerCase(), r);
    }
  }

  private route(r: IncomingRequest): void {
    const req = r.request;
    const toTag = req.to?.tag;
    // RFC 6665 hook (subscriptions.ts): NOTIFYs of our subscriptions, SUBSCRIBEs of the packages we serve
    if ((req.method === 'SUBSCRIBE' || req.method === 'NOTIFY') && this.subscriptions.route(r)) return;
    if (req.method === 'PRACK') {
      // RFC 3262 §3: matched against our reliable provisionals (200), else 481
      this.prackServer.handle(r);
      return;
    }
    if (toTag) {
      this.inDialog(r, toTag);
      return;
    }
    switch (req.method) {
      case 'INVITE':
        this.onInvite(r);
        return;
      case 'OPTIONS':
        r.reply(200, { headers: [...OPTIONS_HEADERS, ...this.subscriptions.allowEvents()] });
        return;
      case 'REGISTER':
        if (this.registrar) {
          const res = this.registrar.handle(req, `${r.source.address}:${r.source.port}`);
          // flows.ts hook: a contact registered over a connection is reached over it (RFC 7118 §5)
          if (res.status === 200 && r.transport.reliable)
            this.flows.note(this.registrar, req, this.stack.responseTarget(req, r.source, r.transport, r.flow));
          r.respond(res);
          return;
        }
        r.reply(405, { headers: [['Allow', ALLOW]] });
        return;
      case 'BYE':
        r.reply(481);
        return;
      default:
        if (this.listenerCount('request') > 0) this.fire('request', r, r);
        else notAllowed(r);
    }
  }

  private onInvite(r: IncomingRequest): void {
    const req = r.request;
    if (this.o.authServer) {
      const v = this.o.authServer.verify(
        req.getAll('proxy-authorization').concat(req.getAll('authorization')),
        'INVITE',
      );
      if (!v.ok) {
        r.reply(401, {
          toTag: newTag(pooledRandom),
          headers: v.challenges.map((c) => ['WWW-Authenticate', c] as [string, string]),
        });
        return;
      }
    }
    const unsupported = req.require.filter((x) => x !== 'timer' && x !== OPTION_100REL);
    if (unsupported.length) {
      r.reply(420, { headers: [['Unsupported', unsupported.join(', ')]] });
      return;
    }
    // RFC 4028 §9 hook: 400 for a malformed Session-Expires, 422 + Min-SE for one below our Min-SE
    if (this.st) {
      const d = uasSessionTimer(req, this.st);
      if (d.kind === 'reject') {
        r.reply(d.status, { headers: d.headers, toTag: newTag(pooledRandom) });
        return;
      }
      if (d.kind === 'use') this.uasTimers.set(req, d);
    }
    // RFC 3891 §3 hook (refer.ts): Replaces names a confirmed call of ours (else 481; early-only on a confirmed
    // one: 486); once the new call is answered the replaced one gets BYE
    const rv = req.get('replaces');
    if (rv !== undefined) {
      const d = replacesDialogId(rv);
      const old = d ? this.calls.get(d.id) : undefined;
      if (!d || !old || old.state === 'ended') {
        r.reply(481, { toTag: newTag(pooledRandom) });
        return;
      }
      if (d.earlyOnly) {
        r.reply(486, { toTag: newTag(pooledRandom) });
        return;
      }
      this.replaced.set(req, old);
    }
    const call = new IncomingCall(this, r, this.loop.now());
    this.stack.watchServer(r, { onCancel: () => call._cancelled() });
    if (this.listenerCount('invite') === 0) {
      call.reject(480);
      return;
    }
    this.fire('invite', call, call);
  }

  /** @internal sends the 2xx and retransmits it until the ACK (RFC 3261 §13.3.1.4). */
  _answer(
    ic: IncomingCall,
    r: IncomingRequest,
    sdp: string | undefined,
    receivedAt: number,
    sdpSentEarly = false,
  ): Promise<Call> {
    const req = r.request;
    const contact = this.contactFor(r.transport, /^sips:/i.test(req.uri));
    const res = createResponse(req, 200, {
      toTag: ic.toTag,
      headers: [['Contact', contact], ['Allow', ALLOW], ...this.sessionHeaders(req)],
      ...(sdp !== undefined && !sdpSentEarly ? { body: this.sdpBytes(sdp), contentType: 'application/sdp' } : {}),
    });
    const dialog = Dialog.fromUasRequest(req, ic.toTag, contact);
    const call = new Call(this, 'incoming', dialog, req);
    call.remoteSdp = ic.remoteSdp;
    call.localSdp = sdp;
    call.flowTarget = r.transport.reliable ? this.stack.responseTarget(req, r.source, r.transport, r.flow) : undefined;
    this.calls.set(call.id, call);
    const st = this.uasTimers.get(req);
    if (st?.kind === 'use') this.startSessionTimer(call, st.interval, st.weRefresh);
    const old = this.replaced.get(req);
    if (old) void old.hangup(); // RFC 3891 §3: the replaced dialog ends with BYE
    // the bytes the transaction sent are the ones retransmitted (serialized once)
    const bytes = r.respond(res);
    const answered = new Promise<Call>((resolve, reject) => {
      const p = this.pendingAnswer(
        call,
        bytes,
        r,
        (c) => {
          c.setupMs = this.loop.now() - receivedAt;
          resolve(c);
        },
        reject,
      );
      this.pending.set(call.id, p);
    });
    // A caller that never ACKs rejects this promise (408); an application that did not wait for it (e.g.
    // `void inv.answer(sdp)`) must not crash on an unhandled rejection: the end is also `callEnded`/`whenEnded()`.
    answered.catch(() => {});
    return answered;
  }

  // ------------------------------------------------------------------ RFC 3262 hooks (prack.ts)

  /** @internal The reliable provisionals of an incoming INVITE (RFC 3262 §3). */
  _reliableFor(ic: IncomingCall, r: IncomingRequest): ReliableProvisionals {
    const target = this.stack.responseTarget(r.request, r.source, r.transport, r.flow);
    const rel = new ReliableProvisionals(r.request, {
      loop: this.loop,
      t1: this.t.t1,
      respond: (res) => r.respond(res),
      post: (bytes) => this.stack.post(target, bytes),
      // §3: no PRACK after 64*T1 → the INVITE is rejected with a 5xx
      giveUp: () => ic.reject(504, 'Reliable Provisional Not Acknowledged'),
      random: () => {
        const b = pooledRandom(4);
        return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 2 ** 32;
      },
    });
    this.prackServer.add(r.request, ic.toTag, rel);
    return rel;
  }

  /** @internal A final response to an incoming INVITE: reliable provisionals stop; late PRACKs still match. */
  _finalSent(ic: IncomingCall): void {
    if (ic.reliableProvisionals) this.prackServer.release(ic.request, ic.toTag, 64 * this.t.t1);
  }

  /** Sends a PRACK (RFC 3262 §4) in an early dialog, to its remote target or the INVITE's next hop. */
  private sendPrack(prack: SipRequest, dialog: Dialog, via: SendTarget): void {
    const target = this.inDialogTargetSync({ dialog, flowTarget: undefined }, via);
    this.stack.sendRequest(prack, target, { onResponse: () => {} });
  }

  /** The UTF-8 of an SDP body; the last one is kept (an answering machine sends the same answer again and again). */
  private sdpBytes(sdp: string): Uint8Array {
    if (sdp !== this.lastSdp) {
      this.lastSdp = sdp;
      this.lastSdpBytes = new TextEncoder().encode(sdp);
    }
    return this.lastSdpBytes;
  }

  /** Arms the 2xx retransmission (unreliable transports) and the 64×T1 wait for the ACK. */
  private pendingAnswer(
    call: Call,
    bytes: Uint8Array,
    r: IncomingRequest,
    resolve: (c: Call) => void,
    reject: (e: Error) => void,
  ): PendingAnswer {
    const now = this.loop.now();
    const reliable = r.transport.reliable;
    const p: PendingAnswer = {
      resolve,
      reject,
      call,
      bytes,
      target: this.stack.responseTarget(r.request, r.source, r.transport, r.flow),
      interval: this.t.t1,
      deadline: now + 64 * this.t.t1,
      dueAt: undefined,
      onDue: (t) => {
        if (reliable || t >= p.deadline) {
          this.noAck(p);
          return;
        }
        this.stack.post(p.target, p.bytes);
        p.interval = Math.min(2 * p.interval, this.t.t2);
        this.stack.timerQueues.arm(p, Math.min(t + p.interval, p.deadline));
      },
    };
    this.stack.timerQueues.arm(p, reliable ? p.deadline : Math.min(now + p.interval, p.deadline));
    return p;
  }

  private noAck(p: PendingAnswer): void {
    // §13.3.1.4: no ACK within 64*T1: the dialog is confirmed then terminated with a BYE.
    this.pending.delete(p.call.id);
    if (p.call.state !== 'ended') {
      const bye = this.sendInDialog(p.call, 'BYE');
      p.call.end('no-ack');
      void bye;
    }
    p.reject(new SipCallError(408, 'no ACK for 2xx'));
  }

  private onAck(ack: SipRequest): void {
    const id = dialogId(ack.callId ?? '', ack.to?.tag ?? '', ack.from?.tag ?? '');
    const p = this.pending.get(id);
    if (!p) return; // retransmitted ACK, or ACK for an unknown dialog: absorbed
    this.pending.delete(id);
    this.stack.timerQueues.disarm(p);
    // RFC 3264 §4 / RFC 3261 §13.2.1: the answer to an offer we put in the 2xx comes in the ACK
    if (ack.body.length && (p.lateOffer || p.call.remoteSdp === undefined)) p.call.remoteSdp = ack.bodyText;
    p.resolve(p.call);
  }

  private inDialog(r: IncomingRequest, toTag: string): void {
    const req = r.request;
    const id = dialogId(req.callId ?? '', toTag, req.from?.tag ?? '');
    const call = this.calls.get(id);
    if (!call) {
      // §12.2.2: no such dialog.
      r.reply(481);
      return;
    }
    try {
      call.dialog.handleRemoteRequest(req);
    } catch {
      r.reply(500, { reason: 'Server Internal Error (CSeq out of order)' });
      return;
    }
    switch (req.method) {
      case 'BYE':
        r.reply(200);
        call.end('remote-bye');
        return;
      case 'INVITE': {
        if (this.refreshRejected(r)) return; // RFC 4028 §9 hook (session-timer.ts)
        // re-INVITE (§14.2): answer the new offer. Glare — our own re-INVITE (or our 2xx awaiting its ACK) is
        // still in progress — is answered 491 Request Pending.
        if (this.pending.has(id) || call.reinviting || this.answering.has(id)) {
          r.reply(491);
          return;
        }
        const offer = req.body.length ? req.bodyText : undefined;
        let answer: string | undefined | Promise<string | undefined>;
        try {
          answer = this.answerOffer(call, offer);
        } catch {
          r.reply(488);
          return;
        }
        if (!(answer instanceof Promise)) {
          this.answerReinvite(r, call, id, offer, answer);
          return;
        }
        // An answer that comes later (a B2BUA asks the other leg): the server transaction absorbs retransmissions
        // meanwhile (§17.2.1) and another re-INVITE gets 491 (§14.2). A rejection with a SIP status (e.g. the other
        // leg's 488) is answered with it, anything else 488.
        // The call ending first (BYE) answers it 487 (§15.1.2).
        this.answering.add(id);
        let done = false;
        const settle = (f: () => void) => {
          if (done) return;
          done = true;
          this.answering.delete(id);
          if (call.state === 'ended') r.reply(487);
          else f();
        };
        void call.whenEnded().then(() => settle(() => {}));
        answer.then(
          (a) => settle(() => this.answerReinvite(r, call, id, offer, a)),
          (e: { status?: unknown }) => {
            const st = typeof e?.status === 'number' && e.status >= 400 && e.status < 700 ? e.status : 488;
            settle(() => r.reply(st));
          },
        );
        return;
      }
      case 'OPTIONS':
        r.reply(200, { headers: OPTIONS_HEADERS });
        call.fire('request', req);
        return;
      case 'UPDATE':
        this.onUpdate(r, call, id);
        return;
      case 'INFO':
        // info-dtmf.ts hook: DTMF by INFO becomes the call's `dtmf` event (400 when the body names no digit)
        if (isDtmfInfo(req)) {
          const e = parseDtmfInfo(req);
          r.reply(e ? 200 : 400);
          if (e) call.fire('dtmf', e);
          return;
        }
        r.reply(200);
        call.fire('request', req);
        return;
      case 'MESSAGE':
        r.reply(200);
        call.fire('request', req);
        return;
      case 'REFER':
        // refer.ts hook: 202, NOTIFY 100 Trying, the referred call, NOTIFY with its final status (400 w/o Refer-To)
        this.transfers.onRefer(r, call, (e) => call.fire('refer', e));
        return;
      case 'NOTIFY':
        // refer.ts hook: a NOTIFY of a REFER we sent gets 200; one of no subscription of ours 481 (RFC 6665)
        if (this.transfers.onNotify(r, call)) call.fire('request', req);
        return;
      default:
        notAllowed(r);
    }
  }

  /** Sends the 200 to a re-INVITE and waits for its ACK (RFC 3261 §14.2). */
  private answerReinvite(
    r: IncomingRequest,
    call: Call,
    id: string,
    offer: string | undefined,
    answer: string | undefined,
  ): void {
    const req = r.request;
    if (offer !== undefined) call.remoteSdp = offer;
    if (answer !== undefined) call.localSdp = answer;
    const res = createResponse(req, 200, {
      headers: [['Contact', call.dialog.localContact], ...this.refreshedBy(call, req)],
      ...(answer !== undefined ? { body: answer, contentType: 'application/sdp' } : {}),
    });
    const bytes = r.respond(res);
    // a re-INVITE without SDP (late offer): our 200 carried the offer, the ACK brings the answer
    const p = this.pendingAnswer(
      call,
      bytes,
      r,
      () => call.fire('updated', offer ?? call.remoteSdp),
      () => {},
    );
    p.lateOffer = offer === undefined && answer !== undefined;
    this.pending.set(id, p);
  }

  // ------------------------------------------------------------------ transfer (refer.ts)

  /** @internal CallOwner: sends a REFER (blind or attended) and resolves with the final NOTIFY's status. */
  transfer(call: Call, target: string | Call): Promise<{ status: number; reason: string }> {
    return this.transfers.transfer(call, target);
  }

  /**
   * The call a REFER asks for: the application's offer (`ReferRequest.offer`) or our current SDP (a new
   * version), Referred-By/Replaces headers.
   */
  private async placeReferredCall(
    from: Call,
    target: string,
    headers: [string, string][],
    offer?: string | Promise<string>,
  ): Promise<{ status: number; reason: string; call?: Call }> {
    try {
      const sdp =
        offer !== undefined ? await offer : from.localSdp !== undefined ? bumpVersion(from.localSdp) : undefined;
      const call = await this.invite(target, { ...(sdp !== undefined ? { sdp } : {}), headers, timeoutMs: 60_000 })
        .result;
      return { status: 200, reason: 'OK', call };
    } catch (e) {
      if (e instanceof SipCallError) return { status: e.status, reason: e.message.replace(/^\d+ /, '') };
      return { status: 500, reason: 'Server Internal Error' };
    }
  }

  // ------------------------------------------------------------------ session timers (session-timer.ts)

  /** The Session-Expires (and Require: timer) of our 2xx to an INVITE (RFC 4028 §9). */
  private sessionHeaders(req: SipRequest): [string, string][] {
    const d = this.uasTimers.get(req);
    return d?.kind === 'use' ? d.headers : [];
  }

  /** Runs the session timer of a call: refreshes when we are the refresher, BYE when the session expires. */
  private startSessionTimer(call: Call, interval: number, weRefresh: boolean): void {
    const cfg = this.st;
    if (!cfg) return;
    const timer = new SessionTimer(this.loop, interval, weRefresh, {
      refresh: async (iv) => {
        if (call.state === 'ended') return undefined;
        const invite = cfg.refreshMethod === 'INVITE';
        // §7.4 / §10: the refresh carries Session-Expires with refresher=uac (we, the requester, refresh)
        const res = await this.sendInDialog(call, invite ? 'INVITE' : 'UPDATE', {
          ...(invite && call.localSdp !== undefined ? { body: call.localSdp } : {}),
          headers: { 'Session-Expires': `${iv};refresher=uac`, 'Min-SE': String(cfg.minSE), Supported: OPTION_TIMER },
        });
        return res.status >= 200 && res.status < 300 ? res : undefined;
      },
      expire: () => void call.hangup('timeout'),
    });
    this.timers.set(call, timer);
  }

  /**
   * A session refresh (re-INVITE or UPDATE) is checked like an initial INVITE (RFC 4028 §9): a Session-Expires
   * below our Min-SE is answered 422 with our Min-SE (a malformed one 400), and the session is unchanged.
   */
  private refreshRejected(r: IncomingRequest): boolean {
    const d = this.st ? uasSessionTimer(r.request, this.st) : undefined;
    if (d?.kind !== 'reject') return false;
    r.reply(d.status, { headers: d.headers });
    return true;
  }

  /**
   * A re-INVITE or UPDATE from the peer answered 2xx is a session refresh (RFC 4028 §10): the timer restarts,
   * with the interval and refresher it names (refresher=uac: the peer, which sent it; uas: us); the 2xx
   * repeats Session-Expires.
   */
  private refreshedBy(call: Call, req: SipRequest): [string, string][] {
    const timer = this.timers.get(call);
    if (!timer) return [];
    const se = parseSessionExpires(req);
    if (se === undefined || se === 'bad') {
      timer.refreshed(timer.interval, timer.weRefresh);
      return [];
    }
    const weRefresh = se.refresher === 'uas';
    timer.refreshed(se.delta, weRefresh);
    return [['Session-Expires', `${se.delta};refresher=${weRefresh ? 'uas' : 'uac'}`]];
  }

  // ------------------------------------------------------------------ re-INVITE / UPDATE offers (hold.ts)

  /**
   * Our answer to a new offer in a call (RFC 3264 §8): the application's `call.onOffer`, else our last SDP with
   * the direction that answers the offer's (§8.4 hold: `a=sendonly` → `a=recvonly`). Throws → 488.
   */
  private answerOffer(
    call: Call,
    offer: string | undefined,
    method: 'INVITE' | 'UPDATE' = 'INVITE',
  ): string | undefined | Promise<string | undefined> {
    if (call.onOffer) return call.onOffer(offer, method);
    if (offer === undefined || call.localSdp === undefined) return call.localSdp;
    return defaultAnswer(offer, call.localSdp, call.localHold ? 'sendonly' : 'sendrecv');
  }

  /**
   * UPDATE (RFC 3311 §5.2): with SDP it is a new offer, answered in the 200 (491 while an offer of ours is
   * outstanding, 488 when it cannot be answered); without, a target refresh / session refresh answered 200.
   */
  private onUpdate(r: IncomingRequest, call: Call, id: string): void {
    const req = r.request;
    if (this.refreshRejected(r)) return; // RFC 4028 §9 hook (session-timer.ts)
    if (!req.body.length) {
      r.reply(200, { headers: [['Contact', call.dialog.localContact], ...this.refreshedBy(call, req)] });
      call.fire('request', req);
      return;
    }
    if (call.reinviting || this.pending.has(id)) {
      r.reply(491);
      return;
    }
    const offer = req.bodyText;
    let pending: string | undefined | Promise<string | undefined>;
    try {
      pending = this.answerOffer(call, offer, 'UPDATE');
    } catch {
      r.reply(488);
      return;
    }
    if (pending instanceof Promise) {
      // an answer that comes later (a B2BUA asks the other leg): the UPDATE waits for it
      pending.then(
        (a) => this.answerUpdate(r, call, offer, a),
        (e: { status?: unknown }) =>
          r.reply(typeof e?.status === 'number' && e.status >= 400 && e.status < 700 ? e.status : 488),
      );
      return;
    }
    this.answerUpdate(r, call, offer, pending);
  }

  /** The 200 (with the SDP answer) to an UPDATE's offer, or 488 without an answer (RFC 3311 §5.2). */
  private answerUpdate(r: IncomingRequest, call: Call, offer: string, answer: string | undefined): void {
    const req = r.request;
    if (call.state === 'ended') {
      r.reply(487);
      return;
    }
    if (answer === undefined) {
      r.reply(488);
      return;
    }
    call.remoteSdp = offer;
    call.localSdp = answer;
    r.reply(200, {
      headers: [['Contact', call.dialog.localContact], ...this.refreshedBy(call, req)],
      body: answer,
      contentType: 'application/sdp',
    });
    call.fire('updated', offer);
  }

  /** Ends every call (BYE), stops timers and closes the transports. */
  async close(opts: { boundMs?: number } = {}): Promise<void> {
    // every call ends with BYE and every registration is removed (Expires: 0), waiting at most boundMs
    // (default 1 s, on the system clock or the UA's loop, whichever comes first) for their answers
    const bound = opts.boundMs ?? 1000;
    const byes: Promise<unknown>[] = [...this.calls.values()].map((c) => c.hangup());
    for (const reg of this.registrations) byes.push(reg.unregister().catch(() => 0));
    byes.push(this.subscriptions.close()); // final NOTIFYs, unsubscribes (RFC 6665)
    let timer: ReturnType<typeof setTimeout> | undefined;
    let loopTimer: TimerId | undefined;
    await Promise.race([
      Promise.all(byes),
      new Promise((r) => {
        timer = setTimeout(r, bound);
        loopTimer = this.loop.after(bound, () => r(undefined));
      }),
    ]);
    if (timer !== undefined) clearTimeout(timer);
    if (loopTimer !== undefined) this.loop.cancel(loopTimer);
    this.registrations.clear();
    for (const p of this.pending.values()) this.stack.timerQueues.disarm(p);
    this.pending.clear();
    if (this.ackSweep !== undefined) this.loop.cancel(this.ackSweep);
    for (const t of this.housekeeping) this.loop.cancel(t);
    this.housekeeping.clear();
    this.prackServer.clear();
    await this.stack.close();
  }

  /** A bookkeeping timer of the UA (cancelled by {@link close}, so nothing keeps the process alive after it). */
  private later(ms: number, f: () => void): void {
    const t = this.loop.after(ms, () => {
      this.housekeeping.delete(t);
      f();
    });
    this.housekeeping.add(t);
  }
}

/**
 * A registration of our Contact (RFC 3261 §10.2): same Call-ID across refreshes, CSeq increasing; refreshed
 * at half the granted expiry (never later than 32 s before it).
 */
export class Registration {
  /** Lifecycle: `registering` until the first 2xx, `registered`, `failed` (a non-2xx), `unregistered`. */
  state: 'registering' | 'registered' | 'failed' | 'unregistered' = 'registering';
  /** Granted expiry in seconds (0 when not registered). */
  expires = 0;
  /** Last final status. */
  status = 0;
  private readonly callId = newCallId(undefined, pooledRandom);
  private readonly fromTag = newTag(pooledRandom);
  private cseq = 0;
  private timer: TimerId | undefined;

  /** @internal */
  constructor(
    private readonly ua: UserAgent,
    readonly registrarUri: string,
    readonly aor: string,
    private readonly wanted: number,
  ) {}

  private build(expires: number): SipRequest {
    const t = this.ua.stack.transports[0]!;
    return createRequest({
      method: 'REGISTER',
      uri: this.registrarUri,
      from: `<${this.aor}>;tag=${this.fromTag}`,
      to: `<${this.aor}>`,
      callId: this.callId,
      cseq: ++this.cseq,
      contact: `${this.ua.contactFor(t)};expires=${expires}`,
      headers: [['Expires', String(expires)]],
    });
  }

  /** Sends (or refreshes) the binding; rejects with SipCallError on a non-2xx. */
  async refresh(): Promise<void> {
    const res = await this.ua.send(this.build(this.wanted));
    this.cseq = Math.max(this.cseq, res.cseq?.seq ?? this.cseq);
    this.status = res.status;
    if (res.status < 200 || res.status >= 300) {
      this.state = 'failed';
      throw new SipCallError(res.status, res.reason, res);
    }
    this.state = 'registered';
    const mine = res.contacts.find((c) => c.uriText.includes(`${this.ua.user}@`));
    this.expires = mine?.expires ?? res.expires ?? this.wanted;
    if (this.timer !== undefined) this.ua.loop.cancel(this.timer);
    if (this.expires > 0) {
      const ms = Math.max(1000, Math.min(this.expires * 500, (this.expires - 32) * 1000));
      this.timer = this.ua.loop.after(ms, () => {
        this.timer = undefined;
        this.refresh().catch(() => {});
      });
    }
  }

  /** Removes the binding (Expires: 0) and stops refreshing. */
  async unregister(): Promise<number> {
    if (this.timer !== undefined) this.ua.loop.cancel(this.timer);
    this.timer = undefined;
    this.ua.registrations.delete(this);
    const res = await this.ua.send(this.build(0));
    this.status = res.status;
    this.expires = 0;
    this.state = 'unregistered';
    return res.status;
  }
}

function isIncomingRequest(x: unknown): x is IncomingRequest {
  return typeof x === 'object' && x !== null && 'respond' in x && 'reply' in x && 'answered' in x;
}
