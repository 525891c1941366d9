/** An in-memory datagram network for deterministic session tests (implements RtpDatagramSocket). */
import type { UdpMessage } from '@mdh/loop';
import type { RtpDatagramSocket } from '../src/index.js';

export class MemNet {
  readonly sockets = new Map<number, MemSocket>();
  private nextPort = 40000;
  /** Datagrams sent, for inspection. */
  readonly log: { from: number; to: number; data: Uint8Array }[] = [];
  /** Return false to drop a datagram. */
  filter: (from: number, to: number, data: Uint8Array) => boolean = () => true;

  socket(port?: number): MemSocket {
    const p = port ?? this.nextPort++;
    const s = new MemSocket(this, p);
    this.sockets.set(p, s);
    return s;
  }

  deliver(from: number, to: number, data: Uint8Array): void {
    const copy = data.slice();
    this.log.push({ from, to, data: copy });
    if (!this.filter(from, to, copy)) return;
    this.sockets.get(to)?.receive({ data: copy, address: '127.0.0.1', port: from, family: 'IPv4' });
  }
}

export class MemSocket implements RtpDatagramSocket {
  readonly address = '127.0.0.1';
  closed = false;
  private readonly listeners = new Set<(m: UdpMessage) => void>();
  constructor(
    private readonly net: MemNet,
    readonly port: number,
  ) {}
  send(data: Uint8Array, port: number, _address: string): void {
    if (this.closed) throw new Error('closed');
    this.net.deliver(this.port, port, data);
  }
  onMessage(cb: (m: UdpMessage) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  receive(m: UdpMessage): void {
    for (const cb of this.listeners) cb(m);
  }
  async close(): Promise<void> {
    this.closed = true;
    this.net.sockets.delete(this.port);
  }
}
