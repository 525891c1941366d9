import { SocketError } from './socket-error.js';

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * A bounded FIFO with awaiting consumers (internal). When full, the OLDEST item is dropped and
 * counted, so memory never grows without bound. An item pushed while a consumer waits goes straight
 * to it. Closing rejects every waiter with the given error.
 */
export class AsyncQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private readonly waiters: Waiter<T>[] = [];
  private closedWith: Error | undefined;
  /** Items dropped because the queue was full. */
  dropped = 0;

  constructor(
    private readonly limit: number,
    private readonly onChange?: () => void,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Delivers to a waiter or enqueues; returns false if an old item had to be dropped. */
  push(item: T): boolean {
    const w = this.waiters.shift();
    if (w) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(item);
      return true;
    }
    let ok = true;
    if (this.length >= this.limit) {
      this.items[this.head++] = undefined;
      this.dropped++;
      ok = false;
    }
    const wasEmpty = this.length === 0;
    this.items.push(item);
    if (wasEmpty && this.onChange) this.onChange();
    return ok;
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= this.items.length) {
      this.items = [];
      this.head = 0;
      if (this.onChange) this.onChange();
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  /** The oldest item without removing it. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Takes every queued item. */
  drain(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    if (out.length > 0 && this.onChange) this.onChange();
    return out;
  }

  /**
   * Resolves with the next item; rejects with `SocketError('ETIMEDOUT', op)` after `timeoutMs`
   * (undefined: no limit), or with the close error.
   */
  next(timeoutMs: number | undefined, op: string): Promise<T> {
    if (this.length > 0) return Promise.resolve(this.shift() as T);
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T> = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        w.timer = setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new SocketError('ETIMEDOUT', op, `no data within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.waiters.push(w);
    });
  }

  /** Rejects all current and future waiters with `err` (queued items stay readable). */
  close(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const w of this.waiters.splice(0)) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(err);
    }
    if (this.onChange) this.onChange();
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }
}
