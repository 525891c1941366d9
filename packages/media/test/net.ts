/**
 * A tiny deterministic network for MediaSession tests: sessions bound to addresses, datagrams delivered after a
 * fixed delay (or dropped by a filter), everything driven on one virtual clock. No sockets, no sleeping.
 */
import type { MediaAddress, MediaEvent, MediaSession } from '../src/index.js';

interface Node {
  session: MediaSession;
  rtp: MediaAddress;
  rtcp: MediaAddress;
  events: { at: number; event: MediaEvent }[];
  sent: { at: number; data: Uint8Array; to: MediaAddress; via: 'rtp' | 'rtcp' }[];
}

interface InFlight {
  at: number;
  data: Uint8Array;
  from: MediaAddress;
  to: MediaAddress;
}

/** The network. */
export class TestNet {
  now: number;
  readonly nodes: Node[] = [];
  private flights: InFlight[] = [];
  /** One-way delay, ms. */
  delayMs = 10;
  /** Return false to drop a datagram. */
  filter: (d: { data: Uint8Array; from: MediaAddress; to: MediaAddress }) => boolean = () => true;
  /** Per-datagram one-way delay, ms (default: `delayMs`); return an array to deliver copies at each delay. */
  delayOf: ((d: { data: Uint8Array; from: MediaAddress; to: MediaAddress }) => number | number[]) | undefined;
  /** Datagrams that reached no node. */
  undelivered = 0;

  constructor(now = 0) {
    this.now = now;
  }

  /** Attaches a session at `rtp` (and `rtcp`, default the same: rtcp-mux). */
  add(session: MediaSession, rtp: MediaAddress, rtcp: MediaAddress = rtp): Node {
    const n: Node = { session, rtp, rtcp, events: [], sent: [] };
    this.nodes.push(n);
    this.drain(n);
    return n;
  }

  /** Sends a datagram from outside (an attacker, a peer that is not a session). */
  inject(data: Uint8Array, from: MediaAddress, to: MediaAddress, at = this.now): void {
    this.flights.push({ at, data, from, to });
  }

  /** Drains every output of every session into the network. */
  drainAll(): void {
    for (const n of this.nodes) this.drain(n);
  }

  private drain(n: Node): void {
    for (let o = n.session.pollOutput(); o.kind !== 'deadline'; o = n.session.pollOutput()) {
      if (o.kind === 'event') n.events.push({ at: this.now, event: o.event });
      else {
        n.sent.push({ at: this.now, data: o.data.slice(), to: o.to, via: o.via });
        const from = o.via === 'rtcp' ? n.rtcp : n.rtp;
        const d = { data: o.data, from, to: o.to };
        if (this.filter(d)) {
          const delays = this.delayOf ? this.delayOf(d) : this.delayMs;
          for (const delay of Array.isArray(delays) ? delays : [delays]) {
            this.flights.push({ at: this.now + delay, data: o.data.slice(), from, to: o.to });
          }
        }
      }
    }
  }

  private deadline(n: Node): number | null {
    this.drain(n);
    const o = n.session.pollOutput();
    if (o.kind !== 'deadline') throw new Error('outputs left undrained');
    return o.at;
  }

  /**
   * Runs until `until` (ms). `tick(now)` is called at every multiple of `tickMs` (e.g. to send a 20 ms frame).
   */
  run(until: number, tick?: (now: number) => void, tickMs = 20): void {
    let nextTick = tick ? Math.ceil(this.now / tickMs) * tickMs : Number.POSITIVE_INFINITY;
    for (let guard = 0; guard < 1_000_000; guard++) {
      this.drainAll();
      let t = until;
      for (const f of this.flights) if (f.at < t) t = f.at;
      for (const n of this.nodes) {
        const d = this.deadline(n);
        if (d !== null && d < t) t = d;
      }
      if (nextTick < t) t = nextTick;
      if (t > until) break;
      this.now = Math.max(this.now, t);
      const due = this.flights.filter((f) => f.at <= this.now);
      this.flights = this.flights.filter((f) => f.at > this.now);
      for (const f of due) {
        const n = this.nodes.find((x) => same(x.rtp, f.to) || same(x.rtcp, f.to));
        if (n) n.session.handleInput(f.data, f.from, this.now, same(n.rtp, f.to) ? 'rtp' : 'rtcp');
        else this.undelivered++;
      }
      for (const n of this.nodes) {
        const d = this.deadline(n);
        if (d !== null && d <= this.now) n.session.handleTimeout(this.now);
      }
      if (tick && nextTick <= this.now) {
        tick(this.now);
        nextTick += tickMs;
      }
      this.drainAll();
      if (t >= until && this.flights.every((f) => f.at > until)) {
        let anyDue = false;
        for (const n of this.nodes) {
          const d = this.deadline(n);
          if (d !== null && d <= until) anyDue = true;
        }
        if (!anyDue && nextTick > until) break;
      }
    }
    this.now = until;
  }
}

function same(a: MediaAddress, b: MediaAddress): boolean {
  return a.address === b.address && a.port === b.port;
}

/** Deterministic uniform random in [0, 1) (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
