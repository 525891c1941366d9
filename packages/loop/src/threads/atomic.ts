import { checkHandle, type SharedHandle } from './shared.js';

/**
 * A 32-bit signed integer in shared memory, updated atomically from any thread (values wrap like
 * int32). Post `atomic.handle` to a worker and re-open it with `AtomicInt.from(handle)`.
 *
 * @example
 * const n = new AtomicInt(0);
 * n.add(5);                 // 5 (the new value)
 * n.cas(5, 7);              // true
 * spawn(url, [n.handle]);   // the worker does AtomicInt.from(h).add(1)
 */
export class AtomicInt {
  /** The shareable handle. */
  readonly handle: SharedHandle<'atomic'>;
  private readonly a: Int32Array;

  constructor(initial = 0, handle?: SharedHandle<'atomic'>) {
    this.handle = handle ?? { kind: 'atomic', buffer: new SharedArrayBuffer(4), byteOffset: 0 };
    this.a = new Int32Array(this.handle.buffer, this.handle.byteOffset, 1);
    if (!handle) Atomics.store(this.a, 0, toInt(initial));
  }

  /** Re-opens an atomic from its handle (in another thread). */
  static from(handle: unknown): AtomicInt {
    return new AtomicInt(0, checkHandle(handle, 'atomic', 4));
  }

  /** The current value. */
  load(): number {
    return Atomics.load(this.a, 0);
  }

  /** Sets the value (a float is truncated). */
  store(v: number): void {
    Atomics.store(this.a, 0, toInt(v));
  }

  /** Adds `d` and returns the NEW value. */
  add(d: number): number {
    const dv = toInt(d);
    return (Atomics.add(this.a, 0, dv) + dv) | 0;
  }

  /** Subtracts `d` and returns the NEW value. */
  sub(d: number): number {
    const dv = toInt(d);
    return (Atomics.sub(this.a, 0, dv) - dv) | 0;
  }

  /** Sets `v` and returns the previous value. */
  exchange(v: number): number {
    return Atomics.exchange(this.a, 0, toInt(v));
  }

  /** Compare-and-set: if the value is `expected`, sets `desired` and returns true. */
  cas(expected: number, desired: number): boolean {
    const e = toInt(expected);
    return Atomics.compareExchange(this.a, 0, e, toInt(desired)) === e;
  }
}

function toInt(v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new TypeError(`atomic value must be a finite number, got ${String(v)}`);
  return Math.trunc(v) | 0;
}
