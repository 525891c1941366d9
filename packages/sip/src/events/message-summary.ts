import { EventBodyError, MAX_EVENT_BODY } from './event-body-error.js';

/**
 * The `message-summary` event package (RFC 3842, message waiting indication): its body
 * `application/simple-message-summary` (§5.2), built and parsed.
 *
 * ```text
 * Messages-Waiting: yes
 * Message-Account: sip:alice@vmail.example.com
 * Voice-Message: 2/8 (0/2)
 * ```
 */

/** The Content-Type of a message summary (RFC 3842 §5.2). */
export const MESSAGE_SUMMARY_TYPE = 'application/simple-message-summary';

/** The counts of one message-context class (RFC 3842 §5.2 `msg-summary-line`, classes of RFC 3458 §4.1). */
export interface MessageCounts {
  /** The message-context class, lower case: `voice-message`, `fax-message`, `pager-message`, `multimedia-message`, `text-message`, `none`. */
  context: string;
  /** New (unread) messages. */
  newMessages: number;
  /** Old (read) messages. */
  oldMessages: number;
  /** New urgent messages (the optional `(new/old)` pair). */
  newUrgent?: number;
  /** Old urgent messages. */
  oldUrgent?: number;
}

/** A message summary (RFC 3842 §5.2). */
export interface MessageSummary {
  /** `Messages-Waiting: yes|no`. */
  waiting: boolean;
  /** `Message-Account` (the mailbox URI), when present. */
  account?: string;
  /** One entry per `msg-summary-line`, in body order. */
  messages: MessageCounts[];
  /** Optional message headers after the blank line (`opt-msg-headers`, §5.2), e.g. `Subject`. */
  headers?: [string, string][];
}

const MAX_COUNT = 4_294_967_295;
const CONTEXT = /^(voice|fax|pager|multimedia|text)-message$|^none$/i;

/** Builds an `application/simple-message-summary` body (RFC 3842 §5.2); lines end in CRLF. */
export function buildMessageSummary(s: MessageSummary): string {
  const lines = [`Messages-Waiting: ${s.waiting ? 'yes' : 'no'}`];
  if (s.account !== undefined) lines.push(`Message-Account: ${s.account}`);
  for (const m of s.messages) {
    if (!CONTEXT.test(m.context)) throw new RangeError(`message-context class ${m.context} is not one of RFC 3458's`);
    const name = m.context.toLowerCase().replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());
    let line = `${name}: ${count(m.newMessages)}/${count(m.oldMessages)}`;
    if (m.newUrgent !== undefined || m.oldUrgent !== undefined)
      line += ` (${count(m.newUrgent ?? 0)}/${count(m.oldUrgent ?? 0)})`;
    lines.push(line);
  }
  let body = `${lines.join('\r\n')}\r\n`;
  if (s.headers?.length) {
    body += '\r\n';
    for (const [k, v] of s.headers) {
      if (!/^[A-Za-z0-9!%*_+`'~.-]+$/.test(k) || /[\r\n]/.test(v)) throw new RangeError(`bad message header ${k}`);
      body += `${k}: ${v}\r\n`;
    }
  }
  return body;
}

function count(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_COUNT) throw new RangeError(`message count ${n} is not a 32-bit count`);
  return n;
}

/**
 * Reads an `application/simple-message-summary` body (RFC 3842 §5.2) tolerantly: header names are
 * case-insensitive, LF or CRLF line ends, unknown lines skipped; `Messages-Waiting` is required.
 * Returns an {@link EventBodyError} (never throws) when the body is not a message summary.
 */
export function tryParseMessageSummary(body: string): MessageSummary | EventBodyError {
  if (body.length > MAX_EVENT_BODY) return new EventBodyError('message-summary', 'body too large');
  const lines = body.split(/\r?\n/);
  let waiting: boolean | undefined;
  let account: string | undefined;
  const messages: MessageCounts[] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') {
      if (waiting !== undefined) break; // the blank line before opt-msg-headers
      continue;
    }
    const c = line.indexOf(':');
    if (c <= 0) continue;
    const name = line.slice(0, c).trim().toLowerCase();
    const value = line.slice(c + 1).trim();
    if (name === 'messages-waiting') {
      const v = value.toLowerCase();
      if (v !== 'yes' && v !== 'no') return new EventBodyError('message-summary', `Messages-Waiting: ${value}`);
      waiting = v === 'yes';
    } else if (name === 'message-account') {
      account = value.replace(/^<(.*)>$/, '$1');
    } else if (CONTEXT.test(name)) {
      const m = /^(\d{1,10})\s*\/\s*(\d{1,10})(?:\s*\(\s*(\d{1,10})\s*\/\s*(\d{1,10})\s*\))?/.exec(value);
      if (!m) continue;
      const n = m.slice(1).map((x) => (x === undefined ? undefined : Number(x)));
      if (n.some((x) => x !== undefined && x > MAX_COUNT)) continue;
      const e: MessageCounts = { context: name, newMessages: n[0]!, oldMessages: n[1]! };
      if (n[2] !== undefined) e.newUrgent = n[2];
      if (n[3] !== undefined) e.oldUrgent = n[3];
      messages.push(e);
    }
  }
  if (waiting === undefined) return new EventBodyError('message-summary', 'no Messages-Waiting line');
  const out: MessageSummary = { waiting, messages };
  if (account !== undefined) out.account = account;
  const headers: [string, string][] = [];
  for (i++; i < lines.length && headers.length < 64; i++) {
    const line = lines[i]!;
    const c = line.indexOf(':');
    if (c > 0) headers.push([line.slice(0, c).trim(), line.slice(c + 1).trim()]);
  }
  if (headers.length) out.headers = headers;
  return out;
}

/** Reads a message summary (RFC 3842 §5.2); throws {@link EventBodyError} when it is not one. */
export function parseMessageSummary(body: string): MessageSummary {
  const r = tryParseMessageSummary(body);
  if (r instanceof EventBodyError) throw r;
  return r;
}
