import type net from 'node:net';
import { AsyncQueue } from './async-queue.js';
import type { Watchable } from './loop.js';
import { checkTimeout, SocketError, toSocketError, UnsupportedError } from './socket-error.js';

/** Counters of one stream connection. */
export interface StreamStats {
  bytesRead: number;
  bytesWritten: number;
  chunksRead: number;
  /** Errors thrown by user callbacks (caught and counted). */
  callbackErrors: number;
}

/** Stream socket options, as read back by {@link StreamConnection.getOptions}. */
export interface StreamOptionValues {
  noDelay: boolean;
  keepAlive: boolean;
  keepAliveInitialDelayMs: number;
  idleTimeoutMs: number;
}

/** Options shared by stream connections (TCP and TLS). */
export interface StreamConnectionOptions {
  /** TCP_NODELAY (default true: SIP and signalling want low latency). */
  noDelay?: boolean;
  /** SO_KEEPALIVE (default false). */
  keepAlive?: boolean;
  /** Keep-alive idle delay in ms (default 0: the OS default). */
  keepAliveInitialDelayMs?: number;
  /** Close the connection with `ETIMEDOUT` (op `idle`) after this many ms without traffic (0: never). */
  idleTimeoutMs?: number;
  /** Pull mode: pause reading from the OS while more than this many bytes are queued (default 1 MiB). */
  highWaterMark?: number;
  /**
   * Keep our side open after the peer's FIN (default true: half-close, like a BSD socket; call
   * `end()` when done). With false, our side ends automatically and `onClose` follows the peer's FIN.
   */
  allowHalfOpen?: boolean;
}

function checkMax(maxBytes: number | undefined): void {
  if (maxBytes !== undefined && (!Number.isInteger(maxBytes) || maxBytes < 1)) {
    throw new RangeError(`maxBytes must be an integer >= 1, got ${String(maxBytes)}`);
  }
}

const CLOSED = (op: string) => new SocketError('ERR_SOCKET_CLOSED', op, 'connection is closed');
const EMPTY = new Uint8Array(0);

/**
 * A connected byte stream (TCP or TLS). Read either with {@link onData} callbacks or, when none is
 * registered, by pulling with {@link read} (an empty chunk means the peer ended). Writes return a
 * promise that waits for the OS to drain when the send buffer is full (back-pressure). The peer
 * closing is an event ({@link onEnd}, {@link onClose}), never an exception; it is {@link Watchable}.
 *
 * @example
 * const c = await connectTcp({ host: '127.0.0.1', port: 5060 });
 * c.onData((chunk) => console.log(chunk.length));
 * c.onClose((err) => console.log('closed', err?.code));
 * await c.write(new TextEncoder().encode('OPTIONS sip:x SIP/2.0\r\n\r\n'));
 * c.end();
 */
export class StreamConnection implements Watchable {
  /** Remote IP address. */
  readonly remoteAddress: string;
  /** Remote port. */
  readonly remotePort: number;
  /** Local IP address. */
  readonly localAddress: string;
  /** Local port. */
  readonly localPort: number;
  /** 'IPv4' or 'IPv6'. */
  readonly family: 'IPv4' | 'IPv6';
  /** Counters. */
  readonly stats: StreamStats = { bytesRead: 0, bytesWritten: 0, chunksRead: 0, callbackErrors: 0 };

  /** @internal */
  protected readonly sock: net.Socket;
  private readonly dataCbs: ((chunk: Uint8Array) => void)[] = [];
  private readonly endCbs: (() => void)[] = [];
  private readonly closeCbs: ((err?: SocketError) => void)[] = [];
  private readonly readiness = new Set<() => void>();
  private readonly queue: AsyncQueue<Uint8Array>;
  private queuedBytes = 0;
  private readonly highWaterMark: number;
  private paused = false;
  private eof = false;
  private leftover: Uint8Array | undefined;
  private writeEnded = false;
  private isClosed = false;
  private locallyClosed = false;
  private closeError: SocketError | undefined;
  private readonly opt: StreamOptionValues;

  /** @internal use connectTcp/listenTcp/connectTls/listenTls. */
  constructor(sock: net.Socket, opts: StreamConnectionOptions = {}) {
    this.sock = sock;
    this.remoteAddress = sock.remoteAddress ?? '';
    this.remotePort = sock.remotePort ?? 0;
    this.localAddress = sock.localAddress ?? '';
    this.localPort = sock.localPort ?? 0;
    this.family = sock.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4';
    this.highWaterMark = opts.highWaterMark ?? 1 << 20;
    this.queue = new AsyncQueue<Uint8Array>(Number.POSITIVE_INFINITY, () => this.notify());
    this.opt = { noDelay: true, keepAlive: false, keepAliveInitialDelayMs: 0, idleTimeoutMs: 0 };
    this.setNoDelay(opts.noDelay ?? true);
    if (opts.keepAlive) this.setKeepAlive(true, opts.keepAliveInitialDelayMs ?? 0);
    if (opts.idleTimeoutMs) this.setIdleTimeout(opts.idleTimeoutMs);
    sock.on('data', (buf: Buffer) => this.onChunk(new Uint8Array(buf.buffer, buf.byteOffset, buf.length)));
    sock.on('end', () => this.onPeerEnd());
    sock.on('error', (err: Error) => {
      this.closeError ??= toSocketError(err, 'io');
    });
    sock.on('drain', () => this.notify());
    sock.on('timeout', () => {
      this.closeError ??= new SocketError('ETIMEDOUT', 'idle', `no traffic for ${this.opt.idleTimeoutMs} ms`);
      sock.destroy();
    });
    sock.on('close', () => this.onSockClose());
  }

  private onChunk(chunk: Uint8Array): void {
    this.stats.bytesRead += chunk.length;
    this.stats.chunksRead++;
    if (this.dataCbs.length > 0) {
      this.emitData(chunk);
      return;
    }
    this.queuedBytes += chunk.length;
    this.queue.push(chunk);
    if (this.queuedBytes > this.highWaterMark && !this.paused) {
      this.paused = true;
      this.sock.pause();
    }
  }

  private emitData(chunk: Uint8Array): void {
    for (const cb of this.dataCbs.length === 1 ? this.dataCbs : this.dataCbs.slice()) {
      try {
        cb(chunk);
      } catch {
        this.stats.callbackErrors++;
      }
    }
  }

  private onPeerEnd(): void {
    this.eof = true;
    if (this.dataCbs.length === 0) this.queue.push(EMPTY);
    for (const cb of this.endCbs.slice()) this.safe(cb);
    this.notify();
  }

  private onSockClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.eof = true;
    this.queue.close(this.closeError ?? CLOSED('read'));
    const err = this.closeError;
    for (const cb of this.closeCbs.splice(0)) this.safe(() => cb(err));
    this.notify();
  }

  private safe(f: () => void): void {
    try {
      f();
    } catch {
      this.stats.callbackErrors++;
    }
  }

  private notify(): void {
    for (const cb of this.readiness) this.safe(cb);
  }

  /** True once the connection is fully closed (by either side). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** True once the peer has ended its side (EOF seen). */
  get ended(): boolean {
    return this.eof;
  }

  /** The error the connection closed with, if any (ECONNRESET, ETIMEDOUT idle...). */
  get error(): SocketError | undefined {
    return this.closeError;
  }

  /**
   * Writes `data`. Resolves at once when the OS send buffer has room, otherwise when this chunk has
   * been flushed (back-pressure). Rejects with `ERR_SOCKET_CLOSED` after end()/close() or the peer
   * resetting, or with the OS error.
   */
  write(data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array)) return Promise.reject(new TypeError('write(): data must be a Uint8Array'));
    if (this.isClosed || this.writeEnded || this.sock.destroyed) return Promise.reject(CLOSED('write'));
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const ok = this.sock.write(data, (err) => {
        if (settled) return;
        settled = true;
        if (err) reject(toSocketError(err, 'write'));
        else resolve();
      });
      this.stats.bytesWritten += data.length;
      if (ok) {
        settled = true;
        resolve();
      } else this.notify();
    });
  }

  /**
   * Callback mode: `cb` gets every chunk (anything already queued is delivered first). Returns a
   * function that removes it. A throwing callback is counted, never propagated.
   */
  onData(cb: (chunk: Uint8Array) => void): () => void {
    if (typeof cb !== 'function') throw new TypeError('onData(): cb must be a function');
    this.dataCbs.push(cb);
    if (this.dataCbs.length === 1) {
      const l = this.leftover;
      this.leftover = undefined;
      if (l) this.safe(() => cb(l));
      for (const c of this.queue.drain()) if (c.length > 0) this.safe(() => cb(c));
      this.queuedBytes = 0;
      this.resumeIfPaused();
    }
    return () => {
      const i = this.dataCbs.indexOf(cb);
      if (i >= 0) this.dataCbs.splice(i, 1);
    };
  }

  /** `cb` is called once when the peer ends its side (half-close or close). */
  onEnd(cb: () => void): () => void {
    if (this.eof) queueMicrotask(() => this.safe(cb));
    else this.endCbs.push(cb);
    return () => {
      const i = this.endCbs.indexOf(cb);
      if (i >= 0) this.endCbs.splice(i, 1);
    };
  }

  /**
   * `cb` is called once when the connection is closed, with the error if it closed abnormally
   * (ECONNRESET, ETIMEDOUT on idle...). If already closed it is called on the next microtask.
   */
  onClose(cb: (err?: SocketError) => void): () => void {
    if (this.isClosed) {
      const err = this.closeError;
      queueMicrotask(() => this.safe(() => cb(err)));
    } else this.closeCbs.push(cb);
    return () => {
      const i = this.closeCbs.indexOf(cb);
      if (i >= 0) this.closeCbs.splice(i, 1);
    };
  }

  /**
   * Pull mode: the next chunk (at most `maxBytes`; the rest stays queued); an empty chunk at EOF
   * (and on every call after it). Rejects with `ETIMEDOUT` (op `read`) after `timeoutMs`, with the
   * connection's error, or `ERR_SOCKET_CLOSED`.
   */
  async read(timeoutMs?: number, maxBytes?: number): Promise<Uint8Array> {
    if (timeoutMs !== undefined) checkTimeout(timeoutMs);
    checkMax(maxBytes);
    if (this.dataCbs.length > 0) throw new TypeError('read(): this connection is in callback mode (onData)');
    const queued = this.tryRead(maxBytes);
    if (queued !== undefined) return queued;
    const c = await this.queue.next(timeoutMs, 'read');
    return this.took(c, maxBytes);
  }

  /**
   * Pull mode, non-blocking: the next chunk (at most `maxBytes`), an empty chunk at EOF, or
   * undefined if nothing is queued.
   */
  tryRead(maxBytes?: number): Uint8Array | undefined {
    checkMax(maxBytes);
    if (this.leftover) {
      const l = this.leftover;
      this.leftover = undefined;
      return this.took(l, maxBytes);
    }
    const c = this.queue.shift();
    if (c !== undefined) return this.took(c, maxBytes);
    if (this.locallyClosed) throw CLOSED('read');
    if (this.eof && !this.closeError) return EMPTY;
    if (this.isClosed) throw this.closeError ?? CLOSED('read');
    return undefined;
  }

  private took(c: Uint8Array, maxBytes: number | undefined): Uint8Array {
    let out = c;
    if (maxBytes !== undefined && c.length > maxBytes) {
      out = c.subarray(0, maxBytes);
      this.leftover = c.subarray(maxBytes);
    }
    this.queuedBytes -= out.length;
    this.resumeIfPaused();
    return out;
  }

  private resumeIfPaused(): void {
    if (this.paused && this.queuedBytes <= this.highWaterMark / 2) {
      this.paused = false;
      this.sock.resume();
    }
  }

  /** Half-close: sends FIN; reading continues until the peer ends. Idempotent. */
  end(): void {
    if (this.writeEnded || this.isClosed) return;
    this.writeEnded = true;
    this.sock.end();
    this.notify();
  }

  /** Closes at once (RST if data is pending). Idempotent; `onClose` callbacks run without an error. */
  close(): void {
    if (this.sock.destroyed) return;
    this.writeEnded = true;
    this.locallyClosed = true;
    this.sock.destroy();
  }

  /** Resolves once the connection is fully closed. */
  whenClosed(): Promise<void> {
    return new Promise((resolve) => this.onClose(() => resolve()));
  }

  /** {@link Watchable}: data (or EOF) is queued. */
  get readable(): boolean {
    return this.queue.length > 0 || this.leftover !== undefined || this.eof;
  }

  /** {@link Watchable}: a write would not have to wait. */
  get writable(): boolean {
    return !this.isClosed && !this.writeEnded && !this.sock.writableNeedDrain;
  }

  /** {@link Watchable}: `cb` is called whenever `readable`/`writable` may have changed. */
  onReadiness(cb: () => void): () => void {
    this.readiness.add(cb);
    return () => this.readiness.delete(cb);
  }

  // ---- options ----

  /** TCP_NODELAY. */
  setNoDelay(on: boolean): void {
    if (this.isClosed) throw CLOSED('setOption');
    this.sock.setNoDelay(!!on);
    this.opt.noDelay = !!on;
  }

  /** SO_KEEPALIVE with an optional idle delay before the first probe. */
  setKeepAlive(on: boolean, initialDelayMs = 0): void {
    if (this.isClosed) throw CLOSED('setOption');
    checkTimeout(initialDelayMs, 'initialDelayMs');
    this.sock.setKeepAlive(!!on, initialDelayMs);
    this.opt.keepAlive = !!on;
    this.opt.keepAliveInitialDelayMs = on ? initialDelayMs : 0;
  }

  /** Idle timeout: with no traffic for `ms`, the connection closes with `ETIMEDOUT` (op `idle`); 0 disables. */
  setIdleTimeout(ms: number): void {
    if (this.isClosed) throw CLOSED('setOption');
    checkTimeout(ms, 'idleTimeoutMs');
    this.sock.setTimeout(ms);
    this.opt.idleTimeoutMs = ms;
  }

  /** IP TTL on a stream socket is not exposed by Node: throws {@link UnsupportedError}. */
  setTtl(_ttl: number): void {
    throw new UnsupportedError('setTtl', 'IP_TTL cannot be set on TCP sockets in Node');
  }

  /** SO_RCVBUF on a stream socket is not exposed by Node 20: throws {@link UnsupportedError}. */
  setRecvBufferSize(_bytes: number): void {
    throw new UnsupportedError('setRecvBufferSize', 'SO_RCVBUF cannot be set on TCP sockets in Node 20');
  }

  /** SO_SNDBUF on a stream socket is not exposed by Node 20: throws {@link UnsupportedError}. */
  setSendBufferSize(_bytes: number): void {
    throw new UnsupportedError('setSendBufferSize', 'SO_SNDBUF cannot be set on TCP sockets in Node 20');
  }

  /** The current option values. */
  getOptions(): StreamOptionValues {
    return { ...this.opt };
  }
}
