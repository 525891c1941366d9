/**
 * RFC 3261 §17 timer values. T1 is the RTT estimate (500 ms), T2 the maximum retransmit interval for
 * non-INVITE requests and INVITE responses (4 s), T4 the maximum time a message stays in the network (5 s).
 * All other timers derive from them (RFC 3261 Table 4; Timers L and M from RFC 6026 §8.11).
 */
export interface TransactionTimers {
  /** RTT estimate, ms (RFC 3261 §17.1.1.1). */
  t1: number;
  /** Cap on the retransmit interval, ms. */
  t2: number;
  /** Lifetime of a message in the network, ms. */
  t4: number;
}

/** The RFC 3261 defaults: T1 = 500 ms, T2 = 4 s, T4 = 5 s. */
export const DEFAULT_TIMERS: Readonly<TransactionTimers> = Object.freeze({ t1: 500, t2: 4000, t4: 5000 });

/** Timer D's minimum for unreliable transports (RFC 3261 §17.1.1.2: "at least 32 seconds"). */
export const TIMER_D_MS = 32_000;

/** Delay after which a server INVITE transaction sends 100 Trying itself (RFC 3261 §17.2.1). */
export const TRYING_DELAY_MS = 200;

/** Merges user overrides with the defaults and checks them (API misuse throws). */
export function resolveTimers(t?: Partial<TransactionTimers>): TransactionTimers {
  // Already resolved (frozen by this function): reuse it, transactions are created per message.
  if (t === undefined) return DEFAULT_TIMERS;
  if (Object.isFrozen(t) && t.t1 !== undefined && t.t2 !== undefined && t.t4 !== undefined)
    return t as TransactionTimers;
  const r = { ...DEFAULT_TIMERS, ...t };
  for (const [k, v] of Object.entries(r)) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`timer ${k} must be a positive number of ms, got ${v}`);
  }
  return Object.freeze(r);
}

/**
 * A set of named deadlines held in state (no callbacks). `next()` is the earliest; `due(now)` pops the
 * timers whose deadline has passed, in deadline order.
 */
export class Deadlines<K extends string> {
  // A transaction arms at most three timers at once (Table 4): four fixed slots, no Map or array per
  // transaction (thousands of transactions wait out Timer L/J at once under load).
  private k0: K | undefined;
  private k1: K | undefined;
  private k2: K | undefined;
  private k3: K | undefined;
  private a0 = 0;
  private a1 = 0;
  private a2 = 0;
  private a3 = 0;
  /** Arming order, so ties fire in the order the timers were armed. */
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private seq = 0;

  private slot(k: K): number {
    return this.k0 === k ? 0 : this.k1 === k ? 1 : this.k2 === k ? 2 : this.k3 === k ? 3 : -1;
  }

  /** Arms (or re-arms) timer `k` to fire at `at`. */
  set(k: K, at: number): void {
    let i = this.slot(k);
    const fresh = i < 0;
    if (fresh) {
      i =
        this.k0 === undefined
          ? 0
          : this.k1 === undefined
            ? 1
            : this.k2 === undefined
              ? 2
              : this.k3 === undefined
                ? 3
                : -1;
      if (i < 0) throw new RangeError('Deadlines: more than four timers armed at once');
    }
    const n = fresh ? ++this.seq : 0;
    if (i === 0) {
      this.k0 = k;
      this.a0 = at;
      if (fresh) this.s0 = n;
    } else if (i === 1) {
      this.k1 = k;
      this.a1 = at;
      if (fresh) this.s1 = n;
    } else if (i === 2) {
      this.k2 = k;
      this.a2 = at;
      if (fresh) this.s2 = n;
    } else {
      this.k3 = k;
      this.a3 = at;
      if (fresh) this.s3 = n;
    }
  }

  /** Disarms timer `k`. */
  clear(k: K): void {
    const i = this.slot(k);
    if (i === 0) this.k0 = undefined;
    else if (i === 1) this.k1 = undefined;
    else if (i === 2) this.k2 = undefined;
    else if (i === 3) this.k3 = undefined;
  }

  /** Disarms every timer. */
  clearAll(): void {
    this.k0 = this.k1 = this.k2 = this.k3 = undefined;
  }

  /** The deadline of timer `k`, if armed. */
  get(k: K): number | undefined {
    const i = this.slot(k);
    return i === 0 ? this.a0 : i === 1 ? this.a1 : i === 2 ? this.a2 : i === 3 ? this.a3 : undefined;
  }

  /** Earliest armed deadline. */
  next(): number | undefined {
    let min: number | undefined;
    if (this.k0 !== undefined) min = this.a0;
    if (this.k1 !== undefined && (min === undefined || this.a1 < min)) min = this.a1;
    if (this.k2 !== undefined && (min === undefined || this.a2 < min)) min = this.a2;
    if (this.k3 !== undefined && (min === undefined || this.a3 < min)) min = this.a3;
    return min;
  }

  /** Removes and returns the earliest timer due at `now`, if any (ties: the one armed first). */
  popDue(now: number): K | undefined {
    let best = -1;
    let bestAt = Number.POSITIVE_INFINITY;
    let bestSeq = Number.POSITIVE_INFINITY;
    const consider = (i: number, k: K | undefined, at: number, sq: number): void => {
      if (k === undefined || at > now) return;
      if (at < bestAt || (at === bestAt && sq < bestSeq)) {
        best = i;
        bestAt = at;
        bestSeq = sq;
      }
    };
    consider(0, this.k0, this.a0, this.s0);
    consider(1, this.k1, this.a1, this.s1);
    consider(2, this.k2, this.a2, this.s2);
    consider(3, this.k3, this.a3, this.s3);
    if (best < 0) return undefined;
    const k = best === 0 ? this.k0 : best === 1 ? this.k1 : best === 2 ? this.k2 : this.k3;
    this.clear(k as K);
    return k;
  }
}
