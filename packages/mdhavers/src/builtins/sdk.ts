/**
 * Builtins bound to the SDK protocol packages: RTP/RTCP seed helpers (@mdh/rtp), SIP message parsing
 * and RFC 2782 SRV ordering (@mdh/sip), DNS SRV/NAPTR (@mdh/loop Resolver), SRTP (@mdh/srtp, SPEC.md
 * §12.9) and DTLS (@mdh/dtls, §12.8).
 */
import { latin1Decode, utf8Encode } from '@mdh/bytes';
import type * as DtlsMod from '@mdh/dtls';
import type { DtlsEngineOptions } from '@mdh/dtls';
import type { Resolver } from '@mdh/loop';
import type * as RtpMod from '@mdh/rtp';
import type * as SipMod from '@mdh/sip';
import type * as SrtpMod from '@mdh/srtp';
import type { SrtpSession } from '@mdh/srtp';
import { fail } from '../errors.js';
import type { Interpreter } from '../interpreter.js';
import { loadLoop, loopMod, monoMs } from '../loop-lazy.js';
import { display, isInt, kindOf, MBytes, MDict, MFloat, truthy, type Value } from '../values.js';
import { argList, floatToInt } from './core.js';
import { argHandle, type NetState, udpSendTo } from './net.js';
import type { Registry } from './registry.js';
import { dict, err, ok } from './result.js';

/** The SDK protocol packages, loaded on demand (they are only imported when a program names them). */
const mods: { rtp?: typeof RtpMod; sip?: typeof SipMod; srtp?: typeof SrtpMod; dtls?: typeof DtlsMod } = {};

/** Imports the SDK packages that the given builtin names need (call before running the program). */
export async function loadSdkFor(names: ReadonlySet<string>): Promise<void> {
  const any = (re: RegExp): boolean => {
    for (const n of names) if (re.test(n)) return true;
    return false;
  };
  const jobs: Promise<unknown>[] = [];
  // mdh_sip_order_srv: @mdh/loop owns SRV ordering (RFC 2782).
  if (
    any(/^(socket_|udp_|tcp_|event_|timer_|dns_|thread_|mutex_|condvar_|atomic_|chan_|tls_|dtls_|mdh_sip_order_srv$)/)
  )
    jobs.push(loadLoop());
  if (!mods.rtp && any(/^mdh_(rtp|rtcp)_/)) jobs.push(import('@mdh/rtp').then((m) => (mods.rtp = m)));
  if (!mods.sip && any(/^mdh_sip_/)) jobs.push(import('@mdh/sip').then((m) => (mods.sip = m)));
  if (!mods.srtp && any(/^(srtp_|dtls_)/)) jobs.push(import('@mdh/srtp').then((m) => (mods.srtp = m)));
  if (!mods.dtls && any(/^dtls_/)) jobs.push(import('@mdh/dtls').then((m) => (mods.dtls = m)));
  await Promise.all(jobs);
}

function need<K extends keyof typeof mods>(k: K): NonNullable<(typeof mods)[K]> {
  const m = mods[k];
  if (!m) fail(`@mdh/${k} is no' loaded (internal error)`);
  return m as NonNullable<(typeof mods)[K]>;
}

/** Converts a plain JS result (from an SDK helper) to an mdhavers value, keys in order. */
export function fromJs(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isInteger(v) ? v : new MFloat(v);
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  if (v instanceof Uint8Array) return new MBytes(v);
  if (Array.isArray(v)) return v.map(fromJs);
  const d = new MDict();
  const o = v as Record<string, unknown>;
  for (const k in o) d.m.set(k, fromJs(o[k]));
  return d;
}

/** Bytes, or the UTF-8 of the display form of anything else (the stdlib conversion rule). */
function asBytes(v: Value): Uint8Array {
  return v instanceof MBytes ? v.view() : utf8Encode(display(v));
}

function intish(name: string, v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof MFloat) return Number(floatToInt(name, v.v));
  return fail(`${name}() needs an integer, no' a ${kindOf(v)}`);
}

function wrapSdk<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    return fail(`${name}() ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * `sip_parse_message` (SPEC.md §13.5) with the reference's losses fixed: a repeated header is kept
 * (its values joined with ", " as RFC 3261 §7.3.1 allows) except for singleton headers (last wins).
 * Header names are otherwise the contract's: lowercased as written (no compact-form expansion, no
 * unfolding), so scripts see the keys the reference gives them.
 */
export function sipParse(msg: Value): MDict {
  const text = msg instanceof MBytes ? latin1Decode(msg.view()) : display(msg);
  const sep = text.includes('\r\n') ? '\r\n' : '\n';
  const pieces = text.split(sep + sep);
  const head = pieces[0] as string;
  const body = pieces.length > 1 ? pieces.slice(1).join(sep + sep) : '';
  const lines = head.split(sep);
  const tokens = (lines[0] as string).split(' ');
  if (tokens.length < 2) return dict({ type: 'invalid', raw: text });
  // SPEC.md §13.5: names are trimmed and lowercased; compact forms and folded lines get no special
  // handling. A repeated header keeps the position of its first occurrence; unlike the reference (which
  // keeps only the last value) the values are joined with ", " (RFC 3261 §7.3.1), except for headers
  // that may appear only once (Call-ID, CSeq, …), where the last one wins.
  const { headerKey, SINGLETON_HEADERS } = need('sip');
  const headers = new MDict();
  for (const l of lines.slice(1)) {
    if (l === '') continue;
    const c = l.indexOf(':');
    if (c < 0) continue;
    const name = l.slice(0, c).trim().toLowerCase();
    const value = l.slice(c + 1).trim();
    const prev = headers.m.get(name);
    if (typeof prev === 'string' && !SINGLETON_HEADERS.has(headerKey(name)) && prev !== '') {
      headers.m.set(name, value === '' ? prev : `${prev}, ${value}`);
    } else headers.m.set(name, value);
  }
  if (tokens[0] === 'SIP/2.0') {
    const st = tokens[1] as string;
    if (!/^[+-]?\d+$/.test(st)) fail(`tae_int() cannae turn '${st}' intae an integer`);
    return dict({
      type: 'response',
      version: 'SIP/2.0',
      status: Number(st),
      reason: tokens.slice(2).join(' '),
      headers,
      body,
    });
  }
  return dict({
    type: 'request',
    method: tokens[0] as string,
    uri: tokens[1] as string,
    version: tokens[2] ?? 'SIP/2.0',
    headers,
    body,
  });
}

/** OpenSSL-style profile name, as the reference reports it. */
function profileName(n: string): string {
  return n.replace('_HMAC_SHA1_', '_SHA1_');
}

interface SrtpCtx {
  send: SrtpSession;
  recv: SrtpSession;
}

interface DtlsCfg {
  mode: 'client' | 'server';
  serverName: string;
  insecure: boolean;
  caPem: string | null;
  certPem: string | null;
  keyPem: string | null;
  remoteHost: string | null;
  remotePort: number | null;
  profiles: string[];
  timeoutMs: number;
}

function str(d: MDict, k: string): string | null {
  const v = d.get(k);
  return typeof v === 'string' ? v : null;
}

/** Registers the SDK-bound builtins. */
export function registerSdk(r: Registry, interp: Interpreter, net: NetState): void {
  registerRtp(r);
  registerSip(r);
  registerDnsRecords(r, interp);
  registerSrtp(r);
  registerDtls(r, net);
}

/** RTP and RTCP (SPEC.md §13.6–13.7 contracts, @mdh/rtp seed helpers). */
function registerRtp(r: Registry): void {
  const d = r.def.bind(r);
  // ---- RTP / RTCP (SPEC.md §13.6–13.7 contracts, @mdh/rtp seed helpers) ----
  const seed = () => need('rtp').seedBuiltins;
  d('mdh_rtp_header', 6, ([seq, ts, ssrc, pt, marker, csrcs]) => {
    if (typeof marker === 'boolean') fail("rtp_header() marker must be an integer, no' a bool");
    const cs = argList('rtp_header', csrcs as Value).map((x) => intish('rtp_header', x));
    return new MBytes(
      wrapSdk('rtp_header', () =>
        seed().rtp_header(
          intish('rtp_header', seq as Value),
          intish('rtp_header', ts as Value),
          intish('rtp_header', ssrc as Value),
          intish('rtp_header', pt as Value),
          intish('rtp_header', marker as Value),
          cs,
        ),
      ),
    );
  });
  d('mdh_rtp_parse', 1, ([p]) => fromJs(seed().rtp_parse(asBytes(p as Value))));
  d('mdh_rtcp_rr', 2, ([ssrc, reports]) => {
    const reps = argList('rtcp_rr', reports as Value).map((rep) => {
      if (!(rep instanceof MDict)) fail('rtcp_rr() each report must be a dict');
      const o: Record<string, number> = {};
      for (const k of ['ssrc', 'fraction_lost', 'cumulative_lost', 'highest_seq', 'jitter', 'lsr', 'dlsr']) {
        o[k] = intish('rtcp_rr', rep.get(k) ?? 0);
      }
      return o;
    });
    return new MBytes(wrapSdk('rtcp_rr', () => seed().rtcp_rr(intish('rtcp_rr', ssrc as Value), reps)));
  });
  d('mdh_rtcp_parse_rr', 1, ([p]) => fromJs(seed().rtcp_parse_rr(asBytes(p as Value))));
}

/** SIP message parsing and SRV ordering. */
function registerSip(r: Registry): void {
  const d = r.def.bind(r);
  // ---- SIP ----
  d('mdh_sip_parse', 1, ([m]) => sipParse(m as Value));
  d('mdh_sip_order_srv', 1, ([l]) => {
    const list = argList('sip_sort_srv', l as Value);
    const recs = list.map((e) => {
      const dd = e instanceof MDict ? e : null;
      const pr = dd?.get('priority');
      const w = dd?.get('weight');
      return { e, priority: isInt(pr ?? null) ? Number(pr) : 0, weight: isInt(w ?? null) ? Number(w) : 0 };
    });
    const sorted = loopMod().orderSrv(recs);
    for (let i = 0; i < sorted.length; i++) list[i] = (sorted[i] as { e: Value }).e;
    return list;
  });
}

/** DNS SRV and NAPTR (SPEC.md §12.4) via the @mdh/loop resolver. */
function registerDnsRecords(r: Registry, interp: Interpreter): void {
  const da = r.defAsync.bind(r);
  // ---- DNS SRV / NAPTR (SPEC.md §12.4) via the @mdh/loop resolver ----
  let resolver: Resolver | null = null;
  const getResolver = (): Resolver => {
    if (!resolver) {
      const servers = interp.env.MDH_DNS_SERVERS;
      resolver = new (loopMod().Resolver)(
        servers ? { servers: servers.split(',').map((x) => x.trim()), timeoutMs: 2000 } : { timeoutMs: 2000 },
      );
    }
    return resolver;
  };
  da('dns_srv', 2, async ([svc, dom]) => {
    if (typeof svc !== 'string' || typeof dom !== 'string') fail('dns_srv() needs twa strings (service, domain)');
    const q = svc === '' ? dom : `${svc.replace(/\.+$/, '')}.${dom.replace(/^\.+/, '')}`;
    try {
      const recs = await getResolver().srv(q);
      return ok(
        recs.map((x) =>
          dict({
            priority: x.priority,
            weight: x.weight,
            port: x.port,
            target: x.target.endsWith('.') ? x.target : `${x.target}.`,
          }),
        ),
      );
    } catch (e) {
      return err(`dns_srv() ${e instanceof Error ? e.message : String(e)}`, -1);
    }
  });
  da('dns_naptr', 1, async ([dom]) => {
    if (typeof dom !== 'string') fail('dns_naptr() needs a string domain');
    try {
      const recs = await getResolver().naptr(dom);
      return ok(
        recs.map((x) =>
          dict({
            order: x.order,
            preference: x.preference,
            flags: x.flags,
            service: x.services,
            regexp: x.regexp,
            replacement: x.replacement,
          }),
        ),
      );
    } catch (e) {
      return err(`dns_naptr() ${e instanceof Error ? e.message : String(e)}`, -1);
    }
  });
}

/** SRTP contexts (SPEC.md §12.9). */
function registerSrtp(r: Registry): void {
  const d = r.def.bind(r);
  // ---- SRTP (SPEC.md §12.9) ----
  const srtps = new Map<number, SrtpCtx>();
  let nextSrtp = 1;
  d('srtp_create', 1, ([c]) => {
    if (!(c instanceof MDict)) fail(`srtp_create() config must be a dict, no' a ${kindOf(c as Value)}`);
    const pname = c.get('profile');
    const name = pname === undefined || pname === null ? 'SRTP_AES128_CM_SHA1_80' : display(pname);
    const { findSrtpProfile, SrtpSession } = need('srtp');
    const prof = findSrtpProfile(name);
    if (!prof) return err(`srtp_create() unknown SRTP profile '${name}'`);
    const has = (k: string) => c.get(k) !== undefined && c.get(k) !== null;
    const pick = (k: string): Uint8Array | null => {
      const v = c.get(k);
      if (v === undefined || v === null) return null;
      if (!(v instanceof MBytes)) fail(`srtp_create() ${k} must be bytes, no' a ${kindOf(v)}`);
      return v.view().slice();
    };
    let keys: Record<'sk' | 'ss' | 'rk' | 'rs', [string, Uint8Array | null]>;
    if (['send_key', 'send_salt', 'recv_key', 'recv_salt'].every(has)) {
      keys = {
        sk: ['send_key', pick('send_key')],
        ss: ['send_salt', pick('send_salt')],
        rk: ['recv_key', pick('recv_key')],
        rs: ['recv_salt', pick('recv_salt')],
      };
    } else if (['client_key', 'client_salt', 'server_key', 'server_salt'].every(has)) {
      const server = c.get('role') === 'server';
      const a = server ? 'server' : 'client';
      const b = server ? 'client' : 'server';
      keys = {
        sk: [`${a}_key`, pick(`${a}_key`)],
        ss: [`${a}_salt`, pick(`${a}_salt`)],
        rk: [`${b}_key`, pick(`${b}_key`)],
        rs: [`${b}_salt`, pick(`${b}_salt`)],
      };
    } else if (has('master_key') && has('master_salt')) {
      keys = {
        sk: ['master_key', pick('master_key')],
        ss: ['master_salt', pick('master_salt')],
        rk: ['master_key', pick('master_key')],
        rs: ['master_salt', pick('master_salt')],
      };
    } else {
      const missing = ['send_key', 'send_salt', 'recv_key', 'recv_salt'].find((k) => !has(k)) as string;
      return err(`srtp_create() missing ${missing}`);
    }
    try {
      const send = new SrtpSession({ profile: prof, key: keys.sk[1] as Uint8Array, salt: keys.ss[1] as Uint8Array });
      const recv = new SrtpSession({ profile: prof, key: keys.rk[1] as Uint8Array, salt: keys.rs[1] as Uint8Array });
      const id = nextSrtp++;
      srtps.set(id, { send, recv });
      return ok(id);
    } catch (e) {
      return err(`srtp_create() ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  const srtpOp = (name: string, protect: boolean) =>
    d(name, 2, ([h, p]) => {
      if (!(p instanceof MBytes)) fail(`${name}() packet must be bytes, no' a ${kindOf(p as Value)}`);
      const id = argHandle(name, h as Value);
      const ctx = srtps.get(id);
      if (!ctx) return err(`${name}() unknown SRTP context ${id}`);
      const res = protect ? ctx.send.tryProtect(p.view()) : ctx.recv.tryUnprotect(p.view());
      if (res instanceof Uint8Array) return ok(new MBytes(res.slice()));
      return err(`${name}() ${res.message}`);
    });
  srtpOp('srtp_protect', true);
  srtpOp('srtp_unprotect', false);
}

/** DTLS configurations (SPEC.md §12.8); the handshake is registerDtlsHandshake. */
function registerDtls(r: Registry, net: NetState): void {
  const d = r.def.bind(r);
  // ---- DTLS (SPEC.md §12.8) ----
  const dtlsCfgs = new Map<number, DtlsCfg>();
  let nextDtls = 1;
  d('dtls_server_new', 1, ([c]) => {
    const cv = c as Value;
    if (cv !== null && !(cv instanceof MDict)) fail(`dtls_server_new() config must be a dict or naething`);
    const cfg = cv ?? new MDict();
    const { dtlsSrtpProfile } = need('dtls');
    const profs: string[] = [];
    const pl = cfg.get('srtp_profiles');
    if (Array.isArray(pl)) {
      for (const p of pl) {
        if (typeof p !== 'string') continue;
        const info = dtlsSrtpProfile(p);
        if (info) profs.push(info.name);
      }
    }
    const rp = cfg.get('remote_port');
    const id = nextDtls++;
    dtlsCfgs.set(id, {
      mode: cfg.get('mode') === 'client' ? 'client' : 'server',
      serverName: str(cfg, 'server_name') ?? 'localhost',
      insecure: truthy(cfg.get('insecure') ?? false),
      caPem: str(cfg, 'ca_pem'),
      certPem: str(cfg, 'cert_pem'),
      keyPem: str(cfg, 'key_pem'),
      remoteHost: str(cfg, 'remote_host'),
      remotePort: typeof rp === 'number' ? rp : null,
      profiles: profs.length > 0 ? profs : ['SRTP_AES128_CM_HMAC_SHA1_80'],
      timeoutMs: typeof cfg.get('timeout_ms') === 'number' ? (cfg.get('timeout_ms') as number) : 15_000,
    });
    return ok(id);
  });
  registerDtlsHandshake(r, net, dtlsCfgs);
}

/** `dtls_handshake` (SPEC.md §12.8) over a UDP socket. */
function registerDtlsHandshake(r: Registry, net: NetState, dtlsCfgs: Map<number, DtlsCfg>): void {
  const da = r.defAsync.bind(r);
  da('dtls_handshake', 2, async ([h, sk]) => {
    const rec = net.sock('dtls_handshake', sk as Value);
    const id = argHandle('dtls_handshake', h as Value);
    const cfg = dtlsCfgs.get(id);
    if (!cfg) return err(`dtls_handshake() unknown DTLS handle ${id}`);
    let host = cfg.remoteHost;
    let port = cfg.remotePort;
    if (host === null || port === null) {
      if (rec.peer) {
        host = rec.peer.host;
        port = rec.peer.port;
      } else return err('dtls_handshake() no remote address (set remote_host/remote_port or connect the socket)');
    }
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    const { isIP } = await import('node:net');
    if (!isIP(host)) return err(`dtls_handshake() invalid remote address '${host}'`);
    const { DtlsEngine, loadCertificate } = need('dtls');
    const { srtpKeysFromKeyingMaterial } = need('srtp');
    const opts: DtlsEngineOptions = {
      role: cfg.mode,
      srtpProfiles: cfg.profiles,
      handshakeTimeoutMs: cfg.timeoutMs,
      requestClientCertificate: false,
      peerId: `${host}:${port}`,
    };
    try {
      if (cfg.certPem && cfg.keyPem) opts.certificate = loadCertificate(cfg.certPem, cfg.keyPem);
      else if (cfg.mode === 'server') return err('dtls_handshake() server mode needs cert_pem and key_pem');
      if (!cfg.insecure) {
        if (cfg.caPem) opts.ca = [cfg.caPem];
      } else opts.verifyCertificate = () => true;
    } catch (e) {
      return err(`dtls_handshake() bad PEM: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      const u = await net.ensureUdp(rec, isIP(host) === 6 ? 6 : 4);
      const engine = new DtlsEngine(opts);
      const deadlineAll = monoMs() + cfg.timeoutMs;
      if (cfg.mode === 'client') engine.start(monoMs());
      let next: number | null = null;
      for (;;) {
        for (;;) {
          const o = engine.pollOutput();
          if (o.kind === 'datagram') await udpSendTo(u, o.data, port, host);
          else if (o.kind === 'deadline') {
            next = o.at;
            break;
          } else if (o.event.type === 'connected') {
            const km = engine.srtpKeyingMaterial();
            if (!km) return err('dtls_handshake() peer negotiated nae SRTP profile');
            const keys = srtpKeysFromKeyingMaterial(km.profile.name, km.material, 'client');
            const cl = keys.local;
            const sv = keys.remote;
            return ok(
              dict({
                profile: profileName(km.profile.name),
                client_key: new MBytes(cl.key),
                client_salt: new MBytes(cl.salt),
                server_key: new MBytes(sv.key),
                server_salt: new MBytes(sv.salt),
                key_len: km.profile.masterKeyLength,
                salt_len: km.profile.masterSaltLength,
              }),
            );
          } else if (o.event.type === 'error') {
            return err(`dtls_handshake() ${o.event.error.message}`);
          } else if (o.event.type === 'closed') {
            return err('dtls_handshake() peer closed the association');
          }
        }
        const now = monoMs();
        if (now > deadlineAll) return err('dtls_handshake() handshake timed oot', 110);
        const wait = Math.max(1, Math.min(next === null ? 1000 : next - now, deadlineAll - now));
        let m: Awaited<ReturnType<typeof u.recv>> | null = null;
        try {
          m = await u.recv(Math.ceil(wait));
        } catch {
          m = null;
        }
        if (m) {
          if (m.port === port && sameHost(m.address, host)) engine.handleInput(m.data.slice(), monoMs());
        } else engine.handleTimeout(monoMs());
      }
    } catch (e) {
      return err(`dtls_handshake() ${e instanceof Error ? e.message : String(e)}`);
    }
  });
}

function sameHost(a: string, b: string): boolean {
  const n = (x: string) => x.replace(/^::ffff:/, '').toLowerCase();
  return n(a) === n(b);
}
