import type { Loop, TimerId } from '@mdh/loop';
import { type AbortOptions, abortable, onAbortOrTimeout } from '../abort.js';
import { DigestClient, type DigestServer } from '../auth/digest.js';
import { createRequest, createResponse } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { SdpNegotiationError } from '../sdp/offer-answer.js';
import type { TransactionTimers } from '../transaction/timers.js';
import type { SipTransport } from '../transport/transport.js';
import type { Call } from './call.js';
import type { CallMediaSettings } from './call-media-owner.js';
import type { IncomingCall } from './incoming-call.js';
import type { SipLogger } from './observability.js';
import type { Registrar } from './registrar.js';
import { Registration } from './registration.js';
import { retryAfter422, type SessionTimerOptions } from './session-timer.js';
import type { IncomingRequest, SendTarget } from './stack.js';
import type { UaStats } from './stats.js';
import type { SubscribeOptions, Subscription } from './subscription.js';
import { resolveSendTargets, SipCallError, type TargetResolver } from './targets.js';
import { UaDialogs } from './ua-dialogs.js';

export { IncomingCall } from './incoming-call.js';
export { Registration } from './registration.js';

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
export class UserAgent extends UaDialogs {
  /** Starts a user agent on `o.transports` (at least one; throws otherwise). */
  constructor(o: UserAgentOptions) {
    super(o);
  }

  /** Live calls. */
  get activeCalls(): number {
    return this.calls.size;
  }

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
}
