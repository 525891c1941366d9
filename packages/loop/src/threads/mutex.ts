import { checkHandle, deadlineOf, remaining, type SharedHandle, waitAsync, waitSync } from './shared.js';

// State word: 0 unlocked, 1 locked, 2 locked with (possible) waiters — Drepper, "Futexes Are Tricky", mutex #2.
const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;

/**
 * A mutual-exclusion lock in shared memory, usable across worker threads. `lock()` blocks (for
 * workers); `lockAsync()` waits with Atomics.waitAsync so the main thread's event loop keeps running.
 * There is no owner tracking: unlocking an unlocked mutex throws.
 *
 * @example
 * const m = new Mutex();
 * await m.lockAsync();
 * try { shared[0]++; } finally { m.unlock(); }
 * spawn(url, [m.handle]);   // worker: const m = Mutex.from(h); m.lock(); ...; m.unlock();
 */
export class Mutex {
  /** The shareable handle. */
  readonly handle: SharedHandle<'mutex'>;
  private readonly a: Int32Array;

  constructor(handle?: SharedHandle<'mutex'>) {
    this.handle = handle ?? { kind: 'mutex', buffer: new SharedArrayBuffer(4), byteOffset: 0 };
    this.a = new Int32Array(this.handle.buffer, this.handle.byteOffset, 1);
  }

  /** Re-opens a mutex from its handle (in another thread). */
  static from(handle: unknown): Mutex {
    return new Mutex(checkHandle(handle, 'mutex', 4));
  }

  /** Takes the lock if it is free; true on success. Never blocks. */
  tryLock(): boolean {
    return Atomics.compareExchange(this.a, 0, UNLOCKED, LOCKED) === UNLOCKED;
  }

  /**
   * Blocks until the lock is taken (Atomics.wait: use in workers, or lockAsync on the main thread).
   * With `timeoutMs`, gives up and returns false after it.
   */
  lock(timeoutMs?: number): boolean {
    const deadline = deadlineOf(timeoutMs);
    let c = Atomics.compareExchange(this.a, 0, UNLOCKED, LOCKED);
    if (c === UNLOCKED) return true;
    if (c !== CONTENDED) c = Atomics.exchange(this.a, 0, CONTENDED);
    while (c !== UNLOCKED) {
      const left = remaining(deadline);
      if (left === 0) return false;
      waitSync(this.a, 0, CONTENDED, left);
      c = Atomics.exchange(this.a, 0, CONTENDED);
    }
    return true;
  }

  /** Waits for the lock without blocking the event loop; false if `timeoutMs` ran out. */
  async lockAsync(timeoutMs?: number): Promise<boolean> {
    const deadline = deadlineOf(timeoutMs);
    let c = Atomics.compareExchange(this.a, 0, UNLOCKED, LOCKED);
    if (c === UNLOCKED) return true;
    if (c !== CONTENDED) c = Atomics.exchange(this.a, 0, CONTENDED);
    while (c !== UNLOCKED) {
      const left = remaining(deadline);
      if (left === 0) return false;
      await waitAsync(this.a, 0, CONTENDED, left);
      c = Atomics.exchange(this.a, 0, CONTENDED);
    }
    return true;
  }

  /** Releases the lock and wakes one waiter. Throws if it was not locked. */
  unlock(): void {
    const prev = Atomics.load(this.a, 0);
    if (prev === UNLOCKED) throw new Error('Mutex.unlock(): the mutex is not locked');
    if (Atomics.sub(this.a, 0, 1) !== LOCKED) {
      Atomics.store(this.a, 0, UNLOCKED);
      Atomics.notify(this.a, 0, 1);
    }
  }

  /** True while someone holds the lock (a snapshot). */
  get locked(): boolean {
    return Atomics.load(this.a, 0) !== UNLOCKED;
  }

  /** Runs `f` under the lock (async acquisition), releasing it afterwards. */
  async withLock<T>(f: () => T | Promise<T>): Promise<T> {
    await this.lockAsync();
    try {
      return await f();
    } finally {
      this.unlock();
    }
  }
}
