/**
 * The headers of SIP-specific event notification (RFC 6665 §8.2): Event (`o`), Subscription-State,
 * Allow-Events (`u`). Parsed here, beside the subscription logic that reads them.
 */

/** An Event header (RFC 6665 §8.2.1): the package (with template suffixes) and its `id` parameter. */
export interface EventHeader {
  /** Event type, e.g. `message-summary`, `presence.winfo`. */
  type: string;
  /** The `id` parameter (matched byte for byte, §8.2.1), when present. */
  id?: string;
}

/** The substates of Subscription-State (RFC 6665 §4.1.3). */
export type SubscriptionStateName = 'pending' | 'active' | 'terminated';

/** A Subscription-State header (RFC 6665 §8.2.3). */
export interface SubscriptionStateHeader {
  state: SubscriptionStateName;
  /** `expires` (seconds left), for pending / active. */
  expires?: number;
  /** `reason` (§4.1.3: deactivated, probation, rejected, timeout, giveup, noresource, invariant), lower case. */
  reason?: string;
  /** `retry-after` (seconds). */
  retryAfter?: number;
}

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

/** Reads an Event header value; undefined when it has no valid event type. */
export function parseEventHeader(v: string | undefined): EventHeader | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(';');
  const type = parts[0]!.trim();
  if (!TOKEN.test(type) || type.length > 128) return undefined;
  const e: EventHeader = { type };
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === 'id')
      e.id = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
  }
  return e;
}

/** Formats an Event header value. */
export function formatEventHeader(e: EventHeader): string {
  return e.id !== undefined ? `${e.type};id=${e.id}` : e.type;
}

/**
 * Whether two Event headers name the same subscription (RFC 6665 §8.2.1: the event types match and the `id`
 * parameters match, or both are absent). Event types are compared case-insensitively (tolerance); ids exactly.
 */
export function sameEvent(a: EventHeader, b: EventHeader): boolean {
  return a.type.toLowerCase() === b.type.toLowerCase() && a.id === b.id;
}

const DELTA = /^\d{1,10}$/;

/** Reads a Subscription-State value (RFC 6665 §8.2.3); undefined when its substate is missing or unknown. */
export function parseSubscriptionState(v: string | undefined): SubscriptionStateHeader | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(';');
  const state = parts[0]!.trim().toLowerCase();
  if (state !== 'active' && state !== 'pending' && state !== 'terminated') return undefined;
  const out: SubscriptionStateHeader = { state };
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const k = p.slice(0, eq).trim().toLowerCase();
    const val = p.slice(eq + 1).trim();
    if (k === 'expires' && DELTA.test(val)) out.expires = Math.min(Number(val), 0xffffffff);
    else if (k === 'retry-after' && DELTA.test(val)) out.retryAfter = Math.min(Number(val), 0xffffffff);
    else if (k === 'reason' && TOKEN.test(val)) out.reason = val.toLowerCase();
  }
  return out;
}

/** Formats a Subscription-State value. */
export function formatSubscriptionState(s: SubscriptionStateHeader): string {
  let v: string = s.state;
  if (s.state !== 'terminated' && s.expires !== undefined) v += `;expires=${s.expires}`;
  if (s.state === 'terminated' && s.reason !== undefined) v += `;reason=${s.reason}`;
  if (s.retryAfter !== undefined) v += `;retry-after=${s.retryAfter}`;
  return v;
}

/** Whether an Accept header list admits a content type (RFC 3261 §20.1: `*\/*` and `type/*` wildcards). */
export function acceptsType(accept: string[], type: string): boolean {
  const [t, s] = type.toLowerCase().split(';')[0]!.trim().split('/');
  for (const a of accept.flatMap((x) => x.split(','))) {
    const [at, as] = a.toLowerCase().split(';')[0]!.trim().split('/');
    if ((at === '*' || at === t) && (as === '*' || as === s)) return true;
  }
  return false;
}
