import { isToken, TOKEN, WORD } from '../uri/chars.js';
import { SipParseError } from './errors.js';
import { type HeaderParams, MAX_U32, parseUint } from './params.js';
import { clip, Scan } from './scan.js';

export { type Contact, contactOf, formatNameAddr, type NameAddr, parseContact, parseNameAddr } from './name-addr.js';
export { formatParams, type HeaderParams, parseUint, splitSimpleParams } from './params.js';
export { formatVia, parseVia, type Via } from './via.js';

/** CSeq (RFC 3261 §20.16). */
export interface CSeq {
  /** Sequence number, 0 … 2^32-1. */
  seq: number;
  /** Method (case-sensitive). */
  method: string;
}

/** A media type (Content-Type, Accept). */
export interface MediaType {
  /** Type, lower-cased. */
  type: string;
  /** Subtype, lower-cased. */
  subtype: string;
  /** Parameters. */
  params: HeaderParams;
}

/** Credentials or a challenge (Authorization, Proxy-Authorization, WWW-Authenticate, Proxy-Authenticate; RFC 3261 §25.1, RFC 7616). */
export interface AuthParams {
  /** Scheme as written (`Digest`, or an unknown scheme). */
  scheme: string;
  /** Parameters, names lower-cased, quoted values unquoted. */
  params: Record<string, string>;
}

/** Parses CSeq: `1*DIGIT LWS Method`, the number at most 2^32-1 (RFC 3261 §8.1.1.5, RFC 4475 §3.1.2.4). */
export function parseCSeq(value: string): CSeq {
  // fast path: `DIGITS SP token` with at most 10 digits
  const n = value.length;
  let i = 0;
  let seq = 0;
  for (; i < n && i < 11; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) break;
    seq = seq * 10 + (c - 48);
  }
  if (i > 0 && i <= 10 && seq <= MAX_U32 && i + 1 < n && value.charCodeAt(i) === 32) {
    let j = i + 1;
    for (; j < n; j++) {
      const c = value.charCodeAt(j);
      if (c >= 128 || TOKEN[c] !== 1) break;
    }
    if (j === n) return { seq, method: value.slice(i + 1) };
  }
  return parseCSeqSlow(value);
}

function parseCSeqSlow(value: string): CSeq {
  const sc = new Scan(value, 'CSeq');
  sc.ws();
  const st = sc.i;
  while (!sc.eof() && sc.peek() >= 48 && sc.peek() <= 57) sc.i++;
  const seq = parseUint(value.slice(st, sc.i));
  if (seq < 0) throw sc.fail('sequence number must be 0..2^32-1');
  const before = sc.i;
  sc.ws();
  if (sc.i === before) throw sc.fail('expected whitespace');
  const method = sc.token();
  sc.ws();
  if (method.length === 0 || !sc.eof()) throw sc.fail('bad method');
  return { seq, method };
}

/** Parses Call-ID: `word [ "@" word ]` (RFC 3261 §25.1). */
export function parseCallId(value: string): string {
  if (!isCallIdAt(value, 0, value.length)) throw new SipParseError('bad-call-id', `malformed Call-ID '${clip(value)}'`);
  return value;
}

/**
 * The one Call-ID scanner, over `v` from `s` to `n` (a value, or the flat header text it was sliced from):
 * one pass over a table of the word characters, 1*word with at most one '@' with a word on either side. @internal
 */
export function isCallIdAt(v: string, s: number, n: number): boolean {
  if (n <= s) return false;
  let at = -1;
  for (let i = s; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c === 64) {
      if (at >= 0 || i === s || i === n - 1) return false;
      at = i;
    } else if (c >= 128 || WORD[c] !== 1) return false;
  }
  return true;
}

/** Parses Max-Forwards: 0–255 (RFC 3261 §20.22). */
export function parseMaxForwards(value: string): number {
  const n = parseUint(value.trim(), 255);
  if (n < 0) throw new SipParseError('bad-max-forwards', `Max-Forwards must be 0..255, got '${clip(value)}'`);
  return n;
}

/** Parses a delta-seconds value (Expires, Min-Expires), clamped to 2^32-1. */
export function parseDeltaSeconds(value: string, what = 'Expires'): number {
  const v = value.trim();
  if (!/^\d+$/.test(v)) throw new SipParseError(`bad-${what.toLowerCase()}`, `malformed ${what} '${clip(value)}'`);
  return Math.min(Number(v), MAX_U32);
}

/** Parses a media type: `type/subtype;params` (Content-Type, Accept elements). */
export function parseMediaType(value: string): MediaType {
  const sc = new Scan(value, 'Content-Type');
  sc.ws();
  const type = sc.token();
  if (!sc.eat(47)) throw sc.fail('expected "/"');
  sc.ws();
  const subtype = sc.token();
  if (type.length === 0 || subtype.length === 0) throw sc.fail('bad media type');
  const params: HeaderParams = {};
  sc.params(params, false);
  return { type: type.toLowerCase(), subtype: subtype.toLowerCase(), params };
}

/** Parses a comma list of tokens (Allow, Supported, Require, Proxy-Require, Unsupported) from split values. */
export function parseTokenList(values: readonly string[], what: string): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v.length === 0) continue;
    if (!isToken(v)) throw new SipParseError(`bad-${what.toLowerCase()}`, `malformed ${what} element '${clip(v)}'`);
    out.push(v);
  }
  return out;
}

/**
 * Parses a challenge or credentials: `Digest realm="x", nonce="y", ...` (RFC 3261 §25.1, RFC 7616).
 * Unknown schemes are accepted (RFC 4475 §3.3.7); a token68 value is kept under the param name `token68`.
 */
export function parseAuth(value: string): AuthParams {
  const sc = new Scan(value, 'Authorization');
  sc.ws();
  const scheme = sc.token();
  if (scheme.length === 0) throw sc.fail('missing scheme');
  const params: Record<string, string> = {};
  sc.ws();
  let first = true;
  while (!sc.eof()) {
    if (!first && !sc.eat(44)) throw sc.fail('expected ","');
    first = false;
    sc.ws();
    if (sc.eof()) break;
    const name = sc.token();
    if (name.length === 0) throw sc.fail('bad auth-param');
    if (!sc.eat(61)) {
      // token68 (RFC 7235 §2.1)
      const rest = value.slice(sc.i).trim();
      params.token68 = name + rest;
      break;
    }
    sc.ws();
    let v: string;
    if (sc.peek() === 34) v = sc.quoted();
    else {
      const st = sc.i;
      while (!sc.eof() && sc.peek() !== 44 && sc.peek() !== 32 && sc.peek() !== 9) sc.i++;
      v = value.slice(st, sc.i);
    }
    params[name.toLowerCase()] = v;
    sc.ws();
  }
  return { scheme, params };
}

/** Formats challenge/credential parameters: values quoted except the RFC 7616 unquoted ones (algorithm, nc, qop in credentials, stale). */
export function formatAuth(a: AuthParams): string {
  const unquoted = new Set(['algorithm', 'nc', 'stale']);
  const parts: string[] = [];
  for (const k in a.params) {
    const v = a.params[k] ?? '';
    parts.push(unquoted.has(k) && isToken(v) ? `${k}=${v}` : `${k}="${v.replace(/(["\\])/g, '\\$1')}"`);
  }
  return `${a.scheme} ${parts.join(', ')}`;
}

const WKDAY = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
const MONTH = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses a SIP-date (RFC 3261 §25.1: rfc1123-date, always GMT) to epoch ms. */
export function parseSipDate(value: string): number {
  const m = /^(\w{3}), (\d{2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(value.trim());
  const mon = m ? MONTH.indexOf(m[3]!) : -1;
  if (!m || !WKDAY.has(m[1]!) || mon < 0 || Number(m[5]) > 23 || Number(m[6]) > 59 || Number(m[7]) > 60) {
    throw new SipParseError('bad-date', `malformed Date '${clip(value)}' (RFC 1123 date in GMT required)`);
  }
  return Date.UTC(Number(m[4]), mon, Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]));
}
