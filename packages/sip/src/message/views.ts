import { isToken, TOKEN } from '../uri/chars.js';
import { isValidHost, parseHostPort, parseUri, type Uri } from '../uri/uri.js';
import { SipParseError } from './errors.js';
import { clip, Scan } from './scan.js';

/** Header parameters: names lower-cased, quoted values unquoted, `;flag` → null. */
export type HeaderParams = Record<string, string | null>;

/** A Via value (RFC 3261 §20.42, §18.2.1 received/rport per RFC 3581). */
export interface Via {
  /** Protocol name and version, `SIP/2.0`. */
  protocol: string;
  /** Transport token, upper-cased (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, `WSS`, or an extension token). */
  transport: string;
  /** sent-by host (IPv6 with brackets). */
  host: string;
  /** sent-by port, if explicit. */
  port?: number;
  /** `branch` parameter (the RFC 3261 magic cookie `z9hG4bK` prefix is not stripped). */
  branch?: string;
  /** `received` parameter (IPv6 may come with or without brackets, RFC 5118 §4.5). */
  received?: string;
  /** `rport`: a number, or null when present without value (RFC 3581). */
  rport?: number | null;
  /** `maddr` parameter. */
  maddr?: string;
  /** `ttl` parameter. */
  ttl?: number;
  /** All parameters in order. */
  params: HeaderParams;
}

/** A name-addr or addr-spec with header parameters: From, To, Contact, Route, Record-Route, Reply-To... */
export interface NameAddr {
  /** Display name (unquoted, quoted-pairs resolved), if any. */
  displayName?: string;
  /** The parsed URI (parsed on first access; throws SipParseError when malformed). */
  readonly uri: Uri;
  /** The URI text as written. */
  uriText: string;
  /** Header parameters after the address (`tag`, `expires`, `q`, `lr` outside <>...). */
  params: HeaderParams;
  /** `tag` parameter (From/To). */
  tag?: string;
}

/** A Contact value (RFC 3261 §20.10) — a {@link NameAddr} with `expires` and `q`. */
export interface Contact extends NameAddr {
  /** `expires` parameter in seconds (clamped to 2^32-1). */
  expires?: number;
  /** `q` parameter, 0–1. */
  q?: number;
}

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

const MAX_U32 = 4294967295;

/** Parses an unsigned decimal integer with an upper bound; leading zeros allowed. Returns -1 when invalid. @internal */
export function parseUint(s: string, max = MAX_U32): number {
  if (s.length === 0) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
    if (n > max) return -1;
  }
  return n;
}

/**
 * Parses one Via value: `SIP / 2.0 / UDP host:port ;params` with LWS allowed around `/` and `:`.
 * @example parseVia('SIP/2.0/UDP [::1]:5060;branch=z9hG4bK1;rport').rport // null
 */

/** Splits `;a=b;c` (already validated by a fast regex) into lower-cased params. @internal */
export function splitSimpleParams(s: string, into: HeaderParams): void {
  const n = s.length;
  let i = 1;
  while (i < n) {
    let eq = -1;
    let upper = false;
    let j = i;
    for (; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c === 59) break;
      if (eq < 0) {
        if (c === 61) eq = j;
        else if (c >= 65 && c <= 90) upper = true;
      }
    }
    let name = eq < 0 ? s.slice(i, j) : s.slice(i, eq);
    if (upper) name = name.toLowerCase();
    into[name] = eq < 0 ? null : s.slice(eq + 1, j);
    i = j + 1;
  }
}

/**
 * Parses one Via value: `SIP / 2.0 / UDP host:port ;params` with LWS allowed around `/` and `:`.
 * @example parseVia('SIP/2.0/UDP [::1]:5060;branch=z9hG4bK1;rport').rport // null
 */
export function parseVia(value: string): Via {
  return fastVia(value, 0, value.length) ?? parseViaSlow(value);
}

/** A Via whose parameter map is built on first access. @internal */
class ViaView implements Via {
  declare protocol: string;
  declare transport: string;
  declare host: string;
  declare port?: number;
  declare branch?: string;
  declare received?: string;
  declare rport?: number | null;
  declare maddr?: string;
  declare ttl?: number;
  /** @internal raw `;a=b;c` text */
  declare _ps: string;
  declare private _p: HeaderParams | undefined;

  constructor(transport: string, host: string) {
    this.protocol = 'SIP/2.0';
    this.transport = transport;
    this.host = host;
    this._ps = '';
    this._p = undefined;
  }

  get params(): HeaderParams {
    if (this._p === undefined) {
      const p: HeaderParams = {};
      if (this._ps.length > 0) splitSimpleParams(this._ps, p);
      this._p = p;
    }
    return this._p;
  }

  set params(p: HeaderParams) {
    this._p = p;
  }

  /** Plain-object form (for JSON and logs). */
  toJSON(): Via {
    const o: Via = { protocol: this.protocol, transport: this.transport, host: this.host, params: this.params };
    if (this.port !== undefined) o.port = this.port;
    if (this.branch !== undefined) o.branch = this.branch;
    if (this.received !== undefined) o.received = this.received;
    if (this.rport !== undefined) o.rport = this.rport;
    if (this.maddr !== undefined) o.maddr = this.maddr;
    if (this.ttl !== undefined) o.ttl = this.ttl;
    return o;
  }
}

/** Param value characters of the fast paths: token chars plus ":" "[" "]" (IPv6 received/maddr). */
const PVAL = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) t[c] = TOKEN[c] ?? 0;
  t[58] = 1;
  t[91] = 1;
  t[93] = 1;
  return t;
})();

/**
 * Single-pass parse of the common Via shape `SIP/2.0/TRANSPORT host[:port](;name[=value])*` with no
 * LWS or quoting; returns undefined for anything else (the full scanner then decides).
 */
export function fastVia(v: string, s: number, n: number): Via | undefined {
  if (!v.startsWith('SIP/2.0/', s)) return undefined;
  let i = s + 8;
  let c = 0;
  let upper = true;
  while (i < n) {
    c = v.charCodeAt(i);
    if (c >= 97 && c <= 122) upper = false;
    else if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57))) break;
    i++;
  }
  if (i === s + 8 || c !== 32) return undefined;
  const transport = upper ? v.slice(s + 8, i) : v.slice(s + 8, i).toUpperCase();
  const hs = ++i;
  if (i < n && v.charCodeAt(i) === 91) {
    const e = v.indexOf(']', i);
    if (e < 0 || e >= n) return undefined;
    i = e + 1;
    if (!isValidHost(v.slice(hs, i))) return undefined;
  } else {
    // hostname rules inline (RFC 3261 §25.1): labels of alphanum and "-", no empty label, no "-" at a
    // label edge; a top label starting with a digit means an IPv4 address (checked by isValidHost)
    let prev = 46;
    let top = hs;
    while (i < n) {
      c = v.charCodeAt(i);
      if (c === 46) {
        if (prev === 46 || prev === 45) return undefined;
        top = i + 1;
      } else if (c === 45) {
        if (prev === 46) return undefined;
      } else if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57))) break;
      prev = c;
      i++;
    }
    if (i === hs || prev === 45 || i - hs > 63) return undefined;
    if (top === i) top = Math.max(hs, v.lastIndexOf('.', i - 2) + 1);
    const tc = v.charCodeAt(top);
    if (tc >= 48 && tc <= 57 && !isValidHost(v.slice(hs, i))) return undefined;
  }
  const host = v.slice(hs, i);
  const via = new ViaView(transport, host);
  c = i < n ? v.charCodeAt(i) : 0;
  if (c === 58) {
    const ps = ++i;
    let port = 0;
    while (i < n) {
      c = v.charCodeAt(i);
      if (c < 48 || c > 57) break;
      port = port * 10 + (c - 48);
      i++;
    }
    if (i === ps || i - ps > 5 || port > 65535) return undefined;
    via.port = port;
  }
  // params: validated here, kept as text (parsed into `params` on first access); the fields the
  // transaction layer needs (branch, received, rport, maddr, ttl) are picked out on the way
  const pstart = i;
  while (i < n) {
    if (v.charCodeAt(i) !== 59) return undefined;
    const ns = ++i;
    let lower = true;
    while (i < n) {
      c = v.charCodeAt(i);
      if (c >= 128 || TOKEN[c] !== 1) break;
      if (c >= 65 && c <= 90) lower = false;
      i++;
    }
    const nlen = i - ns;
    if (nlen === 0) return undefined;
    let value: string | null = null;
    let vs = -1;
    let tokenValue = true;
    if (i < n && v.charCodeAt(i) === 61) {
      vs = ++i;
      while (i < n) {
        c = v.charCodeAt(i);
        if (c >= 128 || PVAL[c] !== 1) break;
        if (c === 58 || c === 91 || c === 93) tokenValue = false;
        i++;
      }
      if (i === vs) return undefined;
    }
    if (nlen === 3 || nlen === 5 || nlen === 6 || nlen === 8) {
      const name = lower ? v.slice(ns, ns + nlen) : v.slice(ns, ns + nlen).toLowerCase();
      if (vs >= 0) value = v.slice(vs, i);
      if (name === 'branch') {
        if (value === null || !tokenValue) return undefined;
        via.branch = value;
      } else if (name === 'received') {
        if (value === null) return undefined;
        via.received = value;
      } else if (name === 'rport') {
        if (value === null) via.rport = null;
        else {
          const r = parseUint(value, 65535);
          if (r < 0) return undefined;
          via.rport = r;
        }
      } else if (name === 'maddr') {
        // a later duplicate wins, as in the parameter map
        if (value !== null) via.maddr = value;
        else delete via.maddr;
      } else if (name === 'ttl') {
        const t = value === null ? -1 : parseUint(value, 255);
        if (t < 0) return undefined;
        via.ttl = t;
      }
    }
  }
  via._ps = pstart < n ? v.slice(pstart, n) : '';
  return via;
}

/**
 * {@link fastVia} reading the octets of a parsed message (`u[base + i]` is `u[base + i]!` for a plain
 * ASCII header block): the same rules, scanned on bytes. @internal
 */
export function fastViaBytes(u: Uint8Array, base: number, v: string, s: number, n: number): Via | undefined {
  if (!v.startsWith('SIP/2.0/', s)) return undefined;
  let i = s + 8;
  let c = 0;
  let upper = true;
  while (i < n) {
    c = u[base + i]!;
    if (c >= 97 && c <= 122) upper = false;
    else if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57))) break;
    i++;
  }
  if (i === s + 8 || c !== 32) return undefined;
  const transport = upper ? v.slice(s + 8, i) : v.slice(s + 8, i).toUpperCase();
  const hs = ++i;
  if (i < n && u[base + i]! === 91) {
    const e = v.indexOf(']', i);
    if (e < 0 || e >= n) return undefined;
    i = e + 1;
    if (!isValidHost(v.slice(hs, i))) return undefined;
  } else {
    // hostname rules inline (RFC 3261 §25.1): labels of alphanum and "-", no empty label, no "-" at a
    // label edge; a top label starting with a digit means an IPv4 address (checked by isValidHost)
    let prev = 46;
    let top = hs;
    while (i < n) {
      c = u[base + i]!;
      if (c === 46) {
        if (prev === 46 || prev === 45) return undefined;
        top = i + 1;
      } else if (c === 45) {
        if (prev === 46) return undefined;
      } else if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57))) break;
      prev = c;
      i++;
    }
    if (i === hs || prev === 45 || i - hs > 63) return undefined;
    if (top === i) top = Math.max(hs, v.lastIndexOf('.', i - 2) + 1);
    const tc = u[base + top]!;
    if (tc >= 48 && tc <= 57 && !isValidHost(v.slice(hs, i))) return undefined;
  }
  const host = v.slice(hs, i);
  const via = new ViaView(transport, host);
  c = i < n ? u[base + i]! : 0;
  if (c === 58) {
    const ps = ++i;
    let port = 0;
    while (i < n) {
      c = u[base + i]!;
      if (c < 48 || c > 57) break;
      port = port * 10 + (c - 48);
      i++;
    }
    if (i === ps || i - ps > 5 || port > 65535) return undefined;
    via.port = port;
  }
  // params: validated here, kept as text (parsed into `params` on first access); the fields the
  // transaction layer needs (branch, received, rport, maddr, ttl) are picked out on the way
  const pstart = i;
  while (i < n) {
    if (u[base + i]! !== 59) return undefined;
    const ns = ++i;
    let lower = true;
    while (i < n) {
      c = u[base + i]!;
      if (c >= 128 || TOKEN[c] !== 1) break;
      if (c >= 65 && c <= 90) lower = false;
      i++;
    }
    const nlen = i - ns;
    if (nlen === 0) return undefined;
    let value: string | null = null;
    let vs = -1;
    let tokenValue = true;
    if (i < n && u[base + i]! === 61) {
      vs = ++i;
      while (i < n) {
        c = u[base + i]!;
        if (c >= 128 || PVAL[c] !== 1) break;
        if (c === 58 || c === 91 || c === 93) tokenValue = false;
        i++;
      }
      if (i === vs) return undefined;
    }
    if (nlen === 3 || nlen === 5 || nlen === 6 || nlen === 8) {
      const name = lower ? v.slice(ns, ns + nlen) : v.slice(ns, ns + nlen).toLowerCase();
      if (vs >= 0) value = v.slice(vs, i);
      if (name === 'branch') {
        if (value === null || !tokenValue) return undefined;
        via.branch = value;
      } else if (name === 'received') {
        if (value === null) return undefined;
        via.received = value;
      } else if (name === 'rport') {
        if (value === null) via.rport = null;
        else {
          const r = parseUint(value, 65535);
          if (r < 0) return undefined;
          via.rport = r;
        }
      } else if (name === 'maddr') {
        // a later duplicate wins, as in the parameter map
        if (value !== null) via.maddr = value;
        else delete via.maddr;
      } else if (name === 'ttl') {
        const t = value === null ? -1 : parseUint(value, 255);
        if (t < 0) return undefined;
        via.ttl = t;
      }
    }
  }
  via._ps = pstart < n ? v.slice(pstart, n) : '';
  return via;
}

function parseViaSlow(value: string): Via {
  const sc = new Scan(value, 'Via');
  sc.ws();
  const name = sc.token();
  if (!sc.eat(47)) throw sc.fail('expected "/"');
  sc.ws();
  const ver = sc.token();
  if (!sc.eat(47)) throw sc.fail('expected "/"');
  sc.ws();
  const transport = sc.token();
  if (name.length === 0 || ver.length === 0 || transport.length === 0) throw sc.fail('bad sent-protocol');
  sc.ws();
  // sent-by: host [ COLON port ], LWS allowed around the colon
  const s = value;
  let i = sc.i;
  const st = i;
  if (s.charCodeAt(i) === 91) {
    i = s.indexOf(']', i);
    if (i < 0) throw sc.fail('unterminated IPv6 reference');
    i++;
  } else {
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 58 || c === 59 || c === 44 || c === 32 || c === 9) break;
      i++;
    }
  }
  let hostText = s.slice(st, i);
  sc.i = i;
  if (sc.eat(58)) {
    sc.ws();
    const ps = sc.i;
    while (sc.i < s.length && s.charCodeAt(sc.i) >= 48 && s.charCodeAt(sc.i) <= 57) sc.i++;
    hostText += `:${s.slice(ps, sc.i)}`;
  }
  const hp = parseHostPort(hostText);
  if (!hp) throw sc.fail(`bad sent-by '${hostText}'`);
  const params: HeaderParams = {};
  sc.params(params, false);
  const via: Via = {
    protocol: `${name.toUpperCase()}/${ver}`,
    transport: transport.toUpperCase(),
    host: hp.host,
    params,
  };
  if (hp.port !== undefined) via.port = hp.port;
  return finishVia(via, sc);
}

function viaFail(scan: Scan | undefined, via: Via, why: string): SipParseError {
  return (scan ?? new Scan(`${via.host}`, 'Via')).fail(why);
}

function finishVia(via: Via, scan: Scan | undefined): Via {
  const params = via.params;
  const b = params.branch;
  if (b !== undefined) {
    if (b === null || !isToken(b)) throw viaFail(scan, via, 'bad branch');
    via.branch = b;
  }
  const rec = params.received;
  if (rec !== undefined) {
    if (rec === null) throw viaFail(scan, via, 'received without value');
    via.received = rec;
  }
  const rp = params.rport;
  if (rp !== undefined) {
    if (rp === null) via.rport = null;
    else {
      const n = parseUint(rp, 65535);
      if (n < 0) throw viaFail(scan, via, 'bad rport');
      via.rport = n;
    }
  }
  const m = params.maddr;
  if (typeof m === 'string') via.maddr = m;
  const t = params.ttl;
  if (t !== undefined) {
    const n = t === null ? -1 : parseUint(t, 255);
    if (n < 0) throw viaFail(scan, via, 'bad ttl');
    via.ttl = n;
  }
  return via;
}

/** Formats a {@link Via} back to a header value. */
export function formatVia(v: Pick<Via, 'transport' | 'host'> & Partial<Via>): string {
  let r = `${v.protocol ?? 'SIP/2.0'}/${v.transport} ${v.host}`;
  if (v.port !== undefined) r += `:${v.port}`;
  const params: HeaderParams = { ...(v.params ?? {}) };
  if (v.branch !== undefined) params.branch = v.branch;
  if (v.received !== undefined) params.received = v.received;
  if (v.rport !== undefined) params.rport = v.rport === null ? null : String(v.rport);
  if (v.maddr !== undefined) params.maddr = v.maddr;
  if (v.ttl !== undefined) params.ttl = String(v.ttl);
  return r + formatParams(params);
}

/** Formats header parameters (`;name=value`), quoting values that are not tokens. */
export function formatParams(params: HeaderParams): string {
  let r = '';
  for (const k in params) {
    const v = params[k];
    r += `;${k}`;
    if (v !== null && v !== undefined) {
      r += `=${isToken(v) || /^\[?[0-9a-fA-F:.]+\]?$/.test(v) ? v : `"${v.replace(/(["\\])/g, '\\$1')}"`}`;
    }
  }
  return r;
}

/**
 * Parses a name-addr / addr-spec with parameters (RFC 3261 §20.10, §20.20, §20.39):
 * `"Name" <uri>;p=v`, `Name Tokens <uri>;p`, `uri;p` (in the last form `;p` are header parameters and the
 * URI may not contain `,`, `;` or `?` — RFC 3261 §20).
 */
export function parseNameAddr(value: string, what = 'address'): NameAddr {
  let m = FAST_NAME_ADDR.exec(value);
  let uriText: string;
  let displayName: string | undefined;
  let ps: string;
  if (m !== null) {
    uriText = m[3]!;
    displayName = m[1] ?? m[2];
    ps = m[4]!;
  } else {
    m = FAST_ADDR_SPEC.exec(value);
    if (m === null) return parseNameAddrSlow(value, what);
    uriText = m[1]!;
    ps = m[2]!;
  }
  return finishNameAddr(uriText, displayName, ps, what) ?? parseNameAddrSlow(value, what);
}

/** Builds the lazy view of a fast-path name-addr; undefined when the tag needs the full scanner. */
function finishNameAddr(
  uriText: string,
  displayName: string | undefined,
  ps: string,
  what: string,
): LazyNameAddr | undefined {
  const na = new LazyNameAddr(uriText, ps, what);
  if (displayName !== undefined) na.displayName = displayName;
  const tag = ps.length > 0 ? na._param('tag') : undefined;
  if (tag !== undefined) {
    if (tag === null || !isToken(tag)) return undefined;
    na.tag = tag;
  }
  return na;
}

/**
 * Byte-level fast path of {@link parseNameAddr} for the two common shapes `<uri>;params` and
 * `"Display" <uri>;params` (display without escapes), over the octets of a parsed plain-ASCII header block
 * (`u[base + i]` is `v.charCodeAt(i)`, the value is `v.slice(s, n)`). Accepts exactly what the
 * `FAST_NAME_ADDR` pattern accepts for these shapes; returns undefined for anything else. @internal
 */
export function fastNameAddrBytes(
  u: Uint8Array,
  base: number,
  v: string,
  s: number,
  n: number,
  what: string,
): NameAddr | undefined {
  let i = s;
  let displayName: string | undefined;
  let c = i < n ? u[base + i]! : 0;
  if (c === 34) {
    const ds = ++i;
    for (;;) {
      if (i >= n) return undefined;
      c = u[base + i]!;
      if (c === 34) break;
      if (c === 92 || c === 13 || c === 10) return undefined;
      i++;
    }
    displayName = v.slice(ds, i);
    i++;
    if (i < n && u[base + i] === 32) i++;
    c = i < n ? u[base + i]! : 0;
  }
  if (c !== 60) return undefined;
  // scheme ":" 1*(any but < > " whitespace), then ">"
  const us = ++i;
  c = i < n ? u[base + i]! : 0;
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return undefined;
  i++;
  for (;;) {
    if (i >= n) return undefined;
    c = u[base + i]!;
    if (c === 58) break;
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 46 || c === 45))
      return undefined;
    i++;
  }
  const colon = i++;
  for (;;) {
    if (i >= n) return undefined;
    c = u[base + i]!;
    if (c === 62) break;
    if (c === 60 || c === 34 || c <= 32 || c >= 127) return undefined;
    i++;
  }
  if (i === colon + 1) return undefined;
  const uriText = v.slice(us, i);
  i++;
  // *( ";" 1*token-char [ "=" 1*(token-char / ":" / "[" / "]") ] ) to the end
  const ps = i;
  while (i < n) {
    if (u[base + i] !== 59) return undefined;
    const ns = ++i;
    while (i < n) {
      c = u[base + i]!;
      if (c >= 128 || TOKEN[c] !== 1) break;
      i++;
    }
    if (i === ns) return undefined;
    if (i < n && u[base + i] === 61) {
      const vs = ++i;
      while (i < n) {
        c = u[base + i]!;
        if (c >= 128 || PVAL[c] !== 1) break;
        i++;
      }
      if (i === vs) return undefined;
    }
  }
  return finishNameAddr(uriText, displayName, ps < n ? v.slice(ps, n) : '', what);
}

const PARAMS_RE = "((?:;[A-Za-z0-9\\-_.!%*+`'~]+(?:=[A-Za-z0-9\\-_.!%*+`'~:[\\]]+)?)*)";
/** `"Display" <uri>;params`, `Token Display <uri>;params` or `<uri>;params` without unusual LWS. */
const FAST_NAME_ADDR = new RegExp(
  `^(?:"([^"\\\\\\r\\n]*)" ?|([A-Za-z0-9\\-.!%*_+\`'~]+(?: [A-Za-z0-9\\-.!%*_+\`'~]+)*) ?)?<([A-Za-z][A-Za-z0-9+.\\-]*:[^<>\\s"]+)>${PARAMS_RE}$`,
);
/** `scheme:rest;params` (addr-spec form: the URI ends at the first ";", no "?", RFC 3261 §20). */
const FAST_ADDR_SPEC = new RegExp(`^([A-Za-z][A-Za-z0-9+.\\-]*:[^;,?<>\\s"]+)${PARAMS_RE}$`);

function parseNameAddrSlow(value: string, what: string): NameAddr {
  const sc = new Scan(value, what);
  sc.ws();
  let displayName: string | undefined;
  let uriText: string;
  const s = value;
  const c0 = sc.peek();
  let lt = -1;
  if (c0 === 34) {
    displayName = sc.quoted();
    sc.ws();
    if (sc.peek() !== 60) throw sc.fail('expected "<" after display name');
    lt = sc.i;
  } else if (c0 === 60) {
    lt = sc.i;
  } else {
    // token display name (tokens separated by LWS) then "<", or an addr-spec
    const a = s.indexOf('<', sc.i);
    if (a >= 0) {
      const dn = s.slice(sc.i, a).trim();
      for (const part of dn.split(/[ \t]+/)) {
        if (!isToken(part)) throw sc.fail(`display name '${clip(dn)}' must be quoted`);
      }
      displayName = dn;
      lt = a;
    }
  }
  if (lt >= 0) {
    const gt = s.indexOf('>', lt + 1);
    if (gt < 0) throw sc.fail('missing ">"');
    uriText = s.slice(lt + 1, gt);
    const f = uriText.charCodeAt(0);
    const l = uriText.charCodeAt(uriText.length - 1);
    if (f === 32 || f === 9 || l === 32 || l === 9) throw sc.fail('whitespace inside <>');
    sc.i = gt + 1;
  } else {
    const st = sc.i;
    let i = st;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 59 || c === 32 || c === 9 || c === 44) break;
      if (c === 63) throw sc.fail('addr-spec with "?" must be enclosed in <>');
      i++;
    }
    uriText = s.slice(st, i);
    sc.i = i;
  }
  if (uriText.length === 0) throw sc.fail('empty URI');
  const params: HeaderParams = {};
  sc.params(params, false);
  const na = new LazyNameAddr(uriText, params, what);
  if (displayName !== undefined) na.displayName = displayName;
  const tag = params.tag;
  if (tag !== undefined) {
    if (tag === null || !isToken(tag)) throw sc.fail('bad tag');
    na.tag = tag;
  }
  return na;
}

/** A NameAddr whose URI is parsed on first access (RFC 3261 URIs are costly and often not needed). */
class LazyNameAddr implements NameAddr {
  declare displayName?: string;
  declare uriText: string;
  declare tag?: string;
  declare expires?: number;
  declare q?: number;
  declare private u: Uri | undefined;
  declare private readonly what: string;
  /** raw `;a=b;c` text (fast path) */
  declare private _ps: string;
  declare private _p: HeaderParams | undefined;

  constructor(uriText: string, params: HeaderParams | string, what: string) {
    this.uriText = uriText;
    this.what = what;
    this.u = undefined;
    if (typeof params === 'string') {
      this._ps = params;
      this._p = undefined;
    } else {
      this._ps = '';
      this._p = params;
    }
  }

  get params(): HeaderParams {
    if (this._p === undefined) {
      const p: HeaderParams = {};
      if (this._ps.length > 0) splitSimpleParams(this._ps, p);
      this._p = p;
    }
    return this._p;
  }

  set params(p: HeaderParams) {
    this._p = p;
  }

  /** Plain-object form (for JSON and logs); the URI as text. */
  toJSON(): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    if (this.displayName !== undefined) o.displayName = this.displayName;
    o.uri = this.uriText;
    if (this.tag !== undefined) o.tag = this.tag;
    if (this.expires !== undefined) o.expires = this.expires;
    if (this.q !== undefined) o.q = this.q;
    o.params = this.params;
    return o;
  }

  /** One parameter (name lower-case) without building the whole map. @internal */
  _param(name: string): string | null | undefined {
    if (this._p !== undefined) return this._p[name];
    const s = this._ps;
    let found: string | null | undefined;
    let i = 1;
    while (i < s.length) {
      let e = s.indexOf(';', i);
      if (e < 0) e = s.length;
      let eq = s.indexOf('=', i);
      if (eq > e) eq = -1;
      const ne = eq < 0 ? e : eq;
      if (ne - i === name.length) {
        const n = s.slice(i, ne);
        if (n === name || n.toLowerCase() === name) found = eq < 0 ? null : s.slice(eq + 1, e);
      }
      i = e + 1;
    }
    return found;
  }

  get uri(): Uri {
    if (this.u === undefined) {
      try {
        this.u = parseUri(this.uriText);
      } catch (e) {
        if (e instanceof SipParseError)
          throw new SipParseError(`bad-${this.what.toLowerCase()}`, `malformed ${this.what}: ${e.message}`);
        throw e;
      }
    }
    return this.u;
  }
}

/** Parses one Contact value (not `*`): a name-addr with `expires` and `q`. */
export function parseContact(value: string): Contact {
  return contactOf(parseNameAddr(value, 'Contact'));
}

/** Reads `expires` and `q` of a parsed Contact name-addr (RFC 3261 §20.10). @internal */
export function contactOf(nameAddr: NameAddr): Contact {
  const na = nameAddr as Contact;
  const lazy = na instanceof LazyNameAddr ? na : undefined;
  const e = lazy ? lazy._param('expires') : na.params.expires;
  if (e !== undefined) {
    // delta-seconds larger than 2^32-1 are clamped (RFC 3261 §20.19 / RFC 4475 §3.1.2.4 tolerance)
    let n = e === null || e.length === 0 ? -1 : 0;
    if (e !== null) {
      for (let i = 0; i < e.length && n >= 0; i++) {
        const c = e.charCodeAt(i);
        n = c < 48 || c > 57 ? -1 : Math.min(n * 10 + (c - 48), MAX_U32);
      }
    }
    if (n < 0) throw new SipParseError('bad-contact', `bad Contact expires '${e}'`);
    na.expires = n;
  }
  const q = lazy ? lazy._param('q') : na.params.q;
  if (q !== undefined) {
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )  (RFC 3261 §25.1)
    if (q === null || !QVALUE.test(q)) throw new SipParseError('bad-contact', `bad Contact q '${q}'`);
    na.q = Number(q);
  }
  return na;
}

const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** Formats a name-addr: `"Display" <uri>;params` (the display name is quoted when needed). */
export function formatNameAddr(na: { displayName?: string; uri: string; params?: HeaderParams; tag?: string }): string {
  let r = '';
  if (na.displayName !== undefined && na.displayName.length > 0) {
    r += `"${na.displayName.replace(/(["\\])/g, '\\$1')}" `;
  }
  r += `<${na.uri}>`;
  const params: HeaderParams = { ...(na.params ?? {}) };
  if (na.tag !== undefined) params.tag = na.tag;
  return r + formatParams(params);
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
  // one pass over a table of the word characters: 1*word, at most one '@' with a word on either side
  const n = value.length;
  let at = -1;
  let ok = n > 0;
  for (let i = 0; i < n && ok; i++) {
    const c = value.charCodeAt(i);
    if (c === 64) {
      if (at >= 0 || i === 0 || i === n - 1) ok = false;
      at = i;
    } else if (c >= 128 || CALL_ID_WORD[c] !== 1) ok = false;
  }
  if (!ok) throw new SipParseError('bad-call-id', `malformed Call-ID '${clip(value)}'`);
  return value;
}

/** callid = word [ "@" word ]; word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}") */
const CALL_ID_WORD = (() => {
  const t = new Uint8Array(128);
  for (let c = 48; c <= 57; c++) t[c] = 1;
  for (let c = 65; c <= 90; c++) t[c] = 1;
  for (let c = 97; c <= 122; c++) t[c] = 1;
  for (const ch of '-.!%*_+`\'~()<>:\\"/[]?{}') t[ch.charCodeAt(0)] = 1;
  return t;
})();

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
