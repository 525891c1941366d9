import { type Clock, ManualClock, SystemClock } from './clock.js';
import { MAX_TIMERS, PULL, TimerStore } from './timer-queue.js';

/**
 * A timer handle of one {@link Loop}: a non-negative integer, never reused by a later timer of the
 * same loop (a stale handle cancels nothing).
 */
export type TimerId = number;
/** Identifies a readiness watch of one {@link Loop}. */
export type WatchId = number;

/**
 * Something whose readiness a loop can watch (sockets implement it). `readable` is true while
 * received data is queued (level-triggered); `onReadiness` is called whenever either flag may have
 * changed and returns an unsubscribe function.
 */
export interface Watchable {
  readonly readable: boolean;
  readonly writable: boolean;
  /** Calls `cb` whenever `readable` or `writable` may have changed; returns the unsubscribe function. */
  onReadiness(cb: () => void): () => void;
}

/** What {@link Loop.poll} reports. */
export type LoopEvent =
  | { kind: 'read' | 'write'; watch: WatchId; source: Watchable; token: unknown }
  | { kind: 'timer'; id: TimerId; token: unknown }
  | { kind: 'stop' };

/** Options of {@link createLoop}. */
export interface LoopOptions {
  /** Time source; default the system monotonic clock. Use a {@link ManualClock} in tests. */
  clock?: Clock;
  /** Receives exceptions thrown by callbacks; the loop keeps running. Default: console.error. */
  onError?: (err: unknown) => void;
}

interface Watch {
  id: WatchId;
  dir: 'read' | 'write';
  source: Watchable;
  token: unknown;
  cb: ((ev: LoopEvent) => void) | undefined;
  unsubscribe: () => void;
}

/** Upper bound on callbacks fired for one watch per turn, so a busy socket cannot starve timers. */
const MAX_WATCH_BURST = 64;

/**
 * An event loop of timers and readiness watches, in two styles:
 *
 * - **push**: a timer or watch given a callback has it called when due/ready (timers fire on their own
 *   on the system clock, or when a {@link ManualClock} is advanced);
 * - **pull**: a timer or watch given no callback is reported by {@link Loop.poll}, which waits up to a
 *   timeout and returns the events that became due (the model the mdhavers runtime uses).
 *
 * On the system clock exactly one Node timer is armed, at the earliest push deadline, however many
 * timers are pending.
 *
 * ```ts
 * const loop = createLoop();
 * const id = loop.every(20, () => sendPacket());
 * loop.after(1000, () => { loop.cancel(id); loop.stop(); });
 * await loop.run();
 * ```
 */
export class Loop {
  readonly clock: Clock;
  private readonly onError: (err: unknown) => void;
  private readonly t = new TimerStore();
  /** Pull timers by slot, in creation order of insertion. */
  private readonly pull = new Set<number>();
  private readonly watches = new Map<WatchId, Watch>();
  private nextWatchId = 1;
  private isStopped = false;
  private armed: ReturnType<typeof setTimeout> | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private firing = false;
  private firedCount = 0;
  private refed = true;
  private readonly manual: ManualClock | undefined;
  private readonly systemClock: boolean;
  private unsubscribeClock: (() => void) | undefined;
  private runWaiters: (() => void)[] = [];
  private pollWake: (() => void) | undefined;

  constructor(options: LoopOptions = {}) {
    this.clock = options.clock ?? new SystemClock();
    this.onError =
      options.onError ??
      ((err) => {
        console.error('@mdh/loop: callback threw', err);
      });
    this.systemClock = this.clock instanceof SystemClock;
    if (this.clock instanceof ManualClock) {
      this.manual = this.clock;
      this.unsubscribeClock = this.manual.subscribe((to) => this.fireUntil(to));
    }
  }

  private cachedNow = 0;
  private nowCached = false;
  private readonly clearNow = (): void => {
    this.nowCached = false;
  };

  /**
   * The time new timers are measured from. On the system clock it is read once per synchronous turn
   * (until the next microtask checkpoint) and reused, as libuv's loop time is for Node's own timers:
   * reading the monotonic clock costs more than scheduling a timer. A timer therefore never fires
   * before `ms` has passed since the turn began. Other clocks are read every time.
   */
  private turnNow(): number {
    if (!this.systemClock) return this.clock.now();
    if (!this.nowCached) {
      this.cachedNow = this.clock.now();
      this.nowCached = true;
      queueMicrotask(this.clearNow);
    }
    return this.cachedNow;
  }

  /** Current time of this loop's clock, in ms. */
  now(): number {
    return this.clock.now();
  }

  /** True once {@link stop} was called (permanent). */
  get stopped(): boolean {
    return this.isStopped;
  }

  /** Number of live timers (push and pull). */
  get pendingTimers(): number {
    return this.t.size + this.pull.size;
  }

  /** Earliest deadline among live timers, or undefined when there are none. */
  nextDeadline(): number | undefined {
    const s = this.t.peek();
    let d = s < 0 ? undefined : this.t.deadline[s];
    for (const p of this.pull) if (d === undefined || this.t.deadline[p]! < d) d = this.t.deadline[p];
    return d;
  }

  /** When the timer `id` is next due (ms on this loop's clock), or undefined if it is not live. */
  dueTime(id: TimerId): number | undefined {
    const s = this.t.slotOf(id);
    return s < 0 ? undefined : this.t.deadline[s];
  }

  /**
   * A one-shot timer due `ms` from now (ms ≥ 0). With `cb` it fires by itself; without, {@link poll}
   * reports it. `token` is handed back in poll events.
   */
  after(ms: number, cb?: () => void, token?: unknown): TimerId {
    return this.add(ms, 0, cb, token, 'after');
  }

  /**
   * A periodic timer, first due `ms` from now (ms > 0). Deadlines do not drift: each next deadline
   * is the previous deadline plus the period, not "now + period". In pull mode missed periods
   * collapse into one event.
   */
  every(ms: number, cb?: () => void, token?: unknown): TimerId {
    if (!(ms > 0)) throw new RangeError(`every() needs a period > 0 ms, got ${ms}`);
    return this.add(ms, ms, cb, token, 'every');
  }

  private add(ms: number, period: number, cb: (() => void) | undefined, token: unknown, what: string): TimerId {
    if (typeof ms !== 'number' || !(ms >= 0) || ms === Number.POSITIVE_INFINITY) {
      throw new RangeError(`${what}() needs a finite delay >= 0 ms, got ${String(ms)}`);
    }
    const t = this.t;
    const h = t.alloc(this.turnNow() + ms, period, cb ?? token);
    const s = h % MAX_TIMERS;
    if (cb) {
      t.insert(s, ms);
      if (t.peek() === s) this.arm();
    } else {
      t.list[s] = PULL;
      this.pull.add(s);
      this.pollWake?.();
    }
    return h;
  }

  /** Cancels a live timer; true if it was live. Safe inside callbacks, including the timer's own. */
  cancel(id: TimerId): boolean {
    const t = this.t;
    const s = t.slotOf(id);
    if (s < 0) return false;
    if (t.list[s] === PULL) this.pull.delete(s);
    else {
      t.unlink(s);
      if (t.size === 0) this.disarm();
    }
    t.release(s);
    if (this.runWaiters.length > 0) this.checkIdle();
    return true;
  }

  /**
   * Watch `source` for readability. With `cb`, it is called (level-triggered) while the source is
   * readable; without, {@link poll} reports it.
   */
  watchRead(source: Watchable, token?: unknown, cb?: (ev: LoopEvent) => void): WatchId {
    return this.watch('read', source, token, cb);
  }

  /** Watch `source` for writability; as {@link watchRead}. */
  watchWrite(source: Watchable, token?: unknown, cb?: (ev: LoopEvent) => void): WatchId {
    return this.watch('write', source, token, cb);
  }

  private watch(dir: 'read' | 'write', source: Watchable, token: unknown, cb?: (ev: LoopEvent) => void): WatchId {
    if (!source || typeof source.onReadiness !== 'function') {
      throw new TypeError('watch source must implement Watchable (readable, writable, onReadiness)');
    }
    const id = this.nextWatchId++;
    const w: Watch = { id, dir, source, token, cb, unsubscribe: () => {} };
    w.unsubscribe = source.onReadiness(() => this.onReady(w));
    this.watches.set(id, w);
    if (this.ready(w)) this.onReady(w);
    return id;
  }

  /** Removes a watch; true if it existed. */
  unwatch(id: WatchId): boolean {
    const w = this.watches.get(id);
    if (!w) return false;
    w.unsubscribe();
    this.watches.delete(id);
    this.checkIdle();
    return true;
  }

  private ready(w: Watch): boolean {
    return w.dir === 'read' ? w.source.readable : w.source.writable;
  }

  private dispatching = new Set<WatchId>();

  private onReady(w: Watch): void {
    if (!this.watches.has(w.id)) return;
    if (!w.cb) {
      this.pollWake?.();
      return;
    }
    if (this.dispatching.has(w.id)) return;
    this.dispatching.add(w.id);
    setImmediate(() => this.dispatchWatch(w));
  }

  private dispatchWatch(w: Watch): void {
    this.dispatching.delete(w.id);
    let n = 0;
    while (this.watches.has(w.id) && w.cb && this.ready(w) && n < MAX_WATCH_BURST) {
      n++;
      try {
        w.cb({ kind: w.dir, watch: w.id, source: w.source, token: w.token });
      } catch (err) {
        this.onError(err);
      }
    }
    if (n === MAX_WATCH_BURST && this.watches.has(w.id) && this.ready(w)) this.onReady(w);
  }

  /**
   * Fires push timers due at or before `to`, in deadline order (ties in creation order). On a
   * manual clock each callback sees `now()` equal to its own deadline.
   */
  private fireUntil(to: number): void {
    if (this.firing) return;
    this.firing = true;
    try {
      const t = this.t;
      // On the real clock, timers created (or re-armed) during this pass wait for the next one, so a
      // callback that keeps re-scheduling itself with after(0) cannot starve the event loop.
      const limit = this.manual ? Number.POSITIVE_INFINITY : t.seqNext;
      for (;;) {
        const e = t.peek();
        if (e < 0 || t.deadline[e]! > to || t.seq[e]! >= limit) break;
        this.manual?._stepTo(t.deadline[e]!);
        const cb = t.ref[e] as () => void;
        t.unlink(e);
        const period = t.period[e]!;
        if (period > 0) {
          t.deadline[e] = t.deadline[e]! + period; // fixed schedule: previous deadline + period, no drift
          t.seq[e] = t.seqNext++;
          t.insert(e, period);
        } else {
          t.release(e);
        }
        this.firedCount++;
        try {
          cb();
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.firing = false;
    }
    if (!this.manual) this.arm();
    this.checkIdle();
  }

  private arm(): void {
    if (this.manual) return;
    const e = this.t.peek();
    if (e < 0) {
      this.disarm();
      return;
    }
    const deadline = this.t.deadline[e]!;
    if (this.armed !== undefined && this.armedAt <= deadline) return;
    this.disarm();
    const delay = Math.max(0, deadline - this.clock.now());
    this.armedAt = deadline;
    this.armed = setTimeout(() => {
      this.armed = undefined;
      this.armedAt = Number.POSITIVE_INFINITY;
      this.fireUntil(this.clock.now());
    }, Math.ceil(delay));
    if (!this.refed) this.armed.unref();
  }

  private disarm(): void {
    if (this.armed !== undefined) {
      clearTimeout(this.armed);
      this.armed = undefined;
      this.armedAt = Number.POSITIVE_INFINITY;
    }
  }

  /** Let the process exit even while timers are pending (like `Timeout.unref()`). */
  unref(): this {
    this.refed = false;
    this.armed?.unref();
    return this;
  }

  /** Undo {@link unref}. */
  ref(): this {
    this.refed = true;
    this.armed?.ref();
    return this;
  }

  /** Stops the loop permanently: {@link run} resolves, {@link poll} returns `[{kind:'stop'}]`. */
  stop(): void {
    this.isStopped = true;
    this.pollWake?.();
    this.checkIdle(true);
  }

  private hasPushWork(): boolean {
    if (this.t.size > 0) return true;
    for (const w of this.watches.values()) if (w.cb) return true;
    return false;
  }

  private checkIdle(force = false): void {
    if (this.runWaiters.length === 0) return;
    if (force || this.isStopped || !this.hasPushWork()) {
      const ws = this.runWaiters;
      this.runWaiters = [];
      for (const r of ws) r();
    }
  }

  /** Resolves when {@link stop} is called or no push timers or callback watches remain. */
  run(): Promise<void> {
    if (this.isStopped || !this.hasPushWork()) return Promise.resolve();
    return new Promise((resolve) => this.runWaiters.push(resolve));
  }

  /**
   * On a manual clock: advance to each next push deadline and fire, until no push timers remain or
   * `maxTimers` callbacks have fired (guarding against endless periodic timers). Returns the number
   * fired. On the system clock it fires what is due now.
   */
  runUntilIdle(maxTimers = 1_000_000): number {
    const before = this.firedCount;
    if (!this.manual) {
      this.fireUntil(this.clock.now());
      return this.firedCount - before;
    }
    while (this.firedCount - before < maxTimers && !this.isStopped) {
      const e = this.t.peek();
      if (e < 0) break;
      this.manual.set(Math.max(this.t.deadline[e]!, this.manual.now()));
    }
    return this.firedCount - before;
  }

  /**
   * The pull model. Waits until a pull watch is ready or a pull timer is due, at most `timeoutMs`
   * (negative: no limit; on a manual clock it never waits), then returns the events: ready watches
   * in registration order, then due timers in creation order. One-shot timers are consumed; a
   * periodic one advances by whole periods past now, so missed ticks collapse into one event.
   */
  async poll(timeoutMs = -1): Promise<LoopEvent[]> {
    if (this.isStopped) return [{ kind: 'stop' }];
    if (!this.manual && !this.anyPullReady()) {
      let wait = timeoutMs >= 0 ? timeoutMs : Number.POSITIVE_INFINITY;
      let due: number | undefined;
      for (const p of this.pull) if (due === undefined || this.t.deadline[p]! < due) due = this.t.deadline[p];
      if (due !== undefined) wait = Math.min(wait, Math.max(0, due - this.clock.now()));
      if (wait > 0) await this.sleepOrWake(wait);
    }
    if (this.isStopped) return [{ kind: 'stop' }];
    const out: LoopEvent[] = [];
    for (const w of this.watches.values()) {
      if (!w.cb && this.ready(w)) out.push({ kind: w.dir, watch: w.id, source: w.source, token: w.token });
    }
    const now2 = this.clock.now();
    const t = this.t;
    const due: number[] = [];
    for (const p of this.pull) if (t.deadline[p]! <= now2) due.push(p);
    due.sort((a, b) => t.seq[a]! - t.seq[b]!); // creation order
    for (const p of due) {
      out.push({ kind: 'timer', id: t.handleOf(p), token: t.ref[p] });
      const period = t.period[p]!;
      if (period > 0) {
        const behind = Math.floor((now2 - t.deadline[p]!) / period) + 1;
        t.deadline[p] = t.deadline[p]! + behind * period;
      } else {
        this.pull.delete(p);
        t.release(p);
      }
    }
    return out;
  }

  private anyPullReady(): boolean {
    for (const w of this.watches.values()) if (!w.cb && this.ready(w)) return true;
    return false;
  }

  private sleepOrWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let t: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (t !== undefined) clearTimeout(t);
        this.pollWake = undefined;
        resolve();
      };
      if (Number.isFinite(ms)) t = setTimeout(done, Math.ceil(ms));
      this.pollWake = done;
    });
  }

  /** Cancels every timer and watch and detaches from the clock. */
  close(): void {
    for (const s of [...this.t.queued(), ...this.pull]) this.cancel(this.t.handleOf(s));
    for (const id of [...this.watches.keys()]) this.unwatch(id);
    this.disarm();
    this.unsubscribeClock?.();
    this.unsubscribeClock = undefined;
    this.stop();
  }
}

/** Creates a {@link Loop}. */
export function createLoop(options: LoopOptions = {}): Loop {
  return new Loop(options);
}
