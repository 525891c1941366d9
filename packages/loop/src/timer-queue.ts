/**
 * Timer storage for a {@link Loop}: struct-of-arrays slots (no object per timer, slots reused through a
 * free list), addressed by numeric handles that carry a generation so a stale handle can never
 * cancel a newer timer that reuses its slot.
 *
 * Pending push timers are kept in one list per duration: because the clock is monotonic, appending a
 * timer due at "now + d" to the list for d keeps that list in deadline order, so insert and cancel
 * are O(1). A binary heap orders the non-empty lists by their heads' (deadline, creation sequence),
 * so the earliest timer is found in O(1) and a list whose head changes moves in O(log L), L being the
 * number of distinct durations. Ties fire in creation order. Periodic re-insertion walks back from a
 * list's tail when it must.
 */

/** Slots per generation step: at most this many timers can be pending at once in one loop. */
export const MAX_TIMERS = 1 << 22;
const NONE = -1;
/** `list` value of a slot that holds a pull timer (not in any list). */
export const PULL = -2;
/** `list` value of a free slot. */
const FREE = -3;

interface TimerList {
  ms: number;
  head: number;
  tail: number;
  /** Position in the heap of lists, -1 when not there. */
  index: number;
}

export class TimerStore {
  deadline = new Float64Array(64);
  seq = new Float64Array(64);
  period = new Float64Array(64);
  prev = new Int32Array(64);
  next = new Int32Array(64);
  list = new Int32Array(64).fill(FREE);
  gen = new Int32Array(64);
  cb: ((() => void) | undefined)[] = new Array(64).fill(undefined);
  token: unknown[] = new Array(64).fill(undefined);
  private free: number[] = [];
  private used = 0;
  /** Next creation sequence number (ties fire in this order). */
  seqNext = 0;
  private readonly lists: TimerList[] = [];
  private readonly listByMs = new Map<number, number>();
  private heap: number[] = [];
  /** Pending push timers. */
  size = 0;

  /** Allocates a slot and returns its handle. */
  alloc(deadline: number, period: number, cb: (() => void) | undefined, token: unknown): number {
    let s = this.free.pop();
    if (s === undefined) {
      s = this.used++;
      if (s >= this.deadline.length) this.grow();
    }
    this.deadline[s] = deadline;
    this.period[s] = period;
    this.seq[s] = this.seqNext++;
    this.cb[s] = cb;
    this.token[s] = token;
    this.list[s] = NONE;
    return this.gen[s]! * MAX_TIMERS + s;
  }

  /** The slot of a live handle, or -1 if the handle is stale or foreign. */
  slotOf(handle: number): number {
    if (typeof handle !== 'number' || !(handle >= 0) || !Number.isInteger(handle)) return -1;
    const s = handle % MAX_TIMERS;
    if (s >= this.used || this.list[s] === FREE) return -1;
    return Math.floor(handle / MAX_TIMERS) === this.gen[s] ? s : -1;
  }

  handleOf(s: number): number {
    return this.gen[s]! * MAX_TIMERS + s;
  }

  /** Frees a slot that is not in any list; its handle becomes stale. */
  release(s: number): void {
    this.list[s] = FREE;
    this.cb[s] = undefined;
    this.token[s] = undefined;
    this.gen[s] = (this.gen[s]! + 1) & 0x7fffffff;
    this.free.push(s);
  }

  private grow(): void {
    const n = this.deadline.length * 2;
    if (this.deadline.length >= MAX_TIMERS) throw new RangeError(`more than ${MAX_TIMERS} timers pending in one loop`);
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array, fill = 0) => {
      const b = new Int32Array(n);
      if (fill !== 0) b.fill(fill);
      b.set(a);
      return b;
    };
    this.deadline = f64(this.deadline);
    this.seq = f64(this.seq);
    this.period = f64(this.period);
    this.prev = i32(this.prev);
    this.next = i32(this.next);
    this.list = i32(this.list, FREE);
    this.gen = i32(this.gen);
    this.cb.length = n;
    this.token.length = n;
  }

  private before(a: number, b: number): boolean {
    const da = this.deadline[a]!;
    const db = this.deadline[b]!;
    return da < db || (da === db && this.seq[a]! < this.seq[b]!);
  }

  /** Earliest pending push timer's slot, or -1. */
  peek(): number {
    const l = this.heap[0];
    return l === undefined ? NONE : this.lists[l]!.head;
  }

  /** Queues slot `s` under duration `ms` (its deadline must be `now + ms`, or a periodic re-insert). */
  insert(s: number, ms: number): void {
    let li = this.listByMs.get(ms);
    if (li === undefined) {
      li = this.lists.length;
      this.lists.push({ ms, head: NONE, tail: NONE, index: NONE });
      this.listByMs.set(ms, li);
    }
    const l = this.lists[li]!;
    this.size++;
    this.list[s] = li;
    const tail = l.tail;
    if (tail === NONE) {
      l.head = l.tail = s;
      this.prev[s] = this.next[s] = NONE;
      l.index = this.heap.length;
      this.heap.push(li);
      this.siftUp(l.index);
      return;
    }
    if (!this.before(s, tail)) {
      this.prev[s] = tail;
      this.next[s] = NONE;
      this.next[tail] = s;
      l.tail = s;
      return;
    }
    let p = this.prev[tail]!;
    while (p !== NONE && this.before(s, p)) p = this.prev[p]!;
    if (p === NONE) {
      this.prev[s] = NONE;
      this.next[s] = l.head;
      this.prev[l.head] = s;
      l.head = s;
      this.siftUp(l.index);
    } else {
      const n = this.next[p]!;
      this.prev[s] = p;
      this.next[s] = n;
      this.prev[n] = s;
      this.next[p] = s;
    }
  }

  /** Unlinks slot `s` from its list (it stays allocated). */
  unlink(s: number): void {
    const li = this.list[s]!;
    if (li < 0) return;
    const l = this.lists[li]!;
    this.size--;
    this.list[s] = NONE;
    const p = this.prev[s]!;
    const n = this.next[s]!;
    const wasHead = l.head === s;
    if (p !== NONE) this.next[p] = n;
    else l.head = n;
    if (n !== NONE) this.prev[n] = p;
    else l.tail = p;
    if (l.head === NONE) {
      this.heapRemove(l);
      // Keep the (now empty) list object: durations recur, and it costs nothing while unused.
    } else if (wasHead) {
      this.siftDown(l.index);
    }
  }

  /** Every slot queued in a list (unordered). */
  queued(): number[] {
    const out: number[] = [];
    for (const l of this.lists) for (let s = l.head; s !== NONE; s = this.next[s]!) out.push(s);
    return out;
  }

  private heapRemove(l: TimerList): void {
    const h = this.heap;
    const i = l.index;
    const last = h.pop()!;
    l.index = NONE;
    if (i < h.length) {
      const ll = this.lists[last]!;
      h[i] = last;
      ll.index = i;
      this.siftDown(i);
      this.siftUp(ll.index);
    }
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const li = h[i]!;
    const head = this.lists[li]!.head;
    while (i > 0) {
      const pi = (i - 1) >> 1;
      const p = h[pi]!;
      if (!this.before(head, this.lists[p]!.head)) break;
      h[i] = p;
      this.lists[p]!.index = i;
      i = pi;
    }
    h[i] = li;
    this.lists[li]!.index = i;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const li = h[i]!;
    const head = this.lists[li]!.head;
    for (;;) {
      const a = 2 * i + 1;
      if (a >= n) break;
      const b = a + 1;
      let c = a;
      if (b < n && this.before(this.lists[h[b]!]!.head, this.lists[h[a]!]!.head)) c = b;
      const cl = h[c]!;
      if (!this.before(this.lists[cl]!.head, head)) break;
      h[i] = cl;
      this.lists[cl]!.index = i;
      i = c;
    }
    h[i] = li;
    this.lists[li]!.index = i;
  }
}
