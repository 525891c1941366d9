import { EventEmitter } from 'node:events';
import type { Loop, TimerId } from '@mdh/loop';
import { Dialog } from '../dialog/dialog.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { type EventHeader, formatEventHeader, formatSubscriptionState } from './event-headers.js';
import type { IncomingRequest } from './stack.js';

/**
 * The notifier side of SIP-specific event notification (RFC 6665 §4.2): a SUBSCRIBE accepted (200 with the
 * granted Expires, then at once a NOTIFY with the current state, §4.2.1) or rejected; NOTIFYs later,
 * refreshes and unsubscribes (§4.2.1.2, §4.2.1.4), expiry, and the final `terminated` NOTIFY.
 */

/** An event package the user agent serves as notifier (registered with `ua.subscriptions.addPackage`). */
export interface EventPackage {
  /**
   * Called for every new SUBSCRIBE of the package (after the checks of RFC 6665 §4.2.1.1: Event, Expires
   * bounds, Accept): call `sub.accept(...)` or `sub.reject(status)` — now or later (within 30 s, else it is
   * answered 480). A throw or rejected promise answers 500 and is reported as the UA's `error`.
   */
  onSubscribe(sub: IncomingSubscription): void | Promise<void>;
  /** Body types the package can send; a SUBSCRIBE whose Accept names none gets 406 (default: any). */
  contentTypes?: string[];
  /** Shortest duration granted (s); shorter requests get 423 with Min-Expires (default 60). */
  minExpires?: number;
  /** Longest duration granted (s); longer requests are shortened (default 3600). */
  maxExpires?: number;
  /** Duration when the SUBSCRIBE has no Expires (s; default 3600, RFC 3842 §4 and RFC 4235 §3.2). */
  defaultExpires?: number;
}

/** Options of {@link IncomingSubscription.accept} and {@link IncomingSubscription.notify}. */
export interface NotifyOptions {
  /** The NOTIFY body (the resource state). */
  body?: string;
  /** Its Content-Type. */
  contentType?: string;
  /** `pending` (not yet authorized, §4.2.1.1) or `active` (default). */
  state?: 'pending' | 'active';
}

/** Why a subscription we serve ended. */
export type NotifierTermination =
  /** the subscriber sent Expires: 0 (§4.2.1.4) */
  | 'unsubscribed'
  /** it was not refreshed in time (§4.2.2: final NOTIFY with reason=timeout) */
  | 'expired'
  /** a NOTIFY got 481, 408 or no answer (§4.2.2: the subscription is removed) */
  | 'notify-failed'
  /** the application called `terminate()` */
  | 'terminated'
  /** the user agent closed */
  | 'closed';

/** Events of an {@link IncomingSubscription}. */
export interface IncomingSubscriptionEvents {
  /** The subscriber refreshed (the new granted duration in s); a NOTIFY with the last state was sent. */
  refresh: [expires: number];
  /** The subscription ended. */
  terminated: [why: NotifierTermination];
}

/** What the user agent lends a notifier subscription. */
export interface NotifierHost {
  loop: Loop;
  /** Sends a request, resolving with its final response. */
  send(req: SipRequest): Promise<SipResponse>;
  /** Our Contact for the transport the SUBSCRIBE came on. */
  contactFor(r: IncomingRequest): string;
  /** An application listener threw (reported as the UA's `error`). */
  handlerFailed(err: unknown, event: string): void;
  /** Forget the subscription (it ended). */
  remove(s: IncomingSubscription): void;
}

/** NOTIFYs waiting behind the one in flight (§4.2.2: one at a time per dialog); beyond, the oldest goes. */
const MAX_QUEUED = 16;

/**
 * A SUBSCRIBE we serve (RFC 6665 §4.2). `accept()` answers 200 and sends the first NOTIFY; `notify()` sends
 * the state again; `terminate(reason)` sends the final NOTIFY. Refreshes and unsubscribes are handled by
 * the user agent (`refresh` / `terminated` events).
 */
export class IncomingSubscription extends EventEmitter<IncomingSubscriptionEvents> {
  /** The SUBSCRIBE that created it. */
  readonly request: SipRequest;
  /** Its Event. */
  readonly event: EventHeader;
  /** `waiting` until accepted or rejected. */
  state: 'waiting' | 'pending' | 'active' | 'terminated' = 'waiting';
  /** Granted duration in seconds (0: a one-time fetch, §4.3.2). */
  expires: number;
  /** The dialog (once accepted). */
  dialog: Dialog | undefined;
  /** Why it ended. */
  endReason: NotifierTermination | undefined;
  /** The subscriber (the SUBSCRIBE's From URI). */
  readonly subscriber: string;
  /** What was subscribed to (the Request-URI). */
  readonly resource: string;
  /** @internal Call-ID;to-tag */
  key = '';
  private readonly toTag: string;
  private body: { data: string; type: string } | undefined;
  private expiryTimer: TimerId | undefined;
  private answerTimer: TimerId | undefined;
  private queue: { run: () => Promise<void>; drop: () => void }[] = [];
  private sending = false;

  /** @internal */
  constructor(
    private readonly host: NotifierHost,
    private readonly incoming: IncomingRequest,
    event: EventHeader,
    expires: number,
    toTag: string,
  ) {
    super({ captureRejections: true });
    this.request = incoming.request;
    this.event = event;
    this.expires = expires;
    this.toTag = toTag;
    this.subscriber = incoming.request.from?.uriText ?? '';
    this.resource = incoming.request.uri;
    this.key = `${incoming.request.callId};${toTag}`;
    this.answerTimer = host.loop.after(30_000, () => {
      this.answerTimer = undefined;
      if (this.state === 'waiting') this.reject(480);
    });
  }

  /**
   * Accepts (RFC 6665 §4.2.1.1): 200 with the granted Expires and our Contact, then at once a NOTIFY with the
   * state (§4.2.2), whose body should carry the current resource state. A fetch (Expires: 0) gets the NOTIFY
   * with `terminated;reason=timeout` and ends.
   */
  accept(opts: NotifyOptions = {}): void {
    if (this.state !== 'waiting') return;
    this.clearAnswerTimer();
    const contact = this.host.contactFor(this.incoming);
    try {
      this.dialog = Dialog.fromUasRequest(this.request, this.toTag, contact);
    } catch {
      // a SUBSCRIBE whose Contact cannot be read cannot create a dialog (RFC 3261 §12.1.1)
      this.incoming.reply(400, { toTag: this.toTag, reason: 'Bad Request (Contact)' });
      this.state = 'terminated';
      this.end('terminated');
      return;
    }
    this.incoming.reply(200, {
      toTag: this.toTag,
      headers: [
        ['Expires', String(this.expires)],
        ['Contact', contact],
      ],
    });
    this.state = opts.state ?? 'active';
    if (opts.body !== undefined) this.body = { data: opts.body, type: opts.contentType ?? 'text/plain' };
    if (this.expires === 0) {
      this.finish('timeout', 'expired');
      return;
    }
    this.armExpiry();
    void this.notify();
  }

  /** Rejects the SUBSCRIBE with a final status (403, 404, 480, 603…). */
  reject(status = 403, reason?: string): void {
    if (this.state !== 'waiting') return;
    if (status < 300 || status > 699) throw new RangeError(`reject needs a 3xx-6xx status, not ${status}`);
    this.clearAnswerTimer();
    this.incoming.reply(status, { toTag: this.toTag, ...(reason ? { reason } : {}) });
    this.state = 'terminated';
    this.endReason = 'terminated';
    this.host.remove(this);
  }

  /**
   * Sends a NOTIFY with the state `opts` gives (or the last one again) and the time left (RFC 6665 §4.2.2);
   * resolves with its final response (undefined when the subscription has ended). A 481, 408 or no answer
   * removes the subscription (`notify-failed`).
   */
  notify(opts: NotifyOptions = {}): Promise<SipResponse | undefined> {
    if (this.state === 'waiting' || this.state === 'terminated') return Promise.resolve(undefined);
    if (opts.body !== undefined)
      this.body = { data: opts.body, type: opts.contentType ?? this.body?.type ?? 'text/plain' };
    if (opts.state) this.state = opts.state;
    const st = this.state;
    const left = Math.max(0, Math.ceil(((this.expiresAt ?? 0) - this.host.loop.now()) / 1000));
    return this.enqueue(formatSubscriptionState({ state: st, expires: left }), this.body);
  }

  /**
   * Ends the subscription with a final NOTIFY `terminated;reason=<reason>` (RFC 6665 §4.1.3: `noresource`,
   * `deactivated`, `probation`, `rejected`, `giveup`, `invariant`, `timeout`), optionally with a last body.
   */
  terminate(reason = 'noresource', opts: { body?: string; contentType?: string; retryAfter?: number } = {}): void {
    if (this.state === 'terminated') return;
    if (this.state === 'waiting') {
      this.reject(403);
      return;
    }
    if (opts.body !== undefined)
      this.body = { data: opts.body, type: opts.contentType ?? this.body?.type ?? 'text/plain' };
    this.finish(reason, 'terminated', opts.retryAfter);
  }

  /** @internal The user agent closes: final NOTIFY `terminated;reason=noresource`… not awaited for long. */
  close(): Promise<unknown> {
    if (this.state === 'waiting') {
      this.reject(480);
      return Promise.resolve();
    }
    return this.finish('noresource', 'closed');
  }

  private expiresAt: number | undefined;

  private armExpiry(): void {
    if (this.expiryTimer !== undefined) this.host.loop.cancel(this.expiryTimer);
    this.expiresAt = this.host.loop.now() + this.expires * 1000;
    this.expiryTimer = this.host.loop.after(this.expires * 1000, () => {
      this.expiryTimer = undefined;
      // §4.2.2: a subscription that was not refreshed ends with NOTIFY terminated;reason=timeout
      void this.finish('timeout', 'expired');
    });
  }

  /**
   * @internal A SUBSCRIBE in the dialog (the manager checked Event and Expires bounds): Expires 0 →
   * 200 and the final NOTIFY (§4.2.1.4); else 200 with the new duration and a NOTIFY with the state (§4.2.2).
   */
  onRefresh(r: IncomingRequest, expires: number): void {
    if (!this.dialog || this.state === 'terminated') {
      r.reply(481);
      return;
    }
    try {
      this.dialog.handleRemoteRequest(r.request);
    } catch {
      r.reply(500, { reason: 'Server Internal Error (CSeq out of order)' });
      return;
    }
    const c = r.request.contacts[0];
    if (c) this.dialog.remoteTarget = c.uriText; // SUBSCRIBE is a target refresh request (§4.1.2.2)
    r.reply(200, {
      headers: [
        ['Expires', String(expires)],
        ['Contact', this.dialog.localContact],
      ],
    });
    if (expires === 0) {
      void this.finish('timeout', 'unsubscribed');
      return;
    }
    this.expires = expires;
    this.armExpiry();
    void this.notify();
    this.emitSafe('refresh', expires);
  }

  /** The final NOTIFY, then the subscription is gone. */
  private finish(reason: string, why: NotifierTermination, retryAfter?: number): Promise<unknown> {
    if (this.state === 'terminated') return Promise.resolve();
    this.state = 'terminated';
    const sent = this.enqueue(
      formatSubscriptionState({ state: 'terminated', reason, ...(retryAfter !== undefined ? { retryAfter } : {}) }),
      this.body,
      true,
    );
    this.end(why);
    return sent;
  }

  private end(why: NotifierTermination): void {
    if (this.endReason) return;
    this.endReason = why;
    this.state = 'terminated';
    this.clearAnswerTimer();
    if (this.expiryTimer !== undefined) this.host.loop.cancel(this.expiryTimer);
    this.expiryTimer = undefined;
    this.host.remove(this);
    this.emitSafe('terminated', why);
  }

  private clearAnswerTimer(): void {
    if (this.answerTimer !== undefined) this.host.loop.cancel(this.answerTimer);
    this.answerTimer = undefined;
  }

  /** One NOTIFY in flight per subscription (RFC 6665 §4.2.2); the others wait, bounded. */
  private enqueue(
    state: string,
    body: { data: string; type: string } | undefined,
    final = false,
  ): Promise<SipResponse | undefined> {
    return new Promise((resolve) => {
      const job = async () => {
        const d = this.dialog;
        if (!d || d.state === 'terminated' || (this.endReason && !final)) return resolve(undefined);
        const req = d.createRequest('NOTIFY', {
          headers: { Event: formatEventHeader(this.event), 'Subscription-State': state },
          ...(body ? { body: { contentType: body.type, data: body.data } } : {}),
        });
        if (final) d.terminate();
        const res = await this.host.send(req).catch(() => undefined);
        if (res) d.localSeq = Math.max(d.localSeq, res.cseq?.seq ?? 0); // after an auth retry (§22.2)
        resolve(res);
        if (!res || res.status === 481 || res.status === 408 || res.status === 503) this.end('notify-failed');
      };
      if (this.queue.length >= MAX_QUEUED) this.queue.shift()?.drop();
      this.queue.push({ run: job, drop: () => resolve(undefined) });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        try {
          await job.run();
        } catch {
          job.drop(); // a NOTIFY that could not be built (the dialog ended meanwhile): nothing was sent
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private emitSafe<K extends keyof IncomingSubscriptionEvents>(event: K, ...args: IncomingSubscriptionEvents[K]): void {
    for (const l of this.rawListeners(event) as ((...a: IncomingSubscriptionEvents[K]) => unknown)[]) {
      try {
        const p = l.apply(this, args);
        if (p instanceof Promise) p.catch((e) => this.host.handlerFailed(e, `subscription.${event}`));
      } catch (e) {
        this.host.handlerFailed(e, `subscription.${event}`);
      }
    }
  }
}
