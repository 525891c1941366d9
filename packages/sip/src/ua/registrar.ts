import type { DigestServer } from '../auth/digest.js';
import { createResponse } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { formatNameAddr } from '../message/views.js';
import { formatUri, type SipUri } from '../uri/uri.js';

/** One contact bound to an address of record (RFC 3261 §10.3). */
export interface Binding {
  /** The contact URI. */
  contact: string;
  /** Absolute expiry time (clock ms). */
  expiresAt: number;
  callId: string;
  cseq: number;
  /** Source the REGISTER came from (`address:port`). */
  source?: string;
  /** The contact's `q` value, 0–1 (RFC 3261 §10.2.1.2), when given: higher is tried first. */
  q?: number;
  /** The REGISTER's Path header values in order (RFC 3327 §5.3), to be used as Route set towards the contact. */
  path?: string[];
}

/** Options of {@link Registrar}. */
export interface RegistrarOptions {
  /** Clock in ms (the UA passes its loop's). */
  now: () => number;
  /** Digest server to authenticate REGISTER (RFC 3261 §10.3 step 3; answer 401). */
  auth?: DigestServer;
  /** Expires when the request gives none (default 3600 s). */
  defaultExpires?: number;
  /** Smallest accepted expiry (default 60 s; 423 Interval Too Brief below, §10.3 step 7). */
  minExpires?: number;
  /** Largest granted expiry (default 7200 s). */
  maxExpires?: number;
  /** Cap on bindings per AOR (default 16) and on AORs (default 100 000). */
  maxBindings?: number;
  maxAors?: number;
}

function aorKey(u: SipUri): string {
  return `${u.scheme === 'sips' ? 'sip' : u.scheme}:${(u.user ?? '').toLowerCase()}@${u.host.toLowerCase()}`;
}

/**
 * A registrar and location service (RFC 3261 §10.3): processes REGISTER (add, refresh, remove, `Contact: *`,
 * query), with digest authentication, and answers with the current bindings.
 *
 * ```ts
 * const reg = new Registrar({ now: () => loop.now() });
 * const res = reg.handle(registerRequest);   // a SipResponse to send
 * reg.lookup('sip:alice@example.com');       // current contacts
 * ```
 */
export class Registrar {
  private readonly o: RegistrarOptions;
  private readonly aors = new Map<string, Binding[]>();

  constructor(o: RegistrarOptions) {
    this.o = o;
  }

  /** Current (unexpired) bindings of an AOR, by URI text. */
  lookup(aor: string | SipUri): Binding[] {
    const key = typeof aor === 'string' ? aor.toLowerCase().replace(/^sips:/, 'sip:') : aorKey(aor);
    const now = this.o.now();
    const list = (this.aors.get(key) ?? []).filter((b) => b.expiresAt > now);
    if (list.length) this.aors.set(key, list);
    else this.aors.delete(key);
    return list;
  }

  /** Number of AORs with bindings. */
  get size(): number {
    return this.aors.size;
  }

  /** Processes a REGISTER and returns the response to send (§10.3 steps 1-8). */
  handle(req: SipRequest, source?: string): SipResponse {
    if (req.method !== 'REGISTER') throw new Error('Registrar.handle takes REGISTER requests');
    if (this.o.auth) {
      const v = this.o.auth.verify(req.getAll('authorization'), 'REGISTER');
      if (!v.ok)
        return createResponse(req, 401, { headers: v.challenges.map((c) => ['WWW-Authenticate', c] as const) });
    }
    const to = req.to;
    if (to?.uri.kind !== 'sip') return createResponse(req, 404, { reason: 'Not Found (bad AOR)' });
    const key = aorKey(to.uri);
    const now = this.o.now();
    const callId = req.callId ?? '';
    const cseq = req.cseq?.seq ?? 0;
    const minE = this.o.minExpires ?? 60;
    const maxE = this.o.maxExpires ?? 7200;
    const reqExpires = req.expires;
    let list = this.lookup(key);
    if (req.contactStar) {
      // §10.3 step 6: "*" only with Expires: 0.
      if (reqExpires !== 0) return createResponse(req, 400, { reason: 'Bad Request (Contact * needs Expires: 0)' });
      list = [];
    } else {
      for (const c of req.contacts) {
        const exp = c.expires ?? reqExpires ?? this.o.defaultExpires ?? 3600;
        if (exp !== 0 && exp < minE) {
          return createResponse(req, 423, { headers: [['Min-Expires', String(minE)]] });
        }
        const uri = c.uriText;
        const i = list.findIndex((b) => b.contact === uri);
        const prev = list[i];
        // §10.3 step 7: same Call-ID with a lower or equal CSeq is out of order.
        if (prev && prev.callId === callId && cseq <= prev.cseq) {
          return createResponse(req, 500, { reason: 'Server Internal Error (out-of-order REGISTER)' });
        }
        if (i >= 0) list.splice(i, 1);
        if (exp > 0) {
          if (list.length >= (this.o.maxBindings ?? 16))
            return createResponse(req, 503, { reason: 'Too Many Bindings' });
          const b: Binding = { contact: uri, expiresAt: now + Math.min(exp, maxE) * 1000, callId, cseq };
          if (source !== undefined) b.source = source;
          if (c.q !== undefined) b.q = c.q;
          const path = req.getAll('path');
          if (path.length) b.path = path;
          list.push(b);
        }
      }
    }
    if (list.length) {
      if (!this.aors.has(key) && this.aors.size >= (this.o.maxAors ?? 100_000)) {
        return createResponse(req, 503, { reason: 'Registrar Full' });
      }
      this.aors.set(key, list);
    } else this.aors.delete(key);
    const res = createResponse(req, 200);
    for (const b of list) {
      const secs = Math.max(0, Math.round((b.expiresAt - now) / 1000));
      res.add('Contact', formatNameAddr({ uri: b.contact, params: { expires: String(secs) } }));
    }
    // RFC 3327 §5.3: a registrar that stored a Path echoes it in the 200.
    for (const p of req.getAll('path')) res.add('Path', p);
    res.add('Date', new Date().toUTCString());
    return res;
  }
}

/** The AOR text of a SIP URI (scheme, user and host), as the registrar keys it. */
export function addressOfRecord(u: SipUri): string {
  return formatUri({
    kind: 'sip',
    scheme: u.scheme,
    ...(u.user !== undefined ? { user: u.user } : {}),
    host: u.host,
    params: {},
    headers: {},
  });
}
