import type { Loop } from '@mdh/loop';
import { DIALOG_INFO_TYPE } from '../events/dialog-info.js';
import { MESSAGE_SUMMARY_TYPE } from '../events/message-summary.js';
import { createRequest, newTag } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { acceptsType, type EventHeader, formatEventHeader, parseEventHeader, sameEvent } from './event-headers.js';
import { type EventPackage, IncomingSubscription } from './notifier.js';
import { pooledRandom } from './random.js';
import type { IncomingRequest } from './stack.js';
import { type SubscribeOptions, Subscription } from './subscription.js';

/**
 * SIP-specific event notification (RFC 6665) in a user agent: the subscriptions it made (subscriber,
 * subscription.ts) and the ones it serves (notifier, notifier.ts), routed by Call-ID and tag, and the event
 * packages it serves. `ua.subscriptions` is the one instance of a {@link UserAgent}.
 */

/** What the user agent lends the subscriptions. */
export interface SubscriptionsHost {
  loop: Loop;
  /** T1 (ms). */
  t1: number;
  /** Our AOR. */
  aor(): string;
  /** Our Contact (first transport). */
  contact(): string;
  /** Our Contact for the transport a request came on. */
  contactFor(r: IncomingRequest): string;
  /** Sends a request, resolving with its final response. */
  send(req: SipRequest): Promise<SipResponse>;
  /** An application handler failed (reported as the UA's `error`). */
  handlerFailed(err: unknown, event: string): void;
  /** Whether the application listens to the UA's `request` event (it then gets an unsolicited NOTIFY). */
  hasRequestListener(): boolean;
}

/** Thrown by `subscribe()` when the user agent already holds `maxSubscriptions`. */
export class SubscriptionLimitError extends Error {
  constructor(limit: number) {
    super(`the user agent holds its limit of ${limit} subscriptions`);
    this.name = 'SubscriptionLimitError';
  }
}

/** Default body types of the packages this module knows (RFC 3842 §5.1, RFC 4235 §4). */
const DEFAULT_ACCEPT: Record<string, string> = {
  'message-summary': MESSAGE_SUMMARY_TYPE,
  dialog: DIALOG_INFO_TYPE,
};

/** The subscriptions of a user agent, both sides (RFC 6665). */
export class Subscriptions {
  /** Most subscriptions held at once (made + served); beyond, SUBSCRIBE gets 503 and `subscribe()` throws. */
  maxSubscriptions = 1000;
  private readonly packages = new Map<string, { name: string; pkg: EventPackage }>();
  private readonly made = new Map<string, Subscription>();
  private readonly served = new Map<string, IncomingSubscription>();

  /** @internal */
  constructor(private readonly host: SubscriptionsHost) {}

  /** Subscriptions held: made (subscriber) and served (notifier). */
  get size(): { made: number; served: number } {
    return { made: this.made.size, served: this.served.size };
  }

  /**
   * Serves an event package (RFC 6665 §4.2): new SUBSCRIBEs for it go to `pkg.onSubscribe`; the package is
   * listed in Allow-Events (§8.2.2); SUBSCRIBEs for packages not added get 489 Bad Event.
   */
  addPackage(name: string, pkg: EventPackage): void {
    if (!parseEventHeader(name) || name.includes(';')) throw new TypeError(`${name} is not an event package name`);
    this.packages.set(name.toLowerCase(), { name, pkg });
  }

  /** Stops serving a package (live subscriptions are not ended). */
  removePackage(name: string): void {
    this.packages.delete(name.toLowerCase());
  }

  /** The Allow-Events header (RFC 6665 §8.2.2) of the packages served, or none. */
  allowEvents(): [string, string][] {
    return this.packages.size ? [['Allow-Events', [...this.packages.values()].map((p) => p.name).join(', ')]] : [];
  }

  /** Subscribes (RFC 6665 §4.1.2); see {@link UserAgent.subscribe}. */
  subscribe(target: string, opts: SubscribeOptions): Subscription {
    if (this.made.size + this.served.size >= this.maxSubscriptions)
      throw new SubscriptionLimitError(this.maxSubscriptions);
    const ev = parseEventHeader(opts.event);
    if (!ev || opts.event.includes(';')) throw new TypeError(`${opts.event} is not an event package name`);
    const expires = opts.expires ?? 3600;
    if (!Number.isInteger(expires) || expires < 0 || expires > 0xffffffff) throw new RangeError(`expires ${expires}`);
    const event: EventHeader = { type: opts.event, ...(opts.id !== undefined ? { id: opts.id } : {}) };
    const accept =
      typeof opts.accept === 'string' ? [opts.accept] : (opts.accept ?? [DEFAULT_ACCEPT[ev.type.toLowerCase()]]);
    const build = (cseq: number, exp: number, callId?: string, from?: string) =>
      createRequest({
        random: pooledRandom,
        method: 'SUBSCRIBE',
        uri: target,
        from: from ?? `<${opts.from ?? this.host.aor()}>`,
        to: `<${target}>`,
        cseq,
        ...(callId ? { callId } : {}),
        contact: this.host.contact(),
        headers: [
          ['Event', formatEventHeader(event)],
          ['Expires', String(exp)],
          ...(accept.filter(Boolean).length ? [['Accept', accept.filter(Boolean).join(', ')] as [string, string]] : []),
          ...(opts.headers ?? []),
        ],
        ...(opts.body !== undefined ? { body: opts.body, contentType: opts.contentType ?? 'text/plain' } : {}),
      });
    const req = build(1, expires);
    const sub = new Subscription(
      {
        loop: this.host.loop,
        t1: this.host.t1,
        send: (r) => this.host.send(r),
        get contact() {
          return req.get('contact') ?? '';
        },
        handlerFailed: (e, n) => this.host.handlerFailed(e, n),
        rebuild: (r, exp, cseq) => build(cseq, exp, r.callId, r.get('from')),
        remove: (s) => {
          if (this.made.get(s.key) === s) this.made.delete(s.key);
        },
      },
      req,
      { ...opts, accept: accept.filter(Boolean) as string[] },
    );
    this.made.set(sub.key, sub);
    // sent on the next microtask: listeners attached right after `subscribe()` hear everything
    queueMicrotask(() => sub.start());
    return sub;
  }

  /**
   * @internal Routes SUBSCRIBE and NOTIFY: a NOTIFY whose Call-ID and To tag name a subscription we made, a
   * SUBSCRIBE in a dialog of one we serve, a new SUBSCRIBE. Returns false for what is not ours (a NOTIFY in
   * a call's dialog, e.g. a REFER's, goes on to the call; one matching nothing gets 481 there).
   */
  route(r: IncomingRequest): boolean {
    try {
      return this.dispatch(r);
    } catch {
      // a header the message's views cannot read (a malformed Expires, Contact, From…): 400, never a throw
      if (!r.answered) r.reply(400);
      return true;
    }
  }

  private dispatch(r: IncomingRequest): boolean {
    const req = r.request;
    const toTag = req.to?.tag;
    if (req.method === 'NOTIFY') {
      if (!toTag) {
        // RFC 6665 §4.1.3: a NOTIFY outside any subscription is 481, unless the application takes it
        // (e.g. unsolicited message-summary NOTIFYs some servers send)
        if (this.host.hasRequestListener()) return false;
        r.reply(481, { reason: 'Subscription does not exist' });
        return true;
      }
      const s = this.made.get(`${req.callId};${toTag}`);
      if (!s) return false;
      s.onNotify(r);
      return true;
    }
    if (req.method !== 'SUBSCRIBE') return false;
    if (toTag) {
      const s = this.served.get(`${req.callId};${toTag}`);
      if (!s) return false;
      const ev = parseEventHeader(req.get('event'));
      if (!ev || !sameEvent(ev, s.event)) {
        // a second usage in the dialog (another event or id) is not supported: nothing of that name exists
        r.reply(ev ? 481 : 400);
        return true;
      }
      const pkg = this.packages.get(ev.type.toLowerCase())?.pkg;
      const exp = this.expiresOf(r, pkg);
      if (exp !== undefined) s.onRefresh(r, exp);
      return true;
    }
    // a UA that serves no package answers as before: the application's `request` listener, else 405
    if (!this.packages.size) return false;
    this.onSubscribe(r);
    return true;
  }

  /** The granted duration of a SUBSCRIBE (RFC 6665 §4.2.1.1), or undefined when it was answered 400/423. */
  private expiresOf(r: IncomingRequest, pkg: EventPackage | undefined): number | undefined {
    const raw = r.request.get('expires');
    const asked = r.request.expires;
    if (raw !== undefined && asked === undefined) {
      r.reply(400, { reason: 'Bad Request (Expires)' });
      return undefined;
    }
    const min = pkg?.minExpires ?? 60;
    const want = asked ?? pkg?.defaultExpires ?? 3600;
    if (want !== 0 && want < min) {
      // §4.2.1.1: too short → 423 Interval Too Brief with Min-Expires
      r.reply(423, { headers: [['Min-Expires', String(min)]] });
      return undefined;
    }
    return Math.min(want, pkg?.maxExpires ?? 3600);
  }

  /** A new SUBSCRIBE (RFC 6665 §4.2.1): checks, then the package's handler. */
  private onSubscribe(r: IncomingRequest): void {
    const req = r.request;
    const ev = parseEventHeader(req.get('event'));
    if (!ev) {
      r.reply(400, { reason: 'Bad Request (Event)' });
      return;
    }
    if (!req.from?.tag || !req.callId || !req.cseq) {
      r.reply(400, { reason: 'Bad Request (no From tag)' }); // cannot create a dialog (RFC 3261 §12.1.1)
      return;
    }
    const entry = this.packages.get(ev.type.toLowerCase());
    if (!entry) {
      // §8.2.2 / §4.2.1.1: an unknown package gets 489 Bad Event, with the ones we serve
      r.reply(489, { headers: this.allowEvents() });
      return;
    }
    if (this.made.size + this.served.size >= this.maxSubscriptions) {
      r.reply(503, { headers: [['Retry-After', '60']] });
      return;
    }
    const pkg = entry.pkg;
    const accept = req.getAll('accept');
    if (accept.length && pkg.contentTypes?.length && !pkg.contentTypes.some((t) => acceptsType(accept, t))) {
      r.reply(406, { headers: [['Accept', pkg.contentTypes.join(', ')]] });
      return;
    }
    const exp = this.expiresOf(r, pkg);
    if (exp === undefined) return;
    const sub = new IncomingSubscription(
      {
        loop: this.host.loop,
        send: (x) => this.host.send(x),
        contactFor: (x) => this.host.contactFor(x),
        handlerFailed: (e, n) => this.host.handlerFailed(e, n),
        remove: (s) => {
          if (this.served.get(s.key) === s) this.served.delete(s.key);
        },
      },
      r,
      ev,
      exp,
      newTag(pooledRandom),
    );
    this.served.set(sub.key, sub);
    const failed = (e: unknown) => {
      if (sub.state === 'waiting') sub.reject(500);
      this.host.handlerFailed(e, 'subscribe');
    };
    try {
      const p = pkg.onSubscribe(sub);
      if (p instanceof Promise) p.catch(failed);
    } catch (e) {
      failed(e);
    }
  }

  /**
   * @internal Ends everything (UA close): served subscriptions get their final NOTIFY
   * (`terminated;reason=noresource`); made ones end at once (`closed`) with an unsubscribe (Expires: 0) sent
   * — their final NOTIFY, if it comes, is answered 481. No timer of theirs outlives the call.
   */
  close(): Promise<unknown> {
    const all: Promise<unknown>[] = [];
    for (const s of [...this.served.values()]) all.push(s.close());
    for (const s of [...this.made.values()]) s.end({ reason: 'closed' }, true);
    return Promise.all(all);
  }
}
