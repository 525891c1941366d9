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
import { display, kindOf, MBytes, type MDict, MFloat, MFunc, MNative, truthy, type Value } from '../values.js';
import { argBytes } from './bytes.js';
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

interface Watch {
  sock: number;
  read: Value | null;
  write: Value | null;
}

interface Timer {
  id: number;
  due: number;
  interval: number;
  cb: Value;
  cancelled: boolean;
}

interface LoopRec {
  watches: Watch[];
  timers: Timer[];
  nextTimer: number;
  stopped: boolean;
  wake: (() => void) | null;
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

function isCallable(v: Value): boolean {
  return v instanceof MFunc || v instanceof MNative;
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

  // ---- event loop and timers (SPEC.md §12.5) ----
  d('event_loop_new', 0, () => {
    interp.loopCreated();
    return st.newLoop();
  });
  const watch = (name: string, dir: 'read' | 'write') =>
    d(name, 3, ([l, s, cb]) => {
      const loop = st.loop(name, l as Value);
      const rec = st.sock(name, s as Value);
      const w = loop.watches.find((x) => x.sock === rec.id);
      if (w) w[dir] = cb as Value;
      else
        loop.watches.push({
          sock: rec.id,
          read: dir === 'read' ? (cb as Value) : null,
          write: dir === 'write' ? (cb as Value) : null,
        });
      return null;
    });
  watch('event_watch_read', 'read');
  watch('event_watch_write', 'write');
  d('event_unwatch', 2, ([l, s]) => {
    const loop = st.loop('event_unwatch', l as Value);
    const id = st.sock('event_unwatch', s as Value).id;
    const n = loop.watches.length;
    loop.watches = loop.watches.filter((w) => w.sock !== id);
    return loop.watches.length !== n;
  });
  const timer = (name: string, periodic: boolean) =>
    d(name, 3, ([l, m, cb]) => {
      const loop = st.loop(name, l as Value);
      const ms = argHandle(name, m as Value);
      if (periodic ? ms <= 0 : ms < 0) fail(`${name}() interval must be ${periodic ? '> 0' : '>= 0'}, no' ${ms}`);
      if (!isCallable(cb as Value)) fail(`${name}() callback must be a function`);
      if (loop.timers.length >= 100_000) fail(`${name}() too many timers`);
      const id = loop.nextTimer++;
      loop.timers.push({
        id,
        due: Math.floor(st.clock.now()) + ms,
        interval: periodic ? ms : 0,
        cb: cb as Value,
        cancelled: false,
      });
      loop.wake?.();
      return id;
    });
  timer('timer_after', false);
  timer('timer_every', true);
  d('timer_cancel', 2, ([l, i]) => {
    const loop = st.loop('timer_cancel', l as Value);
    const id = argHandle('timer_cancel', i as Value);
    const t = loop.timers.find((x) => x.id === id && !x.cancelled);
    if (!t) return false;
    t.cancelled = true;
    return true;
  });
  d('event_loop_stop', 1, ([l]) => {
    const loop = st.loop('event_loop_stop', l as Value);
    loop.stopped = true;
    loop.wake?.();
    return null;
  });
  da('event_loop_poll', 2, async ([l, t]) => {
    const loop = st.loop('event_loop_poll', l as Value);
    const tv = t as Value;
    let timeout: number;
    if (tv === null) timeout = -1;
    else if (typeof tv === 'number') timeout = tv;
    else if (tv instanceof MFloat) timeout = tv.v;
    else if (typeof tv === 'bigint') timeout = Number(tv);
    else return fail(`event_loop_poll() timeout must be a number or naething`);
    return poll(st, loop, timeout);
  });

  return st;
}

function ready(st: NetState, loop: LoopRec): { w: Watch; read: boolean; write: boolean }[] {
  const out: { w: Watch; read: boolean; write: boolean }[] = [];
  for (const w of loop.watches) {
    const rec = st.socks.get(w.sock);
    if (!rec) continue;
    const wa = st.watchable(rec);
    const rr = w.read !== null && wa?.readable === true;
    // A UDP socket not bound yet is still writable (sending binds it).
    const ww = w.write !== null && (wa === null ? rec.kind === 'udp' && !rec.closed : wa.writable);
    if (rr || ww) out.push({ w, read: rr, write: ww });
  }
  return out;
}

async function poll(st: NetState, loop: LoopRec, timeoutMs: number): Promise<Value> {
  if (loop.stopped) return [dict({ kind: 'stop' })];
  const now = st.clock.now();
  let due: number | null = null;
  for (const t of loop.timers) {
    if (t.cancelled) continue;
    const dd = Math.max(0, t.due - now);
    if (due === null || dd < due) due = dd;
  }
  let wait: number;
  if (timeoutMs >= 0) wait = due !== null ? Math.min(timeoutMs, due) : timeoutMs;
  else wait = due ?? Number.POSITIVE_INFINITY;
  let rs = ready(st, loop);
  if (rs.length === 0 && wait > 0) {
    await new Promise<void>((resolve) => {
      const unsubs: (() => void)[] = [];
      let timer: NodeJS.Timeout | null = null;
      // A wait without a deadline must keep the process alive, as a blocking poll would.
      const keep = Number.isFinite(wait) ? null : setInterval(() => undefined, 60_000);
      const done = (): void => {
        for (const u of unsubs) u();
        if (timer) clearTimeout(timer);
        if (keep) clearInterval(keep);
        loop.wake = null;
        resolve();
      };
      for (const w of loop.watches) {
        const rec = st.socks.get(w.sock);
        const wa = rec ? st.watchable(rec) : null;
        if (wa)
          unsubs.push(
            wa.onReadiness(() => {
              if (ready(st, loop).length > 0) done();
            }),
          );
      }
      loop.wake = done;
      if (Number.isFinite(wait)) {
        const manual = st.clock as Clock & { subscribe?: (l: (t: number) => void) => () => void };
        if (typeof manual.subscribe === 'function') {
          const deadline = now + wait;
          unsubs.push(
            manual.subscribe((t) => {
              if (t >= deadline) queueMicrotask(done);
            }),
          );
        } else timer = setTimeout(done, Math.min(Math.ceil(wait), 2 ** 31 - 1));
      }
    });
    if (loop.stopped) return [dict({ kind: 'stop' })];
    rs = ready(st, loop);
  }
  const events: Value[] = [];
  for (const r of rs) {
    if (r.read) events.push(dict({ kind: 'read', sock: r.w.sock, callback: r.w.read }));
    if (r.write) events.push(dict({ kind: 'write', sock: r.w.sock, callback: r.w.write }));
  }
  const now2 = st.clock.now();
  for (const t of loop.timers) {
    if (t.cancelled || t.due > now2) continue;
    events.push(dict({ kind: 'timer', id: t.id, callback: t.cb }));
    if (t.interval > 0) {
      while (t.due <= now2) t.due += t.interval;
    } else t.cancelled = true;
  }
  loop.timers = loop.timers.filter((t) => !t.cancelled);
  return events;
}
