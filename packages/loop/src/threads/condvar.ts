import type { Mutex } from './mutex.js';
import { checkHandle, deadlineOf, remaining, type SharedHandle, waitAsync, waitSync } from './shared.js';

/**
 * A condition variable in shared memory (a sequence counter waited on with Atomics). Waiting
 * releases the mutex and re-takes it before returning. As with every condvar, wake-ups may be
 * spurious: wait in a loop that re-checks the condition.
 *
 * @example
 * // worker (blocking):
 * m.lock(); while (!ready()) cv.wait(m); m.unlock();
 * // main thread (non-blocking):
 * await m.lockAsync(); const signalled = await cv.timedWaitAsync(m, 100); m.unlock();
 */
export class Condvar {
  /** The shareable handle. */
  readonly handle: SharedHandle<'condvar'>;
  private readonly a: Int32Array;

  constructor(handle?: SharedHandle<'condvar'>) {
    this.handle = handle ?? { kind: 'condvar', buffer: new SharedArrayBuffer(4), byteOffset: 0 };
    this.a = new Int32Array(this.handle.buffer, this.handle.byteOffset, 1);
  }

  /** Re-opens a condvar from its handle (in another thread). */
  static from(handle: unknown): Condvar {
    return new Condvar(checkHandle(handle, 'condvar', 4));
  }

  /** Blocks (worker) until signalled; `m` must be held and is held again on return. */
  wait(m: Mutex): void {
    this.timedWait(m, Number.POSITIVE_INFINITY);
  }

  /** As {@link wait} but at most `timeoutMs`; returns false if it timed out. */
  timedWait(m: Mutex, timeoutMs: number): boolean {
    const deadline = deadlineOf(timeoutMs);
    const seq = Atomics.load(this.a, 0);
    m.unlock();
    const r = waitSync(this.a, 0, seq, remaining(deadline));
    m.lock();
    return r !== 'timed-out';
  }

  /** Non-blocking {@link wait} for the main thread. */
  async waitAsync(m: Mutex): Promise<void> {
    await this.timedWaitAsync(m, Number.POSITIVE_INFINITY);
  }

  /** Non-blocking {@link timedWait}; resolves false if it timed out. */
  async timedWaitAsync(m: Mutex, timeoutMs: number): Promise<boolean> {
    const deadline = deadlineOf(timeoutMs);
    const seq = Atomics.load(this.a, 0);
    m.unlock();
    const r = await waitAsync(this.a, 0, seq, remaining(deadline));
    await m.lockAsync();
    return r !== 'timed-out';
  }

  /** Wakes one waiter. */
  signal(): void {
    Atomics.add(this.a, 0, 1);
    Atomics.notify(this.a, 0, 1);
  }

  /** Wakes every waiter. */
  broadcast(): void {
    Atomics.add(this.a, 0, 1);
    Atomics.notify(this.a, 0);
  }
}
