import type { DigestServer } from '../auth/digest.js';
import { createResponse } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { formatNameAddr } from '../message/views.js';
import { formatUri, type SipUri } from '../uri/uri.js';
import { type Binding, type LocationStore, MemoryLocationStore } from './location.js';

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
  /**
   * Where the bindings live (default: a {@link MemoryLocationStore} of this process). An asynchronous store
   * (Redis, SQL) is used through {@link Registrar.process} and {@link Registrar.find}.
   */
  store?: LocationStore;
}

/** What one REGISTER does to the location store: the response, and the writes that must precede it. */
interface RegisterPlan {
  res: SipResponse;
  puts: Binding[];
  removes: string[];
  removeAll: boolean;
}

function aorKey(u: SipUri): string {
  return `${u.scheme === 'sips' ? 'sip' : u.scheme}:${(u.user ?? '').toLowerCase()}@${u.host.toLowerCase()}`;
}

/**
 * A registrar and location service (RFC 3261 §10.3): processes REGISTER (add, refresh, remove, `Contact: *`,
 * query), with digest authentication, and answers with the current bindings. The bindings live in a
 * {@link LocationStore}: in memory by default, or one the application backs with Redis or a database.
 *
 * ```ts
 * const reg = new Registrar({ now: () => loop.now() });
 * const res = reg.handle(registerRequest);   // a SipResponse to send (in-memory store)
 * reg.lookup('sip:alice@example.com');       // current contacts
 * // with any store, synchronous or not:
 * const res2 = await reg.process(registerRequest);
 * const contacts = await reg.find('sip:alice@example.com');
 * ```
 */
export class Registrar {
  /** The location store holding the bindings. */
  readonly store: LocationStore;
  private readonly o: RegistrarOptions;
  /** REGISTERs of one AOR in progress (an async store): the next waits for the previous (§10.3 step 7 order). */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(o: RegistrarOptions) {
    this.o = o;
    this.store = o.store ?? new MemoryLocationStore();
  }

  /**
   * Current (unexpired) bindings of an AOR, by URI text, from a synchronous store (the default one); throws
   * when the store answers with a promise — use {@link find} then.
   */
  lookup(aor: string | SipUri): Binding[] {
    return this.live(sync(this.store.get(keyOf(aor)), 'lookup'));
  }

  /** Current (unexpired) bindings of an AOR, from any store. */
  async find(aor: string | SipUri): Promise<Binding[]> {
    return this.live(await this.store.get(keyOf(aor)));
  }

  /** Number of AORs with bindings (0 when the store cannot count, or counts asynchronously). */
  get size(): number {
    const n = this.store.count?.();
    return typeof n === 'number' ? n : 0;
  }

  /** Removes expired bindings from the store (a proxy calls this periodically); resolves to how many. */
  async sweep(): Promise<number> {
    return this.store.expire(this.o.now());
  }

  /**
   * Processes a REGISTER and returns the response to send (§10.3 steps 1-8), with a synchronous store (the
   * default one); throws when the store answers with a promise — use {@link process} then.
   */
  handle(req: SipRequest, source?: string): SipResponse {
    const pre = this.precheck(req);
    if (typeof pre !== 'string') return pre;
    const key = pre;
    const count = this.store.count?.();
    const plan = this.plan(req, source, sync(this.store.get(key), 'handle'), sync(count, 'handle'));
    if (plan.removeAll) sync(this.store.remove(key), 'handle');
    for (const c of plan.removes) sync(this.store.remove(key, c), 'handle');
    for (const b of plan.puts) sync(this.store.put(key, b), 'handle');
    return plan.res;
  }

  /** Processes a REGISTER with any store (synchronous or not) and resolves to the response to send. */
  async process(req: SipRequest, source?: string): Promise<SipResponse> {
    const pre = this.precheck(req);
    if (typeof pre !== 'string') return pre;
    const key = pre;
    const prev = this.busy.get(key);
    const run = (async () => {
      if (prev) await prev.catch(() => {});
      const [current, count] = await Promise.all([this.store.get(key), this.store.count?.()]);
      const plan = this.plan(req, source, current, count);
      if (plan.removeAll) await this.store.remove(key);
      for (const c of plan.removes) await this.store.remove(key, c);
      for (const b of plan.puts) await this.store.put(key, b);
      return plan.res;
    })();
    this.busy.set(key, run);
    try {
      return await run;
    } finally {
      if (this.busy.get(key) === run) this.busy.delete(key);
    }
  }

  private live(list: readonly Binding[]): Binding[] {
    const now = this.o.now();
    return list.filter((b) => b.expiresAt > now);
  }

  /** §10.3 steps 1–3: a REGISTER, authenticated, for a SIP AOR → its key; else the response to send. */
  private precheck(req: SipRequest): string | SipResponse {
    if (req.method !== 'REGISTER') throw new Error('Registrar.handle takes REGISTER requests');
    if (this.o.auth) {
      const v = this.o.auth.verify(req.getAll('authorization'), 'REGISTER');
      if (!v.ok)
        return createResponse(req, 401, { headers: v.challenges.map((c) => ['WWW-Authenticate', c] as const) });
    }
    const to = req.to;
    if (to?.uri.kind !== 'sip') return createResponse(req, 404, { reason: 'Not Found (bad AOR)' });
    return aorKey(to.uri);
  }

  /** §10.3 steps 5–8 on the AOR's current bindings: the store writes and the response. */
  private plan(
    req: SipRequest,
    source: string | undefined,
    stored: readonly Binding[],
    aorCount: number | undefined,
  ): RegisterPlan {
    const fail = (res: SipResponse): RegisterPlan => ({ res, puts: [], removes: [], removeAll: false });
    const now = this.o.now();
    const callId = req.callId ?? '';
    const cseq = req.cseq?.seq ?? 0;
    const minE = this.o.minExpires ?? 60;
    const maxE = this.o.maxExpires ?? 7200;
    const reqExpires = req.expires;
    const before = this.live(stored);
    let list = before.slice();
    const puts: Binding[] = [];
    const removes: string[] = [];
    let removeAll = false;
    if (req.contactStar) {
      // §10.3 step 6: "*" only with Expires: 0.
      if (reqExpires !== 0)
        return fail(createResponse(req, 400, { reason: 'Bad Request (Contact * needs Expires: 0)' }));
      list = [];
      removeAll = true;
    } else {
      const path = req.getAll('path');
      for (const c of req.contacts) {
        const exp = c.expires ?? reqExpires ?? this.o.defaultExpires ?? 3600;
        if (exp !== 0 && exp < minE)
          return fail(createResponse(req, 423, { headers: [['Min-Expires', String(minE)]] }));
        const uri = c.uriText;
        const i = list.findIndex((b) => b.contact === uri);
        const prev = list[i];
        // §10.3 step 7: same Call-ID with a lower or equal CSeq is out of order.
        if (prev && prev.callId === callId && cseq <= prev.cseq) {
          return fail(createResponse(req, 500, { reason: 'Server Internal Error (out-of-order REGISTER)' }));
        }
        if (i >= 0) list.splice(i, 1);
        const pi = puts.findIndex((b) => b.contact === uri);
        if (pi >= 0) puts.splice(pi, 1);
        if (exp > 0) {
          if (list.length >= (this.o.maxBindings ?? 16))
            return fail(createResponse(req, 503, { reason: 'Too Many Bindings' }));
          const b: Binding = { contact: uri, expiresAt: now + Math.min(exp, maxE) * 1000, callId, cseq };
          if (source !== undefined) b.source = source;
          if (c.q !== undefined) b.q = c.q;
          if (path.length) b.path = path;
          list.push(b);
          puts.push(b);
        } else if (prev) removes.push(uri);
      }
    }
    if (list.length && !before.length && aorCount !== undefined && aorCount >= (this.o.maxAors ?? 100_000)) {
      return fail(createResponse(req, 503, { reason: 'Registrar Full' }));
    }
    if (!list.length && stored.length) removeAll = true; // also drops the expired leftovers
    const res = createResponse(req, 200);
    for (const b of list) {
      const secs = Math.max(0, Math.round((b.expiresAt - now) / 1000));
      res.add('Contact', formatNameAddr({ uri: b.contact, params: { expires: String(secs) } }));
    }
    // RFC 3327 §5.3: a registrar that stored a Path echoes it in the 200.
    for (const p of req.getAll('path')) res.add('Path', p);
    res.add('Date', new Date().toUTCString());
    return { res, puts, removes: removeAll ? [] : removes, removeAll };
  }
}

function keyOf(aor: string | SipUri): string {
  return typeof aor === 'string' ? aor.toLowerCase().replace(/^sips:/, 'sip:') : aorKey(aor);
}

function sync<T>(v: T | Promise<T>, what: string): T {
  if (v instanceof Promise) {
    v.catch(() => {});
    throw new Error(`Registrar.${what} needs a synchronous location store; use the async form (process/find)`);
  }
  return v;
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
