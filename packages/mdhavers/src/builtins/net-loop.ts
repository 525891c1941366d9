/**
 * The event loop and timers builtins (SPEC.md §12.5) over the sockets of net.ts: watches, timers and
 * `event_loop_poll`, which waits on the @mdh/loop watchables and the interpreter's clock.
 */

import type { Clock } from '@mdh/loop';
import { fail } from '../errors.js';
import type { Interpreter } from '../interpreter.js';
import { MFloat, MFunc, MNative, type Value } from '../values.js';
import { argHandle, type NetState } from './net.js';
import type { Registry } from './registry.js';
import { dict } from './result.js';

/** A socket watched by a loop, with its read and write callbacks. */
export interface Watch {
  sock: number;
  read: Value | null;
  write: Value | null;
}

/** A loop timer (`interval` 0: one-shot). */
export interface Timer {
  id: number;
  due: number;
  interval: number;
  cb: Value;
  cancelled: boolean;
}

/** An event loop handle's state. */
export interface LoopRec {
  watches: Watch[];
  timers: Timer[];
  nextTimer: number;
  stopped: boolean;
  wake: (() => void) | null;
}

function isCallable(v: Value): boolean {
  return v instanceof MFunc || v instanceof MNative;
}

/** SPEC.md §12.5: the event loop and timers. */
export function registerEventLoop(r: Registry, interp: Interpreter, st: NetState): void {
  const d = r.def.bind(r);
  const da = r.defAsync.bind(r);
  d('event_loop_new', 0, () => {
    interp.loopCreated();
    return st.newLoop();
  });
  const watch = (name: string, dir: 'read' | 'write') =>
    d(name, 3, ([l, s, cb]) => {
      const loop = st.loop(name, l as Value);
      const rec = st.sock(name, s as Value);
      const w = loop.watches.find((x) => x.sock === rec.id);
      if (w) w[dir] = cb as Value;
      else
        loop.watches.push({
          sock: rec.id,
          read: dir === 'read' ? (cb as Value) : null,
          write: dir === 'write' ? (cb as Value) : null,
        });
      return null;
    });
  watch('event_watch_read', 'read');
  watch('event_watch_write', 'write');
  d('event_unwatch', 2, ([l, s]) => {
    const loop = st.loop('event_unwatch', l as Value);
    const id = st.sock('event_unwatch', s as Value).id;
    const n = loop.watches.length;
    loop.watches = loop.watches.filter((w) => w.sock !== id);
    return loop.watches.length !== n;
  });
  const timer = (name: string, periodic: boolean) =>
    d(name, 3, ([l, m, cb]) => {
      const loop = st.loop(name, l as Value);
      const ms = argHandle(name, m as Value);
      if (periodic ? ms <= 0 : ms < 0) fail(`${name}() interval must be ${periodic ? '> 0' : '>= 0'}, no' ${ms}`);
      if (!isCallable(cb as Value)) fail(`${name}() callback must be a function`);
      if (loop.timers.length >= 100_000) fail(`${name}() too many timers`);
      const id = loop.nextTimer++;
      loop.timers.push({
        id,
        due: Math.floor(st.clock.now()) + ms,
        interval: periodic ? ms : 0,
        cb: cb as Value,
        cancelled: false,
      });
      loop.wake?.();
      return id;
    });
  timer('timer_after', false);
  timer('timer_every', true);
  d('timer_cancel', 2, ([l, i]) => {
    const loop = st.loop('timer_cancel', l as Value);
    const id = argHandle('timer_cancel', i as Value);
    const t = loop.timers.find((x) => x.id === id && !x.cancelled);
    if (!t) return false;
    t.cancelled = true;
    return true;
  });
  d('event_loop_stop', 1, ([l]) => {
    const loop = st.loop('event_loop_stop', l as Value);
    loop.stopped = true;
    loop.wake?.();
    return null;
  });
  da('event_loop_poll', 2, async ([l, t]) => {
    const loop = st.loop('event_loop_poll', l as Value);
    const tv = t as Value;
    let timeout: number;
    if (tv === null) timeout = -1;
    else if (typeof tv === 'number') timeout = tv;
    else if (tv instanceof MFloat) timeout = tv.v;
    else if (typeof tv === 'bigint') timeout = Number(tv);
    else return fail(`event_loop_poll() timeout must be a number or naething`);
    return poll(st, loop, timeout);
  });
}

function ready(st: NetState, loop: LoopRec): { w: Watch; read: boolean; write: boolean }[] {
  const out: { w: Watch; read: boolean; write: boolean }[] = [];
  for (const w of loop.watches) {
    const rec = st.socks.get(w.sock);
    if (!rec) continue;
    const wa = st.watchable(rec);
    const rr = w.read !== null && wa?.readable === true;
    // A UDP socket not bound yet is still writable (sending binds it).
    const ww = w.write !== null && (wa === null ? rec.kind === 'udp' && !rec.closed : wa.writable);
    if (rr || ww) out.push({ w, read: rr, write: ww });
  }
  return out;
}

async function poll(st: NetState, loop: LoopRec, timeoutMs: number): Promise<Value> {
  if (loop.stopped) return [dict({ kind: 'stop' })];
  const now = st.clock.now();
  let due: number | null = null;
  for (const t of loop.timers) {
    if (t.cancelled) continue;
    const dd = Math.max(0, t.due - now);
    if (due === null || dd < due) due = dd;
  }
  let wait: number;
  if (timeoutMs >= 0) wait = due !== null ? Math.min(timeoutMs, due) : timeoutMs;
  else wait = due ?? Number.POSITIVE_INFINITY;
  let rs = ready(st, loop);
  if (rs.length === 0 && wait > 0) {
    await new Promise<void>((resolve) => {
      const unsubs: (() => void)[] = [];
      let timer: NodeJS.Timeout | null = null;
      // A wait without a deadline must keep the process alive, as a blocking poll would.
      const keep = Number.isFinite(wait) ? null : setInterval(() => undefined, 60_000);
      const done = (): void => {
        for (const u of unsubs) u();
        if (timer) clearTimeout(timer);
        if (keep) clearInterval(keep);
        loop.wake = null;
        resolve();
      };
      for (const w of loop.watches) {
        const rec = st.socks.get(w.sock);
        const wa = rec ? st.watchable(rec) : null;
        if (wa)
          unsubs.push(
            wa.onReadiness(() => {
              if (ready(st, loop).length > 0) done();
            }),
          );
      }
      loop.wake = done;
      if (Number.isFinite(wait)) {
        const manual = st.clock as Clock & { subscribe?: (l: (t: number) => void) => () => void };
        if (typeof manual.subscribe === 'function') {
          const deadline = now + wait;
          unsubs.push(
            manual.subscribe((t) => {
              if (t >= deadline) queueMicrotask(done);
            }),
          );
        } else timer = setTimeout(done, Math.min(Math.ceil(wait), 2 ** 31 - 1));
      }
    });
    if (loop.stopped) return [dict({ kind: 'stop' })];
    rs = ready(st, loop);
  }
  const events: Value[] = [];
  for (const r of rs) {
    if (r.read) events.push(dict({ kind: 'read', sock: r.w.sock, callback: r.w.read }));
    if (r.write) events.push(dict({ kind: 'write', sock: r.w.sock, callback: r.w.write }));
  }
  const now2 = st.clock.now();
  for (const t of loop.timers) {
    if (t.cancelled || t.due > now2) continue;
    events.push(dict({ kind: 'timer', id: t.id, callback: t.cb }));
    if (t.interval > 0) {
      while (t.due <= now2) t.due += t.interval;
    } else t.cancelled = true;
  }
  loop.timers = loop.timers.filter((t) => !t.cancelled);
  return events;
}
