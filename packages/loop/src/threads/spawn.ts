import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** A thread ended with an error (thrown in the worker, or the worker exited abnormally). */
export class ThreadError extends Error {
  /** The error name in the worker (e.g. 'TypeError'), if it threw. */
  readonly remoteName: string | undefined;
  /** The worker's stack, if it threw. */
  readonly remoteStack: string | undefined;

  constructor(message: string, remote?: { name?: string; stack?: string }) {
    super(message);
    this.name = 'ThreadError';
    this.remoteName = remote?.name;
    this.remoteStack = remote?.stack;
  }
}

/** Options of {@link spawn}. */
export interface SpawnOptions {
  /** Thread name (shown in inspectors). */
  name?: string;
  /** Worker resource limits (heap sizes in MB). */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number };
}

// Runs in the worker (CommonJS eval): import the module, call its default export (or `main`) with
// the arguments, post the result or the error.
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  let msg;
  try {
    const mod = await import(workerData.url);
    const fn = typeof mod.default === 'function' ? mod.default : mod.main;
    if (typeof fn !== 'function') throw new TypeError(workerData.url + ' exports no default or main function');
    msg = { ok: true, value: await fn(...workerData.args) };
  } catch (e) {
    msg = { ok: false, error: { name: e && e.name, message: e && e.message !== undefined ? String(e.message) : String(e), stack: e && e.stack } };
  }
  try { parentPort.postMessage(msg); }
  catch (e) { parentPort.postMessage({ ok: false, error: { name: 'DataCloneError', message: 'result is not cloneable: ' + e.message } }); }
})();
`;

/** How long join() waits for the worker to exit after its function returned before giving the result anyway. */
const JOIN_GRACE_MS = 500;

type Outcome = { ok: true; value: unknown } | { ok: false; error: { name?: string; message: string; stack?: string } };

/**
 * A running worker thread started by {@link spawn}.
 *
 * @example
 * const t = spawn(new URL('./work.mjs', import.meta.url), [21]);
 * console.log(await t.join()); // whatever work.mjs's default export returned
 */
export class ThreadHandle<T = unknown> {
  /** The worker's thread id. */
  readonly threadId: number;
  private readonly worker: Worker;
  private readonly result: Promise<T>;
  private detached = false;
  private finished = false;

  /** @internal */
  constructor(worker: Worker) {
    this.worker = worker;
    this.threadId = worker.threadId;
    this.result = new Promise<T>((resolve, reject) => {
      let outcome: Outcome | undefined;
      let settled = false;
      const settle = (o: Outcome) => {
        if (settled) return;
        settled = true;
        if (o.ok) resolve(o.value as T);
        else reject(new ThreadError(`thread failed: ${o.error.message}`, o.error));
      };
      let grace: ReturnType<typeof setTimeout> | undefined;
      worker.on('message', (m: Outcome) => {
        if (outcome) return;
        outcome = m;
        // The function has returned (or thrown). Normally the worker exits right after and 'exit' settles;
        // if it left timers or sockets behind it never would, so after a grace period the result is given
        // anyway and the worker stops holding the process open. It is not terminated: that would cut off
        // its pending output and any work it deliberately left running.
        grace = setTimeout(() => {
          settle(m);
          worker.unref();
        }, JOIN_GRACE_MS);
        grace.unref();
      });
      worker.on('error', (e: Error) => {
        outcome ??= { ok: false, error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) } };
      });
      worker.on('exit', (code) => {
        this.finished = true;
        if (grace !== undefined) clearTimeout(grace);
        if (outcome) settle(outcome);
        else settle({ ok: false, error: { message: `exited with code ${code} without a result` } });
      });
    });
    // A detached thread's failure must not become an unhandled rejection.
    this.result.catch(() => {});
  }

  /** True once the thread has exited. */
  get done(): boolean {
    return this.finished;
  }

  /**
   * Waits for the thread and returns its result; rejects with {@link ThreadError} if it threw or
   * died. With `timeoutMs`, rejects with a ThreadError after it (the thread keeps running).
   * Throws if the thread was detached.
   */
  join(timeoutMs?: number): Promise<T> {
    if (this.detached) throw new ThreadError('join(): the thread is detached');
    if (timeoutMs === undefined) return this.result;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new ThreadError(`join(): timed out after ${timeoutMs} ms`)), timeoutMs);
      this.result.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e) => {
          clearTimeout(t);
          reject(e);
        },
      );
    });
  }

  /** Lets the thread run on its own: it no longer keeps the process alive and can no longer be joined. */
  detach(): void {
    this.detached = true;
    this.worker.unref();
  }

  /** Stops the thread at once. */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * Runs the default export (or `main` export) of the ES module at `moduleUrl` in a new worker
 * thread, called with `args` spread as arguments. Arguments and the result are structured-cloned;
 * SharedArrayBuffer-backed handles (Mutex, Condvar, AtomicInt, Channel `.handle`) are shared.
 * `moduleUrl` is a URL, a file: URL string or an absolute path. Worker modules run as plain
 * JavaScript: they import @mdh/loop's built `dist`, not TypeScript sources.
 *
 * @example
 * const counter = new AtomicInt(0);
 * const t = spawn(new URL('./inc.mjs', import.meta.url), [counter.handle, 1000]);
 * await t.join();
 */
export function spawn<T = unknown>(
  moduleUrl: string | URL,
  args: unknown[] = [],
  opts: SpawnOptions = {},
): ThreadHandle<T> {
  let url: string;
  if (moduleUrl instanceof URL) url = moduleUrl.href;
  else if (typeof moduleUrl === 'string' && isAbsolute(moduleUrl)) url = pathToFileURL(moduleUrl).href;
  else if (typeof moduleUrl === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(moduleUrl)) url = moduleUrl;
  else throw new TypeError(`spawn(): moduleUrl must be a URL or an absolute path, got ${String(moduleUrl)}`);
  if (!Array.isArray(args)) throw new TypeError('spawn(): args must be an array');
  const wo: ConstructorParameters<typeof Worker>[1] = { eval: true, workerData: { url, args } };
  if (opts.name !== undefined) wo.name = opts.name;
  if (opts.resourceLimits !== undefined) wo.resourceLimits = opts.resourceLimits;
  return new ThreadHandle<T>(new Worker(BOOTSTRAP, wo));
}
