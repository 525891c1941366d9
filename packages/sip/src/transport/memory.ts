import {
  type InboundPacket,
  newTransportStats,
  type Peer,
  type SipTransport,
  type TransportProtocol,
  type TransportStats,
} from './transport.js';

/** Options of {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Probability in [0, 1) that a datagram is lost. */
  loss?: number;
  /** One-way delay in ms (delivery is scheduled with `schedule`). */
  delayMs?: number;
  /** Deterministic random source in [0, 1) (default: a seeded xorshift). */
  random?: () => number;
  /** Schedules a delivery (e.g. `(ms, f) => loop.after(ms, f)`); without it delivery is synchronous. */
  schedule?: (ms: number, f: () => void) => void;
}

/**
 * An in-process datagram network for deterministic tests (STYLE.md §13): transports attached to it deliver
 * to each other by address, with configurable loss and delay, driven by the caller's (manual) clock.
 */
export class MemoryNetwork {
  private readonly nodes = new Map<string, MemoryTransport>();
  private readonly loss: number;
  private readonly delay: number;
  private readonly random: () => number;
  private readonly schedule: ((ms: number, f: () => void) => void) | undefined;
  /** Datagrams sent, lost and delivered. */
  readonly counters = { sent: 0, lost: 0, delivered: 0 };

  constructor(o: MemoryNetworkOptions = {}) {
    this.loss = o.loss ?? 0;
    this.delay = o.delayMs ?? 0;
    this.schedule = o.schedule;
    let s = 0x2545f491;
    this.random =
      o.random ??
      (() => {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        return (s >>> 0) / 0x100000000;
      });
  }

  /** Attaches a transport at `address:port`. */
  attach(address: string, port: number, protocol: TransportProtocol = 'udp'): MemoryTransport {
    const key = `${address}:${port}`;
    if (this.nodes.has(key)) throw new Error(`address ${key} in use`);
    const t = new MemoryTransport(this, address, port, protocol);
    this.nodes.set(key, t);
    return t;
  }

  /** @internal */
  _detach(t: MemoryTransport): void {
    this.nodes.delete(`${t.localAddress}:${t.localPort}`);
  }

  /** @internal */
  _send(from: MemoryTransport, data: Uint8Array, dest: Peer): void {
    this.counters.sent++;
    if (this.loss > 0 && this.random() < this.loss) {
      this.counters.lost++;
      return;
    }
    const copy = data.slice();
    const deliver = () => {
      const to = this.nodes.get(`${dest.address}:${dest.port}`);
      if (!to) return;
      this.counters.delivered++;
      to._receive(copy, { address: from.localAddress, port: from.localPort });
    };
    if (this.schedule) this.schedule(this.delay, deliver);
    else deliver();
  }
}

/** A transport on a {@link MemoryNetwork}. */
export class MemoryTransport implements SipTransport {
  readonly reliable: boolean;
  readonly secure = false;
  readonly stats: TransportStats = newTransportStats();
  private cb: ((p: InboundPacket) => void) | undefined;

  constructor(
    private readonly net: MemoryNetwork,
    readonly localAddress: string,
    readonly localPort: number,
    readonly protocol: TransportProtocol,
  ) {
    this.reliable = protocol !== 'udp';
  }

  /** Sends through the network (may be lost). */
  send(data: Uint8Array, dest: Peer): Promise<void> {
    this.stats.sent++;
    this.net._send(this, data, dest);
    return Promise.resolve();
  }

  /** Sets the receiver. */
  onPacket(cb: (p: InboundPacket) => void): void {
    this.cb = cb;
  }

  /** @internal */
  _receive(data: Uint8Array, source: Peer): void {
    this.stats.received++;
    this.cb?.({ data, source, transport: this });
  }

  /** Detaches from the network. */
  close(): Promise<void> {
    this.net._detach(this);
    return Promise.resolve();
  }
}
