/**
 * Concurrency builtins (SPEC.md §12.6) on real threads: `thread_spawn` runs the function on a worker
 * thread with its own interpreter; channels, mutexes, condvars and atomics are @mdh/loop shared-memory
 * objects usable from every thread.
 *
 * A wait (a contended `mutex_lock`, `condvar_wait`, `chan_recv` on an empty channel) only blocks while
 * another thread is alive that could end it. In a single-threaded program they behave as the reference's
 * shims do (never block), so programs written for the reference keep working.
 */
import { fileURLToPath } from 'node:url';
import type { Channel, Condvar, Mutex, SharedHandle, ThreadHandle } from '@mdh/loop';
import { AtomicI64, type AtomicI64Handle } from '../atomic64.js';
import { fail } from '../errors.js';
import type { Interpreter } from '../interpreter.js';
import { loopMod } from '../loop-lazy.js';
import { kindOf, MBytes, MDict, MFloat, MFunc, MNative, normBig, type Scope, type Value } from '../values.js';
import { floatToInt } from './core.js';
import { argHandle } from './net.js';
import type { Registry } from './registry.js';

/** A structured-clone-able form of an mdhavers value. */
export type Wire =
  | number
  | bigint
  | string
  | boolean
  | null
  | Wire[]
  | { f: number }
  | { d: [Wire, Wire][] }
  | Uint8Array;

/** Converts a value for another thread (functions cannot cross). */
export function toWire(v: Value): Wire {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof MFloat) return { f: v.v };
  if (Array.isArray(v)) return v.map(toWire);
  if (v instanceof MDict) return { d: [...v.m.entries()].map(([k, x]) => [toWire(MDict.denorm(k)), toWire(x)]) };
  if (v instanceof MBytes) return v.view().slice();
  if (v instanceof MFunc || v instanceof MNative) fail(`cannae send a function tae anither thread`);
  return null;
}

/** The inverse of {@link toWire}. */
export function fromWire(w: unknown): Value {
  if (w === null || w === undefined) return null;
  if (typeof w !== 'object') return w as Value;
  if (w instanceof Uint8Array) return new MBytes(w.slice());
  if (Array.isArray(w)) return w.map(fromWire);
  if ('f' in w) return new MFloat((w as { f: number }).f);
  const d = new MDict();
  for (const [k, x] of (w as { d: [unknown, unknown][] }).d) d.set(fromWire(k), fromWire(x));
  return d;
}

/** Shared objects passed to a worker: kind → [[id, handle]]. */
export interface SharedSnapshot {
  chan: [number, SharedHandle][];
  mutex: [number, SharedHandle][];
  condvar: [number, SharedHandle][];
  atomic: [number, AtomicI64Handle][];
}

/** What a worker needs to run a spawned function. */
export interface ThreadPayload {
  file: string;
  source: string | null;
  offset: number;
  name: string;
  native: boolean;
  topLevel: boolean;
  args: Wire[];
  shared: SharedSnapshot;
  /** Copies of the variables the function can see (its scope chain), innermost first. */
  captured: [string, Wire][];
  idBase: number;
  stdlibRoot: string | undefined;
}

/** The worker entry module (built JavaScript; under vitest the sources map to ../dist). */
export function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const p = fileURLToPath(here).replace(/[/\\]src[/\\]builtins[/\\]threads\.ts$/, '/dist/thread-worker.js');
    return new URL(`file://${p}`);
  }
  return new URL('../thread-worker.js', here);
}

/** Per-interpreter concurrency state. */
export class ThreadState {
  readonly chans = new Map<number, Channel<Wire>>();
  readonly mutexes = new Map<number, Mutex>();
  readonly condvars = new Map<number, Condvar>();
  readonly atomics = new Map<number, AtomicI64>();
  readonly threads = new Map<number, { h: ThreadHandle<Wire>; result: Promise<Wire>; detached: boolean }>();
  private next = { chan: 1, mutex: 1, condvar: 1, atomic: 1, thread: 1 };
  private live = 0;
  private idleWaiters: (() => void)[] = [];
  private spawned = 0;
  /** True inside a worker thread (the main thread is always alive there). */
  isWorker = false;

  constructor(base = 0) {
    for (const k of Object.keys(this.next) as (keyof ThreadState['next'])[]) this.next[k] = base + 1;
  }

  id(kind: keyof ThreadState['next']): number {
    return this.next[kind]++;
  }

  /** Whether some other thread could wake a waiter. */
  othersAlive(): boolean {
    return this.isWorker || this.live > 0;
  }

  /** Resolves when no spawned thread is alive (never in a worker). */
  whenIdle(): Promise<void> {
    if (this.isWorker) return new Promise(() => undefined);
    if (this.live === 0) return Promise.resolve();
    return new Promise((res) => this.idleWaiters.push(res));
  }

  snapshot(): SharedSnapshot {
    return {
      chan: [...this.chans].map(([i, c]) => [i, c.handle]),
      mutex: [...this.mutexes].map(([i, c]) => [i, c.handle]),
      condvar: [...this.condvars].map(([i, c]) => [i, c.handle]),
      atomic: [...this.atomics].map(([i, c]) => [i, c.handle]),
    };
  }

  adopt(s: SharedSnapshot): void {
    for (const [i, h] of s.chan) this.chans.set(i, loopMod().Channel.from<Wire>(h));
    for (const [i, h] of s.mutex) this.mutexes.set(i, loopMod().Mutex.from(h));
    for (const [i, h] of s.condvar) this.condvars.set(i, loopMod().Condvar.from(h));
    for (const [i, h] of s.atomic) this.atomics.set(i, AtomicI64.from(h));
  }

  track(h: ThreadHandle<Wire>): Promise<Wire> {
    this.live++;
    this.spawned++;
    const done = (): void => {
      this.live--;
      if (this.live === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    const p = h.join();
    p.then(done, done);
    p.catch(() => undefined);
    return p;
  }

  nextBase(): number {
    return (this.spawned + 1) * 1_000_000;
  }
}

function get<T>(name: string, map: Map<number, T>, v: Value, what: string): T {
  const id = argHandle(name, v);
  const x = map.get(id);
  if (x === undefined) fail(`${name}() unknown ${what} handle ${id}`);
  return x;
}

/** An i64 argument as a bigint (a float is truncated, saturating like Rust's `as i64`). */
function bigVal(name: string, v: Value): bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return BigInt(v);
  if (v instanceof MFloat) return BigInt(floatToInt(name, v.v));
  return fail(`${name}() needs an integer, no' a ${kindOf(v)}`);
}

function intVal(name: string, v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof MFloat) return Math.trunc(v.v);
  return fail(`${name}() needs an integer, no' a ${kindOf(v)}`);
}

/** Waits in slices of `sliceMs` while another thread is alive; `attempt` returns true when done. */
async function waitSliced(st: ThreadState, attempt: (sliceMs: number) => Promise<boolean>): Promise<boolean> {
  // Atomics.waitAsync holds no reference on the event loop: keep the thread alive while waiting.
  const keep = setInterval(() => undefined, 1000);
  try {
    while (st.othersAlive()) {
      if (await attempt(50)) return true;
    }
    return false;
  } finally {
    clearInterval(keep);
  }
}

/** Registers the concurrency builtins. */
export function registerThreads(r: Registry, interp: Interpreter, st: ThreadState): void {
  registerThreadLifecycle(r, interp, st);
  registerLocks(r, st);
  registerAtomicsAndChannels(r, st);
}

/** Threads: spawn (the function and its captured values cross as wire values), join, detach. */
function registerThreadLifecycle(r: Registry, interp: Interpreter, st: ThreadState): void {
  const d = r.def.bind(r);
  const da = r.defAsync.bind(r);
  d('thread_spawn', 2, ([f, a]) => {
    const fv = f as Value;
    const av = a as Value;
    if (av !== null && !Array.isArray(av)) fail(`thread_spawn() args must be a list or naething`);
    let payload: ThreadPayload;
    const captured: [string, Wire][] = [];
    if (fv instanceof MFunc) {
      const seen = new Set<string>();
      for (let sc: Scope | null = fv.scope; sc !== null; sc = sc.p) {
        for (const [k, v] of sc.v ?? []) {
          if (seen.has(k)) continue;
          seen.add(k);
          if (v instanceof MNative || v instanceof MFunc) continue;
          try {
            captured.push([k, toWire(v)]);
          } catch {
            // a value that cannot cross threads stays behind
          }
        }
      }
    }
    const base = {
      captured,
      args: (av ?? []).map(toWire),
      shared: st.snapshot(),
      idBase: st.nextBase(),
      stdlibRoot: interp.stdlibRootDir,
    };
    if (fv instanceof MNative) {
      payload = {
        ...base,
        file: interp.mainFile ?? '',
        source: null,
        offset: -1,
        name: fv.name,
        native: true,
        topLevel: false,
      };
    } else if (fv instanceof MFunc && fv.origin) {
      payload = {
        ...base,
        file: fv.origin.file,
        source: interp.sources.get(fv.origin.file) ?? null,
        offset: fv.origin.offset,
        name: fv.name,
        native: false,
        topLevel: fv.origin.topLevel,
      };
    } else return fail(`thread_spawn() needs a function, no' a ${kindOf(fv)}`);
    const h = loopMod().spawn<Wire>(workerUrl(), [payload], { name: `mdhavers:${payload.name}` });
    const result = st.track(h);
    const id = st.id('thread');
    st.threads.set(id, { h, result, detached: false });
    interp.closers.push(async () => {
      const t = st.threads.get(id);
      if (t && !t.h.done) await t.h.terminate();
    });
    return id;
  });
  da('thread_join', 1, async ([h]) => {
    const t = get('thread_join', st.threads, h as Value, 'thread');
    if (t.detached) fail('thread_join() cannae join a detached thread');
    try {
      return fromWire(await t.result);
    } catch (e) {
      return fail(`thread_join() the thread failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  d('thread_detach', 1, ([h]) => {
    const t = get('thread_detach', st.threads, h as Value, 'thread');
    t.detached = true;
    t.h.detach();
    return null;
  });
}

/** Mutexes and condition variables. */
function registerLocks(r: Registry, st: ThreadState): void {
  const d = r.def.bind(r);
  const da = r.defAsync.bind(r);
  d('mutex_new', 0, () => {
    const id = st.id('mutex');
    st.mutexes.set(id, new (loopMod().Mutex)());
    return id;
  });
  da('mutex_lock', 1, async ([m]) => {
    const mx = get('mutex_lock', st.mutexes, m as Value, 'mutex');
    if (mx.tryLock()) return null;
    await waitSliced(st, (ms) => mx.lockAsync(ms));
    return null;
  });
  d('mutex_unlock', 1, ([m]) => {
    const mx = get('mutex_unlock', st.mutexes, m as Value, 'mutex');
    if (mx.locked) mx.unlock();
    return null;
  });
  d('mutex_try_lock', 1, ([m]) => get('mutex_try_lock', st.mutexes, m as Value, 'mutex').tryLock());

  d('condvar_new', 0, () => {
    const id = st.id('condvar');
    st.condvars.set(id, new (loopMod().Condvar)());
    return id;
  });
  da('condvar_wait', 2, async ([c, m]) => {
    const cv = get('condvar_wait', st.condvars, c as Value, 'condvar');
    const mx = get('condvar_wait', st.mutexes, m as Value, 'mutex');
    if (!st.othersAlive()) return true;
    if (!mx.locked) mx.tryLock();
    await waitSliced(st, (ms) => cv.timedWaitAsync(mx, ms));
    return true;
  });
  da('condvar_timed_wait', 3, async ([c, m, ms]) => {
    const cv = get('condvar_timed_wait', st.condvars, c as Value, 'condvar');
    const mx = get('condvar_timed_wait', st.mutexes, m as Value, 'mutex');
    const t = Math.max(0, intVal('condvar_timed_wait', ms as Value));
    if (!st.othersAlive()) return true;
    if (!mx.locked) mx.tryLock();
    const end = Date.now() + t;
    let signalled = false;
    await waitSliced(st, async (ms) => {
      const left = end - Date.now();
      if (left <= 0) return true;
      signalled = await cv.timedWaitAsync(mx, Math.min(ms, left));
      return signalled;
    });
    return signalled || !st.othersAlive();
  });
  d('condvar_signal', 1, ([c]) => {
    get('condvar_signal', st.condvars, c as Value, 'condvar').signal();
    return null;
  });
  d('condvar_broadcast', 1, ([c]) => {
    get('condvar_broadcast', st.condvars, c as Value, 'condvar').broadcast();
    return null;
  });
}

/** Atomic integers and channels. */
function registerAtomicsAndChannels(r: Registry, st: ThreadState): void {
  const d = r.def.bind(r);
  const da = r.defAsync.bind(r);
  d('atomic_new', 1, ([n]) => {
    const id = st.id('atomic');
    st.atomics.set(id, new AtomicI64(bigVal('atomic_new', n as Value)));
    return id;
  });
  d('atomic_load', 1, ([a]) => normBig(get('atomic_load', st.atomics, a as Value, 'atomic').load()));
  d('atomic_store', 2, ([a, v]) => {
    get('atomic_store', st.atomics, a as Value, 'atomic').store(bigVal('atomic_store', v as Value));
    return null;
  });
  d('atomic_add', 2, ([a, v]) =>
    normBig(get('atomic_add', st.atomics, a as Value, 'atomic').add(bigVal('atomic_add', v as Value))),
  );
  d('atomic_cas', 3, ([a, e, v]) =>
    get('atomic_cas', st.atomics, a as Value, 'atomic').cas(
      bigVal('atomic_cas', e as Value),
      bigVal('atomic_cas', v as Value),
    ),
  );

  d('chan_new', 1, ([c]) => {
    const cap = intVal('chan_new', c as Value);
    if (cap < 0) fail('chan_new() capacity must be zero or mair');
    const id = st.id('chan');
    const L = loopMod();
    st.chans.set(id, new L.Channel<Wire>(cap > 0 ? { capacity: cap } : {}));
    return id;
  });
  d('chan_send', 2, ([c, v]) => {
    const ch = get('chan_send', st.chans, c as Value, 'channel');
    if (ch.closed) return false;
    return ch.trySend(toWire(v as Value));
  });
  da('chan_recv', 1, async ([c]) => {
    const ch = get('chan_recv', st.chans, c as Value, 'channel');
    const t = ch.tryRecv();
    if (t.ok) return fromWire(t.value);
    if (t.closed) return null;
    let got: Value = null;
    await waitSliced(st, async (ms) => {
      try {
        got = fromWire(await ch.recv(ms));
        return true;
      } catch (e) {
        if (e instanceof loopMod().ChannelClosedError) return true;
        if (e instanceof loopMod().ChannelTimeoutError) return false;
        throw e;
      }
    });
    return got;
  });
  d('chan_try_recv', 1, ([c]) => {
    const t = get('chan_try_recv', st.chans, c as Value, 'channel').tryRecv();
    return t.ok ? fromWire(t.value) : null;
  });
  d('chan_close', 1, ([c]) => {
    get('chan_close', st.chans, c as Value, 'channel').close();
    return null;
  });
  d('chan_is_closed', 1, ([c]) => get('chan_is_closed', st.chans, c as Value, 'channel').closed);
}
