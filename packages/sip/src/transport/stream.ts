import {
  connectTcp,
  connectTls,
  createLoop,
  type Loop,
  listenTcp,
  listenTls,
  type StreamConnection,
  type StreamServer,
  type TimerId,
  type TlsConnection,
} from '@mdh/loop';
import { StreamFramer } from '../framing/stream-framer.js';
import { newTag } from '../message/build.js';
import { latin1 } from '../message/parse.js';
import { ConnTable, sendFailure } from './conns.js';
import {
  type InboundPacket,
  newTransportStats,
  type Peer,
  type SipTransport,
  SipTransportError,
  type TransportStats,
} from './transport.js';

/** Options of {@link StreamTransport.listen}. */
export interface StreamTransportOptions {
  /** 'tcp' (default) or 'tls'. */
  protocol?: 'tcp' | 'tls';
  host?: string;
  port?: number;
  /** TLS server identity (PEM); required for 'tls'. */
  cert?: string;
  key?: string;
  /** TLS client side: CAs to trust (PEM) for outgoing connections; default Node's roots. */
  ca?: string | string[];
  /** TLS client side: skip certificate verification (tests with self-signed peers only). */
  insecure?: boolean;
  /** Largest message (default 65535 bytes); a larger one closes the connection. */
  maxMessageBytes?: number;
  /**
   * Largest number of open connections (default 10 000). An incoming connection beyond it closes the
   * connection idle the longest (oldest traffic) to make room; outgoing connects beyond it fail.
   */
  maxConnections?: number;
  /** Largest number of incoming connections from one IP address (default 1 000); beyond it, as above. */
  maxConnectionsPerIp?: number;
  /**
   * A message must be complete (header section and body) this long after its first octet arrived, else the
   * connection is closed (slow-loris defence; default 10 s).
   */
  messageTimeoutMs?: number;
  /** After answering a broken stream with 413/400 and sending FIN, wait this long for the peer's FIN (default 2 s). */
  lingerMs?: number;
  /** Connect timeout (default 5 s). */
  connectTimeoutMs?: number;
  /** Close connections idle for this long (default 10 minutes). */
  idleTimeoutMs?: number;
  /** Loop whose clock times the message timeout and linger (default: one on the system clock). */
  loop?: Loop;
}

interface Conn {
  id: string;
  c: StreamConnection;
  framer: StreamFramer;
  peer: Peer;
  /** Accepted (counts against the per-IP limit) rather than connected out. */
  inbound: boolean;
  /** Timer of the message being received (messageTimeoutMs), or of the linger after a fatal error. */
  timer: TimerId | undefined;
  /** Framer messages+errors when the message timer was armed (progress re-arms it). */
  mark: number;
  /** Broken: answered, FIN sent, awaiting the peer's FIN or the linger timer. */
  closing: boolean;
}

const enc = new TextEncoder();

const REASONS: Record<number, string> = { 400: 'Bad Request', 413: 'Request Entity Too Large' };
/** Headers a response copies from its request (RFC 3261 §8.2.6.2), long and compact forms. */
const COPIED = /^(?:via|v|from|f|to|t|call-id|i|cseq)[ \t]*:/i;

/**
 * The response to a request whose stream framing broke (RFC 3261 §18.3: 413 for an oversized message, 400
 * for a malformed or conflicting Content-Length), built from the octets received: Via, From, To (with a tag,
 * §8.2.6.2), Call-ID and CSeq when they were complete. Undefined when the octets are a response (a response
 * is never answered). Internal.
 */
export function streamErrorResponse(head: Uint8Array, status: number): Uint8Array | undefined {
  const text = latin1(head, 0, Math.min(head.length, 65536));
  if (text.startsWith('SIP/')) return undefined;
  const lines = text.split('\n');
  // the last line is complete only if the text ended with LF
  lines.pop();
  let out = `SIP/2.0 ${status} ${REASONS[status] ?? 'Bad Request'}\r\n`;
  let keep = false;
  let copied = 0;
  for (let i = 1; i < lines.length && copied < 8192; i++) {
    const l = (lines[i] ?? '').replace(/\r$/, '');
    if (l === '') break;
    if (l.charCodeAt(0) === 32 || l.charCodeAt(0) === 9) {
      if (keep) out += `${l}\r\n`;
      continue;
    }
    keep = COPIED.test(l);
    if (!keep) continue;
    const toLine = /^(?:to|t)[ \t]*:/i.test(l);
    const line = toLine && !/;[ \t]*tag[ \t]*=/i.test(l) ? `${l};tag=${newTag()}` : l;
    out += `${line}\r\n`;
    copied += line.length;
  }
  out += 'Content-Length: 0\r\n\r\n';
  return enc.encode(out);
}

/**
 * SIP over TCP and TLS (RFC 3261 §18, §26.2): listens, accepts, connects on demand and reuses connections
 * keyed by flow and by remote address (RFC 5923 style reuse); frames messages with {@link StreamFramer};
 * answers RFC 5626 CRLFCRLF keep-alives.
 *
 * Robust against misbehaving peers (each connection costs bounded memory and time): a peer's FIN closes
 * the connection (no half-open sockets are kept); a message must be complete within `messageTimeoutMs`
 * of its first octet (slow-loris); total and per-IP connection limits make room by closing the connection
 * idle the longest; a stream whose framing breaks is answered `413`/`400` (§18.3), then closed.
 */
export class StreamTransport implements SipTransport {
  readonly protocol: 'tcp' | 'tls';
  readonly reliable = true;
  readonly secure: boolean;
  readonly stats: TransportStats = newTransportStats();
  private cb: ((p: InboundPacket) => void) | undefined;
  private readonly conns = new ConnTable<Conn>(this.stats);
  private readonly connecting = new Map<string, Promise<Conn>>();
  private nextId = 1;
  private server: StreamServer<StreamConnection> | StreamServer<TlsConnection> | undefined;
  private readonly o: StreamTransportOptions;
  private readonly loop: Loop;
  private readonly ownLoop: boolean;
  /** Every connection, least recently active first (Map order: activity re-inserts). */
  private readonly lru = new Map<string, Conn>();
  /** Incoming connections per remote IP address. */
  private readonly perIp = new Map<string, Set<Conn>>();
  private readonly maxConns: number;
  private readonly maxPerIp: number;
  private readonly msgTimeout: number;
  private readonly linger: number;
  private isClosed = false;
  /** Broken connections answered and half-closed, waiting for the peer's FIN or the linger timer. */
  private readonly lingering = new Set<Conn>();
  /** Defence counters: connections closed because of the peer's FIN, a message timeout, a limit, broken framing. */
  readonly defence = { peerClosed: 0, messageTimeouts: 0, evicted: 0, rejectedStreams: 0 };

  private constructor(o: StreamTransportOptions) {
    this.o = o;
    this.protocol = o.protocol ?? 'tcp';
    this.secure = this.protocol === 'tls';
    this.ownLoop = o.loop === undefined;
    this.loop = o.loop ?? createLoop().unref();
    this.maxConns = o.maxConnections ?? 10_000;
    this.maxPerIp = o.maxConnectionsPerIp ?? 1_000;
    this.msgTimeout = o.messageTimeoutMs ?? 10_000;
    this.linger = o.lingerMs ?? 2_000;
  }

  /** Listens for connections (and can connect out). */
  static async listen(o: StreamTransportOptions = {}): Promise<StreamTransport> {
    const t = new StreamTransport(o);
    const host = o.host ?? '127.0.0.1';
    const common = {
      host,
      port: o.port ?? 0,
      // this transport makes room below its own limit by closing idle connections; the listener's limit only
      // bounds connections still closing
      maxConnections: 2 * t.maxConns + 16,
      idleTimeoutMs: o.idleTimeoutMs ?? 600_000,
    };
    if (t.protocol === 'tls') {
      if (!o.cert || !o.key) throw new Error('a TLS transport needs cert and key (PEM)');
      t.server = await listenTls({ ...common, cert: o.cert, key: o.key }, (c) => t.adopt(c, true));
    } else {
      t.server = await listenTcp(common, (c) => t.adopt(c, true));
    }
    return t;
  }

  /** Bound address. */
  get localAddress(): string {
    return this.server?.address ?? this.o.host ?? '127.0.0.1';
  }

  /** Bound port. */
  get localPort(): number {
    return this.server?.port ?? 0;
  }

  /** Number of open connections. */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Octets of partial messages buffered over all connections (diagnostics). */
  get bufferedOctets(): number {
    let n = 0;
    for (const c of this.conns.values()) n += c.framer.buffered;
    return n;
  }

  private adopt(c: StreamConnection, inbound: boolean): Conn {
    const id = `${this.protocol}#${this.nextId++}`;
    const conn: Conn = {
      id,
      c,
      framer: new StreamFramer({ maxBodyBytes: this.o.maxMessageBytes ?? 65535 }),
      peer: { address: c.remoteAddress, port: c.remotePort },
      inbound,
      timer: undefined,
      mark: 0,
      closing: false,
    };
    if (this.isClosed) {
      c.close();
      return conn;
    }
    if (inbound) this.makeRoom(conn.peer.address);
    this.conns.add(conn);
    this.lru.set(id, conn);
    if (inbound) {
      let set = this.perIp.get(conn.peer.address);
      if (!set) {
        set = new Set();
        this.perIp.set(conn.peer.address, set);
      }
      set.add(conn);
    }
    c.onData((chunk) => this.onData(conn, chunk));
    // RFC 3261 §18: the peer closed its side (FIN): nothing more will arrive on this flow, so our side is
    // closed too (after what is queued is flushed) instead of lingering half-open in CLOSE-WAIT.
    c.onEnd(() => {
      if (!conn.closing) this.defence.peerClosed++;
      this.drop(conn);
      c.end();
    });
    c.onClose(() => this.drop(conn));
    return conn;
  }

  /** Closes the least recently active connections until a new one from `ip` fits both limits. */
  private makeRoom(ip: string): void {
    const mine = this.perIp.get(ip);
    if (mine && mine.size >= this.maxPerIp) {
      let oldest: Conn | undefined;
      // the first of this IP's connections in activity order is its idlest one
      for (const c of this.lru.values()) {
        if (c.inbound && c.peer.address === ip) {
          oldest = c;
          break;
        }
      }
      if (oldest) this.evict(oldest);
    }
    while (this.conns.size >= this.maxConns) {
      const first = this.lru.values().next();
      if (first.done) break;
      this.evict(first.value);
    }
  }

  private evict(conn: Conn): void {
    this.defence.evicted++;
    conn.c.close();
    this.drop(conn);
  }

  private drop(conn: Conn): void {
    this.conns.drop(conn);
    this.lru.delete(conn.id);
    const set = this.perIp.get(conn.peer.address);
    if (set?.delete(conn) && set.size === 0) this.perIp.delete(conn.peer.address);
    if (conn.timer !== undefined && !conn.closing) {
      this.loop.cancel(conn.timer);
      conn.timer = undefined;
    }
  }

  /** Arms, re-arms or cancels the message timer after input: it runs from the first octet of each message. */
  private watchMessage(conn: Conn): void {
    const f = conn.framer;
    const progress = f.stats.messages + f.stats.errors;
    if (f.buffered === 0) {
      if (conn.timer !== undefined) this.loop.cancel(conn.timer);
      conn.timer = undefined;
      return;
    }
    if (conn.timer !== undefined && progress === conn.mark) return;
    if (conn.timer !== undefined) this.loop.cancel(conn.timer);
    conn.mark = progress;
    conn.timer = this.loop.after(this.msgTimeout, () => {
      conn.timer = undefined;
      this.defence.messageTimeouts++;
      this.stats.dropped++;
      conn.c.close();
      this.drop(conn);
    });
  }

  /**
   * The stream is unrecoverable (RFC 3261 §18.3): answer the request (413/400) when it was one, send FIN,
   * discard whatever else arrives, and close when the peer's FIN comes or after `lingerMs`.
   */
  private reject(conn: Conn, status: number, head: Uint8Array | undefined): void {
    this.defence.rejectedStreams++;
    this.drop(conn);
    conn.closing = true;
    const res = head ? streamErrorResponse(head, status) : undefined;
    if (res) conn.c.write(res).catch(() => {});
    conn.c.end();
    this.lingering.add(conn);
    conn.timer = this.loop.after(this.linger, () => {
      conn.timer = undefined;
      conn.c.close();
    });
    conn.c.onClose(() => {
      this.lingering.delete(conn);
      if (conn.timer !== undefined) this.loop.cancel(conn.timer);
      conn.timer = undefined;
    });
  }

  private onData(conn: Conn, chunk: Uint8Array): void {
    if (conn.closing) return;
    // most recently active goes last
    this.lru.delete(conn.id);
    this.lru.set(conn.id, conn);
    conn.framer.handleInput(chunk);
    for (let o = conn.framer.pollOutput(); o; o = conn.framer.pollOutput()) {
      // RFC 5626 §4.4.1: the framer answers a CRLFCRLF ping with a CRLF pong datagram.
      if (o.kind === 'datagram') {
        conn.c.write(o.data).catch(() => {});
        continue;
      }
      if (o.kind !== 'event') continue;
      const ev = o.event;
      if (ev.type === 'message') {
        this.stats.received++;
        this.cb?.({ data: ev.bytes, message: ev.message, source: conn.peer, transport: this, flow: conn.id });
      } else if (ev.type === 'error') {
        this.stats.dropped++;
        // A malformed but framed request goes to the stack, which answers it 400 (RFC 3261 §21.4.1).
        if (!ev.fatal && ev.bytes) this.cb?.({ data: ev.bytes, source: conn.peer, transport: this, flow: conn.id });
        if (ev.fatal) {
          this.reject(conn, ev.error.status, ev.bytes);
          return;
        }
      }
    }
    if (this.lru.has(conn.id)) this.watchMessage(conn);
  }

  private async connect(dest: Peer): Promise<Conn> {
    const key = `${dest.address}:${dest.port}`;
    const pending = this.connecting.get(key);
    if (pending) return pending;
    if (this.conns.size >= (this.o.maxConnections ?? 10_000)) {
      throw new SipTransportError('EMFILE', 'connection limit reached');
    }
    const p = (async () => {
      const timeoutMs = this.o.connectTimeoutMs ?? 5000;
      const c =
        this.protocol === 'tls'
          ? await connectTls({
              host: dest.address,
              port: dest.port,
              timeoutMs,
              ...(this.o.ca ? { ca: this.o.ca } : {}),
              ...(this.o.insecure ? { insecure: true } : {}),
            })
          : await connectTcp({ host: dest.address, port: dest.port, timeoutMs });
      const conn = this.adopt(c, false);
      this.conns.bindPeer(dest, conn);
      return conn;
    })();
    this.connecting.set(key, p);
    try {
      return await p;
    } finally {
      this.connecting.delete(key);
    }
  }

  /** Sends on the flow, else on a connection to `dest`, else connects. */
  async send(data: Uint8Array, dest: Peer, flow?: string): Promise<void> {
    let conn = this.conns.find(dest, flow);
    try {
      conn ??= await this.connect(dest);
      await conn.c.write(data);
      this.stats.sent++;
    } catch (e) {
      throw sendFailure(this.stats, e);
    }
  }

  /** Sets the receiver. */
  onPacket(cb: (p: InboundPacket) => void): void {
    this.cb = cb;
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    this.isClosed = true;
    for (const c of [...this.conns.values()]) {
      c.c.close();
      this.drop(c);
    }
    this.conns.clear();
    for (const c of this.lingering) c.c.close();
    this.lingering.clear();
    await this.server?.close();
    if (this.ownLoop) this.loop.close();
  }
}
