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
  private readonly map = new Map<K, number>();

  /** Arms (or re-arms) timer `k` to fire at `at`. */
  set(k: K, at: number): void {
    this.map.set(k, at);
  }

  /** Disarms timer `k`. */
  clear(k: K): void {
    this.map.delete(k);
  }

  /** Disarms every timer. */
  clearAll(): void {
    this.map.clear();
  }

  /** The deadline of timer `k`, if armed. */
  get(k: K): number | undefined {
    return this.map.get(k);
  }

  /** Earliest armed deadline. */
  next(): number | undefined {
    let min: number | undefined;
    for (const v of this.map.values()) if (min === undefined || v < min) min = v;
    return min;
  }

  /** Removes and returns the earliest timer due at `now`, if any. */
  popDue(now: number): K | undefined {
    let best: K | undefined;
    let bestAt = Number.POSITIVE_INFINITY;
    for (const [k, v] of this.map) {
      if (v <= now && v < bestAt) {
        best = k;
        bestAt = v;
      }
    }
    if (best !== undefined) this.map.delete(best);
    return best;
  }
}
