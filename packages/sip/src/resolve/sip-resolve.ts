import { orderSrv, Resolver } from '@mdh/loop';
import { abortable } from '../abort.js';
import { parseUri, type SipUri, stripBrackets, validIpv4 } from '../uri/uri.js';

/** Transports RFC 3263 resolution can return (RFC 7118 adds WebSocket). */
export type SipTransportName = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** One entry of the ordered failover list. */
export interface SipTarget {
  /** IP address to connect to. */
  host: string;
  /** Port. */
  port: number;
  /** Transport. */
  transport: SipTransportName;
  /** SRV priority (0 when no SRV was used). */
  priority: number;
  /** SRV weight (0 when no SRV was used). */
  weight: number;
  /** Seconds this entry may be cached: the smallest TTL along its NAPTR → SRV → A/AAAA chain. */
  ttl: number;
  /** The DNS name the address belongs to (the SRV target or the URI host) — use it as TLS server name. */
  target: string;
}

/** The DNS operations sipResolve needs — the shape of the @mdh/loop `Resolver`. */
export interface SipDnsResolver {
  /** A records. */
  a(name: string): Promise<{ address: string; ttl: number }[]>;
  /** AAAA records. */
  aaaa(name: string): Promise<{ address: string; ttl: number }[]>;
  /** SRV records. */
  srv(name: string): Promise<{ priority: number; weight: number; port: number; target: string; ttl: number }[]>;
  /** NAPTR records. */
  naptr(name: string): Promise<
    {
      order: number;
      preference: number;
      flags: string;
      services: string;
      regexp: string;
      replacement: string;
      ttl: number;
    }[]
  >;
}

/** Options of {@link sipResolve}. */
export interface SipResolveOptions {
  /** Force a transport (skips NAPTR; RFC 3263 §4.1). Overrides the URI's `transport` parameter. */
  transport?: SipTransportName;
  /** DNS resolver (default: a new @mdh/loop `Resolver` — keep one to benefit from its TTL cache). */
  resolver?: SipDnsResolver;
  /** Also consider WebSocket transports (SIP+D2W / SIPS+D2W, RFC 7118 §8). Default false. */
  websocket?: boolean;
  /** Random source in [0, 1) for RFC 2782 weighted selection (default Math.random). */
  random?: () => number;
  /** Query AAAA as well as A (default true). */
  ipv6?: boolean;
  /** Aborts the resolution: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Gives up after this many ms (rejects with a `TimeoutError`). */
  timeoutMs?: number;
}

/** RFC 3263 §4.1 NAPTR service field → transport (RFC 7118 §8 for WebSocket). */
const NAPTR_SERVICES: Record<string, SipTransportName> = {
  'SIP+D2U': 'udp',
  'SIP+D2T': 'tcp',
  'SIPS+D2T': 'tls',
  'SIP+D2W': 'ws',
  'SIPS+D2W': 'wss',
};

/** SRV prefix per transport (RFC 3263 §4.1, RFC 7118 §8). */
const SRV_PREFIX: Record<SipTransportName, string> = {
  udp: '_sip._udp.',
  tcp: '_sip._tcp.',
  tls: '_sips._tcp.',
  ws: '_sip._ws.',
  wss: '_sips._ws.',
};

function isSecure(t: SipTransportName): boolean {
  return t === 'tls' || t === 'wss';
}

function defaultPort(t: SipTransportName): number {
  if (t === 'ws') return 80;
  if (t === 'wss') return 443;
  return isSecure(t) ? 5061 : 5060;
}

/** Whether `host` is a numeric IPv4 or IPv6 address (brackets allowed). */
export function isIpAddress(host: string): boolean {
  const h = stripBrackets(host);
  return validIpv4(h) || (h.includes(':') && /^[0-9a-fA-F:.]+$/.test(h));
}

/**
 * Runs one lookup; a failed lookup counts as "no records" so resolution moves on to the next step
 * (RFC 3263 §4), while errors other than NXDOMAIN/NODATA are remembered in `errs` for the caller.
 */
async function safe<T>(p: Promise<T[]>, errs: unknown[]): Promise<T[]> {
  try {
    return await p;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'NXDOMAIN' && code !== 'NODATA') errs.push(e);
    return [];
  }
}

async function addresses(
  r: SipDnsResolver,
  name: string,
  ipv6: boolean,
  errs: unknown[],
): Promise<{ address: string; ttl: number }[]> {
  const [a, aaaa] = await Promise.all([safe(r.a(name), errs), ipv6 ? safe(r.aaaa(name), errs) : Promise.resolve([])]);
  return [...a, ...aaaa];
}

let shared: SipDnsResolver | undefined;

/** One shared @mdh/loop Resolver (system servers) so its TTL cache is reused across calls. */
function defaultResolver(): SipDnsResolver {
  shared ??= new Resolver();
  return shared;
}

/**
 * Locates SIP servers per RFC 3263 §4: numeric IP used directly; explicit port → A/AAAA only; explicit
 * transport → SRV then A/AAAA; otherwise NAPTR (order, then preference; only supported services) → SRV
 * (RFC 2782 priority + weighted random) → A/AAAA, with SRV per transport when there are no NAPTRs and
 * A/AAAA on the default port as the last resort. `sips:` restricts to TLS (and WSS).
 *
 * @param target a SIP URI (`sip:example.com`, `sips:bob@example.com;transport=tcp`) or a bare `host[:port]`
 * @returns the ordered failover list (empty when nothing resolves; rejects with the DNS error when
 *   nothing resolves and some lookup failed other than NXDOMAIN/NODATA)
 * @example const [first] = await sipResolve('sip:example.com', { resolver });
 */
export async function sipResolve(target: string, opts: SipResolveOptions = {}): Promise<SipTarget[]> {
  if (opts.signal || opts.timeoutMs !== undefined) {
    const { signal, timeoutMs, ...rest } = opts;
    return abortable(sipResolve(target, rest), {
      ...(signal ? { signal } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
  }
  const { secure, host, port, transport } = resolveInput(target, opts);
  // RFC 3263 §4.1/§4.2: a numeric IP is used as is
  if (isIpAddress(host)) {
    const t = transport ?? (secure ? 'tls' : 'udp');
    const h = stripBrackets(host);
    return [{ host: h, port: port ?? defaultPort(t), transport: t, priority: 0, weight: 0, ttl: 0, target: h }];
  }
  const dns = new SipLookup(opts.resolver ?? defaultResolver(), opts.ipv6 !== false, opts.random ?? Math.random);
  // RFC 3263 §4.2: an explicit port means A/AAAA only
  if (port !== undefined) return dns.finite(await dns.fromAddresses(host, transport ?? (secure ? 'tls' : 'udp'), port));
  const ws = opts.websocket === true;
  const allowed = (t: SipTransportName) => (secure ? isSecure(t) : true) && (ws || (t !== 'ws' && t !== 'wss'));
  if (transport !== undefined) {
    const viaS = await dns.viaSrv(SRV_PREFIX[transport] + host, transport, Number.POSITIVE_INFINITY);
    if (viaS !== undefined) return dns.finite(viaS);
    return dns.finite(await dns.fromAddresses(host, transport, defaultPort(transport)));
  }
  // RFC 3263 §4.1: NAPTR
  const naptr = (await safe(dns.r.naptr(host), dns.errs))
    .filter((n) => n.flags.toLowerCase() === 's' && NAPTR_SERVICES[n.services.toUpperCase()] !== undefined)
    .filter((n) => allowed(NAPTR_SERVICES[n.services.toUpperCase()]!))
    .sort((a, b) => a.order - b.order || a.preference - b.preference);
  if (naptr.length > 0) {
    const out: SipTarget[] = [];
    for (const n of naptr) {
      const t = NAPTR_SERVICES[n.services.toUpperCase()]!;
      const got = await dns.viaSrv(n.replacement.replace(/\.$/, ''), t, n.ttl);
      if (got) out.push(...got);
    }
    if (out.length > 0) return dns.finite(out);
  }
  // no (usable) NAPTR: SRV for each supported transport (RFC 3263 §4.1)
  const order: SipTransportName[] = secure ? ['tls', 'wss'] : ['udp', 'tcp', 'tls', 'ws', 'wss'];
  const out: SipTarget[] = [];
  for (const t of order.filter(allowed)) {
    const got = await dns.viaSrv(SRV_PREFIX[t] + host, t, Number.POSITIVE_INFINITY);
    if (got) out.push(...got);
  }
  if (out.length > 0) return dns.finite(out);
  // last resort: A/AAAA on the default port (RFC 3263 §4.2)
  const t: SipTransportName = secure ? 'tls' : 'udp';
  return dns.finite(await dns.fromAddresses(host, t, defaultPort(t)));
}

/** The URI part of a lookup: scheme, host (or maddr), explicit port and transport (RFC 3263 §4.1). */
function resolveInput(
  target: string,
  opts: SipResolveOptions,
): { secure: boolean; host: string; port: number | undefined; transport: SipTransportName | undefined } {
  const text = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(target) && !/^[^:]+:\d+$/.test(target) ? target : `sip:${target}`;
  const u = parseUri(text);
  if (u.kind !== 'sip') throw new TypeError(`sipResolve needs a sip: or sips: URI, got '${target}'`);
  const uri = u as SipUri;
  const secure = uri.scheme === 'sips';
  const maddr = uri.params.maddr;
  const host = typeof maddr === 'string' && maddr.length > 0 ? maddr : uri.host;
  let transport: SipTransportName | undefined = opts.transport;
  if (transport === undefined) {
    const tp = uri.params.transport;
    if (typeof tp === 'string') {
      const t = tp.toLowerCase();
      if (t === 'udp' || t === 'tcp' || t === 'tls' || t === 'ws' || t === 'wss') transport = t;
      else throw new TypeError(`unsupported transport '${tp}'`);
    }
  }
  // RFC 3261 §26.2.2 / RFC 3263 §4.1: sips means TLS (over TCP) or secure WebSocket
  if (secure && transport !== undefined) {
    if (transport === 'udp' || transport === 'tcp') transport = 'tls';
    else if (transport === 'ws') transport = 'wss';
  }
  return { secure, host, port: uri.port, transport };
}

/** The DNS steps of one lookup (SRV ordering by @mdh/loop, A/AAAA), collecting the errors met on the way. */
class SipLookup {
  readonly errs: unknown[] = [];

  constructor(
    readonly r: SipDnsResolver,
    private readonly ipv6: boolean,
    private readonly random: () => number,
  ) {}

  /** Nothing found and some lookup failed (timeout, SERVFAIL...): report the failure, not "no servers". */
  finite(list: SipTarget[]): SipTarget[] {
    if (list.length === 0 && this.errs.length > 0) throw this.errs[0];
    for (const x of list) if (!Number.isFinite(x.ttl)) x.ttl = 0;
    return list;
  }

  async fromAddresses(
    name: string,
    t: SipTransportName,
    p: number,
    prio = 0,
    weight = 0,
    ttl = Number.POSITIVE_INFINITY,
  ): Promise<SipTarget[]> {
    const addrs = await addresses(this.r, name, this.ipv6, this.errs);
    return addrs.map((a) => ({
      host: a.address,
      port: p,
      transport: t,
      priority: prio,
      weight,
      ttl: Math.min(ttl, a.ttl),
      target: name,
    }));
  }

  async viaSrv(name: string, t: SipTransportName, ttlCap: number): Promise<SipTarget[] | undefined> {
    const srv = (await safe(this.r.srv(name), this.errs)).filter((s) => s.target !== '.' && s.target !== '');
    if (srv.length === 0) return undefined;
    const out: SipTarget[] = [];
    for (const s of orderSrv(srv, this.random)) {
      const name2 = s.target.replace(/\.$/, '');
      out.push(...(await this.fromAddresses(name2, t, s.port, s.priority, s.weight, Math.min(ttlCap, s.ttl))));
    }
    return out;
  }
}
