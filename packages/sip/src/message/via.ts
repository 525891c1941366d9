import { isToken } from '../uri/chars.js';
import { isValidHost, parseHostPort } from '../uri/uri.js';
import type { SipParseError } from './errors.js';
import {
  formatParams,
  type HeaderParams,
  PVAL,
  parseUint,
  scratchBytes,
  splitSimpleParams,
  TOKEN8,
  toScratch,
} from './params.js';
import { Scan } from './scan.js';

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

/**
 * Parses one Via value: `SIP / 2.0 / UDP host:port ;params` with LWS allowed around `/` and `:`.
 * @example parseVia('SIP/2.0/UDP [::1]:5060;branch=z9hG4bK1;rport').rport // null
 */
export function parseVia(value: string): Via {
  return (toScratch(value) ? viaAt(scratchBytes(), 0, value, 0, value.length) : undefined) ?? parseViaSlow(value);
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

/** Transports of RFC 3261 §20.42 / RFC 7118 as interned strings (no slice per message). */
function transportAt(u: Uint8Array, a: number, n: number, v: string, s: number, upper: boolean): string {
  const c0 = u[a]!;
  if (n === 3 && upper) {
    const c1 = u[a + 1]!;
    const c2 = u[a + 2]!;
    if (c0 === 85 && c1 === 68 && c2 === 80) return 'UDP';
    if (c0 === 84 && c1 === 67 && c2 === 80) return 'TCP';
    if (c0 === 84 && c1 === 76 && c2 === 83) return 'TLS';
    if (c0 === 87 && c1 === 83 && c2 === 83) return 'WSS';
  }
  const t = v.slice(s, s + n);
  return upper ? t : t.toUpperCase();
}

/** Whether the `n` octets at `a` spell `name` (lower-case ASCII) case-insensitively. */
function nameIs(u: Uint8Array, a: number, n: number, name: string): boolean {
  if (n !== name.length) return false;
  for (let i = 0; i < n; i++) if ((u[a + i]! | 32) !== name.charCodeAt(i)) return false;
  return true;
}

/** The host of a sent-by at `i`: returns its end, or -1 when the full scanner must decide (RFC 3261 §25.1). */
function hostEnd(u: Uint8Array, base: number, v: string, i: number, n: number): number {
  const hs = i;
  if (i < n && u[base + i] === 91) {
    const e = v.indexOf(']', i);
    if (e < 0 || e >= n) return -1;
    return isValidHost(v.slice(hs, e + 1)) ? e + 1 : -1;
  }
  // hostname rules inline: labels of alphanum and "-", no empty label, no "-" at a label edge; a top label
  // starting with a digit means an IPv4 address (checked by isValidHost)
  let prev = 46;
  let top = hs;
  while (i < n) {
    const c = u[base + i]!;
    if (c === 46) {
      if (prev === 46 || prev === 45) return -1;
      top = i + 1;
    } else if (c === 45) {
      if (prev === 46) return -1;
    } else if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57))) break;
    prev = c;
    i++;
  }
  if (i === hs || prev === 45 || i - hs > 63) return -1;
  if (top === i) top = Math.max(hs, v.lastIndexOf('.', i - 2) + 1);
  const tc = u[base + top]!;
  if (tc >= 48 && tc <= 57 && !isValidHost(v.slice(hs, i))) return -1;
  return i;
}

/**
 * The one fast path of Via: the common shape `SIP/2.0/TRANSPORT host[:port](;name[=value])*` with no LWS or
 * quoting, scanned on octets (`u[base + i]` is `v.charCodeAt(i)` for `s ≤ i < n`); returns undefined for
 * anything else, and the full scanner then decides. @internal
 */
export function viaAt(u: Uint8Array, base: number, v: string, s: number, n: number): Via | undefined {
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
  const transport = transportAt(u, base + s + 8, i - s - 8, v, s + 8, upper);
  const hs = ++i;
  i = hostEnd(u, base, v, i, n);
  if (i < 0) return undefined;
  const via = new ViaView(transport, v.slice(hs, i));
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
  const pstart = i;
  if (!viaParamsAt(u, base, v, i, n, via)) return undefined;
  via._ps = pstart < n ? v.slice(pstart, n) : '';
  return via;
}

/**
 * Validates the `;params` of a fast-path Via (kept as text, parsed into `params` on first access) and picks
 * out the fields the transaction layer needs (branch, received, rport, maddr, ttl; RFC 3261 §18.2, RFC 3581).
 */
function viaParamsAt(u: Uint8Array, base: number, v: string, i: number, n: number, via: ViaView): boolean {
  while (i < n) {
    if (u[base + i] !== 59) return false;
    const ns = ++i;
    let c = 0;
    while (i < n) {
      c = u[base + i]!;
      if (TOKEN8[c] !== 1) break;
      i++;
    }
    const nlen = i - ns;
    if (nlen === 0) return false;
    let vs = -1;
    let tokenValue = true;
    if (i < n && c === 61) {
      vs = ++i;
      while (i < n) {
        c = u[base + i]!;
        if (PVAL[c] !== 1) break;
        if (c === 58 || c === 91 || c === 93) tokenValue = false;
        i++;
      }
      if (i === vs) return false;
    }
    if (nlen !== 3 && nlen !== 5 && nlen !== 6 && nlen !== 8) continue;
    // which field by length and first letter, then the whole name (RFC 3261 §20.42, RFC 3581)
    const a = base + ns;
    const f = u[a]! | 32;
    let which = 0;
    if (nlen === 6) which = f === 98 && nameIs(u, a, nlen, 'branch') ? 1 : 0;
    else if (nlen === 8) which = f === 114 && nameIs(u, a, nlen, 'received') ? 2 : 0;
    else if (nlen === 5)
      which = f === 114 ? (nameIs(u, a, nlen, 'rport') ? 3 : 0) : nameIs(u, a, nlen, 'maddr') ? 4 : 0;
    else which = nameIs(u, a, nlen, 'ttl') ? 5 : 0;
    if (which === 0) continue;
    const value = vs >= 0 ? v.slice(vs, i) : null;
    if (which === 1) {
      if (value === null || !tokenValue) return false;
      via.branch = value;
    } else if (which === 2) {
      if (value === null) return false;
      via.received = value;
    } else if (which === 3) {
      if (value === null) via.rport = null;
      else {
        const r = parseUint(value, 65535);
        if (r < 0) return false;
        via.rport = r;
      }
    } else if (which === 4) {
      // a later duplicate wins, as in the parameter map
      if (value !== null) via.maddr = value;
      else delete via.maddr;
    } else {
      const t = value === null ? -1 : parseUint(value, 255);
      if (t < 0) return false;
      via.ttl = t;
    }
  }
  return true;
}

/** The full Via scanner (LWS, quoted values, any parameter syntax of RFC 3261 §25.1). */
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
