import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { WebSocket, WebSocketServer } from 'ws';
import { ConnTable, sendFailure } from './conns.js';
import {
  type InboundPacket,
  newTransportStats,
  type Peer,
  type SipTransport,
  SipTransportError,
  type TransportStats,
} from './transport.js';

/** Options of {@link WsTransport.listen}. */
export interface WsTransportOptions {
  /** 'ws' (default) or 'wss'. */
  protocol?: 'ws' | 'wss';
  host?: string;
  port?: number;
  /** WSS server identity (PEM). */
  cert?: string;
  key?: string;
  /** WSS client side: CAs to trust, or skip verification (tests only). */
  ca?: string | string[];
  insecure?: boolean;
  /** Largest message (default 65535 bytes). */
  maxMessageBytes?: number;
  /** Largest number of connections (default 10 000). */
  maxConnections?: number;
  /** HTTP path (default `/`). */
  path?: string;
  /**
   * An HTTP(S) server already listening (e.g. one that also serves a web page): WebSocket upgrades on it are taken,
   * its other requests are left to it, and {@link WsTransport.close} does not close it. `host`, `port`, `cert` and
   * `key` are then unused; `protocol` says whether it is TLS.
   */
  server?: HttpServer | HttpsServer;
}

interface Conn {
  id: string;
  ws: WebSocket;
  peer: Peer;
}

/**
 * SIP over WebSocket and secure WebSocket (RFC 7118): the `sip` subprotocol is required (§4), each
 * WebSocket message carries exactly one SIP message (§5), text or binary; connections are reused by flow
 * and by remote address.
 */
export class WsTransport implements SipTransport {
  readonly protocol: 'ws' | 'wss';
  readonly reliable = true;
  readonly secure: boolean;
  readonly stats: TransportStats = newTransportStats();
  private cb: ((p: InboundPacket) => void) | undefined;
  private readonly conns = new ConnTable<Conn>(this.stats);
  private nextId = 1;
  private http: HttpServer | HttpsServer | undefined;
  private ownsServer = true;
  private wss: WebSocketServer | undefined;
  private readonly o: WsTransportOptions;

  private constructor(o: WsTransportOptions) {
    this.o = o;
    this.protocol = o.protocol ?? 'ws';
    this.secure = this.protocol === 'wss';
  }

  /** Starts an HTTP(S) server accepting WebSocket upgrades with subprotocol `sip`. */
  static async listen(o: WsTransportOptions = {}): Promise<WsTransport> {
    const t = new WsTransport(o);
    if (t.secure && !o.server && (!o.cert || !o.key)) throw new Error('a WSS transport needs cert and key (PEM)');
    const http = o.server ?? (t.secure ? createHttpsServer({ cert: o.cert, key: o.key }) : createHttpServer());
    if (o.server) t.ownsServer = false;
    else http.maxConnections = o.maxConnections ?? 10_000;
    const wss = new WebSocketServer({
      server: http,
      path: o.path ?? '/',
      maxPayload: o.maxMessageBytes ?? 65535,
      // RFC 7118 §4: the server MUST select "sip"; without it the handshake fails.
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
    });
    wss.on('connection', (ws, req) => {
      t.adopt(ws, { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 });
    });
    if (!o.server)
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
      });
    t.http = http;
    t.wss = wss;
    return t;
  }

  /** Bound address. */
  get localAddress(): string {
    const a = this.http?.address();
    return a && typeof a === 'object' ? a.address : (this.o.host ?? '127.0.0.1');
  }

  /** Bound port. */
  get localPort(): number {
    const a = this.http?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  private adopt(ws: WebSocket, peer: Peer): Conn {
    const id = `${this.protocol}#${this.nextId++}`;
    const conn: Conn = { id, ws, peer };
    this.conns.add(conn);
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const bytes =
        data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : Array.isArray(data)
            ? new Uint8Array(Buffer.concat(data))
            : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (bytes.length === 0 || bytes.length > (this.o.maxMessageBytes ?? 65535)) {
        this.stats.dropped++;
        return;
      }
      this.stats.received++;
      this.cb?.({ data: bytes, source: peer, transport: this, flow: id });
    });
    ws.on('close', () => this.drop(conn));
    ws.on('error', () => this.drop(conn));
    return conn;
  }

  private drop(conn: Conn): void {
    this.conns.drop(conn);
  }

  private connect(dest: Peer): Promise<Conn> {
    const host = dest.address.includes(':') ? `[${dest.address}]` : dest.address;
    const url = `${this.protocol}://${host}:${dest.port}${this.o.path ?? '/'}`;
    const ws = new WebSocket(url, 'sip', {
      handshakeTimeout: 5000,
      maxPayload: this.o.maxMessageBytes ?? 65535,
      ...(this.o.ca ? { ca: this.o.ca } : {}),
      ...(this.o.insecure ? { rejectUnauthorized: false } : {}),
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        if (ws.protocol !== 'sip') {
          ws.close();
          reject(new SipTransportError('EPROTO', 'server did not select the sip subprotocol'));
          return;
        }
        resolve(this.adopt(ws, dest));
      });
      ws.once('error', (e) => reject(new SipTransportError('connect', e.message)));
    });
  }

  /** Sends one message as one WebSocket text message (RFC 7118 §5.1). */
  async send(data: Uint8Array, dest: Peer, flow?: string): Promise<void> {
    let conn = this.conns.find(dest, flow);
    try {
      conn ??= await this.connect(dest);
      const c = conn;
      await new Promise<void>((resolve, reject) =>
        c.ws.send(data, { binary: false }, (err) => (err ? reject(err) : resolve())),
      );
      this.stats.sent++;
    } catch (e) {
      throw sendFailure(this.stats, e);
    }
  }

  /** Sets the receiver. */
  onPacket(cb: (p: InboundPacket) => void): void {
    this.cb = cb;
  }

  /** Closes every connection and the server. */
  async close(): Promise<void> {
    for (const c of this.conns.values()) c.ws.terminate();
    this.conns.clear();
    this.wss?.close();
    if (this.ownsServer) await new Promise<void>((r) => (this.http ? this.http.close(() => r()) : r()));
  }
}
