import {
  connectTcp,
  connectTls,
  listenTcp,
  listenTls,
  type StreamConnection,
  type StreamServer,
  type TlsConnection,
} from '@mdh/loop';
import { StreamFramer } from '../framing/stream-framer.js';
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
  /** Largest number of open connections (default 10 000); connects beyond it fail. */
  maxConnections?: number;
  /** Connect timeout (default 5 s). */
  connectTimeoutMs?: number;
  /** Close connections idle for this long (default 10 minutes). */
  idleTimeoutMs?: number;
}

interface Conn {
  id: string;
  c: StreamConnection;
  framer: StreamFramer;
  peer: Peer;
}

const enc = new TextEncoder();

/**
 * SIP over TCP and TLS (RFC 3261 §18, §26.2): listens, accepts, connects on demand and reuses connections
 * keyed by flow and by remote address (RFC 5923 style reuse); frames messages with {@link StreamFramer};
 * answers RFC 5626 CRLFCRLF keep-alives; a connection whose framing breaks is closed.
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

  private constructor(o: StreamTransportOptions) {
    this.o = o;
    this.protocol = o.protocol ?? 'tcp';
    this.secure = this.protocol === 'tls';
  }

  /** Listens for connections (and can connect out). */
  static async listen(o: StreamTransportOptions = {}): Promise<StreamTransport> {
    const t = new StreamTransport(o);
    const host = o.host ?? '127.0.0.1';
    const common = {
      host,
      port: o.port ?? 0,
      maxConnections: o.maxConnections ?? 10_000,
      idleTimeoutMs: o.idleTimeoutMs ?? 600_000,
    };
    if (t.protocol === 'tls') {
      if (!o.cert || !o.key) throw new Error('a TLS transport needs cert and key (PEM)');
      t.server = await listenTls({ ...common, cert: o.cert, key: o.key }, (c) => t.adopt(c));
    } else {
      t.server = await listenTcp(common, (c) => t.adopt(c));
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

  private adopt(c: StreamConnection): Conn {
    const id = `${this.protocol}#${this.nextId++}`;
    const conn: Conn = {
      id,
      c,
      framer: new StreamFramer({ maxBodyBytes: this.o.maxMessageBytes ?? 65535 }),
      peer: { address: c.remoteAddress, port: c.remotePort },
    };
    this.conns.add(conn);
    c.onData((chunk) => this.onData(conn, chunk));
    c.onClose(() => this.drop(conn));
    return conn;
  }

  private drop(conn: Conn): void {
    this.conns.drop(conn);
  }

  private onData(conn: Conn, chunk: Uint8Array): void {
    for (const ev of conn.framer.push(chunk)) {
      if (ev.type === 'message') {
        this.stats.received++;
        this.cb?.({ data: ev.bytes, message: ev.message, source: conn.peer, transport: this, flow: conn.id });
      } else if (ev.type === 'keepalive') {
        // RFC 5626 §4.4.1: a CRLFCRLF ping is answered with a CRLF pong.
        if (ev.kind === 'ping') conn.c.write(enc.encode('\r\n')).catch(() => {});
      } else {
        this.stats.dropped++;
        // A malformed but framed request goes to the stack, which answers it 400 (RFC 3261 §21.4.1).
        if (!ev.fatal && ev.bytes) this.cb?.({ data: ev.bytes, source: conn.peer, transport: this, flow: conn.id });
        if (ev.fatal) {
          conn.c.close();
          this.drop(conn);
          return;
        }
      }
    }
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
      const conn = this.adopt(c);
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
    for (const c of this.conns.values()) c.c.close();
    this.conns.clear();
    await this.server?.close();
  }
}
