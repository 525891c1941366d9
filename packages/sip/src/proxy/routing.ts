import type { SipRequest } from '../message/message.js';
import type { Via } from '../message/views.js';
import { stripBrackets, type Uri } from '../uri/uri.js';

/**
 * Loop-detection part of a proxy's branch (RFC 3261 §16.6 item 8), computed on the request as received: a request
 * that comes back with the same Request-URI, tags, Call-ID, CSeq number, Proxy-Require and Route set carries our
 * Via with this value (a loop, 482); one that an element changed on the way (a spiral) does not. The topmost Via
 * is left out: in a loop through other elements it is theirs, never the same twice, and would hide every loop.
 */
export function loopHash(req: SipRequest): string {
  const h = new FieldHash();
  h.update(req.uri);
  h.update(req.from?.tag ?? '');
  h.update(req.to?.tag ?? '');
  h.update(req.callId ?? '');
  h.update(String(req.cseq?.seq ?? ''));
  for (const r of req.getAll('proxy-require')) h.update(r);
  h.update('');
  for (const r of req.getAll('route')) h.update(r);
  return h.hex();
}

/**
 * A 64-bit non-cryptographic hash of a sequence of fields (two FNV-1a lanes with different offsets, every field
 * ended by a separator). Loop detection and stateless branches need a value that is the same for the same
 * request and differs when a field changes (RFC 3261 §16.6 item 8, §16.11), not one that resists forgery: a
 * forged collision only makes its sender's own request look looped. It costs no crypto object per request.
 */
class FieldHash {
  private a = 0x811c9dc5;
  private b = 0x050c5d1f;

  update(s: string): void {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
    }
    this.a = Math.imul(a ^ 0xff, 0x01000193);
    this.b = Math.imul(b ^ 0xff, 0x01000193) ^ (b >>> 15);
  }

  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}

/**
 * Who a proxy is: its `host:port`s (from its transports) and the domains it is responsible for. Answers the
 * questions of RFC 3261 §16.3–§16.5 and §16.7 step 3 (is this URI, Route entry or Via ours?).
 */
export class ProxyIdentity {
  private readonly own = new Set<string>();
  private readonly domains: string[];

  /** `hostPorts`: `host:port` of every transport (IPv6 without brackets); `domains`: names we serve. */
  constructor(hostPorts: Iterable<string>, domains: readonly string[] = []) {
    for (const hp of hostPorts) this.own.add(hp.toLowerCase());
    this.domains = domains.map((d) => d.toLowerCase());
  }

  /** Whether a URI names this proxy: one of its `host:port`s or, for a domain and no explicit port, the domain. */
  isUs(u: Uri): boolean {
    if (u.kind !== 'sip') return false;
    const host = stripBrackets(u.host).toLowerCase();
    if (u.port === undefined && this.domains.includes(host)) return true;
    const p = u.port ?? (u.scheme === 'sips' ? 5061 : 5060);
    return this.own.has(`${host}:${p}`);
  }

  /** Whether the Request-URI is in a domain we are responsible for (the router decides its targets, §16.5). */
  isOurDomain(u: Uri): boolean {
    if (u.kind !== 'sip') return false;
    return this.domains.includes(stripBrackets(u.host).toLowerCase()) || this.isUs(u);
  }

  /** Whether a Via's sent-by is ours. */
  ownsVia(v: Via): boolean {
    return this.own.has(`${stripBrackets(v.host).toLowerCase()}:${v.port ?? 5060}`);
  }

  /** §16.3 item 4: one of our Vias carries the loop hash of this request → it looped. */
  looped(req: SipRequest, hash: string): boolean {
    // Cheap screen first: a Via of ours with this hash carries `z9hG4bK<hash>.` (case as we wrote it); only then
    // are the Vias parsed to check that it is really ours (no other element's Via is parsed per request).
    const mark = `z9hG4bK${hash}.`;
    let maybe = false;
    for (const v of req.getAll('via'))
      if (v.includes(mark)) {
        maybe = true;
        break;
      }
    if (!maybe) return false;
    for (const v of req.vias) {
      if (!this.ownsVia(v)) continue;
      const b = v.branch ?? '';
      const dot = b.indexOf('.');
      if (b.startsWith('z9hG4bK') && dot > 0 && b.slice(7, dot) === hash) return true;
    }
    return false;
  }

  /** RFC 3261 §16.4: undo a strict router's rewrite, then remove our own Route entry. */
  preprocessRoute(req: SipRequest): void {
    let ruri: Uri | undefined;
    try {
      ruri = req.requestUri;
    } catch {}
    if (ruri?.kind === 'sip' && ruri.params.lr !== undefined && this.isUs(ruri)) {
      // The Request-URI is a value we placed in Record-Route: the previous hop was a strict router.
      const routes = req.getAll('route');
      const last = req.routes[req.routes.length - 1];
      if (last) {
        req.uri = last.uriText;
        req.remove('route');
        for (const r of routes.slice(0, -1)) req.add('Route', r);
      }
    }
    const first = req.routes[0];
    if (!first) return;
    let u: Uri | undefined;
    try {
      u = first.uri;
    } catch {}
    if (u && this.isUs(u)) req.removeFirst('route');
  }
}

/** RFC 3261 §16.6 item 6: when the next hop is a strict router, the Request-URI goes last in the Route set. */
export function rewriteForStrictRouter(req: SipRequest): void {
  const first = req.routes[0];
  let u: Uri | undefined;
  try {
    u = first?.uri;
  } catch {
    return;
  }
  if (!first || u?.kind !== 'sip' || u.params.lr !== undefined) return;
  const routes = req.getAll('route').slice(1);
  routes.push(`<${req.uri}>`);
  req.uri = first.uriText;
  req.remove('route');
  for (const r of routes) req.add('Route', r);
}

/** §16.6 item 3: Max-Forwards decremented, or set to 70 when absent. */
export function decrementMaxForwards(req: SipRequest): void {
  const mf = req.maxForwards;
  req.set('Max-Forwards', String(mf === undefined ? 70 : Math.max(0, mf - 1)));
}

/** The Via value a stateless element puts on a request: the branch is a function of the request (§16.11). */
export function statelessBranch(req: SipRequest, hash: string): string {
  const h = new FieldHash();
  h.update(req.get('via') ?? '');
  return `z9hG4bK${hash}.${h.hex().slice(0, 12)}`;
}
