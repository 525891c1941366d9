import { isToken } from '../uri/chars.js';
import { parseUri, type Uri } from '../uri/uri.js';
import { SipParseError } from './errors.js';
import {
  formatParams,
  type HeaderParams,
  MAX_U32,
  scratchBytes,
  simpleParamsAt,
  splitSimpleParams,
  TOKEN8,
  toScratch,
} from './params.js';
import { clip, Scan } from './scan.js';

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

/**
 * Parses a name-addr / addr-spec with parameters (RFC 3261 §20.10, §20.20, §20.39):
 * `"Name" <uri>;p=v`, `Name Tokens <uri>;p`, `uri;p` (in the last form `;p` are header parameters and the
 * URI may not contain `,`, `;` or `?` — RFC 3261 §20).
 */
export function parseNameAddr(value: string, what = 'address'): NameAddr {
  return (
    (toScratch(value) ? nameAddrAt(scratchBytes(), 0, value, 0, value.length, what) : undefined) ??
    parseNameAddrSlow(value, what)
  );
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

/** Octets of a URI inside `<>` on the fast path: any but `<` `>` `"`, controls, SP, DEL and non-ASCII. */
const URI_IN_ANGLE = (() => {
  const t = new Uint8Array(256);
  for (let c = 33; c < 127; c++) t[c] = 1;
  t[60] = 0;
  t[62] = 0;
  t[34] = 0;
  return t;
})();

/** End of `scheme ":"` at `i` (scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), or -1. */
function schemeEnd(u: Uint8Array, base: number, i: number, n: number): number {
  let c = i < n ? u[base + i]! : 0;
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return -1;
  i++;
  for (;;) {
    if (i >= n) return -1;
    c = u[base + i]!;
    if (c === 58) return i;
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 46 || c === 45))
      return -1;
    i++;
  }
}

/** End of `token *( SP token )` at `i` (a display name of tokens, one space apart); `i` when none. */
function tokenWordsEnd(u: Uint8Array, base: number, i: number, n: number): number {
  const s = i;
  let e = i;
  while (i < n) {
    const c = u[base + i]!;
    if (TOKEN8[c] === 1) e = ++i;
    else if (c === 32 && e === i && e > s && i + 1 < n && TOKEN8[u[base + i + 1]!] === 1) i++;
    else break;
  }
  return e;
}

/** addr-spec form `scheme:rest;params` (the URI ends at the first ";", no "?" or ",", RFC 3261 §20). */
function addrSpecAt(u: Uint8Array, base: number, v: string, s: number, n: number, what: string) {
  let i = schemeEnd(u, base, s, n);
  if (i < 0) return undefined;
  const colon = i++;
  while (i < n) {
    const c = u[base + i]!;
    if (c <= 32 || c >= 127 || c === 59 || c === 44 || c === 63 || c === 60 || c === 62 || c === 34) break;
    i++;
  }
  if (i === colon + 1 || !simpleParamsAt(u, base, i, n)) return undefined;
  return finishNameAddr(v.slice(s, i), undefined, i < n ? v.slice(i, n) : '', what);
}

/**
 * The one fast path of name-addr / addr-spec, on octets (`u[base + i]` is `v.charCodeAt(i)` for
 * `s ≤ i < n`): `"Display" <uri>;params` (no escapes), `Token Display <uri>;params`, `<uri>;params` and
 * `uri;params`, with simple parameters and no unusual LWS. Returns undefined for anything else (the full
 * scanner then decides). @internal
 */
export function nameAddrAt(
  u: Uint8Array,
  base: number,
  v: string,
  s: number,
  n: number,
  what: string,
): LazyNameAddr | undefined {
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
  } else if (c !== 60) {
    const e = tokenWordsEnd(u, base, i, n);
    const d = e < n ? u[base + e]! : 0;
    if (e === i || !(d === 60 || (d === 32 && e + 1 < n && u[base + e + 1] === 60)))
      return addrSpecAt(u, base, v, s, n, what);
    displayName = v.slice(i, e);
    i = d === 32 ? e + 1 : e;
    c = 60;
  }
  if (c !== 60) return undefined;
  // scheme ":" 1*(any but < > " whitespace), then ">"
  const us = ++i;
  const colon = schemeEnd(u, base, i, n);
  if (colon < 0) return undefined;
  i = colon + 1;
  while (i < n) {
    c = u[base + i]!;
    if (URI_IN_ANGLE[c] !== 1) break;
    i++;
  }
  if (i >= n || c !== 62 || i === colon + 1) return undefined;
  const uriText = v.slice(us, i);
  i++;
  if (!simpleParamsAt(u, base, i, n)) return undefined;
  return finishNameAddr(uriText, displayName, i < n ? v.slice(i, n) : '', what);
}

/** The full name-addr scanner (quoted-pairs, LWS anywhere RFC 3261 §25.1 allows it, quoted parameters). */
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

/** Parses one Contact value (not `*`): a name-addr with `expires` and `q`. */
export function parseContact(value: string): Contact {
  return contactOf(parseNameAddr(value, 'Contact'));
}

const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

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
