import { EventEmitter } from 'node:events';
import { createLoop, type Loop, type TimerId } from '@mdh/loop';
import type { AbortOptions } from '../abort.js';
import { DigestClient } from '../auth/digest.js';
import { createRequest, createResponse, newCallId } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { SdpNegotiationError } from '../sdp/offer-answer.js';
import type { Timed } from '../transaction/timer-queues.js';
import { resolveTimers, type TransactionTimers } from '../transaction/timers.js';
import { defaultPort, type SipTransport, type TransportProtocol } from '../transport/transport.js';
import { parseUri, stripBrackets } from '../uri/uri.js';
import type { Call, CallOwner } from './call.js';
import { CallMediaOwner } from './call-media-owner.js';
import { RegisteredFlows } from './flows.js';
import { IncomingCall } from './incoming-call.js';
import { type SipLogFn, toLogFn } from './observability.js';
import { OPTION_100REL, PrackClient, PrackServer } from './prack.js';
import { pooledRandom } from './random.js';
import { Transfers } from './refer.js';
import { Registrar } from './registrar.js';
import type { Registration } from './registration.js';
import { type SessionTimer, sessionTimerConfig, type UasTimerDecision } from './session-timer.js';
import { type IncomingRequest, type SendTarget, SipStack } from './stack.js';
import { Subscriptions } from './subscriptions.js';
import type { InviteOptions, OutgoingInvite, UserAgentEvents, UserAgentOptions } from './user-agent.js';

/** A 2xx being retransmitted until its ACK (RFC 3261 §13.3.1.4); armed in the stack's timer queues. */
export interface PendingAnswer extends Timed {
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

export interface AckRecord {
  bytes: Uint8Array;
  target: SendTarget;
  until: number;
}

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, PRACK, REFER, NOTIFY';

/**
 * Methods of the SIP extensions we know of but do not implement: answered 405 with Allow; any other method is
 * not understood and gets 501 (RFC 3261 §8.2.1).
 */
export const KNOWN_METHODS = new Set([
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
export const OPTIONS_HEADERS: [string, string][] = [
  ['Allow', ALLOW],
  ['Accept', 'application/sdp'],
  ['Accept-Encoding', 'identity'],
  ['Accept-Language', 'en'],
  ['Supported', OPTION_100REL],
];

/** 405 (known method) or 501 (unknown method, RFC 3261 §8.2.1). */
export function notAllowed(r: IncomingRequest): void {
  if (KNOWN_METHODS.has(r.request.method)) r.reply(405, { headers: [['Allow', ALLOW]] });
  else r.reply(501);
}
export function isIncomingRequest(x: unknown): x is IncomingRequest {
  return typeof x === 'object' && x !== null && 'respond' in x && 'reply' in x && 'answered' in x;
}

/**
 * The state and plumbing of a {@link UserAgent} (user-agent.ts): options, transports, the stack and its hooks, the
 * feature modules, sending with digest auth, in-dialog targets. The layers above: ua-client.ts (UAC INVITE),
 * ua-server.ts (UAS), ua-dialogs.ts (in-dialog requests), user-agent.ts (the public API).
 * @internal
 */
export abstract class UaCore extends EventEmitter<UserAgentEvents> implements CallOwner {
  readonly stack: SipStack;
  readonly loop: Loop;
  readonly user: string;
  readonly registrar: Registrar | undefined;
  protected readonly o: UserAgentOptions;
  protected readonly t: TransactionTimers;
  protected readonly calls = new Map<string, Call>();
  protected readonly pending = new Map<string, PendingAnswer>();
  /** Dialogs whose re-INVITE awaits an asynchronous `call.onOffer` answer. */
  protected readonly answering = new Set<string>();
  protected readonly acks = new Map<string, AckRecord>();
  protected readonly digest: DigestClient | undefined;
  protected ackSweep: TimerId | undefined;
  protected readonly housekeeping = new Set<TimerId>();
  protected readonly firstCall = new WeakSet<SipRequest>();
  /** Contact values per transport, [sip, sips] (built once: the transport's address does not change). */
  protected lastSdp: string | undefined;
  protected lastSdpBytes = new Uint8Array(0);
  protected readonly contacts = new Map<SipTransport, [string | undefined, string | undefined]>();
  /** Connections registered contacts came over (flows.ts). */
  protected readonly flows = new RegisteredFlows();
  /** RFC 3262 (prack.ts): reliable provisionals we sent (UAS) and early dialogs we PRACK (UAC). */
  protected readonly prackServer: PrackServer;
  protected readonly prackClient = new PrackClient();
  protected readonly log: SipLogFn | undefined;
  /** RFC 3891: the call an incoming INVITE replaces. */
  protected readonly replaced = new WeakMap<SipRequest, Call>();
  /** RFC 3515 (refer.ts): REFERs sent and followed. */
  protected readonly transfers: Transfers;
  /** RFC 4028 (session-timer.ts): options, the UAS decision per INVITE, the running timer per call. */
  protected readonly st: ReturnType<typeof sessionTimerConfig> | undefined;
  protected readonly uasTimers = new WeakMap<SipRequest, UasTimerDecision>();
  protected readonly timers = new WeakMap<Call, SessionTimer>();
  /**
   * RFC 6665 (subscriptions.ts): the subscriptions this UA made and serves; `addPackage(name, handler)` serves
   * an event package (e.g. `message-summary`), others get 489 Bad Event.
   */
  readonly subscriptions: Subscriptions;
  /** @internal the owner of the calls' media (the `media` option), call-media-owner.ts. */
  readonly _media: CallMediaOwner | undefined;

  protected constructor(o: UserAgentOptions) {
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
  protected fire<K extends 'invite' | 'request' | 'callEnded'>(
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

  /** @internal registrations kept refreshed (removed by `close()`). */
  readonly registrations = new Set<Registration>();

  protected async targetFor(uri: string, req: SipRequest): Promise<SendTarget[]> {
    const route = req.routes[0];
    return this.targets(route ? route.uriText : uri);
  }

  protected async sendWithAuth(
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

  protected retryWithAuth(
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

  protected sendOnce(req: SipRequest, target: SendTarget, onProgress?: (r: SipResponse) => void): Promise<SipResponse> {
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

  protected inDialogTargetSync(call: Pick<Call, 'dialog' | 'flowTarget'>, fallback: SendTarget): SendTarget {
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

  protected fallbackTarget(call: Call): SendTarget {
    // no flow: the transport the route set's first URI or the remote target names (RFC 3261 §12.2.1.1 and §8.1.2),
    // not just the UA's first one (a UA with WSS first and UDP beside it sends a UDP dialog's BYE over UDP)
    const d = call.dialog;
    const next = d.routeSet[0] ?? d.remoteTarget;
    const named = /;transport=(udp|tcp|tls|wss?)\b/i.exec(next)?.[1]?.toLowerCase() as TransportProtocol | undefined;
    const tp: TransportProtocol = named ?? (/^<?sips:/i.test(next) ? 'tls' : 'udp');
    const t = (call.flowTarget ? undefined : this.stack.transport(tp)) ?? this.o.transports[0]!;
    return { transport: t, peer: { address: '127.0.0.1', port: defaultPort(t.protocol) }, ...(call.flowTarget ?? {}) };
  }

  /** The UTF-8 of an SDP body; the last one is kept (an answering machine sends the same answer again and again). */
  protected sdpBytes(sdp: string): Uint8Array {
    if (sdp !== this.lastSdp) {
      this.lastSdp = sdp;
      this.lastSdpBytes = new TextEncoder().encode(sdp);
    }
    return this.lastSdpBytes;
  }

  /** A bookkeeping timer of the UA (cancelled by {@link close}, so nothing keeps the process alive after it). */
  protected later(ms: number, f: () => void): void {
    const t = this.loop.after(ms, () => {
      this.housekeeping.delete(t);
      f();
    });
    this.housekeeping.add(t);
  }

  // ------------------------------------------------------------------ implemented by the layers above
  protected abstract onRequest(r: IncomingRequest): void;
  protected abstract onAck(ack: SipRequest): void;
  protected abstract onStray(res: SipResponse): void;
  protected abstract inDialog(r: IncomingRequest, toTag: string): void;
  protected abstract placeReferredCall(
    from: Call,
    target: string,
    headers: [string, string][],
    offer?: string | Promise<string>,
  ): Promise<{ status: number; reason: string; call?: Call }>;
  protected abstract startSessionTimer(call: Call, interval: number, weRefresh: boolean): void;
  protected abstract sessionHeaders(req: SipRequest): [string, string][];
  abstract sendInDialog(
    call: Call,
    method: string,
    opts?: { body?: string; contentType?: string; headers?: Record<string, string> },
    attempt?: number,
  ): Promise<SipResponse>;
  abstract forget(call: Call): void;
  abstract get aor(): string;
  abstract contactFor(t: SipTransport, sips?: boolean): string;
  abstract targets(uriText: string): Promise<SendTarget[]>;
  abstract send(req: SipRequest, targets?: SendTarget[], opts?: AbortOptions): Promise<SipResponse>;
  abstract invite(target: string, opts?: InviteOptions): OutgoingInvite;
}
