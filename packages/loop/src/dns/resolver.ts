import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { SocketError } from '../socket-error.js';
import { connectTcp } from '../tcp.js';
import { createUdpSocket } from '../udp.js';
import { DnsCache, type NowSource } from './cache.js';
import { DnsError, type DnsErrorCode, type DnsFormatError } from './errors.js';
import { type DnsMessage, type DnsRecord, decodeMessage, encodeQuery, Rcode, RRType, rrTypeName } from './message.js';
import { type DnsServer, HostsFile, parseServer, readResolvConf } from './system.js';

/** Options of {@link Resolver}. */
export interface ResolverOptions {
  /** Servers as 'ip:port', '[v6]:port' or 'ip' (port 53); default: /etc/resolv.conf's nameservers. */
  servers?: string[];
  /** Time to wait for each UDP/TCP attempt, in ms (default: resolv.conf's, else 2000). */
  timeoutMs?: number;
  /** Extra rounds over all servers after the first (default: resolv.conf attempts - 1, else 1). */
  retries?: number;
  /** Cache answers (default true). */
  cache?: boolean;
  /** Maximum cached entries (default 1000). */
  cacheSize?: number;
  /** Clock for cache expiry (default: a monotonic clock); a ManualClock makes expiry testable. */
  clock?: NowSource;
  /** hosts(5) file for lookup() (default /etc/hosts); false to skip it. */
  hostsFile?: string | false;
  /** resolv.conf path used when `servers` is not given (default /etc/resolv.conf). */
  resolvConf?: string;
  /** Advertise this EDNS(0) UDP payload size (RFC 6891); 0 (default) sends plain 512-octet queries. */
  ednsUdpSize?: number;
  /** Retry over TCP when a UDP answer is truncated (TC bit; RFC 7766 §5); default true. */
  tcpOnTruncation?: boolean;
}

/** An address answer. */
export interface AddressRecord {
  address: string;
  ttl: number;
}

/** An SRV answer (RFC 2782); `target` has no trailing dot ('' is the root: "service not available"). */
export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
  ttl: number;
}

/** A NAPTR answer (RFC 3403); `replacement` has no trailing dot ('' is the root). */
export interface NaptrRecord {
  order: number;
  preference: number;
  flags: string;
  services: string;
  regexp: string;
  replacement: string;
  ttl: number;
}

/** Counters of a resolver. */
export interface ResolverStats {
  queries: number;
  cacheHits: number;
  udpSent: number;
  tcpQueries: number;
  timeouts: number;
  truncated: number;
  /** Datagrams ignored because ID, source or question did not match (RFC 5452 §9.1). */
  mismatched: number;
  malformed: number;
}

const MAX_CNAME = 8;
const monotonic: NowSource = { now: () => performance.now() };

function normName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

interface Outcome {
  kind: 'answer' | 'error';
  msg?: DnsMessage;
  code?: DnsErrorCode;
  detail?: string;
}

/**
 * A stub resolver: UDP queries with a per-attempt timeout and retries, failover across servers,
 * TCP when an answer is truncated, strict validation of every answer (source, ID, question, sizes;
 * RFC 5452), CNAME chains, and a TTL cache with negative caching (RFC 2308). Failures are
 * {@link DnsError}s with a code.
 *
 * @example
 * const r = new Resolver({ servers: ['127.0.0.1:5353'], timeoutMs: 1000 });
 * const naptr = await r.naptr('example.com');
 * const srv = await r.srv('_sip._udp.example.com');
 * const addrs = await r.lookup('sip.example.com');
 */
export class Resolver {
  /** The servers, in the order they are tried. */
  readonly servers: readonly DnsServer[];
  /** Per-attempt timeout (ms). */
  readonly timeoutMs: number;
  /** Extra rounds over the servers. */
  readonly retries: number;
  /** Counters. */
  readonly stats: ResolverStats = {
    queries: 0,
    cacheHits: 0,
    udpSent: 0,
    tcpQueries: 0,
    timeouts: 0,
    truncated: 0,
    mismatched: 0,
    malformed: 0,
  };
  private readonly cache: DnsCache | undefined;
  private readonly hosts: HostsFile | undefined;
  private readonly edns: number;
  private readonly tcpFallback: boolean;

  constructor(opts: ResolverOptions = {}) {
    const rc = opts.servers ? undefined : readResolvConf(opts.resolvConf);
    this.servers = opts.servers ? opts.servers.map(parseServer) : rc!.servers;
    if (this.servers.length === 0) throw new TypeError('Resolver needs at least one server');
    this.timeoutMs = opts.timeoutMs ?? rc?.timeoutMs ?? 2000;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) throw new RangeError('timeoutMs must be > 0');
    this.retries = opts.retries ?? (rc?.attempts !== undefined ? rc.attempts - 1 : 1);
    if (!Number.isInteger(this.retries) || this.retries < 0 || this.retries > 10) {
      throw new RangeError('retries must be an integer in 0..10');
    }
    this.cache = opts.cache === false ? undefined : new DnsCache(opts.clock ?? monotonic, opts.cacheSize ?? 1000);
    this.hosts = opts.hostsFile === false ? undefined : new HostsFile(opts.hostsFile ?? '/etc/hosts');
    this.edns = opts.ednsUdpSize ?? 0;
    if (!Number.isInteger(this.edns) || this.edns < 0 || this.edns > 65535) throw new RangeError('bad ednsUdpSize');
    this.tcpFallback = opts.tcpOnTruncation ?? true;
  }

  /** IPv4 addresses of `name` (following CNAMEs). Throws {@link DnsError}. */
  async a(name: string): Promise<AddressRecord[]> {
    const rrs = await this.query(name, RRType.A);
    return rrs.map((r) => ({ address: r.address!, ttl: r.ttl }));
  }

  /** IPv6 addresses of `name`. Throws {@link DnsError}. */
  async aaaa(name: string): Promise<AddressRecord[]> {
    const rrs = await this.query(name, RRType.AAAA);
    return rrs.map((r) => ({ address: r.address!, ttl: r.ttl }));
  }

  /**
   * SRV records of `name` (e.g. `_sip._udp.example.com`), sorted by priority (weights are left for
   * the caller's RFC 2782 selection). Throws {@link DnsError}.
   */
  async srv(name: string): Promise<SrvRecord[]> {
    const rrs = await this.query(name, RRType.SRV);
    return rrs.map((r) => ({ ...r.srv!, ttl: r.ttl })).sort((x, y) => x.priority - y.priority);
  }

  /** NAPTR records of `name`, sorted by order then preference (RFC 3403 §4.1). Throws {@link DnsError}. */
  async naptr(name: string): Promise<NaptrRecord[]> {
    const rrs = await this.query(name, RRType.NAPTR);
    return rrs
      .map((r) => ({ ...r.naptr!, ttl: r.ttl }))
      .sort((x, y) => x.order - y.order || x.preference - y.preference);
  }

  /**
   * Addresses of `host` like the OS: an IP literal is returned as is, then the hosts file, then A
   * and AAAA queries (IPv4 first). `family` restricts to 4 or 6. Throws {@link DnsError} when there
   * is no address (NXDOMAIN if the name does not exist).
   */
  async lookup(host: string, opts: { family?: 0 | 4 | 6 } = {}): Promise<{ address: string; family: 4 | 6 }[]> {
    if (typeof host !== 'string' || host.length === 0) throw new TypeError('lookup(): host must be a non-empty string');
    const fam = opts.family ?? 0;
    const lit = isIP(host.replace(/^\[|\]$/g, ''));
    if (lit === 4 || lit === 6) {
      if (fam !== 0 && fam !== lit)
        throw new DnsError('NODATA', host, fam === 4 ? 'A' : 'AAAA', 'IP literal of the other family');
      return [{ address: host.replace(/^\[|\]$/g, ''), family: lit }];
    }
    if (this.hosts) {
      const h = await this.hosts.lookup(host);
      const sel = h?.filter((e) => fam === 0 || e.family === fam);
      if (sel && sel.length > 0) return [...sel.filter((e) => e.family === 4), ...sel.filter((e) => e.family === 6)];
    }
    const want: (4 | 6)[] = fam === 0 ? [4, 6] : [fam];
    const settled = await Promise.allSettled(want.map((f) => (f === 4 ? this.a(host) : this.aaaa(host))));
    const out: { address: string; family: 4 | 6 }[] = [];
    const errors: DnsError[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') for (const r of s.value) out.push({ address: r.address, family: want[i]! });
      else
        errors.push(s.reason instanceof DnsError ? s.reason : new DnsError('BADRESPONSE', host, 'A', String(s.reason)));
    });
    if (out.length > 0) return out;
    const pick =
      errors.find((e) => e.code === 'NXDOMAIN') ??
      errors.find((e) => e.code !== 'NODATA') ??
      errors[0] ??
      new DnsError('NODATA', host, 'A');
    throw pick;
  }

  /** Empties the answer cache. */
  clearCache(): void {
    this.cache?.clear();
  }

  /**
   * Records of type `type` for `name` after following CNAMEs (other types come back raw in
   * `rdata`). Throws {@link DnsError}; uses and fills the cache.
   */
  async query(name: string, type: number): Promise<DnsRecord[]> {
    if (typeof name !== 'string' || name.length === 0 || name.length > 254) {
      throw new TypeError(
        `query name must be a non-empty string of at most 253 characters, got ${JSON.stringify(name)}`,
      );
    }
    if (!Number.isInteger(type) || type < 1 || type > 0xffff) throw new RangeError('bad query type');
    return this.resolveChain(name, type, 0);
  }

  private async resolveChain(name: string, type: number, depth: number): Promise<DnsRecord[]> {
    const tname = rrTypeName(type);
    this.stats.queries++;
    const cached = this.cache?.get(name, type);
    if (cached) {
      this.stats.cacheHits++;
      if (cached.kind === 'negative') throw new DnsError(cached.code, name, tname, 'cached');
      return cached.records;
    }
    const msg = await this.exchange(name, type);
    // Follow the CNAME chain inside the answer (RFC 1034 §3.6.2).
    let owner = normName(name);
    let found: DnsRecord[] = [];
    for (let i = 0; i <= MAX_CNAME; i++) {
      found = msg.answers.filter((r) => r.type === type && r.class === 1 && normName(r.name) === owner);
      if (found.length > 0) break;
      const cn = msg.answers.find((r) => r.type === RRType.CNAME && normName(r.name) === owner);
      if (!cn || cn.target === undefined) break;
      owner = normName(cn.target);
    }
    if (msg.tc) {
      // Still truncated (TCP fallback disabled): use complete-looking data, never cache it (RFC 2181 §9).
      if (found.length > 0) return found;
      throw new DnsError('BADRESPONSE', name, tname, 'truncated answer and TCP fallback disabled');
    }
    if (msg.rcode === Rcode.NXDOMAIN) {
      this.cacheNegative(name, type, 'NXDOMAIN', msg);
      throw new DnsError('NXDOMAIN', name, tname);
    }
    if (found.length > 0) {
      this.cache?.putRecords(name, type, found);
      return found;
    }
    if (owner !== normName(name) && type !== RRType.CNAME) {
      // The chain ended on a name whose data the server did not include: ask for it.
      if (depth >= MAX_CNAME) throw new DnsError('BADRESPONSE', name, tname, 'CNAME chain too long');
      return this.resolveChain(owner, type, depth + 1);
    }
    this.cacheNegative(name, type, 'NODATA', msg);
    throw new DnsError('NODATA', name, tname);
  }

  private cacheNegative(name: string, type: number, code: 'NXDOMAIN' | 'NODATA', msg: DnsMessage): void {
    // RFC 2308 §5: the negative TTL is min(SOA TTL, SOA MINIMUM); without an SOA, do not cache.
    const soa = msg.authorities.find((r) => r.type === RRType.SOA && r.soa);
    if (soa?.soa) this.cache?.putNegative(name, type, code, Math.min(soa.ttl, soa.soa.minimum));
  }

  /** Sends the query to the servers in turn until one gives a usable answer. */
  private async exchange(name: string, type: number): Promise<DnsMessage> {
    const tname = rrTypeName(type);
    let lastError: Outcome | undefined;
    for (let round = 0; round <= this.retries; round++) {
      for (const server of this.servers) {
        const o = await this.askServer(server, name, type);
        if (o.kind === 'answer') return o.msg!;
        if (o.code !== 'TIMEOUT' || !lastError) lastError = o;
      }
      // A definite failure (not a timeout) from every server: do not keep hammering them.
      if (lastError && lastError.code !== 'TIMEOUT' && lastError.code !== 'BADRESPONSE') break;
    }
    throw new DnsError(lastError?.code ?? 'TIMEOUT', name, tname, lastError?.detail);
  }

  private async askServer(server: DnsServer, name: string, type: number): Promise<Outcome> {
    const id = randomInt(0x10000);
    let query: Uint8Array;
    try {
      query = encodeQuery(id, name, type, this.edns);
    } catch (e) {
      throw new TypeError(`bad query name ${JSON.stringify(name)}: ${(e as Error).message}`);
    }
    let o = await this.udpExchange(server, query, id, name, type);
    if (o.kind === 'answer' && o.msg!.tc) {
      this.stats.truncated++;
      if (this.tcpFallback) o = await this.tcpExchange(server, query, id, name, type);
    }
    if (o.kind === 'answer') return this.classify(o.msg!);
    return o;
  }

  private classify(msg: DnsMessage): Outcome {
    switch (msg.rcode) {
      case Rcode.NOERROR:
      case Rcode.NXDOMAIN:
        return { kind: 'answer', msg };
      case Rcode.SERVFAIL:
        return { kind: 'error', code: 'SERVFAIL' };
      case Rcode.REFUSED:
        return { kind: 'error', code: 'REFUSED' };
      case Rcode.FORMERR:
        return { kind: 'error', code: 'FORMERR' };
      default:
        return { kind: 'error', code: 'BADRESPONSE', detail: `RCODE ${msg.rcode}` };
    }
  }

  /** Checks an answer against the query (RFC 5452 §9.1: ID, question); undefined if it matches. */
  private mismatch(msg: DnsMessage, id: number, name: string, type: number): string | undefined {
    if (msg.id !== id) return 'ID';
    if (!msg.qr) return 'QR bit not set';
    if (msg.opcode !== 0) return 'opcode';
    // A FORMERR/NOTIMP answer may legitimately carry no question.
    if (msg.questions.length === 0 && msg.rcode !== Rcode.NOERROR && msg.rcode !== Rcode.NXDOMAIN) return undefined;
    if (msg.questions.length !== 1) return 'question count';
    const q = msg.questions[0]!;
    if (normName(q.name) !== normName(name) || q.type !== type || q.class !== 1) return 'question';
    return undefined;
  }

  private async udpExchange(
    server: DnsServer,
    query: Uint8Array,
    id: number,
    name: string,
    type: number,
  ): Promise<Outcome> {
    const fam = isIP(server.address.split('%')[0] ?? '') === 6 ? 'udp6' : 'udp4';
    let sock: Awaited<ReturnType<typeof createUdpSocket>>;
    try {
      sock = await createUdpSocket({ type: fam, queueLimit: 16 });
    } catch (e) {
      return { kind: 'error', code: 'TIMEOUT', detail: (e as Error).message };
    }
    try {
      try {
        await sock.sendAsync(query, server.port, server.address);
      } catch (e) {
        return { kind: 'error', code: 'TIMEOUT', detail: (e as Error).message };
      }
      this.stats.udpSent++;
      const deadline = performance.now() + this.timeoutMs;
      let lastBad: string | undefined;
      for (let n = 0; n < 64; n++) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        let m: Awaited<ReturnType<typeof sock.recv>>;
        try {
          m = await sock.recv(Math.ceil(left));
        } catch (e) {
          if (e instanceof SocketError && e.code === 'ETIMEDOUT') break;
          return { kind: 'error', code: 'TIMEOUT', detail: (e as Error).message };
        }
        if (m.port !== server.port || !sameAddress(m.address, server.address)) {
          this.stats.mismatched++;
          continue;
        }
        let msg: DnsMessage;
        try {
          msg = decodeMessage(m.data);
        } catch (e) {
          // Malformed: if it is not even for our ID, it is noise; else the server is broken.
          const ours = m.data.length >= 12 && ((m.data[0]! << 8) | m.data[1]!) === id;
          if (ours && (m.data[2]! & 0x82) === 0x82 && ((m.data[2]! >> 3) & 0xf) === 0) {
            // QR + TC: a server may cut a truncated answer inside a record, leaving the counts promising
            // more than the datagram holds (RFC 2181 §9). That is truncation, not a broken server: the
            // header is enough to retry over TCP (RFC 7766 §5).
            return { kind: 'answer', msg: truncatedHeader(m.data) };
          }
          this.stats.malformed++;
          if (ours) {
            lastBad = (e as DnsFormatError).message;
            return { kind: 'error', code: 'BADRESPONSE', detail: lastBad };
          }
          continue;
        }
        const why = this.mismatch(msg, id, name, type);
        if (why) {
          this.stats.mismatched++;
          lastBad = `mismatched ${why}`;
          continue;
        }
        return { kind: 'answer', msg };
      }
      this.stats.timeouts++;
      return {
        kind: 'error',
        code: 'TIMEOUT',
        detail: lastBad ?? `${server.address}:${server.port} did not answer in ${this.timeoutMs} ms`,
      };
    } finally {
      await sock.close();
    }
  }

  private async tcpExchange(
    server: DnsServer,
    query: Uint8Array,
    id: number,
    name: string,
    type: number,
  ): Promise<Outcome> {
    this.stats.tcpQueries++;
    const deadline = performance.now() + this.timeoutMs;
    let conn: Awaited<ReturnType<typeof connectTcp>>;
    try {
      conn = await connectTcp({ host: server.address, port: server.port, timeoutMs: this.timeoutMs });
    } catch (e) {
      return { kind: 'error', code: 'TIMEOUT', detail: `TCP: ${(e as Error).message}` };
    }
    try {
      // RFC 1035 §4.2.2: a two-octet length prefix.
      const framed = new Uint8Array(query.length + 2);
      framed[0] = query.length >> 8;
      framed[1] = query.length & 0xff;
      framed.set(query, 2);
      await conn.write(framed);
      const buf = new Uint8Array(2 + 65535);
      let have = 0;
      let need = -1;
      while (need < 0 || have < need) {
        const left = deadline - performance.now();
        if (left <= 0) throw new SocketError('ETIMEDOUT', 'read');
        const chunk = await conn.read(Math.ceil(left));
        if (chunk.length === 0)
          return { kind: 'error', code: 'BADRESPONSE', detail: 'TCP connection closed mid-answer' };
        const take = Math.min(chunk.length, buf.length - have);
        buf.set(chunk.subarray(0, take), have);
        have += take;
        if (need < 0 && have >= 2) need = 2 + ((buf[0]! << 8) | buf[1]!);
      }
      let msg: DnsMessage;
      try {
        msg = decodeMessage(buf.subarray(2, need));
      } catch (e) {
        this.stats.malformed++;
        return { kind: 'error', code: 'BADRESPONSE', detail: (e as Error).message };
      }
      const why = this.mismatch(msg, id, name, type);
      if (why) return { kind: 'error', code: 'BADRESPONSE', detail: `TCP answer mismatched ${why}` };
      return { kind: 'answer', msg };
    } catch (e) {
      if (e instanceof SocketError && e.code === 'ETIMEDOUT') {
        this.stats.timeouts++;
        return { kind: 'error', code: 'TIMEOUT', detail: 'TCP answer timed out' };
      }
      return { kind: 'error', code: 'BADRESPONSE', detail: `TCP: ${(e as Error).message}` };
    } finally {
      conn.close();
    }
  }
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const strip = (x: string) =>
    x
      .replace(/^::ffff:/, '')
      .split('%')[0]!
      .toLowerCase();
  return strip(a) === strip(b);
}

/** The header of a truncated (TC) answer whose body could not be decoded: no records, just the flags. */
function truncatedHeader(b: Uint8Array): DnsMessage {
  return {
    id: (b[0]! << 8) | b[1]!,
    qr: true,
    opcode: 0,
    aa: (b[2]! & 0x04) !== 0,
    tc: true,
    rd: (b[2]! & 0x01) !== 0,
    ra: (b[3]! & 0x80) !== 0,
    rcode: b[3]! & 0x0f,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
}
