import { parseUri, type Uri } from '../uri/uri.js';
import { SipParseError } from './errors.js';
import { canonicalForKey, headerKey, LAZY_LIST, LIST_HEADERS } from './header-names.js';
import { expandLists } from './lists.js';
import { type Contact, contactOf, type NameAddr, nameAddrAt, parseContact, parseNameAddr } from './name-addr.js';
import { splitList } from './scan.js';
import { parseVia, type Via, viaAt } from './via.js';
import { emptyViewCache, type ViewCache } from './view-cache.js';
import {
  type AuthParams,
  type CSeq,
  isCallIdAt,
  type MediaType,
  parseAuth,
  parseCallId,
  parseCSeq,
  parseDeltaSeconds,
  parseMaxForwards,
  parseMediaType,
  parseTokenList,
} from './views.js';

/** One header field value: the canonical name (compact forms expanded) and the unfolded value. */
export interface SipHeader {
  /** Canonical name for known headers (`Call-ID`, `Via`), the name as received for extension headers. */
  readonly name: string;
  /** The value with folding removed and surrounding whitespace trimmed. */
  readonly value: string;
}

const utf8 = new TextDecoder();
const EMPTY = new Uint8Array(0);
const utf8Enc = new TextEncoder();

/**
 * Common part of requests and responses: ordered headers (one entry per value of list headers,
 * RFC 3261 §7.3.1), the body bytes, and lazily parsed, cached typed views.
 */
export abstract class SipMessageBase {
  /** @internal names */
  declare _n: string[];
  /** @internal lower-case keys */
  declare _k: string[];
  /** @internal values */
  declare _v: string[];
  /** @internal view cache */
  declare _c: ViewCache | undefined;
  /** @internal the header text the values were sliced from (parsed messages) */
  declare _h: string;
  /** @internal offset of each value in `_h`, -1 when not a plain slice; undefined once headers change */
  declare _o: number[] | undefined;
  /** @internal the parsed octets while parseMessage runs (`_u[_ub + i]` is `_h.charCodeAt(i)`) */
  declare _u: Uint8Array | undefined;
  /** @internal */
  declare _ub: number;
  /** @internal some list headers (other than Via/Contact/Route/Record-Route) are still unsplit */
  declare _lazy: boolean;
  /** The body (may be a zero-copy view into the parsed input). */
  declare body: Uint8Array;

  constructor(names: string[] = [], keys: string[] = [], values: string[] = [], body: Uint8Array = EMPTY) {
    this._n = names;
    this._k = keys;
    this._v = values;
    this._c = undefined;
    this._h = '';
    this._o = undefined;
    this._u = undefined;
    this._ub = 0;
    this._lazy = false;
    this.body = body;
  }

  /** Splits the list headers the parser left whole (see {@link expandLists}). @internal */
  _expand(): void {
    if (this._lazy) expandLists(this);
  }

  /** Every header value, in order. */
  get headers(): SipHeader[] {
    this._expand();
    const out: SipHeader[] = [];
    for (let i = 0; i < this._n.length; i++) out.push({ name: this._n[i]!, value: this._v[i]! });
    return out;
  }

  /** First value of a header (name case-insensitive, compact forms accepted), or undefined. */
  get(name: string): string | undefined {
    const k = headerKey(name);
    if (this._lazy && LAZY_LIST.has(k)) this._expand();
    const keys = this._k;
    for (let i = 0; i < keys.length; i++) if (keys[i] === k) return this._v[i];
    return undefined;
  }

  /** Every value of a header in order (list headers already split per element). */
  getAll(name: string): string[] {
    const k = headerKey(name);
    if (this._lazy && LAZY_LIST.has(k)) this._expand();
    const keys = this._k;
    const out: string[] = [];
    for (let i = 0; i < keys.length; i++) if (keys[i] === k) out.push(this._v[i]!);
    return out;
  }

  /** Whether the header is present. */
  has(name: string): boolean {
    return this._k.indexOf(headerKey(name)) >= 0;
  }

  /** Number of values of a header. */
  count(name: string): number {
    const k = headerKey(name);
    if (this._lazy && LAZY_LIST.has(k)) this._expand();
    let n = 0;
    for (const x of this._k) if (x === k) n++;
    return n;
  }

  /** Appends a header value (list headers given as `a, b` are split into elements). */
  add(name: string, value: string | number): this {
    this._expand();
    this._insert(this._k.length, name, String(value));
    return this;
  }

  /** Inserts a header value before the first existing value of the same header (e.g. a new top Via), else appends. */
  prepend(name: string, value: string | number): this {
    this._expand();
    const i = this._k.indexOf(headerKey(name));
    this._insert(i < 0 ? this._k.length : i, name, String(value));
    return this;
  }

  /** Replaces every value of a header by `value` (at the position of the first), or appends. */
  set(name: string, value: string | number | readonly string[]): this {
    this._expand();
    const k = headerKey(name);
    const i = this._k.indexOf(k);
    this.remove(name);
    const vals = typeof value === 'object' ? value : [String(value)];
    let at = i < 0 ? this._k.length : i;
    for (const v of vals) at += this._insert(at, name, v);
    return this;
  }

  /** Removes every value of a header; returns how many were removed. */
  remove(name: string): number {
    this._expand();
    const k = headerKey(name);
    let n = 0;
    for (let i = this._k.length - 1; i >= 0; i--) {
      if (this._k[i] === k) {
        this._k.splice(i, 1);
        this._n.splice(i, 1);
        this._v.splice(i, 1);
        n++;
      }
    }
    if (n > 0) {
      this._c = undefined;
      this._o = undefined;
    }
    return n;
  }

  /** Removes the first value of a header (e.g. the top Via, RFC 3261 §8.1.3.3); returns it. */
  removeFirst(name: string): string | undefined {
    this._expand();
    const i = this._k.indexOf(headerKey(name));
    if (i < 0) return undefined;
    const v = this._v[i];
    this._k.splice(i, 1);
    this._n.splice(i, 1);
    this._v.splice(i, 1);
    this._c = undefined;
    this._o = undefined;
    return v;
  }

  /** @internal */
  _insert(at: number, name: string, value: string): number {
    this._expand();
    const k = headerKey(name);
    const canon = canonicalForKey(k) ?? name;
    const vals = LIST_HEADERS.has(k) ? splitList(value.trim()) : [value.trim()];
    for (let j = 0; j < vals.length; j++) {
      this._k.splice(at + j, 0, k);
      this._n.splice(at + j, 0, canon);
      this._v.splice(at + j, 0, vals[j]!);
    }
    this._c = undefined;
    this._o = undefined;
    return vals.length;
  }

  /** Sets the body (strings are UTF-8 encoded); Content-Type is set when given. Content-Length is computed on serialisation. */
  setBody(body: Uint8Array | string, contentType?: string): this {
    this.body = typeof body === 'string' ? utf8Enc.encode(body) : body;
    if (contentType !== undefined) this.set('Content-Type', contentType);
    return this;
  }

  /** The body decoded as UTF-8. */
  get bodyText(): string {
    return utf8.decode(this.body);
  }

  /** @internal cached view */
  _view<T>(key: string, make: () => T): T {
    const c = this._cache();
    let o = c.other;
    if (o === undefined) {
      o = {};
      c.other = o;
    }
    if (key in o) return o[key] as T;
    const v = make();
    o[key] = v;
    return v;
  }

  /** @internal */
  _cache(): ViewCache {
    let c = this._c;
    if (c === undefined) {
      c = emptyViewCache();
      this._c = c;
    }
    return c;
  }

  /** @internal first value for a lower-case long key */
  _first(key: string): string | undefined {
    if (this._lazy && LAZY_LIST.has(key)) this._expand();
    const keys = this._k;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return this._v[i];
    return undefined;
  }

  /** @internal Call-ID, scanned in the flat header text when the value is a plain slice of it */
  _callId(): string | null {
    const keys = this._k;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== 'call-id') continue;
      const v = this._v[i]!;
      const at = this._o === undefined ? -1 : this._o[i]!;
      if (at >= 0 ? isCallIdAt(this._h, at, at + v.length) : isCallIdAt(v, 0, v.length)) return v;
      return parseCallId(v);
    }
    return null;
  }

  /**
   * @internal reads Route on the parsed octets while the parser owns them (a proxy reads it on every request);
   * only the fast path, so a Route the full scanner must judge (or reject) is still read, and fails, lazily
   */
  _eagerRoutes(): void {
    const u = this._u;
    const o = this._o;
    if (u === undefined || o === undefined || (this._lazy && LAZY_LIST.has('route'))) return;
    const keys = this._k;
    const out: NameAddr[] = [];
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== 'route') continue;
      const at = o[i]!;
      const na = at < 0 ? undefined : nameAddrAt(u, this._ub, this._h, at, at + this._v[i]!.length, 'Route');
      if (na === undefined) return;
      out.push(na);
    }
    this._cache().routes = out;
  }

  /** @internal all values for a lower-case long key */
  _all(key: string): string[] {
    if (this._lazy && LAZY_LIST.has(key)) this._expand();
    const keys = this._k;
    const out: string[] = [];
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) out.push(this._v[i]!);
    return out;
  }

  /** @internal first value of a name-addr header, scanned on the parsed octets when possible */
  _nameAddr(key: string, what: string): NameAddr | null {
    if (this._lazy && LAZY_LIST.has(key)) this._expand();
    const keys = this._k;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== key) continue;
      const s = this._v[i]!;
      const u = this._u;
      const at = u === undefined || this._o === undefined ? -1 : this._o[i]!;
      return (
        (at >= 0 ? nameAddrAt(u!, this._ub, this._h, at, at + s.length, what) : undefined) ?? parseNameAddr(s, what)
      );
    }
    return null;
  }

  /** All Via values, top first (RFC 3261 §20.42). Throws SipParseError if one is malformed. */
  get vias(): Via[] {
    const c = this._cache();
    let v = c.vias;
    if (v === undefined) {
      if (this._lazy && LAZY_LIST.has('via')) this._expand();
      const keys = this._k;
      const vals = this._v;
      const o = this._o;
      const u = this._u;
      v = [];
      for (let i = 0; i < keys.length; i++) {
        if (keys[i] !== 'via') continue;
        const s = vals[i]!;
        // scan the parsed octets in place when the value is a plain slice of them
        const at = u === undefined || o === undefined ? -1 : o[i]!;
        v.push((at >= 0 ? viaAt(u!, this._ub, this._h, at, at + s.length) : undefined) ?? parseVia(s));
      }
      c.vias = v;
    }
    return v;
  }

  /** The top Via. */
  get via(): Via | undefined {
    return this.vias[0];
  }

  /** From (RFC 3261 §20.20). */
  get from(): NameAddr | undefined {
    const c = this._cache();
    let r = c.from;
    if (r === undefined) {
      r = this._nameAddr('from', 'From');
      c.from = r;
    }
    return r ?? undefined;
  }

  /** To (RFC 3261 §20.39). */
  get to(): NameAddr | undefined {
    const c = this._cache();
    let r = c.to;
    if (r === undefined) {
      r = this._nameAddr('to', 'To');
      c.to = r;
    }
    return r ?? undefined;
  }

  /** Call-ID (RFC 3261 §20.8). */
  get callId(): string | undefined {
    const c = this._cache();
    let r = c.callId;
    if (r === undefined) {
      r = this._callId();
      c.callId = r;
    }
    return r ?? undefined;
  }

  /** CSeq (RFC 3261 §20.16). */
  get cseq(): CSeq | undefined {
    const c = this._cache();
    let r = c.cseq;
    if (r === undefined) {
      const v = this._first('cseq');
      r = v === undefined ? null : parseCSeq(v);
      c.cseq = r;
    }
    return r ?? undefined;
  }

  /** Max-Forwards (RFC 3261 §20.22). */
  get maxForwards(): number | undefined {
    const c = this._cache();
    let r = c.mf;
    if (r === undefined) {
      const v = this._first('max-forwards');
      r = v === undefined ? null : parseMaxForwards(v);
      c.mf = r;
    }
    return r ?? undefined;
  }

  /** Contact values; empty for `Contact: *` (see {@link SipMessageBase.contactStar}). */
  get contacts(): Contact[] {
    const c = this._cache();
    if (c.contacts !== undefined) return c.contacts;
    c.contacts = this._contacts();
    return c.contacts;
  }

  private _contacts(): Contact[] {
    if (this._lazy && LAZY_LIST.has('contact')) this._expand();
    const keys = this._k;
    const vals = this._v;
    const o = this._o;
    const u = this._u;
    const out: Contact[] = [];
    let stars = 0;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== 'contact') continue;
      const v = vals[i]!;
      if (v === '*') {
        stars++;
        continue;
      }
      const at = u === undefined || o === undefined ? -1 : o[i]!;
      const na = at >= 0 ? nameAddrAt(u!, this._ub, this._h, at, at + v.length, 'Contact') : undefined;
      out.push(na !== undefined ? contactOf(na) : parseContact(v));
    }
    if (stars > 1 || (stars > 0 && out.length > 0))
      throw new SipParseError('bad-contact', 'Contact "*" mixed with other values');
    // `Contact: *` (RFC 3261 §10.2.2) is reported by contactStar
    return out;
  }

  /** True for `Contact: *` (REGISTER removing all bindings, RFC 3261 §10.2.2). */
  get contactStar(): boolean {
    const all = this.getAll('contact');
    return all.length === 1 && all[0] === '*';
  }

  /** Route values in order. */
  get routes(): NameAddr[] {
    // a cache slot of its own (a proxy reads Route on every request): no closure, no keyed lookup
    const c = this._cache();
    let r = c.routes;
    if (r === undefined) {
      r = this._nameAddrs('route', 'Route');
      c.routes = r;
    }
    return r;
  }

  /** @internal every value of a name-addr list header, parsed */
  _nameAddrs(key: string, what: string): NameAddr[] {
    if (this._lazy && LAZY_LIST.has(key)) this._expand();
    const keys = this._k;
    const o = this._o;
    const u = this._u;
    const out: NameAddr[] = [];
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== key) continue;
      const s = this._v[i]!;
      const at = u === undefined || o === undefined ? -1 : o[i]!;
      out.push(
        (at >= 0 ? nameAddrAt(u!, this._ub, this._h, at, at + s.length, what) : undefined) ?? parseNameAddr(s, what),
      );
    }
    return out;
  }

  /** Record-Route values in order. */
  get recordRoutes(): NameAddr[] {
    const c = this._cache();
    let r = c.rr;
    if (r === undefined) {
      r = this._nameAddrs('record-route', 'Record-Route');
      c.rr = r;
    }
    return r;
  }

  /** Content-Type. */
  get contentType(): MediaType | undefined {
    return this._view('ct', () => {
      const v = this.get('content-type');
      return v === undefined ? undefined : parseMediaType(v);
    });
  }

  /** Content-Length as written (the serializer always writes the real body length). */
  get contentLength(): number | undefined {
    const cl = this._c?.cl;
    if (cl !== undefined) return cl ?? undefined;
    const v = this.get('content-length');
    return v === undefined ? undefined : parseDeltaSeconds(v, 'Content-Length');
  }

  /** Expires in seconds (clamped to 2^32-1). */
  get expires(): number | undefined {
    return this._view('exp', () => {
      const v = this.get('expires');
      return v === undefined ? undefined : parseDeltaSeconds(v);
    });
  }

  /** Allow method list. */
  get allow(): string[] {
    return this._view('allow', () => parseTokenList(this.getAll('allow'), 'Allow'));
  }

  /** Supported option tags. */
  get supported(): string[] {
    return this._view('sup', () => parseTokenList(this.getAll('supported'), 'Supported'));
  }

  /** Require option tags. */
  get require(): string[] {
    return this._view('req', () => parseTokenList(this.getAll('require'), 'Require'));
  }

  /** Proxy-Require option tags. */
  get proxyRequire(): string[] {
    return this._view('preq', () => parseTokenList(this.getAll('proxy-require'), 'Proxy-Require'));
  }

  /** Every WWW-Authenticate challenge. */
  get wwwAuthenticate(): AuthParams[] {
    return this._view('wwwa', () => this.getAll('www-authenticate').map(parseAuth));
  }

  /** Every Proxy-Authenticate challenge. */
  get proxyAuthenticate(): AuthParams[] {
    return this._view('pa', () => this.getAll('proxy-authenticate').map(parseAuth));
  }

  /** Every Authorization credential. */
  get authorization(): AuthParams[] {
    return this._view('authz', () => this.getAll('authorization').map(parseAuth));
  }

  /** Every Proxy-Authorization credential. */
  get proxyAuthorization(): AuthParams[] {
    return this._view('pauthz', () => this.getAll('proxy-authorization').map(parseAuth));
  }
}

/** A SIP request (RFC 3261 §7.1). */
export class SipRequest extends SipMessageBase {
  /** Discriminant. */
  declare readonly kind: 'request';
  /** Method, case-sensitive (RFC 3261 §7.1). */
  declare method: string;
  /** Request-URI text. */
  declare uri: string;
  /** SIP-Version, `SIP/2.0`. */
  declare version: string;

  /**
   * @param method the method token
   * @param uri the Request-URI text
   */
  constructor(method: string, uri: string, version = 'SIP/2.0') {
    super();
    (this as { kind: 'request' }).kind = 'request';
    this.method = method;
    this.uri = uri;
    this.version = version;
  }

  /** The parsed Request-URI (cached; re-parsed when `uri` changes). */
  get requestUri(): Uri {
    const c = this._cache();
    if (c.ruri !== undefined && c.ruriText === this.uri) return c.ruri;
    const u = parseUri(this.uri);
    c.ruri = u;
    c.ruriText = this.uri;
    return u;
  }
}

/** A SIP response (RFC 3261 §7.2). */
export class SipResponse extends SipMessageBase {
  /** Discriminant. */
  declare readonly kind: 'response';
  /** Status code 100–699. */
  declare status: number;
  /** Reason-Phrase (may be empty, may contain UTF-8). */
  declare reason: string;
  /** SIP-Version, `SIP/2.0`. */
  declare version: string;

  /**
   * @param status status code 100..699
   * @param reason reason phrase
   */
  constructor(status: number, reason: string, version = 'SIP/2.0') {
    super();
    (this as { kind: 'response' }).kind = 'response';
    this.status = status;
    this.reason = reason;
    this.version = version;
  }
}

/** A request or a response. */
export type SipMessage = SipRequest | SipResponse;

/** Type guard for requests. */
export function isRequest(m: SipMessage): m is SipRequest {
  return m.kind === 'request';
}

/** Type guard for responses. */
export function isResponse(m: SipMessage): m is SipResponse {
  return m.kind === 'response';
}
