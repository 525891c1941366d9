import type { Loop, TimerId } from '@mdh/loop';

/**
 * Cancellation and time limits for operations that wait (issue #15 item 7): an `AbortSignal` and a timeout on
 * `invite`, `register`, `options`, `send` and `sipResolve`.
 */

/** The `signal` / `timeoutMs` options of an operation. */
export interface AbortOptions {
  /** Aborts the operation (an INVITE is cancelled: CANCEL, or BYE when a 2xx races the abort). */
  signal?: AbortSignal;
  /** Gives up after this many ms (on the user agent's loop clock). */
  timeoutMs?: number;
}

/** The error an operation rejects with when its `timeoutMs` passed. */
export function timeoutError(ms: number): Error {
  const e = new Error(`timed out after ${ms} ms`);
  e.name = 'TimeoutError';
  return e;
}

/**
 * Runs `onAbort` once when `signal` aborts or `timeoutMs` passes (timer on `loop`, or on setTimeout without a
 * loop), with the reason; returns the function that detaches both (call it when the operation settled).
 */
export function onAbortOrTimeout(o: AbortOptions, onAbort: (reason: unknown) => void, loop?: Loop): () => void {
  const { signal, timeoutMs } = o;
  let done = false;
  let timer: TimerId | undefined;
  let handle: ReturnType<typeof setTimeout> | undefined;
  const detach = () => {
    done = true;
    signal?.removeEventListener('abort', listener);
    if (timer !== undefined) loop?.cancel(timer);
    if (handle !== undefined) clearTimeout(handle);
  };
  const fire = (reason: unknown) => {
    if (done) return;
    detach();
    onAbort(reason);
  };
  const listener = () => fire(signal?.reason);
  if (signal?.aborted) {
    queueMicrotask(() => fire(signal.reason));
    return detach;
  }
  signal?.addEventListener('abort', listener, { once: true });
  if (timeoutMs !== undefined) {
    if (loop) timer = loop.after(timeoutMs, () => fire(timeoutError(timeoutMs)));
    else {
      handle = setTimeout(() => fire(timeoutError(timeoutMs)), timeoutMs);
      (handle as { unref?: () => void }).unref?.();
    }
  }
  return detach;
}

/** `p`, or a rejection with the abort reason / a TimeoutError if that comes first. */
export function abortable<T>(p: Promise<T>, o: AbortOptions, loop?: Loop): Promise<T> {
  if (!o.signal && o.timeoutMs === undefined) return p;
  return new Promise<T>((resolve, reject) => {
    const detach = onAbortOrTimeout(o, reject, loop);
    p.then(
      (v) => {
        detach();
        resolve(v);
      },
      (e: unknown) => {
        detach();
        reject(e);
      },
    );
  });
}
