import type { Loop, TimerId } from '@mdh/loop';

/**
 * Something with one armed deadline. `dueAt` is owned by {@link TimerQueues}: an entry fires only while
 * its `dueAt` still equals the deadline it was queued with, so disarming or re-arming is O(1) (the stale
 * queue slot is skipped when it comes up).
 */
export interface Timed {
  /** The armed deadline (ms on the loop's clock), or undefined when disarmed. */
  dueAt: number | undefined;
  /** Called once when the deadline passes (on a manual clock, `now` equals the deadline). */
  onDue(now: number): void;
}

const MAX_QUEUES = 48;

class Fifo {
  constructor(readonly key: number) {}
  items: (Timed | undefined)[] = [];
  ats: number[] = [];
  head = 0;

  push(t: Timed, at: number): void {
    this.items.push(t);
    this.ats.push(at);
  }

  get size(): number {
    return this.items.length - this.head;
  }

  compact(): void {
    if (this.head >= this.items.length) {
      this.items.length = 0;
      this.ats.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.ats = this.ats.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * The timers of every transaction and 2xx retransmission of a stack on ONE loop timer (RFC 3261 §17 timers
 * are few fixed durations: T1 multiples, 64×T1, T4). Deadlines armed with the same delay arrive in
 * non-decreasing order, so each delay gets a FIFO queue: arming is a push (no heap, no cancel), disarming
 * clears `dueAt`. The single loop timer is kept on the earliest queue head; due entries fire in deadline
 * order. Unusual delays (beyond 48 distinct ones) fall back to a loop timer of their own.
 */
export class TimerQueues {
  private readonly queues = new Map<number, Fifo>();
  private readonly list: Fifo[] = [];
  private timer: TimerId | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private firing = false;

  /** Creates the queues on a loop. */
  constructor(private readonly loop: Loop) {}

  /** Arms `t` to fire at `at` (replacing any deadline it had). */
  arm(t: Timed, at: number): void {
    if (t.dueAt === at) return;
    t.dueAt = at;
    const now = this.loop.now();
    const key = Math.max(0, Math.round(at - now));
    let q = this.queues.get(key);
    if (!q) {
      if (this.list.length >= MAX_QUEUES) {
        this.loop.after(Math.max(0, at - now), () => {
          if (t.dueAt !== at) return;
          t.dueAt = undefined;
          t.onDue(this.loop.now());
        });
        return;
      }
      q = new Fifo(key);
      this.queues.set(key, q);
      this.list.push(q);
    }
    q.push(t, at);
    if (!this.firing && at < this.timerAt) this.rearm(at);
  }

  /** Disarms `t` (O(1): its queue slot is skipped later). */
  disarm(t: Timed): void {
    t.dueAt = undefined;
  }

  /** Entries still queued (armed or stale), for tests and stats. */
  get queued(): number {
    let n = 0;
    for (const q of this.list) n += q.size;
    return n;
  }

  /** Cancels the loop timer and forgets every entry. */
  clear(): void {
    if (this.timer !== undefined) this.loop.cancel(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    for (const q of this.list) {
      q.items.length = 0;
      q.ats.length = 0;
      q.head = 0;
    }
  }

  private rearm(at: number): void {
    if (this.timer !== undefined) this.loop.cancel(this.timer);
    this.timerAt = at;
    this.timer = this.loop.after(Math.max(0, at - this.loop.now()), () => this.fire());
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.loop.now();
    this.firing = true;
    try {
      for (;;) {
        // the queue whose head is earliest and due (stale heads are dropped on the way)
        let best: Fifo | undefined;
        let bestAt = Number.POSITIVE_INFINITY;
        for (const q of this.list) {
          while (q.head < q.items.length) {
            const t = q.items[q.head]!;
            const at = q.ats[q.head]!;
            if (t.dueAt === at) break;
            q.items[q.head++] = undefined;
          }
          if (q.head >= q.items.length) continue;
          const at = q.ats[q.head]!;
          if (at < bestAt) {
            bestAt = at;
            best = q;
          }
        }
        if (!best || bestAt > now) break;
        const t = best.items[best.head]!;
        best.items[best.head++] = undefined;
        t.dueAt = undefined;
        t.onDue(now);
      }
    } finally {
      this.firing = false;
      let next = Number.POSITIVE_INFINITY;
      // odd delays (a timer re-armed for what is left of another) leave one-off queues: drop the empty ones
      // once there are many, so the scan above stays short
      const prune = this.list.length > 16;
      for (let i = this.list.length - 1; i >= 0; i--) {
        const q = this.list[i]!;
        q.compact();
        if (q.head < q.items.length) {
          if (q.ats[q.head]! < next) next = q.ats[q.head]!;
        } else if (prune) {
          this.list.splice(i, 1);
          this.queues.delete(q.key);
        }
      }
      if (next !== Number.POSITIVE_INFINITY) this.rearm(next);
    }
  }
}
