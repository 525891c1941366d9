import { describe, expect, it } from 'vitest';
import { createLoop, ManualClock, monoMs, monoNs, SystemClock, type Watchable } from '../src/index.js';

describe('monotonic time', () => {
  it('monoMs and monoNs never go backwards', () => {
    let a = monoMs();
    let an = monoNs();
    for (let i = 0; i < 1000; i++) {
      const b = monoMs();
      const bn = monoNs();
      expect(b).toBeGreaterThanOrEqual(a);
      expect(bn >= an).toBe(true);
      a = b;
      an = bn;
    }
    expect(typeof new SystemClock().now()).toBe('number');
  });
});

describe('ManualClock', () => {
  it('advances and refuses to go backwards or take bad input', () => {
    const c = new ManualClock(10);
    c.advance(5);
    expect(c.now()).toBe(15);
    c.set(20);
    expect(c.now()).toBe(20);
    expect(() => c.set(19)).toThrow(RangeError);
    expect(() => c.advance(-1)).toThrow(RangeError);
    expect(() => c.advance(Number.NaN)).toThrow(RangeError);
  });
});

describe('Loop timers on the manual clock', () => {
  it('fires in deadline order, ties in creation order, each seeing its own deadline', () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const seen: string[] = [];
    loop.after(30, () => seen.push(`c@${clock.now()}`));
    loop.after(10, () => seen.push(`a@${clock.now()}`));
    loop.after(10, () => seen.push(`b@${clock.now()}`));
    loop.after(0, () => seen.push(`z@${clock.now()}`));
    clock.advance(9);
    expect(seen).toEqual(['z@0']);
    clock.advance(100);
    expect(seen).toEqual(['z@0', 'a@10', 'b@10', 'c@30']);
    expect(clock.now()).toBe(109);
    expect(loop.pendingTimers).toBe(0);
  });

  it('cancel works before firing, from inside a callback and on the timer itself', () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const seen: number[] = [];
    const b = loop.after(20, () => seen.push(2));
    loop.after(10, () => {
      seen.push(1);
      expect(loop.cancel(b)).toBe(true);
    });
    const c = loop.after(5, () => {
      seen.push(0);
      expect(loop.cancel(c)).toBe(false); // already fired
    });
    const d = loop.after(7, () => seen.push(99));
    expect(loop.cancel(d)).toBe(true);
    expect(loop.cancel(d)).toBe(false);
    expect(loop.cancel(-1)).toBe(false);
    expect(loop.cancel(1.5)).toBe(false);
    clock.advance(50);
    expect(seen).toEqual([0, 1]);
    // A stale handle never cancels a newer timer that reuses its slot.
    const fresh = loop.after(10, () => seen.push(3));
    expect(fresh).not.toBe(c);
    expect(loop.cancel(c)).toBe(false);
    clock.advance(10);
    expect(seen).toEqual([0, 1, 3]);
  });

  it('timers scheduled from timers fire in the same advance when due', () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const seen: number[] = [];
    loop.after(10, () => {
      seen.push(clock.now());
      loop.after(5, () => {
        seen.push(clock.now());
        loop.after(0, () => seen.push(clock.now()));
      });
    });
    clock.advance(100);
    expect(seen).toEqual([10, 15, 15]);
  });

  it('every() does not drift over 10,000 periods', () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const times: number[] = [];
    const id = loop.every(20, () => times.push(clock.now()));
    // Advance in uneven steps, as a real loop would wake late.
    let t = 0;
    while (t < 200_000) {
      const step = 7 + (t % 13);
      clock.advance(step);
      t += step;
    }
    expect(times.length).toBe(Math.floor(clock.now() / 20));
    for (let i = 0; i < times.length; i++) expect(times[i]).toBe((i + 1) * 20);
    expect(times.length).toBeGreaterThanOrEqual(10_000);
    loop.cancel(id);
  });

  it('handles 100,000 pending timers and fires them in order', () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    let last = -1;
    let fired = 0;
    let ordered = true;
    const ids: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const d = (i * 7919) % 100_000;
      ids.push(
        loop.after(d, () => {
          if (clock.now() < last) ordered = false;
          last = clock.now();
          fired++;
        }),
      );
    }
    expect(loop.pendingTimers).toBe(100_000);
    for (let i = 0; i < ids.length; i += 2) loop.cancel(ids[i]!);
    expect(loop.pendingTimers).toBe(50_000);
    clock.advance(100_000);
    expect(fired).toBe(50_000);
    expect(ordered).toBe(true);
    expect(loop.pendingTimers).toBe(0);
  });

  it('an exception in a callback goes to onError and the loop keeps running', () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const loop = createLoop({ clock, onError: (e) => errors.push(e) });
    const seen: number[] = [];
    loop.after(1, () => {
      throw new Error('boom');
    });
    loop.after(2, () => seen.push(2));
    clock.advance(5);
    expect((errors[0] as Error).message).toBe('boom');
    expect(seen).toEqual([2]);
  });

  it('rejects bad delays', () => {
    const loop = createLoop({ clock: new ManualClock() });
    expect(() => loop.after(-1, () => {})).toThrow(RangeError);
    expect(() => loop.after(Number.NaN, () => {})).toThrow(RangeError);
    expect(() => loop.every(0, () => {})).toThrow(RangeError);
  });

  it('runUntilIdle drives every timer and run() resolves when idle or stopped', async () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const seen: number[] = [];
    loop.after(100, () => seen.push(clock.now()));
    loop.after(50, () => loop.after(500, () => seen.push(clock.now())));
    const idle = loop.run();
    expect(loop.runUntilIdle()).toBe(3);
    await idle;
    expect(seen).toEqual([100, 550]);
    const loop2 = createLoop({ clock });
    expect(loop.close()).toBeUndefined();
    loop2.every(10, () => {});
    expect(loop2.runUntilIdle(25)).toBe(25);
    const r = loop2.run();
    loop2.stop();
    await r;
    expect(loop2.stopped).toBe(true);
    expect(loop.nextDeadline()).toBeUndefined();
  });
});

class FakeSource implements Watchable {
  queued = 0;
  writable = true;
  private cbs = new Set<() => void>();
  get readable(): boolean {
    return this.queued > 0;
  }
  onReadiness(cb: () => void): () => void {
    this.cbs.add(cb);
    return () => this.cbs.delete(cb);
  }
  push(n = 1): void {
    this.queued += n;
    for (const c of this.cbs) c();
  }
}

describe('Loop.poll (pull model, SPEC §12.5 ordering)', () => {
  it('reports ready watches first (registration order), then due timers in creation order', async () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const s1 = new FakeSource();
    const s2 = new FakeSource();
    s2.writable = false;
    const w2 = loop.watchRead(s2, 'two');
    const w1 = loop.watchRead(s1, 'one');
    const ww = loop.watchWrite(s1, 'one-w');
    const tLate = loop.after(5); // created first, due later
    const tEarly = loop.after(1);
    expect(await loop.poll(0)).toEqual([{ kind: 'write', watch: ww, source: s1, token: 'one-w' }]);
    s1.push();
    s2.push();
    clock.advance(10);
    const ev = await loop.poll(0);
    expect(
      ev.map((e) => (e.kind === 'timer' ? `t${e.id}` : `${e.kind}:${String((e as { token: unknown }).token)}`)),
    ).toEqual(['read:two', 'read:one', 'write:one-w', `t${tLate}`, `t${tEarly}`]);
    // level-triggered: still readable, reported again; one-shot timers consumed
    const again = await loop.poll(0);
    expect(again.filter((e) => e.kind === 'timer')).toEqual([]);
    expect(again.filter((e) => e.kind === 'read').length).toBe(2);
    expect(loop.unwatch(w1)).toBe(true);
    expect(loop.unwatch(w1)).toBe(false);
    expect(loop.unwatch(w2)).toBe(true);
  });

  it('periodic pull timers collapse missed ticks and stop is permanent', async () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const id = loop.every(10);
    clock.advance(35);
    expect(await loop.poll(0)).toEqual([{ kind: 'timer', id, token: undefined }]);
    expect(await loop.poll(0)).toEqual([]);
    clock.advance(5);
    expect((await loop.poll(0)).length).toBe(1);
    loop.stop();
    expect(await loop.poll(100)).toEqual([{ kind: 'stop' }]);
    expect(await loop.poll(100)).toEqual([{ kind: 'stop' }]);
  });

  it('push watches call back while readable (level-triggered)', async () => {
    const loop = createLoop();
    const s = new FakeSource();
    let reads = 0;
    const done = new Promise<void>((resolve) => {
      loop.watchRead(s, undefined, () => {
        reads++;
        s.queued--;
        if (s.queued === 0) resolve();
      });
    });
    s.push(3);
    await done;
    expect(reads).toBe(3);
    loop.close();
  });
});

describe('Loop on the system clock', () => {
  it('arms exactly one Node timer however many loop timers are pending', async () => {
    const { vi } = await import('vitest');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const loop = createLoop();
      const seen: number[] = [];
      for (let i = 0; i < 1000; i++) loop.after(10 + i, () => seen.push(i));
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(2000);
      expect(seen.length).toBe(1000);
      expect(seen.every((v, i) => v === i)).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Loop on the system clock: fairness', () => {
  it('a callback that re-schedules itself with after(0) runs once per pass, not in an endless loop', async () => {
    const { vi } = await import('vitest');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'queueMicrotask'] });
    try {
      const loop = createLoop();
      let n = 0;
      const cb = () => {
        n++;
        if (n < 1000) loop.after(0, cb);
      };
      loop.after(0, cb);
      vi.advanceTimersToNextTimer();
      expect(n).toBe(1);
      vi.advanceTimersToNextTimer();
      expect(n).toBe(2);
      loop.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('TimerStore ordering', () => {
  it('finds the earliest timer after a list head was cancelled and an earlier one went to that list front', async () => {
    const { TimerStore } = await import('../src/timer-queue.js');
    const t = new TimerStore();
    const slot = (h: number) => t.slotOf(h);
    const a = slot(t.alloc(10, 0, undefined));
    t.insert(a, 10); // list of 10 ms: [a@10]
    const b = slot(t.alloc(12, 0, undefined));
    t.insert(b, 10); // [a@10, b@12]
    const c = slot(t.alloc(11, 0, undefined));
    t.insert(c, 3); // list of 3 ms: [c@11]
    t.unlink(a); // the 10 ms list's heap key is now behind its real head
    t.release(a);
    const d = slot(t.alloc(11.5, 10, undefined));
    t.insert(d, 10); // a periodic re-insert landing before b: [d@11.5, b@12]
    expect(t.peek()).toBe(c);
    t.unlink(c);
    t.release(c);
    expect(t.peek()).toBe(d);
    t.unlink(d);
    t.release(d);
    expect(t.peek()).toBe(b);
  });
});

describe('Loop timers against a reference model', () => {
  it('fire in (deadline, creation) order with random after/every/cancel/advance, fractional durations included', () => {
    for (let seed = 1; seed <= 6; seed++) {
      let x = seed * 7919;
      const rnd = () => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return (x >>> 0) / 0x100000000;
      };
      const clock = new ManualClock();
      const loop = createLoop({ clock });
      type M = { id: number; name: number; deadline: number; seq: number; period: number; live: boolean };
      let model: M[] = [];
      let periodic = 0;
      let seq = 0;
      const fired: number[] = [];
      const expected: number[] = [];
      const ids: number[] = [];
      let name = 0;
      const duration = () => {
        const r = rnd();
        if (r < 0.1) return 0;
        if (r < 0.6) return Math.floor(rnd() * 40);
        return rnd() * 40;
      };
      for (let op = 0; op < 3000; op++) {
        const r = rnd();
        if (r < 0.45) {
          const n = name++;
          const ms = duration();
          const id = loop.after(ms, () => fired.push(n));
          model.push({ id, name: n, deadline: clock.now() + ms, seq: seq++, period: 0, live: true });
          ids.push(id);
        } else if (r < 0.5 && periodic < 20) {
          periodic++;
          const n = name++;
          const period = rnd() < 0.5 ? 5 + Math.floor(rnd() * 20) : 5 + rnd() * 20;
          const id = loop.every(period, () => fired.push(n));
          model.push({ id, name: n, deadline: clock.now() + period, seq: seq++, period, live: true });
          ids.push(id);
        } else if (r < 0.8 && ids.length > 0) {
          const id = ids[Math.floor(rnd() * ids.length)]!;
          const m = model.find((e) => e.id === id && e.live);
          expect(loop.cancel(id)).toBe(m !== undefined);
          if (m) {
            m.live = false;
            if (m.period > 0) periodic--;
          }
        } else {
          const to = clock.now() + (rnd() < 0.5 ? Math.floor(rnd() * 30) : rnd() * 30);
          for (;;) {
            let best: M | undefined;
            for (const e of model) {
              if (!e.live || e.deadline > to) continue;
              if (!best || e.deadline < best.deadline || (e.deadline === best.deadline && e.seq < best.seq)) best = e;
            }
            if (!best) break;
            expected.push(best.name);
            if (best.period > 0) {
              best.deadline += best.period;
              best.seq = seq++;
            } else best.live = false;
          }
          clock.set(to);
          if (fired.length !== expected.length || fired.some((v, i) => v !== expected[i])) {
            expect(fired).toEqual(expected); // shows the difference
          }
          fired.length = 0;
          expected.length = 0;
          model = model.filter((e) => e.live);
        }
      }
      expect(loop.pendingTimers).toBe(model.filter((e) => e.live).length);
      loop.close();
    }
  });
});
