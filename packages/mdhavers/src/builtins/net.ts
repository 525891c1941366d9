/**
 * Sockets (SPEC.md §12.3), DNS (§12.4) and the event loop with timers (§12.5), bound to @mdh/loop.
 * Unlike the reference, IPv6 addresses are accepted everywhere.
 */
import { lookup as sysLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Clock, StreamConnection, StreamServer, UdpSocket } from '@mdh/loop';
import { fail } from '../errors.js';
import type { Interpreter } from '../interpreter.js';
import { loopIfLoaded, loopMod } from '../loop-lazy.js';
import { display, kindOf, MBytes, type MDict, MFloat, truthy, type Value } from '../values.js';
import { argBytes } from './bytes.js';
import { type LoopRec, registerEventLoop } from './net-loop.js';
import type { Registry } from './registry.js';
import { dict, err, ok } from './result.js';

/** A socket handle's state. */
export interface SockRec {
  id: number;
  kind: 'udp' | 'tcp';
  nonblocking: boolean;
  reuseAddr: boolean;
  reusePort: boolean;
  nodelay: boolean;
  ttl: number | null;
  rcvbuf: number | null;
  sndbuf: number | null;
  bindHost: string | null;
  bindPort: number;
  udp: UdpSocket | null;
  peer: { host: string; port: number } | null;
  conn: StreamConnection | null;
  server: StreamServer | null;
  leftover: Uint8Array | null;
  closed: boolean;
}

/** Anything a loop can watch. */
interface Watchable {
  readonly readable: boolean;
  readonly writable: boolean;
  onReadiness(cb: () => void): () => void;
}

const EAGAIN = 11;

function errno(e: unknown): number {
  const L = loopIfLoaded();
  if (L === null) return -1;
  if (e instanceof L.SocketError) {
    if (typeof e.errno === 'number' && e.errno > 0) return e.errno;
    return L.errnoOf(e.code);
  }
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' ? L.errnoOf(code) : -1;
}

function msgOf(name: string, e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return `${name}() ${m}`;
}

/** Reads a handle argument (floats truncated, SPEC.md §12.1). */
export function argHandle(name: string, v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof MFloat && Number.isFinite(v.v)) return Math.trunc(v.v);
  return fail(`${name}() needs a handle (an integer), no' a ${kindOf(v)}`);
}

function argPort(name: string, v: Value): number {
  const p = typeof v === 'number' ? v : v instanceof MFloat ? Math.trunc(v.v) : Number.NaN;
  if (!Number.isInteger(p) || p < 0 || p > 65535) fail(`${name}() port must be 0 tae 65535, no' ${display(v)}`);
  return p;
}

/** Resolves a host to an address (IP literals pass through; brackets stripped). */
async function resolveHost(host: string, prefer: 4 | 6 | 0 = 0): Promise<string> {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(h)) return h;
  const all = await sysLookup(h, { all: true });
  const pick = (prefer ? all.find((a) => a.family === prefer) : undefined) ?? all.find((a) => a.family === 4) ?? all[0];
  if (!pick) throw new Error(`cannae resolve '${host}'`);
  return pick.address;
}

/** Socket and loop registries of one interpreter. */
export class NetState {
  constructor(
    /** Time source of timers and polls (a ManualClock in tests). */
    readonly clock: Clock,
  ) {}
  readonly socks = new Map<number, SockRec>();
  private nextSock = 1;
  readonly loops = new Map<number, LoopRec>();
  private nextLoop = 1;

  newSock(kind: 'udp' | 'tcp'): SockRec {
    const r: SockRec = {
      id: this.nextSock++,
      kind,
      nonblocking: false,
      reuseAddr: false,
      reusePort: false,
      nodelay: false,
      ttl: null,
      rcvbuf: null,
      sndbuf: null,
      bindHost: null,
      bindPort: 0,
      udp: null,
      peer: null,
      conn: null,
      server: null,
      leftover: null,
      closed: false,
    };
    this.socks.set(r.id, r);
    return r;
  }

  /** Looks a socket up; an unknown handle throws (SPEC.md §12.1). */
  sock(name: string, v: Value): SockRec {
    const id = argHandle(name, v);
    const r = this.socks.get(id);
    if (!r) fail(`${name}() unknown socket handle ${id}`);
    return r;
  }

  /** Creates the OS UDP socket for a record (on bind, or on first use with an ephemeral port). */
  async ensureUdp(r: SockRec, family: 4 | 6 = 4): Promise<UdpSocket> {
    if (r.udp) return r.udp;
    const host = r.bindHost;
    const fam = host && isIP(host) === 6 ? 6 : family;
    const opts: Parameters<ReturnType<typeof loopMod>['createUdpSocket']>[0] = {
      type: fam === 6 ? 'udp6' : 'udp4',
      port: r.bindPort,
      reuseAddr: r.reuseAddr,
      queueLimit: 4096,
    };
    if (host) opts.address = host;
    if (r.rcvbuf !== null && r.rcvbuf > 0) opts.recvBufferSize = r.rcvbuf;
    if (r.sndbuf !== null && r.sndbuf > 0) opts.sendBufferSize = r.sndbuf;
    if (r.ttl !== null && r.ttl > 0) opts.ttl = r.ttl;
    r.udp = await loopMod().createUdpSocket(opts);
    return r.udp;
  }

  /** The watchable behind a socket, if it has one yet. */
  watchable(r: SockRec): Watchable | null {
    return r.udp ?? r.conn ?? r.server ?? null;
  }

  loop(name: string, v: Value): LoopRec {
    const id = argHandle(name, v);
    const l = this.loops.get(id);
    if (!l) fail(`${name}() unknown event loop handle ${id}`);
    return l;
  }

  newLoop(): number {
    const id = this.nextLoop++;
    this.loops.set(id, { watches: [], timers: [], nextTimer: 1, stopped: false, wake: null });
    return id;
  }

  async closeSock(r: SockRec): Promise<void> {
    r.closed = true;
    this.socks.delete(r.id);
    if (r.udp) await r.udp.close().catch(() => undefined);
    if (r.conn) r.conn.close();
    if (r.server) await r.server.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    for (const r of [...this.socks.values()]) await this.closeSock(r);
    for (const l of this.loops.values()) {
      l.stopped = true;
      l.wake?.();
    }
  }
}

/** Sends on a UDP socket; a connected socket sends to its peer (node:dgram refuses an address there). */
export function udpSendTo(u: UdpSocket, data: Uint8Array, port: number, host: string): Promise<void> {
  const remote = u.remoteAddress;
  if (remote) {
    if (remote.port !== port) {
      return Promise.reject(new (loopMod().SocketError)('EISCONN', 'send', 'the socket is connected to another peer'));
    }
    return u.sendAsync(data);
  }
  return u.sendAsync(data, port, host);
}

function addrDict(host: string, port: number): MDict {
  return dict({ host, port });
}

/** Registers socket, DNS and event-loop builtins. */
export function registerNet(r: Registry, interp: Interpreter): NetState {
  const st = new NetState(interp.clock);
  interp.closers.push(() => st.closeAll());
  interp.stoppers.push(() => {
    for (const l of st.loops.values()) {
      l.stopped = true;
      l.wake?.();
    }
  });
  registerSockets(r, st);
  registerSocketOptions(r, st);
  registerSocketIo(r, st);
  registerDns(r);
  registerEventLoop(r, interp, st);
  return st;
}

/** SPEC.md §12.3: creating, binding, connecting, listening and accepting sockets. */
function registerSockets(r: Registry, st: NetState): void {
  const d = r.def.bind(r);
  const da = r.defAsync.bind(r);
  // ---- sockets ----
  d('socket_udp', 0, () => ok(st.newSock('udp').id));
  d('socket_tcp', 0, () => ok(st.newSock('tcp').id));

  da('socket_bind', 3, async ([s, h, p]) => {
    const rec = st.sock('socket_bind', s as Value);
    const host = h as Value;
    if (host !== null && typeof host !== 'string') fail(`socket_bind() host must be a string or naething`);
    const port = argPort('socket_bind', p as Value);
    try {
      rec.bindHost = host === null || host === '' ? null : await resolveHost(host);
      rec.bindPort = port;
      if (rec.kind === 'udp') {
        if (rec.udp) return err('socket_bind() socket is already bound', 22);
        await st.ensureUdp(rec);
      }
      return ok(null);
    } catch (e) {
      return err(msgOf('socket_bind', e), errno(e));
    }
  });

  da('socket_connect', 3, async ([s, h, p]) => {
    const rec = st.sock('socket_connect', s as Value);
    if (typeof h !== 'string') fail(`socket_connect() host must be a string`);
    const port = argPort('socket_connect', p as Value);
    try {
      const addr = await resolveHost(h);
      if (rec.kind === 'udp') {
        const u = await st.ensureUdp(rec, isIP(addr) === 6 ? 6 : 4);
        await u.connect(port, addr);
        rec.peer = { host: addr, port };
        return ok(null);
      }
      if (rec.conn) return err('socket_connect() already connected', 106);
      const opts: Parameters<ReturnType<typeof loopMod>['connectTcp']>[0] = { host: addr, port, timeoutMs: 10_000 };
      if (rec.bindHost) opts.localAddress = rec.bindHost;
      if (rec.bindPort) opts.localPort = rec.bindPort;
      rec.conn = await loopMod().connectTcp(opts);
      if (rec.nodelay) rec.conn.setNoDelay(true);
      rec.peer = { host: addr, port };
      return ok(null);
    } catch (e) {
      return err(msgOf('socket_connect', e), errno(e));
    }
  });

  da('socket_listen', 2, async ([s, b]) => {
    const rec = st.sock('socket_listen', s as Value);
    const backlog = argHandle('socket_listen', b as Value);
    if (rec.kind !== 'tcp') return err('socket_listen() needs a TCP socket', 95);
    if (rec.server) return ok(null);
    try {
      const opts: Parameters<ReturnType<typeof loopMod>['listenTcp']>[0] = {
        port: rec.bindPort,
        backlog: Math.max(1, backlog),
      };
      if (rec.bindHost) opts.host = rec.bindHost;
      rec.server = await loopMod().listenTcp(opts);
      return ok(null);
    } catch (e) {
      return err(msgOf('socket_listen', e), errno(e));
    }
  });

  da('socket_accept', 1, async ([s]) => {
    const rec = st.sock('socket_accept', s as Value);
    if (!rec.server) return err("socket_accept() socket is no' listening", 22);
    try {
      let c = rec.server.tryAccept();
      if (!c) {
        if (rec.nonblocking) return err('socket_accept() would block', EAGAIN);
        c = await rec.server.accept();
      }
      const nr = st.newSock('tcp');
      nr.conn = c;
      nr.peer = { host: c.remoteAddress, port: c.remotePort };
      if (rec.nodelay) c.setNoDelay(true);
      return ok(dict({ sock: nr.id, addr: addrDict(c.remoteAddress, c.remotePort) }));
    } catch (e) {
      return err(msgOf('socket_accept', e), errno(e));
    }
  });
}

/** SPEC.md §12.3: socket options, and closing a socket. */
function registerSocketOptions(r: Registry, st: NetState): void {
  const d = r.def.bind(r);
  const da = r.defAsync.bind(r);
  const flag = (name: string, apply: (rec: SockRec, on: boolean) => void) =>
    d(name, 2, ([s, on]) => {
      const rec = st.sock(name, s as Value);
      try {
        apply(rec, truthy(on as Value));
        return ok(null);
      } catch (e) {
        return err(msgOf(name, e), errno(e));
      }
    });
  flag('socket_set_nonblocking', (rec, on) => {
    rec.nonblocking = on;
  });
  flag('socket_set_reuseaddr', (rec, on) => {
    rec.reuseAddr = on;
    rec.udp?.setReuseAddr(on);
  });
  flag('socket_set_reuseport', (rec, on) => {
    rec.reusePort = on;
  });
  flag('socket_set_nodelay', (rec, on) => {
    rec.nodelay = on;
    rec.conn?.setNoDelay(on);
  });
  const sized = (name: string, max: number, apply: (rec: SockRec, n: number) => void) =>
    d(name, 2, ([s, v]) => {
      const rec = st.sock(name, s as Value);
      const n = argHandle(name, v as Value);
      if (n < 0 || n > max) fail(`${name}() value must be 0 tae ${max}, no' ${n}`);
      try {
        apply(rec, n);
        return ok(null);
      } catch (e) {
        return err(msgOf(name, e), errno(e));
      }
    });
  sized('socket_set_ttl', 255, (rec, n) => {
    rec.ttl = n;
    if (rec.udp && n > 0) rec.udp.setTtl(n);
  });
  sized('socket_set_rcvbuf', 2 ** 31 - 1, (rec, n) => {
    rec.rcvbuf = n;
    if (rec.udp && n > 0) rec.udp.setRecvBufferSize(n);
  });
  sized('socket_set_sndbuf', 2 ** 31 - 1, (rec, n) => {
    rec.sndbuf = n;
    if (rec.udp && n > 0) rec.udp.setSendBufferSize(n);
  });

  da('socket_close', 1, async ([s]) => {
    const rec = st.sock('socket_close', s as Value);
    for (const l of st.loops.values()) l.watches = l.watches.filter((w) => w.sock !== rec.id);
    await st.closeSock(rec);
    return ok(null);
  });
}

/** SPEC.md §12.3: UDP datagrams and TCP streams. */
function registerSocketIo(r: Registry, st: NetState): void {
  const da = r.defAsync.bind(r);
  da('udp_send_to', 4, async ([s, b, h, p]) => {
    const rec = st.sock('udp_send_to', s as Value);
    const buf = argBytes('udp_send_to', b as Value);
    if (typeof h !== 'string') fail(`udp_send_to() host must be a string`);
    const port = argPort('udp_send_to', p as Value);
    if (rec.kind !== 'udp') return err('udp_send_to() needs a UDP socket', 95);
    try {
      const addr = await resolveHost(h, rec.udp ? (rec.udp.family === 'IPv6' ? 6 : 4) : 0);
      const u = await st.ensureUdp(rec, isIP(addr) === 6 ? 6 : 4);
      const data = buf.view().slice();
      await udpSendTo(u, data, port, addr);
      return ok(data.length);
    } catch (e) {
      return err(msgOf('udp_send_to', e), errno(e));
    }
  });

  da('udp_recv_from', 2, async ([s, m]) => {
    const rec = st.sock('udp_recv_from', s as Value);
    const max = argHandle('udp_recv_from', m as Value);
    if (max < 0) fail('udp_recv_from() max must be zero or mair');
    if (rec.kind !== 'udp') return err('udp_recv_from() needs a UDP socket', 95);
    try {
      const u = await st.ensureUdp(rec);
      let msg = u.tryRecv();
      if (!msg) {
        if (rec.nonblocking) return err('udp_recv_from() would block (EAGAIN)', EAGAIN);
        msg = await u.recv();
      }
      const data = msg.data.slice(0, max);
      return ok(dict({ buf: new MBytes(data), addr: addrDict(msg.address, msg.port) }));
    } catch (e) {
      return err(msgOf('udp_recv_from', e), errno(e));
    }
  });

  da('tcp_send', 2, async ([s, b]) => {
    const rec = st.sock('tcp_send', s as Value);
    const buf = argBytes('tcp_send', b as Value);
    if (!rec.conn) return err("tcp_send() socket is no' connected", 107);
    try {
      const data = buf.view().slice();
      await rec.conn.write(data);
      return ok(data.length);
    } catch (e) {
      return err(msgOf('tcp_send', e), errno(e));
    }
  });

  da('tcp_recv', 2, async ([s, m]) => {
    const rec = st.sock('tcp_recv', s as Value);
    const max = argHandle('tcp_recv', m as Value);
    if (max < 0) fail('tcp_recv() max must be zero or mair');
    if (!rec.conn) return err("tcp_recv() socket is no' connected", 107);
    try {
      let chunk = rec.leftover;
      rec.leftover = null;
      if (!chunk) {
        chunk = rec.conn.tryRead() ?? null;
        if (chunk === null) {
          if (rec.nonblocking) return err('tcp_recv() would block (EAGAIN)', EAGAIN);
          chunk = await rec.conn.read();
        }
      }
      if (chunk.length > max) {
        rec.leftover = chunk.slice(max);
        chunk = chunk.subarray(0, max);
      }
      return ok(new MBytes(chunk.slice()));
    } catch (e) {
      return err(msgOf('tcp_recv', e), errno(e));
    }
  });
}

/** SPEC.md §12.4: DNS through the system resolver. */
function registerDns(r: Registry): void {
  const da = r.defAsync.bind(r);
  // ---- DNS (system resolver) ----
  da('dns_lookup', 1, async ([h]) => {
    if (typeof h !== 'string') fail(`dns_lookup() host must be a string, no' a ${kindOf(h as Value)}`);
    try {
      const all = await sysLookup(h, { all: true, verbatim: true });
      return ok(all.map((a) => a.address));
    } catch (e) {
      return err(msgOf('dns_lookup', e), -1);
    }
  });
}
