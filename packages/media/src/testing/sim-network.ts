/**
 * A deterministic in-memory datagram network for tests and simulations (STYLE.md §13): endpoints are plain
 * strings (e.g. `'10.0.0.1:5004'`), time comes from a clock the caller drives (e.g. @mdh/loop `ManualClock`),
 * and every impairment — loss, duplication, reordering, delay and jitter — is drawn from one seeded PRNG in a
 * fixed order, so the same seed and the same sends give the same deliveries, byte for byte and in the same
 * order. Nothing here opens a socket or sets a timer: the driver asks {@link SimNetwork.nextDeliveryAt} and
 * drains {@link SimNetwork.poll} at that time.
 */

/**
 * mulberry32: a 32-bit-state PRNG with full period 2^32, good enough to drive simulations (not for keys).
 * `next()` is in [0, 1); {@link SeededRandom.random} is the same as a bound function, for options that take a
 * `random: () => number`.
 */
export class SeededRandom {
  private s: number;
  /** `next` bound to this generator (for `random` options elsewhere in the SDK). */
  readonly random: () => number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError('seed must be a finite number');
    this.s = Math.trunc(seed) >>> 0;
    this.random = () => this.next();
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** The next number in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fills `out` with random octets and returns it (a deterministic `randomBytes` for cores under test). */
  fill(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 4) {
      const v = this.nextU32();
      for (let k = 0; k < 4 && i + k < out.length; k++) out[i + k] = (v >>> (8 * k)) & 0xff;
    }
    return out;
  }

  /** A new generator seeded from this one (an independent stream, e.g. one per call in a simulation). */
  split(): SeededRandom {
    return new SeededRandom(this.nextU32() ^ 0x9e3779b9);
  }
}

/** Impairments of a direction of travel; probabilities are in [0, 1], times in ms. */
export interface SimLinkOptions {
  /** Probability that a datagram is lost (default 0). */
  loss?: number;
  /** Probability that a datagram is delivered twice (default 0); the copy has its own delay. */
  duplicate?: number;
  /** Probability that a datagram is held back by `reorderDelayMs` more, so later ones overtake it (default 0). */
  reorder?: number;
  /** Extra delay of a reordered datagram (default 40). */
  reorderDelayMs?: number;
  /** Base one-way delay (default 10). */
  delayMs?: number;
  /** Uniform random extra delay in [0, jitterMs) per datagram (default 0); large jitter reorders too. */
  jitterMs?: number;
  /** Datagrams larger than this are dropped, like an IP path MTU without fragmentation (default 65535). */
  mtu?: number;
}

/** Options of a {@link SimNetwork}. */
export interface SimNetworkOptions {
  /** The PRNG seed (any 32-bit integer). */
  seed: number;
  /** The time source, e.g. @mdh/loop's `ManualClock`. */
  clock: {
    /** The current time, ms. */
    now(): number;
  };
  /** Impairments of every direction without its own {@link SimNetwork.setLink}. */
  link?: SimLinkOptions;
  /** Datagrams in flight at most (default 100000); more are dropped as `overflow`. */
  maxInFlight?: number;
  /** Keep the trace records in {@link SimNetwork.trace} (default false; the digest is always kept). */
  keepTrace?: boolean;
  /** Called with each trace record as it happens (e.g. to hash it). */
  onTrace?: (record: SimTraceRecord) => void;
  /**
   * Keep the FNV-1a digest of the trace (default true). A driver that hashes its own trace (e.g. with `onTrace`)
   * turns it off to save formatting every record; {@link SimNetwork.digest} then returns `''`.
   */
  digest?: boolean;
}

/** What happened to a datagram. */
export type SimTraceKind = 'send' | 'lose' | 'too-big' | 'overflow' | 'duplicate' | 'reorder' | 'deliver';

/** One line of the network's trace. */
export interface SimTraceRecord {
  /** Clock time (ms). */
  at: number;
  kind: SimTraceKind;
  /** Datagram id, in send order from 1; a duplicate copy keeps its original's id. */
  id: number;
  from: string;
  to: string;
  /** Octets. */
  size: number;
  /** For `send`/`duplicate`/`reorder`: when it will be delivered. */
  deliverAt?: number;
}

/** A datagram delivered by {@link SimNetwork.poll}. */
export interface SimDatagram {
  id: number;
  from: string;
  to: string;
  /** A private copy of the bytes sent. */
  data: Uint8Array;
  sentAt: number;
  deliverAt: number;
}

/** Counters of a {@link SimNetwork}. */
export interface SimNetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  tooBig: number;
  overflow: number;
}

interface InFlight extends SimDatagram {
  /** Tie-break for equal delivery times: scheduling order. */
  order: number;
}

/** A seeded, clock-driven datagram network (see the module comment). */
export class SimNetwork {
  /** Counters; read at any time. */
  readonly stats: SimNetworkStats = {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    tooBig: 0,
    overflow: 0,
  };
  /** The trace records, when `keepTrace` is set. */
  readonly trace: SimTraceRecord[] = [];
  private readonly rng: SeededRandom;
  private readonly clock: { now(): number };
  private readonly defaults: Required<SimLinkOptions>;
  private readonly links = new Map<string, Required<SimLinkOptions>>();
  private readonly maxInFlight: number;
  private readonly keepTrace: boolean;
  private readonly onTrace: ((r: SimTraceRecord) => void) | undefined;
  private readonly hashing: boolean;
  private readonly heap: InFlight[] = [];
  private ids = 0;
  private orders = 0;
  // FNV-1a 64-bit over the trace lines, as two 32-bit halves
  private hHi = FNV_OFFSET_HI;
  private hLo = FNV_OFFSET_LO;

  constructor(o: SimNetworkOptions) {
    this.rng = new SeededRandom(o.seed);
    this.clock = o.clock;
    this.defaults = fill(o.link ?? {});
    this.maxInFlight = o.maxInFlight ?? 100_000;
    this.keepTrace = o.keepTrace ?? false;
    this.onTrace = o.onTrace;
    this.hashing = o.digest ?? true;
  }

  /** Sets the impairments of datagrams from `from` to `to` (one direction). */
  setLink(from: string, to: string, link: SimLinkOptions): void {
    this.links.set(`${from}\u0000${to}`, fill({ ...this.defaults, ...link }));
  }

  /**
   * Sends a datagram at the clock's time; the bytes are copied. Loss, size, duplication, reordering and delay
   * are decided now, in that order, from the PRNG.
   */
  send(from: string, to: string, data: Uint8Array): void {
    const now = this.clock.now();
    const link = this.links.get(`${from}\u0000${to}`) ?? this.defaults;
    const id = ++this.ids;
    this.stats.sent++;
    const size = data.length;
    // the same number of draws for every datagram, whatever happens to it, keeps later draws aligned
    const lossDraw = this.rng.next();
    const dupDraw = this.rng.next();
    const reorderDraw = this.rng.next();
    const jitter1 = this.rng.next() * link.jitterMs;
    const jitter2 = this.rng.next() * link.jitterMs;
    if (size > link.mtu) {
      this.stats.tooBig++;
      this.record({ at: now, kind: 'too-big', id, from, to, size });
      return;
    }
    if (lossDraw < link.loss) {
      this.stats.lost++;
      this.record({ at: now, kind: 'lose', id, from, to, size });
      return;
    }
    let deliverAt = now + link.delayMs + jitter1;
    if (reorderDraw < link.reorder) {
      deliverAt += link.reorderDelayMs;
      this.stats.reordered++;
      this.record({ at: now, kind: 'reorder', id, from, to, size, deliverAt });
    } else this.record({ at: now, kind: 'send', id, from, to, size, deliverAt });
    const copy = data.slice();
    this.schedule({ id, from, to, data: copy, sentAt: now, deliverAt, order: 0 });
    if (dupDraw < link.duplicate) {
      const again = now + link.delayMs + jitter2;
      this.stats.duplicated++;
      this.record({ at: now, kind: 'duplicate', id, from, to, size, deliverAt: again });
      this.schedule({ id, from, to, data: copy.slice(), sentAt: now, deliverAt: again, order: 0 });
    }
  }

  /** When the next datagram is due (ms), or undefined when none is in flight. */
  nextDeliveryAt(): number | undefined {
    return this.heap[0]?.deliverAt;
  }

  /** Datagrams in flight. */
  get inFlight(): number {
    return this.heap.length;
  }

  /** The next datagram due at the clock's time (earliest first, then in scheduling order), or undefined. */
  poll(): SimDatagram | undefined {
    const top = this.heap[0];
    if (!top || top.deliverAt > this.clock.now()) return undefined;
    this.popHeap();
    this.stats.delivered++;
    this.record({
      at: this.clock.now(),
      kind: 'deliver',
      id: top.id,
      from: top.from,
      to: top.to,
      size: top.data.length,
    });
    const { order: _order, ...d } = top;
    return d;
  }

  /**
   * The FNV-1a 64-bit digest (16 hex digits) of every trace record so far, each formatted by
   * {@link SimNetwork.formatRecord} plus a newline, in order; `''` when the `digest` option is false.
   */
  digest(): string {
    if (!this.hashing) return '';
    return this.hHi.toString(16).padStart(8, '0') + this.hLo.toString(16).padStart(8, '0');
  }

  /** One trace record as a line of text (the form the digest hashes). */
  static formatRecord(r: SimTraceRecord): string {
    return `${r.at} ${r.kind} #${r.id} ${r.from}>${r.to} ${r.size}${r.deliverAt === undefined ? '' : ` @${r.deliverAt}`}`;
  }

  private record(r: SimTraceRecord): void {
    if (this.keepTrace) this.trace.push(r);
    this.onTrace?.(r);
    if (this.hashing) [this.hHi, this.hLo] = fnv1a64Update(this.hHi, this.hLo, `${SimNetwork.formatRecord(r)}\n`);
  }

  private schedule(d: InFlight): void {
    if (this.heap.length >= this.maxInFlight) {
      this.stats.overflow++;
      this.record({ at: this.clock.now(), kind: 'overflow', id: d.id, from: d.from, to: d.to, size: d.data.length });
      return;
    }
    d.order = ++this.orders;
    const h = this.heap;
    h.push(d);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private popHeap(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function before(a: InFlight, b: InFlight): boolean {
  return a.deliverAt < b.deliverAt || (a.deliverAt === b.deliverAt && a.order < b.order);
}

function fill(o: SimLinkOptions): Required<SimLinkOptions> {
  const r: Required<SimLinkOptions> = {
    loss: o.loss ?? 0,
    duplicate: o.duplicate ?? 0,
    reorder: o.reorder ?? 0,
    reorderDelayMs: o.reorderDelayMs ?? 40,
    delayMs: o.delayMs ?? 10,
    jitterMs: o.jitterMs ?? 0,
    mtu: o.mtu ?? 65535,
  };
  for (const k of ['loss', 'duplicate', 'reorder'] as const) {
    if (!(r[k] >= 0 && r[k] <= 1)) throw new RangeError(`${k} must be in [0, 1]`);
  }
  for (const k of ['reorderDelayMs', 'delayMs', 'jitterMs', 'mtu'] as const) {
    if (!(r[k] >= 0) || !Number.isFinite(r[k])) throw new RangeError(`${k} must be a finite number >= 0`);
  }
  return r;
}

const FNV_OFFSET_HI = 0xcbf29ce4;
const FNV_OFFSET_LO = 0x84222325;

/** FNV-1a 64-bit over the UTF-16 code units' low octets of `text`, continuing from (hi, lo). */
function fnv1a64Update(hi: number, lo: number, text: string): [number, number] {
  for (let i = 0; i < text.length; i++) {
    lo = (lo ^ (text.charCodeAt(i) & 0xff)) >>> 0;
    // (hi·2^32 + lo) × (2^40 + 0x1b3) mod 2^64
    const loMul = lo * 0x1b3;
    hi = (Math.imul(hi, 0x1b3) + Math.floor(loMul / 4294967296) + (lo << 8)) >>> 0;
    lo = loMul >>> 0;
  }
  return [hi, lo];
}

/** FNV-1a 64-bit of an ASCII string as 16 hex digits (the hash {@link SimNetwork.digest} uses). */
export function fnv1a64(text: string): string {
  const [hi, lo] = fnv1a64Update(FNV_OFFSET_HI, FNV_OFFSET_LO, text);
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
