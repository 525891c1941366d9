import { EventEmitter } from 'node:events';
import type { Loop, TimerId } from '@mdh/loop';
import { type AbortOptions, onAbortOrTimeout } from '../abort.js';
import { Dialog } from '../dialog/dialog.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import {
  type EventHeader,
  formatEventHeader,
  parseEventHeader,
  parseSubscriptionState,
  type SubscriptionStateHeader,
  sameEvent,
} from './event-headers.js';
import type { IncomingRequest } from './stack.js';

/**
 * The subscriber side of SIP-specific event notification (RFC 6665 §4.1): SUBSCRIBE, the dialog the first 2xx
 * or NOTIFY creates (§4.1.2.4: the NOTIFY may overtake the 2xx), refresh before expiry (§4.1.2.1),
 * unsubscribe (§4.1.2.3), Timer N (§4.1.2.4) and the NOTIFYs (§4.1.3).
 */

/** Options of {@link UserAgent.subscribe}. `signal` / `timeoutMs` bound the wait for the first NOTIFY. */
export interface SubscribeOptions extends AbortOptions {
  /** Event package, e.g. `message-summary` or `dialog` (the Event header, RFC 6665 §8.2.1). */
  event: string;
  /** The `id` parameter of the Event header (several subscriptions to one package in a dialog). */
  id?: string;
  /** Accept: the body types we understand (RFC 6665 §4.1.2; default: the package's default type). */
  accept?: string | string[];
  /** Requested duration in seconds (default 3600); 0 fetches the state once (§4.3.2). */
  expires?: number;
  /** A body for the SUBSCRIBE (a filter, for packages that define one). */
  body?: string;
  /** Content-Type of `body`. */
  contentType?: string;
  /** Extra headers of the initial SUBSCRIBE. */
  headers?: [string, string][];
  /** From URI (default our AOR). */
  from?: string;
}

/** The states of a subscription (RFC 6665 §4.1.3), plus `waiting` until the first NOTIFY. */
export type SubscriptionState = 'waiting' | SubscriptionStateHeader['state'];

/**
 * Why a subscription ended: a reason the notifier gave (RFC 6665 §4.1.3: `deactivated`, `probation`,
 * `rejected`, `timeout`, `giveup`, `noresource`, `invariant`, or another token) or a local one:
 * `failed` (a non-2xx to the SUBSCRIBE, see `status`), `no-notify` (Timer N), `expired` (not refreshed in
 * time), `refresh-failed` (481/408 to a refresh), `unsubscribed`, `aborted`, `closed`.
 */
export interface SubscriptionTermination {
  reason: string;
  /** The final status of the SUBSCRIBE when it failed. */
  status?: number;
  /** `retry-after` the notifier gave (seconds). */
  retryAfter?: number;
}

/** A NOTIFY of a subscription (RFC 6665 §4.1.3), after it was answered 200. */
export interface SubscriptionNotify {
  request: SipRequest;
  /** The body as text ('' when none). */
  body: string;
  /** The body's Content-Type (lower case, without parameters), when there is a body. */
  contentType: string | undefined;
  /** Its Subscription-State. */
  state: SubscriptionStateHeader;
}

/** Events of a {@link Subscription}. */
export interface SubscriptionEvents {
  /** A NOTIFY (its state is already applied). */
  notify: [n: SubscriptionNotify];
  /** The state changed (`pending` ↔ `active`, or `terminated`). */
  state: [s: SubscriptionState];
  /** The subscription ended (once; `whenTerminated()` gives the same). */
  terminated: [t: SubscriptionTermination];
}

/** What the user agent lends a subscription. */
export interface SubscriberHost {
  loop: Loop;
  /** T1 in ms (Timer N is 64×T1). */
  t1: number;
  /** Sends a request, resolving with its final response (auth retries included). */
  send(req: SipRequest): Promise<SipResponse>;
  /** Our Contact for in-dialog requests. */
  contact: string;
  /** A listener threw. */
  handlerFailed(err: unknown, event: string): void;
  /** The initial SUBSCRIBE again (same Call-ID and From tag) with another Expires and CSeq (after a 423). */
  rebuild(req: SipRequest, expires: number, cseq: number): SipRequest;
  /** Forget the subscription (it ended). */
  remove(s: Subscription): void;
}

/** The Expires of a message, or undefined when absent or unreadable. */
function expiresOf(m: SipRequest | SipResponse): number | undefined {
  try {
    return m.expires;
  } catch {
    return undefined;
  }
}

/**
 * When to refresh a subscription granted for `expires` seconds: at half the duration, never later than 32 s
 * before it ends (the longest a non-INVITE transaction takes), at least 1 s from now (RFC 6665 §4.1.2.1
 * leaves the choice to the subscriber).
 */
export function refreshDelayMs(expires: number): number {
  return Math.max(1000, Math.min(expires * 500, (expires - 32) * 1000));
}

/**
 * A subscription we made (RFC 6665 §4.1), created by {@link UserAgent.subscribe}. Its `state` is always
 * readable; `notify` events carry every NOTIFY; it is refreshed before it expires until `unsubscribe()`.
 *
 * ```ts
 * const sub = ua.subscribe('sip:alice@127.0.0.1:5062', { event: 'message-summary' });
 * sub.on('notify', (n) => console.log(n.state.state, n.body));
 * // …
 * await sub.unsubscribe();
 * ```
 */
export class Subscription extends EventEmitter<SubscriptionEvents> {
  /** Current state; `waiting` until the first NOTIFY. */
  state: SubscriptionState = 'waiting';
  /** Why it ended (undefined while it lives). */
  termination: SubscriptionTermination | undefined;
  /** The Event of the subscription. */
  readonly event: EventHeader;
  /** The dialog (from the first 2xx or NOTIFY, RFC 6665 §4.1.2.4). */
  dialog: Dialog | undefined;
  /** Granted duration in seconds (from the 2xx's Expires or the NOTIFY's `expires`). */
  expires = 0;
  /** The last NOTIFY. */
  lastNotify: SubscriptionNotify | undefined;
  /** The SUBSCRIBE that created it. */
  readonly request: SipRequest;
  /** @internal Call-ID;from-tag: how NOTIFYs find it. */
  readonly key: string;
  private readonly requested: number;
  private readonly accept: string[];
  private timerN: TimerId | undefined;
  private refreshTimer: TimerId | undefined;
  private expiryTimer: TimerId | undefined;
  private detachAbort: (() => void) | undefined;
  private unsubscribing = false;
  private waiters: ((t: SubscriptionTermination) => void)[] = [];
  private attempts = 0;

  /** @internal */
  constructor(
    private readonly host: SubscriberHost,
    req: SipRequest,
    opts: SubscribeOptions,
  ) {
    super({ captureRejections: true });
    this.request = req;
    this.event = { type: opts.event, ...(opts.id !== undefined ? { id: opts.id } : {}) };
    this.requested = opts.expires ?? 3600;
    this.accept = typeof opts.accept === 'string' ? [opts.accept] : (opts.accept ?? []);
    this.key = `${req.callId};${req.from?.tag}`;
    if (opts.signal || opts.timeoutMs !== undefined)
      this.detachAbort = onAbortOrTimeout(opts, () => void this.abort(), host.loop);
  }

  /** @internal Sends the initial SUBSCRIBE; Timer N (64×T1, §4.1.2.4) runs until the first NOTIFY. */
  start(): void {
    this.timerN = this.host.loop.after(64 * this.host.t1, () => {
      this.timerN = undefined;
      if (this.state === 'waiting') this.end({ reason: 'no-notify' }, true);
    });
    // a response the views cannot read ends it (never an unhandled rejection)
    this.sendInitial(this.request).catch(() => this.end({ reason: 'failed', status: 500 }, false));
  }

  private async sendInitial(req: SipRequest): Promise<void> {
    const res = await this.host.send(req).catch(() => undefined);
    if (this.state === 'terminated') return;
    if (!res) return this.end({ reason: 'failed', status: 503 }, false);
    if (res.status === 423 && this.attempts++ === 0) {
      // §4.1.2.1 / RFC 3261 §10.2.8: 423 Interval Too Brief → again with the Min-Expires it names
      const min = Number(res.get('min-expires'));
      if (Number.isInteger(min) && min > 0 && min <= 0xffffffff) {
        return this.sendInitial(this.host.rebuild(req, min, (res.cseq?.seq ?? req.cseq?.seq ?? 1) + 1));
      }
    }
    if (res.status < 200 || res.status >= 300) return this.end({ reason: 'failed', status: res.status }, false);
    // §4.1.2.4: the 2xx creates the dialog unless a NOTIFY already did
    if (!this.dialog) {
      try {
        this.dialog = Dialog.fromUacResponse(req, res);
        if (res.contacts[0] === undefined) this.dialog.remoteTarget = req.uri;
      } catch {
        return this.end({ reason: 'failed', status: 500 }, false);
      }
    }
    this.dialog.localSeq = Math.max(this.dialog.localSeq, res.cseq?.seq ?? 0);
    // §4.1.2.1: the 2xx's Expires is the granted duration (it may be shorter than asked)
    this.granted(expiresOf(res) ?? expiresOf(req) ?? this.requested);
  }

  /** Arms the refresh (or, for a fetch, nothing) and the expiry watchdog. */
  private granted(seconds: number): void {
    this.expires = seconds;
    if (this.refreshTimer !== undefined) this.host.loop.cancel(this.refreshTimer);
    if (this.expiryTimer !== undefined) this.host.loop.cancel(this.expiryTimer);
    this.refreshTimer = undefined;
    this.expiryTimer = undefined;
    if (seconds <= 0 || this.unsubscribing) return;
    this.refreshTimer = this.host.loop.after(refreshDelayMs(seconds), () => {
      this.refreshTimer = undefined;
      this.refresh().catch(() => undefined);
    });
    this.expiryTimer = this.host.loop.after(seconds * 1000, () => {
      this.expiryTimer = undefined;
      this.end({ reason: 'expired' }, false);
    });
  }

  /**
   * Refreshes the subscription now (RFC 6665 §4.1.2.2: a SUBSCRIBE in its dialog); resolves with the final
   * response. A 481 or 408 ends it (`refresh-failed`); another failure leaves it to run out (`expired`).
   */
  async refresh(): Promise<SipResponse | undefined> {
    if (this.state === 'terminated' || !this.dialog || this.unsubscribing) return undefined;
    const res = await this.inDialog(this.requested);
    if (!res || this.termination || this.unsubscribing) return res;
    if (res.status >= 200 && res.status < 300) this.granted(expiresOf(res) ?? this.requested);
    else if (res.status === 481 || res.status === 408)
      this.end({ reason: 'refresh-failed', status: res.status }, false);
    return res;
  }

  private inDialog(expires: number): Promise<SipResponse | undefined> {
    const d = this.dialog;
    if (!d || d.state === 'terminated') return Promise.resolve(undefined);
    const headers: Record<string, string | string[]> = {
      Event: formatEventHeader(this.event),
      Expires: String(expires),
    };
    if (this.accept.length) headers.Accept = this.accept.join(', ');
    const req = d.createRequest('SUBSCRIBE', { headers });
    return this.host.send(req).then(
      (res) => {
        // an auth retry (RFC 3261 §22.2) went out with the next CSeq: the dialog's count follows it
        d.localSeq = Math.max(d.localSeq, res.cseq?.seq ?? 0);
        return res;
      },
      () => undefined,
    );
  }

  /**
   * Ends the subscription (RFC 6665 §4.1.2.3: SUBSCRIBE with Expires: 0) and resolves once the notifier's
   * final NOTIFY came (or 64×T1 passed without it). Before the dialog exists it ends at once (a NOTIFY
   * arriving later is answered 481, which removes the notifier's side, §4.2.2).
   */
  async unsubscribe(): Promise<SubscriptionTermination> {
    if (this.termination) return this.termination;
    if (!this.dialog) {
      this.end({ reason: 'unsubscribed' }, false);
      return this.termination!;
    }
    if (!this.unsubscribing) {
      this.unsubscribing = true;
      this.granted(0);
      const done = this.whenTerminated();
      const res = await this.inDialog(0);
      if (this.termination) return this.termination;
      if (!res || res.status >= 300) {
        this.end({ reason: 'unsubscribed' }, false);
        return this.termination!;
      }
      // §4.1.2.3: the final NOTIFY (terminated) follows; don't wait for ever
      const t = this.host.loop.after(64 * this.host.t1, () => this.end({ reason: 'unsubscribed' }, false));
      const r = await done;
      this.host.loop.cancel(t);
      return r;
    }
    return this.whenTerminated();
  }

  /** Resolves when the subscription has ended (at once if it has). */
  whenTerminated(): Promise<SubscriptionTermination> {
    if (this.termination) return Promise.resolve(this.termination);
    return new Promise((r) => this.waiters.push(r));
  }

  private abort(): void {
    // the wait for the first NOTIFY ends now; an existing dialog is told (Expires: 0) in the background
    if (this.state === 'waiting') this.end({ reason: 'aborted' }, true);
  }

  /**
   * @internal A NOTIFY whose Call-ID and To tag are ours (RFC 6665 §4.1.3): 481 when its Event or (once the
   * dialog exists) its From tag is not this subscription's or it has ended; 400 without a valid
   * Subscription-State; else 200, the state applied and `notify` emitted.
   */
  onNotify(r: IncomingRequest): void {
    const req = r.request;
    const ev = parseEventHeader(req.get('event'));
    if (!ev) {
      r.reply(400, { reason: 'Bad Request (Event)' });
      return;
    }
    if (this.state === 'terminated' || !sameEvent(ev, this.event)) {
      r.reply(481, { reason: 'Subscription does not exist' });
      return;
    }
    const fromTag = req.from?.tag;
    if (this.dialog && fromTag !== this.dialog.remoteTag) {
      // another notifier (a forked SUBSCRIBE, §4.1.2.4): we keep one dialog; 481 ends the other's side
      r.reply(481, { reason: 'Subscription does not exist' });
      return;
    }
    const st = parseSubscriptionState(req.get('subscription-state'));
    if (!st) {
      r.reply(400, { reason: 'Bad Request (Subscription-State)' });
      return;
    }
    if (!this.dialog) {
      // §4.1.2.4: the NOTIFY arrived before the 2xx: it creates the dialog (as a UAS would, RFC 3261 §12.1.1)
      try {
        const d = Dialog.fromUasRequest(req, req.to?.tag ?? '', this.host.contact);
        d.localSeq = this.request.cseq?.seq ?? 1;
        this.dialog = d;
      } catch {
        r.reply(400);
        return;
      }
    } else {
      try {
        this.dialog.handleRemoteRequest(req);
      } catch {
        r.reply(500, { reason: 'Server Internal Error (CSeq out of order)' });
        return;
      }
      // §4.1.3: NOTIFY is a target refresh request
      const c = req.contacts[0];
      if (c) this.dialog.remoteTarget = c.uriText;
    }
    r.reply(200);
    if (this.timerN !== undefined) this.host.loop.cancel(this.timerN);
    this.timerN = undefined;
    const ct = req.body.length ? req.contentType : undefined;
    const n: SubscriptionNotify = {
      request: req,
      body: req.bodyText,
      contentType: ct ? `${ct.type}/${ct.subtype}`.toLowerCase() : undefined,
      state: st,
    };
    this.lastNotify = n;
    const before = this.state;
    if (st.state !== 'terminated') {
      this.state = st.state;
      this.detachAbort?.();
      // §4.1.3: `expires` is authoritative: a shorter duration moves the refresh earlier
      if (st.expires !== undefined && !this.unsubscribing && (this.expires === 0 || st.expires < this.expires))
        this.granted(st.expires);
    }
    this.emitSafe('notify', n);
    if (st.state === 'terminated') {
      const t: SubscriptionTermination = { reason: st.reason ?? (this.unsubscribing ? 'unsubscribed' : 'noresource') };
      if (st.retryAfter !== undefined) t.retryAfter = st.retryAfter;
      this.end(t, false);
    } else if (before !== this.state) this.emitSafe('state', this.state);
  }

  /**
   * @internal Ends the subscription: timers stop, `terminated` is emitted once. `unsubscribe` sends
   * Expires: 0 first when the dialog exists (Timer N fired: §4.1.2.4 lets the subscriber clean up).
   */
  end(t: SubscriptionTermination, unsubscribe: boolean): void {
    if (this.termination) return;
    if (unsubscribe && this.dialog && !this.unsubscribing) void this.inDialog(0);
    this.termination = t;
    this.state = 'terminated';
    for (const id of [this.timerN, this.refreshTimer, this.expiryTimer])
      if (id !== undefined) this.host.loop.cancel(id);
    this.timerN = this.refreshTimer = this.expiryTimer = undefined;
    this.detachAbort?.();
    this.host.remove(this);
    for (const w of this.waiters.splice(0)) w(t);
    this.emitSafe('state', 'terminated');
    this.emitSafe('terminated', t);
  }

  private emitSafe<K extends keyof SubscriptionEvents>(event: K, ...args: SubscriptionEvents[K]): void {
    for (const l of this.rawListeners(event) as ((...a: SubscriptionEvents[K]) => unknown)[]) {
      try {
        const p = l.apply(this, args);
        if (p instanceof Promise) p.catch((e) => this.host.handlerFailed(e, `subscription.${event}`));
      } catch (e) {
        this.host.handlerFailed(e, `subscription.${event}`);
      }
    }
  }
}
