/**
 * A signed 64-bit integer in shared memory for `atomic_*` (SPEC.md §12.6: an atomic holds an int, an
 * i64 in the reference). @mdh/loop's `AtomicInt` is 32-bit, so the interpreter keeps its own 64-bit cell
 * over a `SharedArrayBuffer` that worker threads re-open from {@link AtomicI64.handle}.
 */

/** The structured-clonable handle of an {@link AtomicI64}. */
export interface AtomicI64Handle {
  kind: 'atomic64';
  buffer: SharedArrayBuffer;
}

/** A shared, atomically updated i64 (values wrap like i64). */
export class AtomicI64 {
  /** The shareable handle (post it to a worker, re-open with {@link AtomicI64.from}). */
  readonly handle: AtomicI64Handle;
  private readonly a: BigInt64Array;

  constructor(initial: bigint = 0n, handle?: AtomicI64Handle) {
    this.handle = handle ?? { kind: 'atomic64', buffer: new SharedArrayBuffer(8) };
    this.a = new BigInt64Array(this.handle.buffer, 0, 1);
    if (!handle) Atomics.store(this.a, 0, BigInt.asIntN(64, initial));
  }

  /** Re-opens an atomic from its handle (in another thread). */
  static from(handle: unknown): AtomicI64 {
    const h = handle as AtomicI64Handle | undefined;
    if (h?.kind !== 'atomic64' || !(h.buffer instanceof SharedArrayBuffer) || h.buffer.byteLength < 8)
      throw new TypeError('not an atomic64 handle');
    return new AtomicI64(0n, h);
  }

  /** The current value. */
  load(): bigint {
    return Atomics.load(this.a, 0);
  }

  /** Sets the value. */
  store(v: bigint): void {
    Atomics.store(this.a, 0, BigInt.asIntN(64, v));
  }

  /** Adds `d` and returns the NEW value (wrapping). */
  add(d: bigint): bigint {
    const dv = BigInt.asIntN(64, d);
    return BigInt.asIntN(64, Atomics.add(this.a, 0, dv) + dv);
  }

  /** Compare-and-set: if the value is `expected`, sets `desired` and returns true. */
  cas(expected: bigint, desired: bigint): boolean {
    const e = BigInt.asIntN(64, expected);
    return Atomics.compareExchange(this.a, 0, e, BigInt.asIntN(64, desired)) === e;
  }
}
