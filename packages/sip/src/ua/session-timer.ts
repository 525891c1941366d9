import type { Loop, TimerId } from '@mdh/loop';
import { createRequest } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';

/**
 * Session timers (RFC 4028): the `timer` option tag, Session-Expires / Min-SE, 422 and the retry with the
 * larger interval, refresher negotiation, refreshes at half the interval, and BYE when a session expires.
 */

/** The option tag of RFC 4028 (§3). */
export const OPTION_TIMER = 'timer';
/** No Session-Expires or Min-SE may be below 90 s (RFC 4028 §4, §5). */
export const MIN_SE_FLOOR = 90;

/** Session timer options of a user agent. */
export interface SessionTimerOptions {
  /** The Session-Expires we ask for as UAC and offer as UAS when the caller did not (default 1800 s, §4). */
  expires?: number;
  /** Our Min-SE: shorter requested intervals get 422 (default and floor 90 s, §5). */
  minSE?: number;
  /** How we refresh (default re-INVITE with the unchanged SDP; UPDATE when the peer allows it, §7.4). */
  refreshMethod?: 'INVITE' | 'UPDATE';
}

/** A parsed Session-Expires header (RFC 4028 §4): `delta-seconds *(;se-params)`. */
export interface SessionExpires {
  delta: number;
  refresher: 'uac' | 'uas' | undefined;
}

/** Parses Session-Expires (`x` compact form too); `undefined` when absent, `'bad'` when malformed. */
export function parseSessionExpires(m: SipRequest | SipResponse): SessionExpires | undefined | 'bad' {
  const v = m.get('session-expires') ?? m.get('x');
  if (v === undefined) return undefined;
  const match = /^\s*(\d{1,10})\s*((?:;[^;]*)*)$/.exec(v);
  if (!match) return 'bad';
  const delta = Number(match[1]);
  const r = /;\s*refresher\s*=\s*(uac|uas)\b/i.exec(match[2] ?? '');
  return { delta, refresher: r ? (r[1]!.toLowerCase() as 'uac' | 'uas') : undefined };
}

/** Parses Min-SE (RFC 4028 §5); `undefined` when absent or malformed. */
export function parseMinSE(m: SipRequest | SipResponse): number | undefined {
  const v = m.get('min-se');
  const match = v === undefined ? null : /^\s*(\d{1,10})\s*(?:;.*)?$/.exec(v);
  return match ? Number(match[1]) : undefined;
}

function supportsTimer(m: SipRequest | SipResponse): boolean {
  try {
    return m.supported.includes(OPTION_TIMER) || m.require.includes(OPTION_TIMER);
  } catch {
    return false;
  }
}

/** Resolved options. */
export function sessionTimerConfig(o: SessionTimerOptions = {}): Required<SessionTimerOptions> {
  const minSE = Math.max(MIN_SE_FLOOR, o.minSE ?? MIN_SE_FLOOR);
  return { minSE, expires: Math.max(minSE, o.expires ?? 1800), refreshMethod: o.refreshMethod ?? 'INVITE' };
}

/** What a UAS does with an INVITE's session timer request (§9). */
export type UasTimerDecision =
  | { kind: 'reject'; status: 400 | 422; headers: [string, string][] }
  | { kind: 'none' }
  | { kind: 'use'; interval: number; weRefresh: boolean; headers: [string, string][] };

/**
 * The UAS side of an INVITE (RFC 4028 §9): a malformed Session-Expires → 400; one below our Min-SE → 422
 * with our Min-SE; otherwise the interval and refresher for the 2xx (`refresher` kept when the UAC chose,
 * else `uac` when it supports timers, `uas` when not) with `Require: timer` when the UAC supports them.
 */
export function uasSessionTimer(req: SipRequest, cfg: Required<SessionTimerOptions>): UasTimerDecision {
  const se = parseSessionExpires(req);
  if (se === 'bad') return { kind: 'reject', status: 400, headers: [] };
  const supported = supportsTimer(req);
  if (se === undefined && !supported) return { kind: 'none' };
  if (se !== undefined && se.delta < cfg.minSE) {
    return { kind: 'reject', status: 422, headers: [['Min-SE', String(cfg.minSE)]] };
  }
  const interval = se?.delta ?? cfg.expires;
  const refresher = se?.refresher ?? (supported ? 'uac' : 'uas');
  const headers: [string, string][] = [['Session-Expires', `${interval};refresher=${refresher}`]];
  if (supported) headers.push(['Require', OPTION_TIMER]);
  return { kind: 'use', interval, weRefresh: refresher === 'uas', headers };
}

/** The headers of an INVITE we send (§7.1): Supported is added by the caller; Session-Expires and Min-SE. */
export function uacSessionHeaders(expires: number, minSE: number): [string, string][] {
  return [
    ['Session-Expires', String(expires)],
    ['Min-SE', String(minSE)],
  ];
}

/** The UAC side of a 2xx (§7.2): the interval and whether we refresh, or undefined (no session timer). */
export function uacSessionTimer(res: SipResponse): { interval: number; weRefresh: boolean } | undefined {
  const se = parseSessionExpires(res);
  if (se === undefined || se === 'bad' || se.delta <= 0) return undefined;
  // §7.2: a 2xx without a refresher parameter leaves the refreshing to the UAC
  return { interval: se.delta, weRefresh: se.refresher !== 'uas' };
}

/**
 * The INVITE to send again after a 422 (§7.4): Session-Expires raised to the 422's Min-SE (and Min-SE set to
 * it), CSeq incremented, same Call-ID and tags; undefined when the 422 carries no usable Min-SE.
 */
export function retryAfter422(req: SipRequest, res: SipResponse): SipRequest | undefined {
  const min = parseMinSE(res);
  const cur = parseSessionExpires(req);
  if (min === undefined || min < MIN_SE_FLOOR) return undefined;
  if (cur !== undefined && cur !== 'bad' && cur.delta >= min) return undefined; // nothing to raise: no loop
  const n = createRequest({
    method: req.method,
    uri: req.uri,
    from: req.get('from') ?? '',
    to: req.get('to') ?? '',
    callId: req.callId ?? '',
    cseq: (req.cseq?.seq ?? 1) + 1,
  });
  for (const h of req.headers) {
    const k = h.name.toLowerCase();
    if (['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'session-expires', 'x', 'min-se'].includes(k))
      continue;
    n.add(h.name, h.value);
  }
  n.add('Session-Expires', String(min));
  n.add('Min-SE', String(min));
  n.body = req.body;
  return n;
}

/** What a {@link SessionTimer} does when it fires. */
export interface SessionTimerHooks {
  /** Sends a refresh (re-INVITE or UPDATE with Session-Expires); resolves with its 2xx or undefined. */
  refresh(interval: number): Promise<SipResponse | undefined>;
  /** The session expired (no refresh from the peer, or ours failed): end the call with BYE. */
  expire(): void;
}

/**
 * The running session timer of one call (RFC 4028 §10): the refresher refreshes at half the interval; the other
 * side sends BYE when no refresh arrived by the expiry minus min(32 s, interval/3). A failed refresh (non-2xx
 * or no answer) leaves the expiry armed, so the refresher also sends BYE when its session expires.
 */
export class SessionTimer {
  private refreshAt: TimerId | undefined;
  private expireAt: TimerId | undefined;
  private stopped = false;
  /** Current interval (s) and role. */
  interval: number;
  weRefresh: boolean;

  constructor(
    private readonly loop: Loop,
    interval: number,
    weRefresh: boolean,
    private readonly hooks: SessionTimerHooks,
  ) {
    this.interval = interval;
    this.weRefresh = weRefresh;
    this.arm();
  }

  /** A successful refresh either way (a 2xx to ours, or the peer's re-INVITE/UPDATE answered 2xx). */
  refreshed(interval: number, weRefresh: boolean): void {
    if (this.stopped) return;
    this.interval = interval;
    this.weRefresh = weRefresh;
    this.arm();
  }

  private arm(): void {
    this.clear();
    const ms = this.interval * 1000;
    if (this.weRefresh) {
      // §10: the refresher sends the refresh at half the session interval
      this.refreshAt = this.loop.after(ms / 2, () => {
        this.refreshAt = undefined;
        void this.hooks.refresh(this.interval).then((res) => {
          if (!res || this.stopped) return;
          const t = uacSessionTimer(res);
          this.refreshed(t?.interval ?? this.interval, t?.weRefresh ?? true);
        });
      });
      this.expireAt = this.loop.after(ms, () => this.fire());
    } else {
      // §10: BYE at expiry minus min(32, interval/3) when no refresh came
      this.expireAt = this.loop.after(ms - Math.min(32_000, ms / 3), () => this.fire());
    }
  }

  private fire(): void {
    this.expireAt = undefined;
    if (this.stopped) return;
    this.stop();
    this.hooks.expire();
  }

  private clear(): void {
    if (this.refreshAt !== undefined) this.loop.cancel(this.refreshAt);
    if (this.expireAt !== undefined) this.loop.cancel(this.expireAt);
    this.refreshAt = undefined;
    this.expireAt = undefined;
  }

  /** The call ended: no more refreshes or expiry. */
  stop(): void {
    this.stopped = true;
    this.clear();
  }
}
