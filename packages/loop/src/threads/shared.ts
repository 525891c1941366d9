/** Result of `Atomics.waitAsync` (ES2024; typed here because the project's lib is ES2023). */
type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };

const nativeWaitAsync = (
  Atomics as unknown as {
    waitAsync?: (ta: Int32Array, index: number, value: number, timeout?: number) => WaitAsyncResult;
  }
).waitAsync;

/**
 * Waits, without blocking the event loop, until `ta[index]` is notified or no longer `value`
 * (Atomics.waitAsync), at most `timeoutMs` (undefined or Infinity: no limit).
 */
export async function waitAsync(
  ta: Int32Array,
  index: number,
  value: number,
  timeoutMs?: number,
): Promise<'ok' | 'not-equal' | 'timed-out'> {
  const t = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, timeoutMs);
  if (nativeWaitAsync) {
    const r = nativeWaitAsync(ta, index, value, t);
    return r.async ? r.value : r.value;
  }
  // Fallback for runtimes without waitAsync: poll with a short timer.
  const end = performance.now() + t;
  while (Atomics.load(ta, index) === value) {
    if (performance.now() >= end) return 'timed-out';
    await new Promise((r) => setTimeout(r, 1));
  }
  return 'not-equal';
}

/** Blocks the calling thread (meant for workers) like Atomics.wait; undefined timeout = no limit. */
export function waitSync(
  ta: Int32Array,
  index: number,
  value: number,
  timeoutMs?: number,
): 'ok' | 'not-equal' | 'timed-out' {
  return Atomics.wait(ta, index, value, timeoutMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, timeoutMs));
}

/** A plain, structured-cloneable reference to shared state; post it to a worker and re-open it there. */
export interface SharedHandle<K extends string = string> {
  readonly kind: K;
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
}

/** Validates a handle received from another thread. */
export function checkHandle<K extends string>(h: unknown, kind: K, minBytes: number): SharedHandle<K> {
  const x = h as SharedHandle<K> | undefined;
  if (!x || x.kind !== kind || !(x.buffer instanceof SharedArrayBuffer) || !Number.isInteger(x.byteOffset)) {
    throw new TypeError(`not a ${kind} handle`);
  }
  if (x.byteOffset % 4 !== 0 || x.byteOffset + minBytes > x.buffer.byteLength) {
    throw new RangeError(`${kind} handle is out of bounds`);
  }
  return x;
}

/** Milliseconds left until `deadline` (performance.now based); undefined deadline → undefined. */
export function remaining(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(0, deadline - performance.now());
}

/** Validates an optional timeout. */
export function deadlineOf(timeoutMs: number | undefined): number | undefined {
  if (timeoutMs === undefined || timeoutMs === Number.POSITIVE_INFINITY) return undefined;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new RangeError(`timeoutMs must be a number >= 0, got ${String(timeoutMs)}`);
  }
  return performance.now() + timeoutMs;
}
