/**
 * Timer storage for a {@link Loop}: struct-of-arrays slots (no object per timer, slots reused through free
 * stacks), addressed by numeric handles that carry a generation so a stale handle can never cancel a newer
 * timer that reuses its slot.
 *
 * Pending push timers with a whole-millisecond duration are kept in one list per duration: because the clock
 * is monotonic, appending a timer due at "now + d" to the list for d keeps that list in deadline order, so
 * insert and cancel are O(1). A binary heap orders the non-empty lists by their heads' (deadline, creation
 * sequence), so the earliest such timer is found in O(1) and a list whose head changes moves in O(log L), L
 * being the number of distinct durations pending. Periodic re-insertion walks back from a list's tail when it
 * must. Timers of fractional (or huge) durations, which rarely share one, go into a second binary heap of
 * slots (an Int32Array, no object per timer). The earliest timer is the earlier of the two heaps' tops; ties
 * fire in creation order.
 *
 * Nothing is kept for timers that are gone: a list that empties leaves the heap at once and is forgotten
 * (a few empty lists stay cached, because durations recur), and the slot arrays shrink back when the live
 * timers no longer need the upper half of them (allocation prefers the lower half, so it drains).
 */

/** Slots per generation step: at most this many timers can be pending at once in one loop. */
export const MAX_TIMERS = 1 << 22;
const NONE = -1;
/** `list` value of an allocated slot in no list (0 is FREE, so fresh zeroed arrays need no fill). */
const IDLE = 3;
/** `list` value of a slot that holds a pull timer (not in any list). */
export const PULL = 4;
/** `list` value of a free slot. */
const FREE = 0;
/** `list` value of a slot queued in a duration list. */
const QUEUED = 1;
/** `list` value of a slot in the heap of fractional-duration timers (`prev` holds its heap position). */
const HEAPED = 2;
/** Initial (and minimum) number of slots. */
const MIN_CAP = 64;
/** Empty duration lists kept for reuse beyond the number of non-empty ones. */
const EMPTY_LISTS_KEPT = 64;

interface TimerList {
  ms: number;
  /** Index in `lists` (slots refer to their list by it). */
  id: number;
  head: number;
  tail: number;
  /** Position in the heap of lists, -1 when not there. */
  index: number;
  /**
   * The heap key: (deadline, sequence) of the head when last looked at. Never later than the real head's
   * (removing the head leaves it behind; {@link TimerStore.peek} brings it up to date), so cancelling a
   * timer costs no heap work.
   */
  kd: number;
  ks: number;
}

export class TimerStore {
  deadline = new Float64Array(MIN_CAP);
  seq = new Float64Array(MIN_CAP);
  period = new Float64Array(MIN_CAP);
  prev = new Int32Array(MIN_CAP);
  next = new Int32Array(MIN_CAP);
  /** Slot state: QUEUED, HEAPED, IDLE (allocated, not queued), PULL or FREE. */
  list = new Int32Array(MIN_CAP);
  gen = new Int32Array(MIN_CAP);
  /** The list a queued slot is in (index into `lists`). */
  lid = new Int32Array(MIN_CAP);
  /**
   * A push timer's callback or a pull timer's token: the only per-slot array of references (`used` entries,
   * grown by push), because growing and scanning those costs far more than typed arrays.
   */
  ref: unknown[] = [];
  /** Free slots below cap/2 (taken first) and at or above it. */
  private freeLo: number[] = [];
  private freeHi: number[] = [];
  /** Slots ever handed out since the last resize (slots ≥ used are untouched). */
  private used = 0;
  /** Live (allocated) slots, and how many of them are in the upper half. */
  private live = 0;
  private liveHi = 0;
  /** Generation given to a never-used slot: above every generation a handle of that index ever carried. */
  private genFloor = 0;
  /** Next creation sequence number (ties fire in this order). */
  seqNext = 0;
  private readonly byMs = new Map<number, TimerList>();
  private lists: (TimerList | undefined)[] = [];
  private freeLids: number[] = [];
  private heap: TimerList[] = [];
  private heapPeak = 0;
  /** Heap of slots of fractional-duration timers, `fn` of them. */
  private fh = new Int32Array(MIN_CAP);
  private fn = 0;
  private emptied: TimerList[] = [];
  /** Pending push timers. */
  size = 0;

  /** Current capacity in slots (for tests and the memory bench). */
  get capacity(): number {
    return this.deadline.length;
  }

  /** Number of duration lists known (non-empty ones plus a bounded cache of empty ones). */
  get listCount(): number {
    return this.byMs.size;
  }

  /** Allocates a slot and returns its handle. */
  alloc(deadline: number, period: number, ref: unknown): number {
    let s = this.freeLo.pop();
    if (s === undefined) {
      s = this.freeHi.pop();
      if (s === undefined) {
        if (this.used >= this.deadline.length) this.resize(this.deadline.length * 2);
        s = this.used++;
        this.gen[s] = this.genFloor;
        this.ref.push(undefined);
      }
    }
    this.live++;
    if (s >= this.deadline.length >>> 1) this.liveHi++;
    this.deadline[s] = deadline;
    this.period[s] = period;
    this.seq[s] = this.seqNext++;
    this.ref[s] = ref;
    this.list[s] = IDLE;
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
    this.ref[s] = undefined;
    this.gen[s] = (this.gen[s]! + 1) & 0x7fffffff;
    this.live--;
    const cap = this.deadline.length;
    if (s >= cap >>> 1) {
      this.freeHi.push(s);
      this.liveHi--;
    } else {
      this.freeLo.push(s);
    }
    if (cap > MIN_CAP && (this.live === 0 || (this.liveHi === 0 && this.live < cap >>> 2))) this.shrink();
  }

  /** Gives back the upper half of the slots while it is unused and three quarters of the slots are idle. */
  private shrink(): void {
    if (this.live === 0) {
      this.resize(MIN_CAP);
      return;
    }
    while (this.deadline.length > MIN_CAP && this.liveHi === 0 && this.live < this.deadline.length >>> 2) {
      this.resize(this.deadline.length >>> 1);
    }
  }

  /**
   * Changes the capacity to `n` slots. Shrinking requires every slot at or above `n` to be free; those slots
   * are forgotten, and `genFloor` moves above their generations so their old handles stay stale.
   */
  private resize(n: number): void {
    const old = this.deadline.length;
    if (n > MAX_TIMERS) throw new RangeError(`more than ${MAX_TIMERS} timers pending in one loop`);
    const keep = Math.min(this.used, n);
    if (n < old) {
      let g = this.genFloor;
      for (let s = keep; s < this.used; s++) if (this.gen[s]! > g) g = this.gen[s]!;
      this.genFloor = g;
      this.used = keep;
    }
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a.subarray(0, keep));
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a.subarray(0, keep));
      return b;
    };
    this.deadline = f64(this.deadline);
    this.seq = f64(this.seq);
    this.period = f64(this.period);
    this.lid = i32(this.lid);
    this.prev = i32(this.prev);
    this.next = i32(this.next);
    this.list = i32(this.list);
    this.gen = i32(this.gen);
    if (n < old) {
      this.ref = this.ref.slice(0, keep);
    }
    // Re-sort the free slots by the new halves and recount the live ones in the upper half.
    const half = n >>> 1;
    const lo: number[] = [];
    const hi: number[] = [];
    for (const f of [this.freeLo, this.freeHi]) {
      for (const s of f) if (s < keep) (s < half ? lo : hi).push(s);
    }
    this.freeLo = lo;
    this.freeHi = hi;
    let liveHi = 0; // after growing, every slot in use is below the new half
    if (n < old) for (let s = half; s < keep; s++) if (this.list[s] !== FREE) liveHi++;
    this.liveHi = liveHi;
  }

  private before(a: number, b: number): boolean {
    const da = this.deadline[a]!;
    const db = this.deadline[b]!;
    return da < db || (da === db && this.seq[a]! < this.seq[b]!);
  }

  /** Earliest pending push timer's slot, or -1. */
  peek(): number {
    let a = NONE;
    while (this.heap.length > 0) {
      const l = this.heap[0]!;
      const hd = l.head;
      if (this.seq[hd] === l.ks) {
        a = hd;
        break;
      }
      l.kd = this.deadline[hd]!;
      l.ks = this.seq[hd]!;
      this.siftDown(0);
    }
    if (this.fn === 0) return a;
    const b = this.fh[0]!;
    return a === NONE || this.before(b, a) ? b : a;
  }

  /** Queues slot `s` under duration `ms` (its deadline must be `now + ms`, or a periodic re-insert). */
  insert(s: number, ms: number): void {
    if ((ms | 0) !== ms) {
      this.fInsert(s);
      return;
    }
    let l = this.byMs.get(ms);
    if (l === undefined) {
      const id = this.freeLids.pop() ?? this.lists.length;
      l = { ms, id, head: NONE, tail: NONE, index: NONE, kd: 0, ks: 0 };
      this.lists[id] = l;
      this.byMs.set(ms, l);
    }
    this.size++;
    this.list[s] = QUEUED;
    this.lid[s] = l.id;
    const tail = l.tail;
    if (tail === NONE) {
      l.head = l.tail = s;
      this.prev[s] = this.next[s] = NONE;
      l.kd = this.deadline[s]!;
      l.ks = this.seq[s]!;
      l.index = this.heap.length;
      this.heap.push(l);
      if (this.heap.length > this.heapPeak) this.heapPeak = this.heap.length;
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
      // The stored key may lag behind a cancelled head, so the new one can be later or earlier: move both ways.
      l.kd = this.deadline[s]!;
      l.ks = this.seq[s]!;
      this.siftUp(l.index);
      this.siftDown(l.index);
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
    const st = this.list[s];
    if (st === HEAPED) {
      this.fRemove(s);
      return;
    }
    if (st !== QUEUED) return;
    this.size--;
    this.list[s] = IDLE;
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p !== NONE && n !== NONE) {
      this.next[p] = n;
      this.prev[n] = p;
      return;
    }
    const l = this.lists[this.lid[s]!]!;
    if (p !== NONE) this.next[p] = n;
    else l.head = n;
    if (n !== NONE) this.prev[n] = p;
    else l.tail = p;
    if (l.head === NONE) {
      this.heapRemove(l);
      this.forgetLater(l);
    }
  }

  /**
   * Remembers an emptied list; once more lists sit empty than are in use (plus a small allowance), the ones
   * still empty are dropped, so lists of durations that never recur (fractional ones) do not accumulate.
   */
  private forgetLater(l: TimerList): void {
    const e = this.emptied;
    e.push(l);
    if (e.length <= EMPTY_LISTS_KEPT + this.heap.length) return;
    for (const x of e) {
      if (x.head === NONE && this.byMs.get(x.ms) === x) {
        this.byMs.delete(x.ms);
        this.lists[x.id] = undefined;
        this.freeLids.push(x.id);
      }
    }
    this.emptied = [];
    if (this.byMs.size === 0) {
      this.lists = [];
      this.freeLids = [];
    } else if (
      this.lists.length > 1024 &&
      this.byMs.size * 4 < this.lists.length &&
      this.size < 4 * this.lists.length
    ) {
      // Renumber the lists still known into a short array (slots of queued timers follow their list); the
      // walk over queued timers is bounded by the array length it gives back, so it stays amortised O(1).
      const keep: TimerList[] = [];
      for (const x of this.byMs.values()) {
        x.id = keep.length;
        keep.push(x);
        for (let q = x.head; q !== NONE; q = this.next[q]!) this.lid[q] = x.id;
      }
      this.lists = keep;
      this.freeLids = [];
    }
    // An array keeps its backing store when popped: copy the heap of lists once it is far below its peak.
    if (this.heapPeak > 1024 && this.heap.length * 4 < this.heapPeak) {
      this.heap = this.heap.slice();
      this.heapPeak = this.heap.length;
    }
  }

  private fInsert(s: number): void {
    this.size++;
    this.list[s] = HEAPED;
    if (this.fn === this.fh.length) {
      const fh = new Int32Array(this.fn * 2);
      fh.set(this.fh);
      this.fh = fh;
    }
    this.fUp(this.fn++, s);
  }

  private fRemove(s: number): void {
    this.size--;
    this.list[s] = IDLE;
    const i = this.prev[s]!;
    const last = this.fh[--this.fn]!;
    if (this.fn === 0 && this.fh.length > MIN_CAP) this.fh = new Int32Array(MIN_CAP);
    else if (this.fh.length > 1024 && this.fn * 8 < this.fh.length) this.fh = this.fh.slice(0, this.fh.length >>> 2);
    if (last === s) return;
    this.fDown(i, last);
    if (this.fh[i] === last) this.fUp(i, last);
  }

  /** Places slot `s` at heap position `i` or above. */
  private fUp(i: number, s: number): void {
    const h = this.fh;
    while (i > 0) {
      const pi = (i - 1) >> 1;
      const p = h[pi]!;
      if (!this.before(s, p)) break;
      h[i] = p;
      this.prev[p] = i;
      i = pi;
    }
    h[i] = s;
    this.prev[s] = i;
  }

  /** Places slot `s` at heap position `i` or below. */
  private fDown(i: number, s: number): void {
    const h = this.fh;
    const n = this.fn;
    for (;;) {
      const a = 2 * i + 1;
      if (a >= n) break;
      let c = a;
      if (a + 1 < n && this.before(h[a + 1]!, h[a]!)) c = a + 1;
      const cs = h[c]!;
      if (!this.before(cs, s)) break;
      h[i] = cs;
      this.prev[cs] = i;
      i = c;
    }
    h[i] = s;
    this.prev[s] = i;
  }

  /** Every slot queued in a list (unordered). */
  queued(): number[] {
    const out: number[] = [];
    for (const l of this.heap) for (let s = l.head; s !== NONE; s = this.next[s]!) out.push(s);
    for (let i = 0; i < this.fn; i++) out.push(this.fh[i]!);
    return out;
  }

  private heapRemove(l: TimerList): void {
    const h = this.heap;
    const i = l.index;
    const last = h.pop()!;
    l.index = NONE;
    if (h.length === 0 && this.heapPeak > 1024) {
      this.heap = [];
      this.heapPeak = 0;
    }
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
      if (!keyBefore(l, p)) break;
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
      if (b < n && keyBefore(h[b]!, h[a]!)) c = b;
      const cl = h[c]!;
      if (!keyBefore(cl, l)) break;
      h[i] = cl;
      cl.index = i;
      i = c;
    }
    h[i] = l;
    l.index = i;
  }
}

function keyBefore(a: TimerList, b: TimerList): boolean {
  return a.kd < b.kd || (a.kd === b.kd && a.ks < b.ks);
}
