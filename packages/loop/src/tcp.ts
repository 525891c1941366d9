import net from 'node:net';
import { AsyncQueue } from './async-queue.js';
import type { Watchable } from './loop.js';
import { checkHost, checkPort, checkTimeout, SocketError, toSocketError, UnsupportedError } from './socket-error.js';
import { StreamConnection, type StreamConnectionOptions } from './stream.js';

/** Options of {@link connectTcp}. */
export interface TcpConnectOptions extends StreamConnectionOptions {
  host: string;
  port: number;
  /** Give up connecting after this many ms with `ETIMEDOUT` (op `connect`); default 10000. */
  timeoutMs?: number;
  /** Local address to bind before connecting. */
  localAddress?: string;
  /** Local port to bind before connecting. */
  localPort?: number;
  /** Restrict name resolution to IPv4 (4) or IPv6 (6). */
  family?: 4 | 6;
}

/** Options of {@link listenTcp}. */
export interface TcpListenOptions extends StreamConnectionOptions {
  /** Address to listen on (default: all addresses). */
  host?: string;
  /** Port (default 0: the OS chooses; read it from `server.port`). */
  port?: number;
  /** Listen backlog (default 511). */
  backlog?: number;
  /** For IPv6 hosts: accept IPv6 only. */
  ipv6Only?: boolean;
  /** Pending connections kept for accept() when no onConnection callback is given (default 128). */
  acceptQueueLimit?: number;
  /** Stop accepting beyond this many simultaneous connections (default 10000). */
  maxConnections?: number;
  /** SO_REUSEADDR: Node always sets it on listening sockets (Unix), so `false` throws {@link UnsupportedError}. */
  reuseAddr?: boolean;
  /** SO_REUSEPORT: not available to Node 20's net.Server, so `true` throws {@link UnsupportedError}. */
  reusePort?: boolean;
}

/** Counters of a {@link StreamServer}. */
export interface StreamServerStats {
  accepted: number;
  /** Connections refused because the accept queue or maxConnections was full. */
  rejected: number;
  /** Failed incoming handshakes (TLS) and socket errors before accept. */
  acceptErrors: number;
  /** Errors thrown by the onConnection callback (caught and counted). */
  callbackErrors: number;
}

/**
 * A listening stream server (TCP or TLS). With an `onConnection` callback every accepted
 * connection goes to it; without one, connections wait in a bounded queue read by {@link accept}
 * (and the server is {@link Watchable}: readable while a connection waits).
 *
 * @example
 * const srv = await listenTcp({ host: '127.0.0.1' }, (c) => c.onData((d) => void c.write(d)));
 * console.log(srv.port);
 * await srv.close();
 */
export class StreamServer<C extends StreamConnection = StreamConnection> implements Watchable {
  /** Bound address. */
  readonly address: string;
  /** Bound port. */
  readonly port: number;
  /** Counters. */
  readonly stats: StreamServerStats = { accepted: 0, rejected: 0, acceptErrors: 0, callbackErrors: 0 };
  /** The last error seen on an incoming connection before it was accepted (e.g. a TLS handshake failure). */
  lastAcceptError: SocketError | undefined;

  private readonly server: net.Server;
  private readonly conns = new Set<C>();
  private readonly raw = new Set<net.Socket>();
  private readonly pending: AsyncQueue<C>;
  private readonly readiness = new Set<() => void>();
  private isClosed = false;
  private readonly onConnection: ((c: C) => void) | undefined;
  private readonly maxConnections: number;
  private readonly acceptLimit: number;

  /** @internal use listenTcp/listenTls. */
  constructor(server: net.Server, onConnection: ((c: C) => void) | undefined, opts: TcpListenOptions) {
    this.server = server;
    const a = server.address() as net.AddressInfo;
    this.address = a.address;
    this.port = a.port;
    this.onConnection = onConnection;
    this.maxConnections = opts.maxConnections ?? 10000;
    this.acceptLimit = opts.acceptQueueLimit ?? 128;
    if (!Number.isInteger(this.acceptLimit) || this.acceptLimit < 1)
      throw new RangeError('acceptQueueLimit must be >= 1');
    this.pending = new AsyncQueue<C>(Number.POSITIVE_INFINITY, () => this.notify());
    server.on('error', (err) => {
      this.stats.acceptErrors++;
      this.lastAcceptError = toSocketError(err, 'accept');
    });
    // Every raw socket, including TLS ones still handshaking, so close() can end them all.
    server.on('connection', (raw: net.Socket) => {
      this.raw.add(raw);
      raw.once('close', () => this.raw.delete(raw));
    });
  }

  /** @internal Called by the listen functions with each new connection. */
  adopt(c: C): void {
    if (this.isClosed || this.conns.size >= this.maxConnections) {
      this.stats.rejected++;
      c.close();
      return;
    }
    this.stats.accepted++;
    this.conns.add(c);
    c.onClose(() => this.conns.delete(c));
    if (this.onConnection) {
      try {
        this.onConnection(c);
      } catch {
        this.stats.callbackErrors++;
      }
      return;
    }
    if (this.pending.length >= this.acceptLimit) {
      // Accept queue full: refuse the newcomer (never drop, and leak, an already-queued one).
      this.stats.rejected++;
      this.conns.delete(c);
      c.close();
      return;
    }
    this.pending.push(c);
  }

  /** @internal */
  recordAcceptError(err: unknown, op: string): void {
    this.stats.acceptErrors++;
    this.lastAcceptError = toSocketError(err, op);
  }

  private notify(): void {
    for (const cb of this.readiness) {
      try {
        cb();
      } catch {
        this.stats.callbackErrors++;
      }
    }
  }

  /**
   * Pull mode (no onConnection callback): the next accepted connection. Rejects with `ETIMEDOUT`
   * (op `accept`) after `timeoutMs`, or `ERR_SOCKET_CLOSED` once the server is closed.
   */
  accept(timeoutMs?: number): Promise<C> {
    if (this.onConnection) return Promise.reject(new TypeError('accept(): this server has an onConnection callback'));
    if (timeoutMs !== undefined) checkTimeout(timeoutMs);
    if (this.isClosed) return Promise.reject(new SocketError('ERR_SOCKET_CLOSED', 'accept', 'server is closed'));
    return this.pending.next(timeoutMs, 'accept');
  }

  /** Pull mode, non-blocking: a waiting connection or undefined. */
  tryAccept(): C | undefined {
    if (this.isClosed) throw new SocketError('ERR_SOCKET_CLOSED', 'accept', 'server is closed');
    return this.pending.shift();
  }

  /** Listening-socket options, read back. */
  getOptions(): { reuseAddr: boolean; reusePort: boolean; maxConnections: number; acceptQueueLimit: number } {
    return {
      reuseAddr: process.platform !== 'win32',
      reusePort: false,
      maxConnections: this.maxConnections,
      acceptQueueLimit: this.acceptLimit,
    };
  }

  /** Live connections accepted by this server. */
  get connections(): number {
    return this.conns.size;
  }

  /** {@link Watchable}: a connection waits to be accepted. */
  get readable(): boolean {
    return this.pending.length > 0;
  }

  /** {@link Watchable}: servers are never writable. */
  get writable(): boolean {
    return false;
  }

  /** {@link Watchable}. */
  onReadiness(cb: () => void): () => void {
    this.readiness.add(cb);
    return () => this.readiness.delete(cb);
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Stops listening and closes every connection it accepted (and any not yet accepted). Idempotent. */
  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    for (const c of this.pending.drain()) c.close();
    this.pending.close(new SocketError('ERR_SOCKET_CLOSED', 'accept', 'server is closed'));
    for (const c of this.conns) c.close();
    for (const r of this.raw) r.destroy();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Validates and normalises connect options shared by TCP and TLS. */
export function checkConnectOptions(opts: { host: string; port: number; timeoutMs?: number }): number {
  if (!opts || typeof opts !== 'object') throw new TypeError('connect options are required');
  checkHost(opts.host);
  checkPort(opts.port);
  if (opts.port === 0) throw new RangeError('port must be in 1..65535');
  return opts.timeoutMs === undefined ? 10_000 : checkTimeout(opts.timeoutMs);
}

/**
 * Connects a TCP stream. Rejects with a {@link SocketError}: `ECONNREFUSED`, `ENOTFOUND`,
 * `ETIMEDOUT` (op `connect`) after `timeoutMs`...
 *
 * @example
 * const c = await connectTcp({ host: '127.0.0.1', port: 5060, timeoutMs: 2000 });
 * await c.write(new Uint8Array([1, 2, 3]));
 * const reply = await c.read(1000);
 */
export function connectTcp(opts: TcpConnectOptions): Promise<StreamConnection> {
  const timeoutMs = checkConnectOptions(opts);
  if (opts.localPort !== undefined) checkPort(opts.localPort, 'localPort');
  return new Promise<StreamConnection>((resolve, reject) => {
    const co: net.NetConnectOpts = { host: opts.host, port: opts.port, allowHalfOpen: opts.allowHalfOpen ?? true };
    if (opts.localAddress !== undefined) co.localAddress = opts.localAddress;
    if (opts.localPort !== undefined) co.localPort = opts.localPort;
    if (opts.family !== undefined) co.family = opts.family;
    const sock = net.connect(co);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        new SocketError('ETIMEDOUT', 'connect', `no connection to ${opts.host}:${opts.port} within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    sock.once('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(toSocketError(err, 'connect'));
    });
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(new StreamConnection(sock, opts));
    });
  });
}

/** Binds a net.Server and wraps it; shared by TCP and TLS. */
export function listenServer<C extends StreamConnection>(
  server: net.Server,
  opts: TcpListenOptions,
  onConnection: ((c: C) => void) | undefined,
): Promise<StreamServer<C>> {
  const port = checkPort(opts.port ?? 0);
  if (opts.host !== undefined) checkHost(opts.host);
  if (opts.reusePort) {
    throw new UnsupportedError('listen', 'SO_REUSEPORT is not available to net.Server in this Node version');
  }
  if (opts.reuseAddr === false && process.platform !== 'win32') {
    throw new UnsupportedError('listen', 'Node always sets SO_REUSEADDR on listening TCP sockets');
  }
  if (onConnection !== undefined && typeof onConnection !== 'function') {
    throw new TypeError('onConnection must be a function');
  }
  return new Promise<StreamServer<C>>((resolve, reject) => {
    const onErr = (err: Error) => reject(toSocketError(err, 'listen'));
    server.once('error', onErr);
    const lo: net.ListenOptions = { port, backlog: opts.backlog ?? 511 };
    if (opts.host !== undefined) lo.host = opts.host;
    if (opts.ipv6Only !== undefined) lo.ipv6Only = opts.ipv6Only;
    server.listen(lo, () => {
      server.off('error', onErr);
      resolve(new StreamServer<C>(server, onConnection, opts));
    });
  });
}

/**
 * Listens for TCP connections. With `onConnection`, each accepted connection is passed to it;
 * without, use `server.accept()`. Rejects with a {@link SocketError} such as `EADDRINUSE`.
 *
 * @example
 * const srv = await listenTcp({ host: '127.0.0.1', port: 0 });
 * const c = await srv.accept(5000);
 */
export async function listenTcp(
  opts: TcpListenOptions = {},
  onConnection?: (c: StreamConnection) => void,
): Promise<StreamServer> {
  const server = net.createServer({ allowHalfOpen: opts.allowHalfOpen ?? true, pauseOnConnect: false });
  let srv: StreamServer | undefined;
  const early: net.Socket[] = [];
  server.on('connection', (sock) => {
    sock.on('error', () => {});
    if (srv) srv.adopt(new StreamConnection(sock, opts));
    else early.push(sock);
  });
  srv = await listenServer<StreamConnection>(server, opts, onConnection);
  for (const s of early) srv.adopt(new StreamConnection(s, opts));
  return srv;
}
