/**
 * A timer handle. Returned by `Loop.after`/`Loop.every` and passed back to `Loop.cancel`; `id` is a
 * positive integer unique within its loop (for logs and for runtimes that need plain numbers).
 */
export class Timer {
  /** @internal neighbours in its duration list. */
  prev: Timer | null = null;
  /** @internal */
  next: Timer | null = null;
  /** @internal the list holding it, null when not queued (fired, cancelled, or a pull timer). */
  list: TimerList | null = null;
  constructor(
    /** Unique (per loop) positive integer. */
    readonly id: number,
    /** @internal */ public deadline: number,
    /** @internal period in ms; 0 for one-shot. */ readonly period: number,
    /** @internal */ public cb: (() => void) | undefined,
    /** @internal creation sequence, for tie-breaking across lists. */ public seq: number,
    /** Caller's value handed back in poll events. */ readonly token: unknown,
  ) {}

  /** The time (ms, on the loop's clock) this timer is next due. */
  get due(): number {
    return this.deadline;
  }
}

/**
 * Timers that share one duration, in deadline order. Because the clock is monotonic, appending a
 * timer created "now + d" to the list for duration d keeps the list sorted, so insert and cancel are
 * O(1); only periodic re-insertion may walk back from the tail.
 */
export class TimerList {
  head: Timer | null = null;
  tail: Timer | null = null;
  /** Position in the queue's heap of lists, -1 when not there. */
  index = -1;
  constructor(readonly ms: number) {}
}

function before(a: Timer, b: Timer): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}

/**
 * The pending push timers of one loop: a map from duration to {@link TimerList}, and a binary heap of
 * the non-empty lists ordered by their heads' (deadline, creation sequence). Insert and cancel are
 * O(1) (plus O(log L) when a list's head changes, L = distinct durations); the earliest timer is at
 * the head of the heap's first list. Ties fire in creation order.
 */
export class TimerQueue {
  private readonly lists = new Map<number, TimerList>();
  private heap: TimerList[] = [];
  private count = 0;

  /** Number of queued timers. */
  get size(): number {
    return this.count;
  }

  /** The earliest timer, without removing it. */
  peek(): Timer | undefined {
    return this.heap[0]?.head ?? undefined;
  }

  /** Queues `t` under duration `ms` (its deadline must be `now + ms` for a fresh timer). */
  insert(t: Timer, ms: number): void {
    let l = this.lists.get(ms);
    if (l === undefined) {
      l = new TimerList(ms);
      this.lists.set(ms, l);
    }
    this.count++;
    t.list = l;
    const tail = l.tail;
    if (tail === null) {
      l.head = l.tail = t;
      t.prev = t.next = null;
      this.heapPush(l);
      return;
    }
    if (!before(t, tail)) {
      t.prev = tail;
      t.next = null;
      tail.next = t;
      l.tail = t;
      return;
    }
    // Periodic re-insertion can land before the tail: walk back to the right place.
    let p: Timer | null = tail.prev;
    while (p !== null && before(t, p)) p = p.prev;
    if (p === null) {
      t.prev = null;
      t.next = l.head;
      l.head!.prev = t;
      l.head = t;
      this.siftUp(l.index);
    } else {
      t.prev = p;
      t.next = p.next;
      p.next!.prev = t;
      p.next = t;
    }
  }

  /** True if `t` is queued here. */
  has(t: Timer): boolean {
    return t.list !== null && this.lists.get(t.list.ms) === t.list;
  }

  /** Removes `t` if queued; true if it was. */
  remove(t: Timer): boolean {
    const l = t.list;
    if (l === null) return false;
    this.count--;
    t.list = null;
    const wasHead = l.head === t;
    if (t.prev) t.prev.next = t.next;
    else l.head = t.next;
    if (t.next) t.next.prev = t.prev;
    else l.tail = t.prev;
    t.prev = t.next = null;
    if (l.head === null) {
      this.heapRemove(l);
      this.lists.delete(l.ms);
    } else if (wasHead) {
      this.siftDown(l.index);
    }
    return true;
  }

  /** Removes and returns the earliest timer. */
  pop(): Timer | undefined {
    const t = this.peek();
    if (t !== undefined) this.remove(t);
    return t;
  }

  /** Everything queued, unordered. */
  *all(): IterableIterator<Timer> {
    for (const l of this.lists.values()) for (let t = l.head; t !== null; t = t.next) yield t;
  }

  private heapPush(l: TimerList): void {
    l.index = this.heap.length;
    this.heap.push(l);
    this.siftUp(l.index);
  }

  private heapRemove(l: TimerList): void {
    const h = this.heap;
    const i = l.index;
    const last = h.pop()!;
    l.index = -1;
    if (i < h.length) {
      h[i] = last;
      last.index = i;
      this.siftDown(i);
      this.siftUp(last.index);
    }
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const l = h[i]!;
    while (i > 0) {
      const pi = (i - 1) >> 1;
      const p = h[pi]!;
      if (!before(l.head!, p.head!)) break;
      h[i] = p;
      p.index = i;
      i = pi;
    }
    h[i] = l;
    l.index = i;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const l = h[i]!;
    for (;;) {
      const a = 2 * i + 1;
      if (a >= n) break;
      const b = a + 1;
      let c = a;
      if (b < n && before(h[b]!.head!, h[a]!.head!)) c = b;
      const cl = h[c]!;
      if (!before(cl.head!, l.head!)) break;
      h[i] = cl;
      cl.index = i;
      i = c;
    }
    h[i] = l;
    l.index = i;
  }
}
