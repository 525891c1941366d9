import { createUdpSocket, type UdpSocket } from '@mdh/loop';
import {
  type InboundPacket,
  newTransportStats,
  type Peer,
  type SipTransport,
  SipTransportError,
  type TransportStats,
} from './transport.js';

/** Options of {@link UdpTransport.listen}. */
export interface UdpTransportOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: the OS picks). */
  port?: number;
  /** Largest datagram accepted (default 65535); larger ones are dropped and counted. */
  maxMessageBytes?: number;
  /** Socket buffer sizes in bytes (default 1 MiB each, for load). */
  bufferBytes?: number;
  /**
   * In a `node:cluster` worker: share the socket with the other workers binding the same port (see
   * `clusterShared` of `createUdpSocket`; every worker then reads the one socket). Default false.
   */
  clusterShared?: boolean;
}

/**
 * SIP over UDP (RFC 3261 §18): one datagram is one message. Oversized datagrams are dropped and counted;
 * parsing is the stack's job.
 *
 * ```ts
 * const udp = await UdpTransport.listen({ host: '127.0.0.1', port: 5060 });
 * ```
 */
export class UdpTransport implements SipTransport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  readonly secure = false;
  readonly stats: TransportStats = newTransportStats();
  private cb: ((p: InboundPacket) => void) | undefined;

  private constructor(
    private readonly sock: UdpSocket,
    private readonly maxBytes: number,
  ) {
    sock.onMessage((m) => {
      if (m.data.length > this.maxBytes || m.data.length === 0) {
        this.stats.dropped++;
        return;
      }
      // Keep-alive CRLF (RFC 5626 §3.5.1) is not a message.
      if (m.data.length <= 4 && (m.data[0] === 13 || m.data[0] === 10)) return;
      this.stats.received++;
      this.cb?.({ data: m.data, source: { address: m.address, port: m.port }, transport: this });
    });
  }

  /** Binds a UDP socket. */
  static async listen(o: UdpTransportOptions = {}): Promise<UdpTransport> {
    const host = o.host ?? '127.0.0.1';
    const buf = o.bufferBytes ?? 1 << 20;
    let sock: UdpSocket;
    try {
      sock = await createUdpSocket({
        type: host.includes(':') ? 'udp6' : 'udp4',
        address: host,
        port: o.port ?? 0,
        recvBufferSize: buf,
        sendBufferSize: buf,
        clusterShared: o.clusterShared ?? false,
      });
    } catch {
      // Some systems refuse large buffers: bind with the defaults.
      sock = await createUdpSocket({
        type: host.includes(':') ? 'udp6' : 'udp4',
        address: host,
        port: o.port ?? 0,
        clusterShared: o.clusterShared ?? false,
      });
    }
    return new UdpTransport(sock, o.maxMessageBytes ?? 65535);
  }

  /** Bound address. */
  get localAddress(): string {
    return this.sock.address;
  }

  /** Bound port. */
  get localPort(): number {
    return this.sock.port;
  }

  /** Sends a datagram. */
  send(data: Uint8Array, dest: Peer): Promise<void> {
    try {
      this.sock.send(data, dest.port, dest.address);
      this.stats.sent++;
      return Promise.resolve();
    } catch (e) {
      this.stats.sendErrors++;
      return Promise.reject(new SipTransportError('send', (e as Error).message));
    }
  }

  /** Fire-and-forget send: no promise; `onError` runs (synchronously) when the socket refuses the datagram. */
  post(data: Uint8Array, dest: Peer, _flow: string | undefined, onError: () => void): void {
    try {
      this.sock.send(data, dest.port, dest.address);
      this.stats.sent++;
    } catch {
      this.stats.sendErrors++;
      onError();
    }
  }

  /** Sets the receiver. */
  onPacket(cb: (p: InboundPacket) => void): void {
    this.cb = cb;
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return this.sock.close();
  }
}
