import type { SipRequest } from '../message/message.js';

/**
 * DTMF over SIP INFO (the `application/dtmf-relay` body used by Cisco, Asterisk, FreeSWITCH and most phones:
 * `Signal=5` and `Duration=160` lines; and the bare `application/dtmf` body: one digit), surfaced as the call's
 * `dtmf` event in the shape of the media session's RFC 4733 event.
 */

/** A DTMF digit from the peer: by SIP INFO or from the media (RFC 4733 telephone-events). */
export interface CallDtmf {
  /** `0`-`9`, `*`, `#`, `A`-`D`. */
  digit: string;
  durationMs: number;
  source: 'info' | 'rfc4733';
}

const DIGIT = /^[0-9*#A-D]$/;
/** Events 10/11 are `*`/`#` in RFC 4733 §3.2 numbering, which some phones put in Signal=. */
const EVENT_DIGITS = '0123456789*#ABCD';
const DEFAULT_DURATION_MS = 250;

/** Whether an INFO carries DTMF (by its Content-Type). */
export function isDtmfInfo(req: SipRequest): boolean {
  const ct = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return ct === 'application/dtmf-relay' || ct === 'application/dtmf';
}

/** Parses the DTMF of an INFO; undefined when the body names no valid digit (→ 400). */
export function parseDtmfInfo(req: SipRequest): CallDtmf | undefined {
  const ct = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const body = req.bodyText.slice(0, 512);
  if (ct === 'application/dtmf') {
    const d = body.trim().toUpperCase();
    const digit = DIGIT.test(d) ? d : /^\d{1,2}$/.test(d) && Number(d) < 16 ? EVENT_DIGITS[Number(d)]! : undefined;
    return digit ? { digit, durationMs: DEFAULT_DURATION_MS, source: 'info' } : undefined;
  }
  let digit: string | undefined;
  let durationMs = DEFAULT_DURATION_MS;
  for (const line of body.split(/\r?\n/)) {
    const m = /^\s*(signal|duration)\s*=\s*(\S+)\s*$/i.exec(line);
    if (!m) continue;
    const v = m[2]!;
    if (m[1]!.toLowerCase() === 'signal') {
      const u = v.toUpperCase();
      digit = DIGIT.test(u) ? u : /^\d{1,2}$/.test(u) && Number(u) < 16 ? EVENT_DIGITS[Number(u)] : undefined;
    } else if (/^\d{1,6}$/.test(v)) durationMs = Number(v);
  }
  return digit ? { digit, durationMs, source: 'info' } : undefined;
}

/** The `application/dtmf-relay` body for one digit. */
export function dtmfRelayBody(digit: string, durationMs: number): string {
  return `Signal=${digit}\r\nDuration=${Math.round(durationMs)}\r\n`;
}
