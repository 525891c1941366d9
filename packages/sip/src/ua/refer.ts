import type { Loop, TimerId } from '@mdh/loop';
import type { SipRequest, SipResponse } from '../message/message.js';
import type { Call } from './call.js';
import type { IncomingRequest } from './stack.js';
import { SipCallError } from './targets.js';

/**
 * Transfer (RFC 3515 REFER with its implicit subscription and `message/sipfrag` NOTIFYs, RFC 3892 Referred-By,
 * RFC 3891 Replaces): receiving a REFER (202, NOTIFY `SIP/2.0 100 Trying`, the new call, NOTIFY with its final
 * status) and sending one (`call.transfer(target)` blind, `call.transfer(otherCall)` attended).
 */

/** What the user agent lends the transfer logic. */
export interface ReferHost {
  loop: Loop;
  /** Sends an in-dialog request with headers and an optional body; resolves with the final response. */
  sendInDialog(
    call: Call,
    method: string,
    opts: { body?: string; contentType?: string; headers?: Record<string, string> },
  ): Promise<SipResponse>;
  /**
   * Places the call the REFER asks for (to `target`, with Referred-By / Replaces headers, offering `offer` when
   * the application gave one); resolves with the final status (2xx when established) and the call.
   */
  placeReferredCall(
    from: Call,
    target: string,
    headers: [string, string][],
    offer?: string | Promise<string>,
  ): Promise<{ status: number; reason: string; call?: Call }>;
  /** Our AOR (for Referred-By). */
  aor: string;
  /** An application handler (`call.onRefer`) threw or rejected: reported as the UA's `error`. */
  handlerFailed?(err: unknown, event: string): void;
}

/**
 * An application's verdict on an incoming REFER (`call.onRefer`): `true` / nothing accepts (202); `false`
 * declines with 603 Decline; a 4xx-6xx number declines with that status (e.g. 403).
 */
export type ReferVerdict = boolean | number | undefined;

/** Settles the `call` promise of a {@link ReferRequest}. */
interface CallSettler {
  resolve: (c: Call) => void;
  reject: (e: unknown) => void;
}

/** Bound on how long an asynchronous `call.onRefer` may decide (the REFER's transaction must be answered). */
const REFER_DECIDE_MS = 30_000;

/** A REFER we received, as the call's `refer` event sees it. */
export interface ReferRequest {
  /** The Refer-To URI (without its `?headers`). */
  target: string;
  /** Referred-By (RFC 3892), when present. */
  referredBy: string | undefined;
  /** Replaces (RFC 3891) from the Refer-To URI's headers, when the transfer is attended. */
  replaces: string | undefined;
  request: SipRequest;
  /**
   * The SDP offer of the referred call. A `refer` listener may set it (or a promise of it), synchronously, e.g.
   * with the media it opened for the new call; default: the transferred call's own SDP with a new version.
   */
  offer?: string | Promise<string>;
  /**
   * The referred call once it is established (to attach its media, hang it up...); rejects with the reason it
   * failed (a {@link SipCallError} with its final status).
   */
  call: Promise<Call>;
}

/** A sipfrag status line `SIP/2.0 200 OK` (RFC 3420) → status and reason; undefined if there is none. */
export function parseSipfrag(body: string): { status: number; reason: string } | undefined {
  const m = /^SIP\/2\.0 (\d{3})(?: ([^\r\n]*))?/.exec(body.trimStart());
  return m ? { status: Number(m[1]), reason: m[2] ?? '' } : undefined;
}

/** Parses Refer-To (RFC 3515 §2.1): the URI (angle brackets optional) and its `?Replaces=` header, decoded. */
export function parseReferTo(v: string): { target: string; replaces: string | undefined } | undefined {
  const m = /^\s*(?:"[^"]*"\s*)?<([^>]+)>/.exec(v) ?? /^\s*([^\s;]+)/.exec(v);
  if (!m) return undefined;
  const uri = m[1]!;
  if (!/^sips?:/i.test(uri)) return undefined;
  const q = uri.indexOf('?');
  const target = q < 0 ? uri : uri.slice(0, q);
  let replaces: string | undefined;
  if (q >= 0) {
    for (const kv of uri.slice(q + 1).split('&')) {
      const eq = kv.indexOf('=');
      if (eq > 0 && kv.slice(0, eq).toLowerCase() === 'replaces') {
        try {
          replaces = decodeURIComponent(kv.slice(eq + 1));
        } catch {
          return undefined;
        }
      }
    }
  }
  return { target, replaces };
}

/** The Refer-To value for an attended transfer to `other`'s peer (RFC 3891 §3: Replaces in the URI). */
export function attendedReferTo(other: Call): string {
  const d = other.dialog;
  // §3: call-id;to-tag=<remote tag of the dialog at the target>;from-tag=<...>: seen from the target, its
  // local tag is our remote tag
  const replaces = `${d.callId};to-tag=${d.remoteTag};from-tag=${d.localTag}`;
  return `<${d.remoteTarget}?Replaces=${encodeURIComponent(replaces)}>`;
}

interface OutgoingRefer {
  id: string;
  resolve: (r: { status: number; reason: string }) => void;
  timer: TimerId | undefined;
}

/** Bound on how long a transfer waits for its final NOTIFY (RFC 3515 §2.4.7 default expiry: 60 s). */
const REFER_WAIT_MS = 60_000;

/** The REFER state of a user agent: subscriptions we created (outgoing REFERs) and REFERs we follow. */
export class Transfers {
  private readonly outgoing = new Map<Call, OutgoingRefer[]>();
  /** REFERs we follow whose final NOTIFY is not sent yet (the notifier side of the implicit subscription). */
  private following = 0;

  constructor(private readonly host: ReferHost) {}

  /** Live implicit subscriptions (RFC 3515 §2.4.4): REFERs sent awaiting their final NOTIFY, and REFERs followed. */
  get size(): number {
    let n = this.following;
    for (const l of this.outgoing.values()) n += l.length;
    return n;
  }

  // ---------------------------------------------------------------------------------------------- receive

  /**
   * A REFER in a call (RFC 3515 §2.4.2): 400 without exactly one valid Refer-To; else 202, a NOTIFY with
   * `SIP/2.0 100 Trying`, the referred call, then a NOTIFY with its final status (subscription terminated).
   */
  onRefer(r: IncomingRequest, call: Call, emit: (e: ReferRequest) => void): void {
    const req = r.request;
    const values = req.getAll('refer-to'); // the compact form r is folded in by the parser
    const parsed = values.length === 1 ? parseReferTo(values[0]!) : undefined;
    if (!parsed) {
      r.reply(400, { reason: 'Bad Request (Refer-To)' });
      return;
    }
    const referredBy = req.get('referred-by');
    let settleCall: CallSettler = { resolve: () => {}, reject: () => {} };
    const placed = new Promise<Call>((resolve, reject) => {
      settleCall = { resolve, reject };
    });
    placed.catch(() => {}); // an application that does not look at `call` must not see an unhandled rejection
    const e: ReferRequest = {
      target: parsed.target,
      referredBy,
      replaces: parsed.replaces,
      request: req,
      call: placed,
    };
    const decide = call.onRefer;
    if (!decide) {
      this.follow(r, call, e, settleCall, emit);
      return;
    }
    // RFC 3515 §2.4.2: the application may decline the REFER (603 Decline, 403 Forbidden...); a handler that
    // throws declines it too (603) and is reported
    const declined = (status: number) => {
      if (!r.answered) r.reply(status);
      settleCall.reject(new SipCallError(status, 'REFER declined'));
    };
    const failed = (err: unknown) => {
      declined(603);
      this.host.handlerFailed?.(err, 'refer');
    };
    const apply = (v: ReferVerdict | void) => {
      if (r.answered || call.state === 'ended') {
        declined(481);
        return;
      }
      if (v === false) declined(603);
      else if (typeof v === 'number' && Number.isInteger(v) && v >= 300 && v <= 699) declined(v);
      else this.follow(r, call, e, settleCall, emit);
    };
    let v: ReferVerdict | void | Promise<ReferVerdict | void>;
    try {
      v = decide(e);
    } catch (err) {
      failed(err);
      return;
    }
    if (!(v instanceof Promise)) {
      apply(v);
      return;
    }
    const t = this.host.loop.after(REFER_DECIDE_MS, () => declined(603));
    v.then(
      (x) => {
        this.host.loop.cancel(t);
        apply(x);
      },
      (err) => {
        this.host.loop.cancel(t);
        failed(err);
      },
    );
  }

  /** Accepts a REFER: 202, then NOTIFYs with the progress of the referred call (RFC 3515 §2.4.4-2.4.5). */
  private follow(
    r: IncomingRequest,
    call: Call,
    e: ReferRequest,
    settleCall: CallSettler,
    emit: (e: ReferRequest) => void,
  ): void {
    const req = r.request;
    const referredBy = e.referredBy;
    const parsed = { target: e.target, replaces: e.replaces };
    r.reply(202, { headers: [['Contact', call.dialog.localContact]] });
    emit(e);
    // §2.4.6: the NOTIFYs carry Event: refer with id = the REFER's CSeq number
    const event = `refer;id=${req.cseq?.seq ?? 1}`;
    const notify = (frag: string, state: string) =>
      this.host
        .sendInDialog(call, 'NOTIFY', {
          body: `${frag}\r\n`,
          contentType: 'message/sipfrag;version=2.0',
          headers: { Event: event, 'Subscription-State': state },
        })
        .catch(() => undefined);
    void notify('SIP/2.0 100 Trying', 'active;expires=60');
    const headers: [string, string][] = [];
    // RFC 3892 §3: the referred request carries the Referred-By of the REFER
    if (referredBy) headers.push(['Referred-By', referredBy]);
    // RFC 3891 §3: an attended transfer's new INVITE carries Replaces
    if (parsed.replaces) headers.push(['Replaces', parsed.replaces]);
    this.following++;
    void this.host.placeReferredCall(call, parsed.target, headers, e.offer).then(
      (res) => {
        this.following--;
        if (res.call) settleCall.resolve(res.call);
        else settleCall.reject(new SipCallError(res.status, res.reason));
        if (call.state !== 'ended') void notify(`SIP/2.0 ${res.status} ${res.reason}`, 'terminated;reason=noresource');
      },
      (err: unknown) => {
        this.following--;
        settleCall.reject(err);
        if (call.state !== 'ended') void notify('SIP/2.0 500 Server Internal Error', 'terminated;reason=noresource');
      },
    );
  }

  /**
   * A NOTIFY in a call (RFC 6665 §4.1.3): one for a REFER we sent (Event: refer, matching id) gets 200 and
   * settles the transfer when its sipfrag is final or the subscription terminated; any other gets 481.
   */
  onNotify(r: IncomingRequest, call: Call): boolean {
    const req = r.request;
    const ev = (req.get('event') ?? req.get('o') ?? '').trim();
    const m = /^refer\s*(?:;\s*id\s*=\s*(\d+))?/i.exec(ev);
    const list = this.outgoing.get(call);
    const pending = m && list ? (m[1] !== undefined ? list.find((o) => o.id === m[1]) : list[0]) : undefined;
    if (!pending) {
      r.reply(481, { reason: 'Subscription does not exist' });
      return false;
    }
    r.reply(200);
    const frag = parseSipfrag(req.bodyText);
    const terminated = /^\s*terminated/i.test(req.get('subscription-state') ?? '');
    if ((frag && frag.status >= 200) || terminated) {
      this.settle(
        call,
        pending,
        frag && frag.status >= 200 ? frag : { status: 487, reason: 'Subscription terminated' },
      );
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------- send

  /**
   * Sends a REFER (RFC 3515 §2.4.1) to `target` (blind) or to `other`'s peer with Replaces (attended),
   * with Referred-By (RFC 3892); resolves with the final status the NOTIFYs report (non-2xx of the REFER
   * itself, or no final NOTIFY within 60 s → 408).
   */
  async transfer(call: Call, target: string | Call): Promise<{ status: number; reason: string }> {
    const referTo = typeof target === 'string' ? `<${target}>` : attendedReferTo(target);
    const seq = call.dialog.localSeq + 1; // the CSeq createRequest will use (the NOTIFYs' id, §2.4.6)
    const o: OutgoingRefer = { id: String(seq), resolve: () => {}, timer: undefined };
    const done = new Promise<{ status: number; reason: string }>((resolve) => {
      o.resolve = resolve;
    });
    const list = this.outgoing.get(call) ?? [];
    list.push(o);
    this.outgoing.set(call, list);
    o.timer = this.host.loop.after(REFER_WAIT_MS, () =>
      this.settle(call, o, { status: 408, reason: 'Request Timeout' }),
    );
    const res = await this.host.sendInDialog(call, 'REFER', {
      headers: { 'Refer-To': referTo, 'Referred-By': `<${this.host.aor}>` },
    });
    if (res.status >= 300) this.settle(call, o, { status: res.status, reason: res.reason });
    return done;
  }

  private settle(call: Call, o: OutgoingRefer, r: { status: number; reason: string }): void {
    if (o.timer !== undefined) this.host.loop.cancel(o.timer);
    o.timer = undefined;
    const list = this.outgoing.get(call);
    if (list) {
      const i = list.indexOf(o);
      if (i >= 0) list.splice(i, 1);
      if (!list.length) this.outgoing.delete(call);
    }
    o.resolve(r);
  }

  /** The call ended: pending transfers settle (481: the dialog is gone). */
  forget(call: Call): void {
    for (const o of [...(this.outgoing.get(call) ?? [])]) this.settle(call, o, { status: 481, reason: 'Call ended' });
  }
}

/**
 * The dialog an INVITE's Replaces header names (RFC 3891 §3), as the dialog id `call-id;local;remote` of ours
 * (its to-tag is our tag, its from-tag the peer's); undefined when malformed.
 */
export function replacesDialogId(v: string): { id: string; earlyOnly: boolean } | undefined {
  const parts = v.split(';').map((p) => p.trim());
  const callId = parts[0];
  if (!callId) return undefined;
  let to: string | undefined;
  let from: string | undefined;
  let earlyOnly = false;
  for (const p of parts.slice(1)) {
    const [k, val] = p.split('=', 2).map((x) => x.trim());
    if (k?.toLowerCase() === 'to-tag') to = val;
    else if (k?.toLowerCase() === 'from-tag') from = val;
    else if (k?.toLowerCase() === 'early-only') earlyOnly = true;
  }
  if (!to || !from) return undefined;
  return { id: `${callId};${to};${from}`, earlyOnly };
}
