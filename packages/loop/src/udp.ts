import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import { AsyncQueue } from './async-queue.js';
import type { Watchable } from './loop.js';
import { checkHost, checkPort, checkTimeout, SocketError, toSocketError, UnsupportedError } from './socket-error.js';

/** One received datagram. `data` is a view owned by the receiver. */
export interface UdpMessage {
  data: Uint8Array;
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** Options of {@link createUdpSocket}. */
export interface UdpSocketOptions {
  /** 'udp4' (default) or 'udp6'. */
  type?: 'udp4' | 'udp6';
  /** Local address to bind (default: any, `0.0.0.0` or `::`). */
  address?: string;
  /** Local port (default 0: the OS picks one; read it back from `socket.port`). */
  port?: number;
  /** SO_REUSEADDR (creation time only). */
  reuseAddr?: boolean;
  /** SO_REUSEPORT: not available in Node 20's dgram, so `true` throws {@link UnsupportedError}. */
  reusePort?: boolean;
  /**
   * In a `node:cluster` worker: `false` asks the primary for a socket shared by every worker that binds
   * the same address and port (all of them then read the one socket). Default `true`: the socket is this
   * process's own, as outside a cluster — without it, the n-th port-0 socket of each worker (RTP, DNS)
   * would be one shared socket and its datagrams would land on any worker. No effect outside a cluster.
   */
  clusterShared?: boolean;
  /** For 'udp6': IPV6_V6ONLY. */
  ipv6Only?: boolean;
  /** SO_RCVBUF in bytes. */
  recvBufferSize?: number;
  /** SO_SNDBUF in bytes. */
  sendBufferSize?: number;
  /** Unicast TTL / hop limit, 1..255. */
  ttl?: number;
  /** Multicast TTL, 0..255. */
  multicastTtl?: number;
  /** IP_MULTICAST_LOOP. */
  multicastLoopback?: boolean;
  /** SO_BROADCAST. */
  broadcast?: boolean;
  /** Receive queue length for recv()/iterator mode (default 1024); when full the oldest is dropped. */
  queueLimit?: number;
  /** Connect to this remote at creation (connected mode). */
  connect?: { port: number; address: string };
}

/** The options of a UDP socket, as read back by {@link UdpSocket.getOptions}. */
export interface UdpSocketOptionValues {
  reuseAddr: boolean;
  reusePort: boolean;
  ttl: number;
  multicastTtl: number;
  multicastLoopback: boolean;
  broadcast: boolean;
  recvBufferSize: number;
  sendBufferSize: number;
  memberships: string[];
}

/** Counters of one UDP socket. */
export interface UdpStats {
  /** Datagrams received from the OS. */
  received: number;
  /** Bytes received. */
  bytesReceived: number;
  /** Datagrams handed to the OS for sending. */
  sent: number;
  /** Bytes handed to the OS. */
  bytesSent: number;
  /** Datagrams dropped because the receive queue was full (oldest first). */
  dropped: number;
  /** Asynchronous send errors (e.g. ICMP port unreachable on a connected socket); see `lastError`. */
  sendErrors: number;
  /** Errors a callback threw (caught, counted, never thrown into the loop). */
  callbackErrors: number;
}

const CLOSED = (op: string) => new SocketError('ERR_SOCKET_CLOSED', op, 'socket is closed');

/**
 * A UDP socket over node:dgram with Uint8Array payloads, two receive modes and readable-back
 * options. Callback mode ({@link onMessage}) is the hot path; with no callback registered, datagrams
 * go to a bounded queue read by {@link recv}, {@link tryRecv} or `for await`. It is {@link Watchable}:
 * `readable` is true while the queue holds data. Nothing a peer sends can throw out of it.
 *
 * @example
 * const s = await createUdpSocket({ address: '127.0.0.1' });
 * s.send(new Uint8Array([1, 2]), 5060, '127.0.0.1');
 * const m = await s.recv(1000);
 */
export class UdpSocket implements Watchable {
  /** Local address the socket is bound to. */
  readonly address: string;
  /** Local port the socket is bound to (the OS's choice when 0 was asked). */
  readonly port: number;
  /** Address family. */
  readonly family: 'IPv4' | 'IPv6';
  /** Counters. */
  readonly stats: UdpStats = {
    received: 0,
    bytesReceived: 0,
    sent: 0,
    bytesSent: 0,
    dropped: 0,
    sendErrors: 0,
    callbackErrors: 0,
  };
  /** The last asynchronous error the OS reported (send failures, ICMP errors). */
  lastError: SocketError | undefined;

  private readonly sock: dgram.Socket;
  private readonly callbacks: ((m: UdpMessage) => void)[] = [];
  private readonly queue: AsyncQueue<UdpMessage>;
  private readonly readiness = new Set<() => void>();
  private isClosed = false;
  private remote: { port: number; address: string } | undefined;
  private readonly opts: { reuseAddr: boolean; ttl: number; multicastTtl: number; loop: boolean; bc: boolean };
  private readonly memberships = new Set<string>();
  private readonly onError = (err: Error) => {
    this.stats.sendErrors++;
    this.lastError = toSocketError(err, 'send');
  };

  /** @internal use {@link createUdpSocket}. */
  constructor(sock: dgram.Socket, opts: UdpSocketOptions) {
    this.sock = sock;
    const a = sock.address();
    this.address = a.address;
    this.port = a.port;
    this.family = a.family === 'IPv6' ? 'IPv6' : 'IPv4';
    this.opts = {
      reuseAddr: opts.reuseAddr ?? false,
      ttl: opts.ttl ?? 64,
      multicastTtl: opts.multicastTtl ?? 1,
      loop: opts.multicastLoopback ?? true,
      bc: opts.broadcast ?? false,
    };
    this.queue = new AsyncQueue<UdpMessage>(opts.queueLimit ?? 1024, () => this.notify());
    sock.on('message', (buf: Buffer, rinfo: dgram.RemoteInfo) => this.deliver(buf, rinfo));
    sock.on('error', this.onError);
  }

  private deliver(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    this.stats.received++;
    this.stats.bytesReceived += buf.length;
    const m: UdpMessage = {
      data: new Uint8Array(buf.buffer, buf.byteOffset, buf.length),
      address: rinfo.address,
      port: rinfo.port,
      family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4',
    };
    const cbs = this.callbacks;
    if (cbs.length === 1) {
      try {
        cbs[0]!(m);
      } catch {
        this.stats.callbackErrors++;
      }
      return;
    }
    if (cbs.length > 1) {
      for (const cb of cbs.slice()) {
        try {
          cb(m);
        } catch {
          this.stats.callbackErrors++;
        }
      }
      return;
    }
    if (!this.queue.push(m)) this.stats.dropped++;
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

  private assertOpen(op: string): void {
    if (this.isClosed) throw CLOSED(op);
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** The connected remote, if {@link connect} was used. */
  get remoteAddress(): { port: number; address: string } | undefined {
    return this.remote;
  }

  /**
   * Sends one datagram (fire and forget: asynchronous OS errors are counted in `stats.sendErrors`).
   * On a connected socket, `port` and `address` must be omitted.
   * Throws on a closed socket, a bad port or host.
   */
  send(data: Uint8Array, port?: number, address?: string): void {
    if (this.isClosed) throw CLOSED('send');
    if (this.remote) {
      if (port !== undefined || address !== undefined) {
        throw new TypeError('send(): this socket is connected; call send(data) without port and address');
      }
      this.sock.send(data);
    } else {
      if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) {
        throw new RangeError(`send(): port must be an integer in 1..65535, got ${String(port)}`);
      }
      if (typeof address !== 'string' || address.length === 0) checkHost(address, 'send(): address');
      this.sock.send(data, port, address);
    }
    this.stats.sent++;
    this.stats.bytesSent += data.byteLength;
  }

  /** Sends one datagram and resolves once the OS took it; rejects with a {@link SocketError}. */
  sendAsync(data: Uint8Array, port?: number, address?: string): Promise<void> {
    if (this.isClosed) return Promise.reject(CLOSED('send'));
    return new Promise<void>((resolve, reject) => {
      const cb = (err: Error | null) => {
        if (err) {
          this.stats.sendErrors++;
          reject(toSocketError(err, 'send'));
        } else resolve();
      };
      if (this.remote) {
        if (port !== undefined || address !== undefined) {
          throw new TypeError('sendAsync(): this socket is connected; omit port and address');
        }
        this.sock.send(data, cb);
      } else {
        if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) {
          throw new RangeError(`sendAsync(): port must be an integer in 1..65535, got ${String(port)}`);
        }
        checkHost(address, 'sendAsync(): address');
        this.sock.send(data, port, address as string, cb);
      }
      this.stats.sent++;
      this.stats.bytesSent += data.byteLength;
    });
  }

  /**
   * Connected mode: only datagrams from `address:port` are received and `send(data)` needs no
   * destination. Rejects with a {@link SocketError} (e.g. `ENOTFOUND` for an unknown host).
   */
  connect(port: number, address: string): Promise<void> {
    this.assertOpen('connect');
    checkPort(port);
    if (port === 0) throw new RangeError('connect(): port must be in 1..65535');
    checkHost(address);
    return new Promise<void>((resolve, reject) => {
      const onErr = (err: Error) => reject(toSocketError(err, 'connect'));
      this.sock.once('error', onErr);
      this.sock.connect(port, address, () => {
        this.sock.off('error', onErr);
        const r = this.sock.remoteAddress();
        this.remote = { port: r.port, address: r.address };
        resolve();
      });
    });
  }

  /** Leaves connected mode. */
  disconnect(): void {
    this.assertOpen('disconnect');
    if (!this.remote) return;
    this.sock.disconnect();
    this.remote = undefined;
  }

  /**
   * Callback mode: every datagram is passed to `cb` (and no longer queued). A callback that throws
   * is counted in `stats.callbackErrors`. Returns a function that removes the callback.
   */
  onMessage(cb: (m: UdpMessage) => void): () => void {
    if (typeof cb !== 'function') throw new TypeError('onMessage(): cb must be a function');
    this.callbacks.push(cb);
    // Anything queued before the first callback arrived is handed over in order.
    if (this.callbacks.length === 1) for (const m of this.queue.drain()) this.deliverQueued(m);
    return () => {
      const i = this.callbacks.indexOf(cb);
      if (i >= 0) this.callbacks.splice(i, 1);
    };
  }

  private deliverQueued(m: UdpMessage): void {
    for (const cb of this.callbacks.slice()) {
      try {
        cb(m);
      } catch {
        this.stats.callbackErrors++;
      }
    }
  }

  /**
   * Queue mode: the next datagram. Rejects with `SocketError('ETIMEDOUT','recv')` after `timeoutMs`
   * (default: wait without limit), or `ERR_SOCKET_CLOSED` when the socket is closed, or a TypeError at
   * once while an {@link onMessage} callback is registered (datagrams then go to it, never to the queue).
   */
  recv(timeoutMs?: number): Promise<UdpMessage> {
    if (timeoutMs !== undefined) checkTimeout(timeoutMs);
    // With a callback registered nothing is queued: waiting would never end (misuse, like StreamConnection.read).
    if (this.callbacks.length > 0) {
      return Promise.reject(new TypeError('recv(): this socket is in callback mode (onMessage)'));
    }
    if (this.isClosed && this.queue.length === 0) return Promise.reject(CLOSED('recv'));
    return this.queue.next(timeoutMs, 'recv');
  }

  /** Queue mode, non-blocking: the next queued datagram or undefined (TypeError in callback mode). */
  tryRecv(): UdpMessage | undefined {
    if (this.callbacks.length > 0) throw new TypeError('tryRecv(): this socket is in callback mode (onMessage)');
    if (this.isClosed && this.queue.length === 0) throw CLOSED('recv');
    return this.queue.shift();
  }

  /** Number of datagrams waiting in the receive queue. */
  get queued(): number {
    return this.queue.length;
  }

  /** Iterates received datagrams until the socket closes. */
  async *[Symbol.asyncIterator](): AsyncIterator<UdpMessage> {
    while (true) {
      let m: UdpMessage;
      try {
        m = await this.recv();
      } catch (e) {
        if (e instanceof SocketError && e.code === 'ERR_SOCKET_CLOSED') return;
        throw e;
      }
      yield m;
    }
  }

  /** {@link Watchable}: true while datagrams are queued (level-triggered). */
  get readable(): boolean {
    return this.queue.length > 0;
  }

  /** {@link Watchable}: true while the socket is open (UDP sends never block). */
  get writable(): boolean {
    return !this.isClosed;
  }

  /** {@link Watchable}: `cb` is called whenever `readable`/`writable` may have changed. */
  onReadiness(cb: () => void): () => void {
    this.readiness.add(cb);
    return () => this.readiness.delete(cb);
  }

  // ---- options (settable now and read back by getOptions) ----

  /** Unicast TTL / IPv6 hop limit, 1..255. */
  setTtl(ttl: number): void {
    this.assertOpen('setOption');
    checkByte(ttl, 'ttl', 1);
    this.wrapOpt('setTtl', () => this.sock.setTTL(ttl));
    this.opts.ttl = ttl;
  }

  /** Multicast TTL / hop limit, 0..255. */
  setMulticastTtl(ttl: number): void {
    this.assertOpen('setOption');
    checkByte(ttl, 'multicastTtl', 0);
    this.wrapOpt('setMulticastTtl', () => this.sock.setMulticastTTL(ttl));
    this.opts.multicastTtl = ttl;
  }

  /** IP_MULTICAST_LOOP. */
  setMulticastLoopback(on: boolean): void {
    this.assertOpen('setOption');
    this.wrapOpt('setMulticastLoopback', () => this.sock.setMulticastLoopback(!!on));
    this.opts.loop = !!on;
  }

  /** SO_BROADCAST. */
  setBroadcast(on: boolean): void {
    this.assertOpen('setOption');
    this.wrapOpt('setBroadcast', () => this.sock.setBroadcast(!!on));
    this.opts.bc = !!on;
  }

  /** Joins multicast `group` (optionally on the interface with address `iface`). */
  addMembership(group: string, iface?: string): void {
    this.assertOpen('setOption');
    if (!isIP(group)) throw new TypeError(`addMembership(): group must be an IP literal, got ${group}`);
    this.wrapOpt('addMembership', () => this.sock.addMembership(group, iface));
    this.memberships.add(iface ? `${group}%${iface}` : group);
  }

  /** Leaves multicast `group`. */
  dropMembership(group: string, iface?: string): void {
    this.assertOpen('setOption');
    if (!isIP(group)) throw new TypeError(`dropMembership(): group must be an IP literal, got ${group}`);
    this.wrapOpt('dropMembership', () => this.sock.dropMembership(group, iface));
    this.memberships.delete(iface ? `${group}%${iface}` : group);
  }

  /** SO_RCVBUF (the kernel may round or double it; read it back with getOptions). */
  setRecvBufferSize(bytes: number): void {
    this.assertOpen('setOption');
    checkSize(bytes, 'recvBufferSize');
    this.wrapOpt('setRecvBufferSize', () => this.sock.setRecvBufferSize(bytes));
  }

  /** SO_SNDBUF. */
  setSendBufferSize(bytes: number): void {
    this.assertOpen('setOption');
    checkSize(bytes, 'sendBufferSize');
    this.wrapOpt('setSendBufferSize', () => this.sock.setSendBufferSize(bytes));
  }

  /** SO_REUSEADDR can only be chosen at creation in Node: this throws {@link UnsupportedError}. */
  setReuseAddr(on: boolean): void {
    this.assertOpen('setOption');
    if (!!on === this.opts.reuseAddr) return;
    throw new UnsupportedError(
      'setReuseAddr',
      'SO_REUSEADDR can only be set before bind: pass reuseAddr to createUdpSocket',
    );
  }

  /** SO_REUSEPORT is not supported by Node 20's dgram: `true` throws {@link UnsupportedError}. */
  setReusePort(on: boolean): void {
    this.assertOpen('setOption');
    if (!on) return;
    throw new UnsupportedError('setReusePort', 'SO_REUSEPORT is not available on UDP sockets in this Node version');
  }

  /** Every option's current value. */
  getOptions(): UdpSocketOptionValues {
    this.assertOpen('getOption');
    return {
      reuseAddr: this.opts.reuseAddr,
      reusePort: false,
      ttl: this.opts.ttl,
      multicastTtl: this.opts.multicastTtl,
      multicastLoopback: this.opts.loop,
      broadcast: this.opts.bc,
      recvBufferSize: this.wrapOpt('getRecvBufferSize', () => this.sock.getRecvBufferSize()),
      sendBufferSize: this.wrapOpt('getSendBufferSize', () => this.sock.getSendBufferSize()),
      memberships: [...this.memberships],
    };
  }

  private wrapOpt<T>(op: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw toSocketError(e, op);
    }
  }

  /** Closes the socket; pending recv() calls reject with `ERR_SOCKET_CLOSED`. Idempotent. */
  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    this.queue.close(CLOSED('recv'));
    this.stats.dropped = Math.max(this.stats.dropped, this.queue.dropped);
    return new Promise<void>((resolve) => {
      try {
        this.sock.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

function checkByte(v: unknown, what: string, min: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 255) {
    throw new RangeError(`${what} must be an integer in ${min}..255, got ${String(v)}`);
  }
}

function checkSize(v: unknown, what: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
    throw new RangeError(`${what} must be an integer in 0..2^31-1, got ${String(v)}`);
  }
}

/**
 * The address lookup of our dgram sockets: an IP literal is answered at once, a name goes to `dns.lookup`.
 * Node's default answers an IP literal on the next tick too, which costs every unconnected `send` a
 * `process.nextTick` hop and its closures (a SIP server sends to an IP on almost every datagram).
 */
function lookupLiteral(
  host: string,
  family: number,
  cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const f = isIP(host);
  if (f !== 0) cb(null, host, f);
  else dns.lookup(host, family, cb);
}

/**
 * Creates and binds a UDP socket (port 0 → the OS chooses; read it from `socket.port`).
 * Rejects with a {@link SocketError} (`EADDRINUSE`, `EADDRNOTAVAIL`...) or {@link UnsupportedError}.
 *
 * @example
 * const a = await createUdpSocket({ address: '127.0.0.1' });
 * const b = await createUdpSocket({ type: 'udp6', address: '::1', queueLimit: 256 });
 * b.onMessage((m) => console.log(m.address, m.port, m.data.length));
 * a.send(new TextEncoder().encode('hi'), b.port, '::1'); // cross-family fails: use matching types
 */
export async function createUdpSocket(opts: UdpSocketOptions = {}): Promise<UdpSocket> {
  const type = opts.type ?? (opts.address && isIP(opts.address) === 6 ? 'udp6' : 'udp4');
  if (type !== 'udp4' && type !== 'udp6') throw new TypeError(`type must be 'udp4' or 'udp6', got ${String(type)}`);
  const port = checkPort(opts.port ?? 0);
  if (opts.address !== undefined) checkHost(opts.address, 'address');
  if (opts.queueLimit !== undefined && (!Number.isInteger(opts.queueLimit) || opts.queueLimit < 1)) {
    throw new RangeError(`queueLimit must be an integer >= 1, got ${String(opts.queueLimit)}`);
  }
  if (opts.recvBufferSize !== undefined) checkSize(opts.recvBufferSize, 'recvBufferSize');
  if (opts.sendBufferSize !== undefined) checkSize(opts.sendBufferSize, 'sendBufferSize');
  if (opts.ttl !== undefined) checkByte(opts.ttl, 'ttl', 1);
  if (opts.multicastTtl !== undefined) checkByte(opts.multicastTtl, 'multicastTtl', 0);
  if (opts.reusePort) {
    throw new UnsupportedError('bind', 'SO_REUSEPORT is not available on UDP sockets in this Node version');
  }
  const sockOpts: dgram.SocketOptions = {
    type,
    reuseAddr: opts.reuseAddr ?? false,
    lookup: lookupLiteral as unknown as dgram.SocketOptions['lookup'],
  };
  if (opts.ipv6Only !== undefined) sockOpts.ipv6Only = opts.ipv6Only;
  if (opts.recvBufferSize !== undefined) sockOpts.recvBufferSize = opts.recvBufferSize;
  if (opts.sendBufferSize !== undefined) sockOpts.sendBufferSize = opts.sendBufferSize;
  const sock = dgram.createSocket(sockOpts);
  await new Promise<void>((resolve, reject) => {
    const onErr = (err: Error) => {
      try {
        sock.close();
      } catch {
        // already closed
      }
      reject(toSocketError(err, 'bind'));
    };
    sock.once('error', onErr);
    const bindOpts: dgram.BindOptions = { port, exclusive: !opts.clusterShared };
    if (opts.address !== undefined) bindOpts.address = opts.address;
    sock.bind(bindOpts, () => {
      sock.off('error', onErr);
      resolve();
    });
  });
  const s = new UdpSocket(sock, opts);
  try {
    if (opts.ttl !== undefined) s.setTtl(opts.ttl);
    if (opts.multicastTtl !== undefined) s.setMulticastTtl(opts.multicastTtl);
    if (opts.multicastLoopback !== undefined) s.setMulticastLoopback(opts.multicastLoopback);
    if (opts.broadcast !== undefined) s.setBroadcast(opts.broadcast);
    if (opts.connect) await s.connect(opts.connect.port, opts.connect.address);
  } catch (e) {
    await s.close();
    throw e;
  }
  return s;
}
