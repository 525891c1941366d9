/** Milliseconds (fractional) from a monotonic source; never goes backwards, unrelated to wall time. */
export function monoMs(): number {
  return globalThis.performance.now();
}

/** Nanoseconds from a monotonic source, as a bigint. */
export function monoNs(): bigint {
  return process.hrtime.bigint();
}

/** A source of monotonic time in milliseconds. Engines and loops take one so tests can control time. */
export interface Clock {
  /** The current time in milliseconds (monotonic; the origin is the clock's own). */
  now(): number;
}

/** The real monotonic clock ({@link monoMs}). */
export class SystemClock implements Clock {
  /** The current time in milliseconds. */
  now(): number {
    return globalThis.performance.now();
  }
}

/** A listener notified when a {@link ManualClock} moves; loops use it to fire due timers. */
export type ClockListener = (now: number) => void;

/**
 * A clock that only moves when told to. Every {@link Loop} built on it fires its due timers
 * synchronously, in deadline order, when the clock is advanced — so RFC timers are tested in
 * microseconds, without sleeping.
 *
 * ```ts
 * const clock = new ManualClock();
 * const loop = createLoop({ clock });
 * loop.after(500, () => console.log('fired'));
 * clock.advance(500); // prints "fired"
 * ```
 */
export class ManualClock implements Clock {
  private t: number;
  private readonly listeners = new Set<ClockListener>();

  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) throw new RangeError(`ManualClock start must be finite, got ${startMs}`);
    this.t = startMs;
  }

  /** The current time in milliseconds. */
  now(): number {
    return this.t;
  }

  /** Move forward by `ms` (≥ 0), firing due timers on attached loops at their own deadlines. */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`ManualClock.advance needs ms >= 0, got ${ms}`);
    this.set(this.t + ms);
  }

  /** Jump to `ms` (must not go backwards), firing due timers on attached loops. */
  set(ms: number): void {
    if (!Number.isFinite(ms) || ms < this.t)
      throw new RangeError(`ManualClock cannot go backwards (${this.t} → ${ms})`);
    // Each loop steps the clock to every due deadline in turn (so a timer due at t=5 sees now()=5
    // even when advancing by 10), then the clock settles on the target.
    for (const l of this.listeners) l(ms);
    this.t = ms;
  }

  /** @internal Used by loops: set the time without notifying (while stepping to a deadline). */
  _stepTo(ms: number): void {
    if (ms > this.t) this.t = ms;
  }

  /** Subscribe to clock moves; returns an unsubscribe function. */
  subscribe(l: ClockListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
