import { SipParseError } from '../message/errors.js';
import { allIn, escapeFor, HNVCHAR, PARAMCHAR, PASSWORD, URIC, USER, unescapeIn } from './chars.js';

/** URI parameters (`;name=value`, `;flag` → null). Names are lower-cased (RFC 3261 §19.1.4), values unescaped. */
export type UriParams = Record<string, string | null>;

/** A `sip:` or `sips:` URI (RFC 3261 §19.1.1). */
export interface SipUri {
  /** Discriminant. */
  kind: 'sip';
  /** `sip` or `sips` (lower case). */
  scheme: 'sip' | 'sips';
  /** User part, unescaped exactly once (may contain `;`, `@` from `%40`, NUL from `%00`...). */
  user?: string;
  /** Password, unescaped. */
  password?: string;
  /** Host: a hostname, an IPv4 address, or an IPv6 reference WITH its brackets (`[2001:db8::1]`). */
  host: string;
  /** Explicit port, if any. */
  port?: number;
  /** URI parameters in order (transport, user, method, ttl, maddr, lr, ...). */
  params: UriParams;
  /** URI headers (`?name=value&...`), unescaped, names as written. */
  headers: Record<string, string>;
}

/** A `tel:` URI (RFC 3966): the number and its parameters. */
export interface TelUri {
  /** Discriminant. */
  kind: 'tel';
  /** Always `tel`. */
  scheme: 'tel';
  /** The telephone-subscriber (global `+1-212-555-0101` or local number), unescaped. */
  number: string;
  /** Parameters (`phone-context`, `ext`, `isub`...), names lower-cased. */
  params: UriParams;
}

/** Any other absolute URI (RFC 3261 §25.1 absoluteURI): scheme and the opaque remainder. */
export interface AbsoluteUri {
  /** Discriminant. */
  kind: 'absolute';
  /** Scheme, lower-cased. */
  scheme: string;
  /** Everything after `scheme:`, verbatim. */
  opaque: string;
}

/** Any URI the message layer understands. */
export type Uri = SipUri | TelUri | AbsoluteUri;

function bad(text: string, why: string): SipParseError {
  return new SipParseError('bad-uri', `invalid URI '${text.length > 200 ? `${text.slice(0, 200)}…` : text}': ${why}`);
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Checks an IPv6 reference body (between brackets) per RFC 3261 §25.1 / RFC 4291 §2.2 (lenient on `:::`-style bugs, RFC 5118 §4.10). */
function validIpv6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  let colons = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 58) colons++;
    else if (!(isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46)) return false;
  }
  if (colons < 2) return false;
  const groups = s.split(':');
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (g.includes('.')) {
      if (i !== groups.length - 1 || !validIpv4(g)) return false;
    } else if (g.length > 4) return false;
  }
  return true;
}

/** True when `s` is a dotted-quad IPv4 address. */
export function validIpv4(s: string): boolean {
  const p = s.split('.');
  if (p.length !== 4) return false;
  for (const x of p) {
    if (x.length === 0 || x.length > 3) return false;
    for (let i = 0; i < x.length; i++) if (!isDigit(x.charCodeAt(i))) return false;
    if (Number(x) > 255) return false;
  }
  return true;
}

/** Validates a `host` (hostname, IPv4address, IPv6reference) of RFC 3261 §25.1. */
export function isValidHost(h: string): boolean {
  const n = h.length;
  if (n === 0) return false;
  if (h.charCodeAt(0) === 91) return h.charCodeAt(n - 1) === 93 && validIpv6(h.slice(1, -1));
  // hostname = *( domainlabel "." ) toplabel [ "." ]; labels of alphanum and "-", not starting/ending with "-"
  let labelStart = 0;
  let lastLabelStart = 0;
  let prev = 46;
  for (let i = 0; i < n; i++) {
    const c = h.charCodeAt(i);
    if (c === 46) {
      if (prev === 46 || prev === 45) return false;
      lastLabelStart = labelStart;
      labelStart = i + 1;
    } else if (c === 45) {
      if (prev === 46) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
    if (i - labelStart >= 63) return false;
    prev = c;
  }
  if (prev === 45) return false;
  const top = prev === 46 ? lastLabelStart : labelStart;
  if (isDigit(h.charCodeAt(top))) return validIpv4(prev === 46 ? h.slice(0, -1) : h);
  return true;
}

/** Parses `host[:port]` (used by URIs and Via sent-by); the port must be 0–65535. */
export function parseHostPort(s: string): { host: string; port?: number } | undefined {
  let host: string;
  let rest: string;
  if (s.charCodeAt(0) === 91) {
    const e = s.indexOf(']');
    if (e < 0) return undefined;
    host = s.slice(0, e + 1);
    rest = s.slice(e + 1);
  } else {
    const c = s.indexOf(':');
    host = c < 0 ? s : s.slice(0, c);
    rest = c < 0 ? '' : s.slice(c);
  }
  if (!isValidHost(host)) return undefined;
  if (rest.length === 0) return { host };
  if (rest.charCodeAt(0) !== 58 || rest.length < 2 || rest.length > 6) return undefined;
  let port = 0;
  for (let i = 1; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (!isDigit(c)) return undefined;
    port = port * 10 + (c - 48);
  }
  if (port > 65535) return undefined;
  return { host, port };
}

function parseParams(text: string, s: string, into: UriParams): void {
  if (s.length === 0) return;
  for (const part of s.split(';')) {
    if (part.length === 0) throw bad(text, 'empty URI parameter');
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const name = unescapeIn(rawName, PARAMCHAR);
    if (name === undefined || name.length === 0) throw bad(text, `bad parameter name '${rawName}'`);
    let value: string | null = null;
    if (eq >= 0) {
      const v = unescapeIn(part.slice(eq + 1), PARAMCHAR);
      if (v === undefined) throw bad(text, `bad value for parameter '${name}'`);
      value = v;
    }
    into[name.toLowerCase()] = value;
  }
}

/**
 * Parses a URI: `sip:`/`sips:` (RFC 3261 §19.1.1, §25.1), `tel:` (RFC 3966) or any other absolute URI.
 * Escapes are decoded exactly once. Throws {@link SipParseError} (reason `bad-uri`) on malformed input.
 *
 * @example parseUri('sip:alice@[2001:db8::1]:5070;transport=tcp').port // 5070
 */
export function parseUri(text: string): Uri {
  const colon = text.indexOf(':');
  if (colon <= 0) throw bad(text, 'no scheme');
  if (!isAlpha(text.charCodeAt(0))) throw bad(text, 'scheme must start with a letter');
  for (let i = 1; i < colon; i++) {
    const c = text.charCodeAt(i);
    if (!(isAlpha(c) || isDigit(c) || c === 43 || c === 45 || c === 46)) throw bad(text, 'bad scheme');
  }
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') {
    const fast = fastSipUri(text);
    if (fast !== undefined) return fast;
  }
  const rest = text.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') return parseSipRest(text, scheme, rest);
  if (scheme === 'tel') {
    const semi = rest.indexOf(';');
    const num = semi < 0 ? rest : rest.slice(0, semi);
    const number = unescapeIn(num, PARAMCHAR);
    if (number === undefined || number.length === 0) throw bad(text, 'bad telephone-subscriber');
    const params: UriParams = {};
    if (semi >= 0) parseParams(text, rest.slice(semi + 1), params);
    return { kind: 'tel', scheme: 'tel', number, params };
  }
  if (!allIn(rest, URIC)) throw bad(text, 'character not allowed in URI');
  return { kind: 'absolute', scheme, opaque: rest };
}

/** The common shape of a SIP URI: no escapes, no password, no headers (anything else takes the full parser). */
const FAST_SIP_URI =
  /^(sips?):(?:([A-Za-z0-9\-_.!~*'()&=+$,;?/]+)@)?((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?((?:;[A-Za-z0-9\-_.!~*'()[\]/:&+$]+(?:=[A-Za-z0-9\-_.!~*'()[\]/:&+$]+)?)*)$/;

function fastSipUri(text: string): SipUri | undefined {
  const m = FAST_SIP_URI.exec(text);
  if (m === null) return undefined;
  const host = m[3]!;
  const c0 = host.charCodeAt(0);
  if (host.length > 63 || (c0 === 91 ? !isValidHost(host) : isDigit(c0) && !validIpv4(host))) return undefined;
  const uri: SipUri = { kind: 'sip', scheme: m[1] as 'sip' | 'sips', host, params: {}, headers: {} };
  const user = m[2];
  if (user !== undefined) uri.user = user;
  const port = m[4];
  if (port !== undefined) {
    const n = Number(port);
    if (n > 65535) return undefined;
    uri.port = n;
  }
  const ps = m[5]!;
  if (ps.length > 0) {
    let i = 1;
    while (i < ps.length) {
      let e = ps.indexOf(';', i);
      if (e < 0) e = ps.length;
      const eq = ps.indexOf('=', i);
      if (eq >= 0 && eq < e) uri.params[ps.slice(i, eq).toLowerCase()] = ps.slice(eq + 1, e);
      else uri.params[ps.slice(i, e).toLowerCase()] = null;
      i = e + 1;
    }
  }
  return uri;
}

function parseSipRest(text: string, scheme: 'sip' | 'sips', rest: string): SipUri {
  const uri: SipUri = { kind: 'sip', scheme, host: '', params: {}, headers: {} };
  let p = rest;
  const at = p.indexOf('@');
  if (at >= 0) {
    const userinfo = p.slice(0, at);
    p = p.slice(at + 1);
    const pc = userinfo.indexOf(':');
    const rawUser = pc < 0 ? userinfo : userinfo.slice(0, pc);
    const user = unescapeIn(rawUser, USER);
    if (user === undefined) throw bad(text, 'bad user part');
    uri.user = user;
    if (pc >= 0) {
      const pw = userinfo.slice(pc + 1);
      const password = pw.length === 0 ? '' : unescapeIn(pw, PASSWORD);
      if (password === undefined) throw bad(text, 'bad password');
      uri.password = password;
    }
  }
  let end = p.length;
  const semi = p.indexOf(';');
  const q = p.indexOf('?');
  if (semi >= 0) end = semi;
  if (q >= 0 && q < end) end = q;
  const hp = parseHostPort(p.slice(0, end));
  if (!hp) throw bad(text, 'bad host or port');
  uri.host = hp.host;
  if (hp.port !== undefined) uri.port = hp.port;
  let tail = p.slice(end);
  let hdrs = '';
  const qi = tail.indexOf('?');
  if (qi >= 0) {
    hdrs = tail.slice(qi + 1);
    tail = tail.slice(0, qi);
    if (hdrs.length === 0) throw bad(text, 'empty headers');
  }
  if (tail.length > 0) parseParams(text, tail.slice(1), uri.params);
  if (hdrs.length > 0) {
    for (const h of hdrs.split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) throw bad(text, 'bad URI header');
      const n = unescapeIn(h.slice(0, eq), HNVCHAR);
      const v = eq + 1 === h.length ? '' : unescapeIn(h.slice(eq + 1), HNVCHAR);
      if (n === undefined || v === undefined) throw bad(text, 'bad URI header');
      uri.headers[n] = v;
    }
  }
  return uri;
}

/**
 * Non-throwing {@link parseUri}: the URI, or the {@link SipParseError} `parseUri` would throw (the `try*` rule,
 * docs/design.md).
 */
export function tryParseUri(text: string): Uri | SipParseError {
  try {
    return parseUri(text);
  } catch (e) {
    return e instanceof SipParseError ? e : new SipParseError('bad-uri', `invalid URI: ${String(e)}`);
  }
}

function formatParams(params: UriParams): string {
  let r = '';
  for (const k in params) {
    const v = params[k];
    r += `;${escapeFor(k, PARAMCHAR)}`;
    if (v !== null && v !== undefined) r += `=${escapeFor(v, PARAMCHAR)}`;
  }
  return r;
}

/**
 * Formats a URI, escaping each component as RFC 3261 §25.1 requires.
 *
 * @example formatUri({ kind: 'sip', scheme: 'sip', user: 'a b', host: 'x.org', params: {}, headers: {} }) // 'sip:a%20b@x.org'
 */
export function formatUri(uri: Uri): string {
  if (uri.kind === 'absolute') return `${uri.scheme}:${uri.opaque}`;
  if (uri.kind === 'tel') return `tel:${escapeFor(uri.number, PARAMCHAR)}${formatParams(uri.params)}`;
  let r = `${uri.scheme}:`;
  if (uri.user !== undefined) {
    r += escapeFor(uri.user, USER);
    if (uri.password !== undefined) r += `:${escapeFor(uri.password, PASSWORD)}`;
    r += '@';
  }
  r += uri.host;
  if (uri.port !== undefined) r += `:${uri.port}`;
  r += formatParams(uri.params);
  let first = true;
  for (const k in uri.headers) {
    r += `${first ? '?' : '&'}${escapeFor(k, HNVCHAR)}=${escapeFor(uri.headers[k] ?? '', HNVCHAR)}`;
    first = false;
  }
  return r;
}

const SPECIAL_PARAMS = ['user', 'ttl', 'method', 'maddr', 'transport'];

/**
 * Compares two URIs per RFC 3261 §19.1.4: user/password case-sensitive after unescaping, host and
 * parameter names case-insensitive, an explicit port never equals an absent one, `user`/`ttl`/`method`/
 * `maddr`/`transport` must agree when either side has them, other parameters only when both do,
 * and all headers must match.
 */
export function uriEquals(a: Uri | string, b: Uri | string): boolean {
  const x = typeof a === 'string' ? tryParseUri(a) : a;
  const y = typeof b === 'string' ? tryParseUri(b) : b;
  if (x instanceof SipParseError || y instanceof SipParseError) return false;
  if (x.kind !== y.kind || x.scheme !== y.scheme) return false;
  if (x.kind === 'absolute' && y.kind === 'absolute') return x.opaque === y.opaque;
  if (x.kind === 'tel' && y.kind === 'tel') {
    const strip = (n: string) => n.replace(/[-.()]/g, '');
    return strip(x.number) === strip(y.number) && paramsEqual(x.params, y.params, true);
  }
  if (x.kind !== 'sip' || y.kind !== 'sip') return false;
  if (x.user !== y.user || x.password !== y.password) return false;
  if (x.host.toLowerCase() !== y.host.toLowerCase() || x.port !== y.port) return false;
  if (!paramsEqual(x.params, y.params, false)) return false;
  const hx = Object.keys(x.headers);
  const hy = Object.keys(y.headers);
  if (hx.length !== hy.length) return false;
  const lower = (h: Record<string, string>) => {
    const m = new Map<string, string>();
    for (const k in h) m.set(k.toLowerCase(), h[k] ?? '');
    return m;
  };
  const mx = lower(x.headers);
  const my = lower(y.headers);
  for (const [k, v] of mx) if (my.get(k) !== v) return false;
  return true;
}

function paramsEqual(a: UriParams, b: UriParams, all: boolean): boolean {
  const eqv = (u: string | null | undefined, v: string | null | undefined) =>
    u === v || (typeof u === 'string' && typeof v === 'string' && u.toLowerCase() === v.toLowerCase());
  for (const k in a) {
    if (k in b) {
      if (!eqv(a[k], b[k])) return false;
    } else if (all || SPECIAL_PARAMS.includes(k)) return false;
  }
  for (const k in b) if (!(k in a) && (all || SPECIAL_PARAMS.includes(k))) return false;
  return true;
}

/** Removes IPv6 reference brackets: `[::1]` → `::1`; other hosts unchanged. */
export function stripBrackets(host: string): string {
  return host.charCodeAt(0) === 91 && host.charCodeAt(host.length - 1) === 93 ? host.slice(1, -1) : host;
}
