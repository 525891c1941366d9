import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createLoop, ManualClock } from '../src/index.js';

// Issue #14.5: timer bookkeeping must be freed when timers fire or are cancelled, whatever their durations.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** JS heap plus array buffers (typed-array backing stores live outside the JS heap), after full GCs. */
function used(): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Deterministic xorshift32 in [0, 1). */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const MB = 1024 * 1024;
const N = 1_000_000;

describe('Loop timer memory (issue #14.5)', () => {
  it('returns to its baseline after 1M timers of random fractional durations fire', () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const rand = rng(1);
    let fired = 0;
    const cb = () => {
      fired++;
    };
    // Warm up (compiled code, Map and array shapes) before the baseline.
    for (let i = 0; i < 10_000; i++) loop.after(rand() * 100, cb);
    clock.advance(200);
    const before = used();
    fired = 0;
    for (let i = 0; i < N; i++) loop.after(rand() * 10_000, cb);
    expect(loop.pendingTimers).toBe(N);
    const peak = used();
    expect(peak - before).toBeGreaterThan(10 * MB); // the timers really were held
    clock.advance(10_001);
    expect(fired).toBe(N);
    expect(loop.pendingTimers).toBe(0);
    const after = used();
    expect(Math.abs(after - before)).toBeLessThan(MB);
    loop.close();
  });

  it('returns to its baseline after 1M timers are cancelled, with a long-lived timer pending throughout', () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const rand = rng(2);
    let ticks = 0;
    const keepalive = loop.every(15_000, () => {
      ticks++;
    });
    const noop = () => {};
    const warm: number[] = [];
    for (let i = 0; i < 10_000; i++) warm.push(loop.after(1 + rand() * 100, noop));
    for (const id of warm) loop.cancel(id);
    const before = used();
    const ids = new Array<number>(N);
    for (let i = 0; i < N; i++) ids[i] = loop.after(1 + rand() * 10_000, noop);
    // Cancel in a scattered order, so slots are freed all over the slot arrays.
    for (let i = 0; i < N; i++) loop.cancel(ids[(i * 7919) % N]!);
    expect(loop.pendingTimers).toBe(1);
    const after = used();
    expect(Math.abs(after - before)).toBeLessThan(MB);
    // The long-lived timer survived the shrinking and still fires on schedule.
    clock.advance(30_000);
    expect(ticks).toBe(2);
    expect(loop.cancel(keepalive)).toBe(true);
    loop.close();
  });

  it('a handle from before the slot arrays shrank never cancels a newer timer', () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const old: number[] = [];
    for (let i = 0; i < 5000; i++) old.push(loop.after(10 + i / 7, () => {}));
    clock.advance(10_000); // all fire; the slot arrays go back to their initial size
    const seen: number[] = [];
    const fresh: number[] = [];
    for (let i = 0; i < 5000; i++) fresh.push(loop.after(5, () => seen.push(i)));
    for (const id of old) expect(loop.cancel(id)).toBe(false);
    expect(new Set([...old, ...fresh]).size).toBe(10_000);
    clock.advance(5);
    expect(seen.length).toBe(5000);
    expect(seen.every((v, i) => v === i)).toBe(true);
  });

  it('keeps firing in deadline order while the slot arrays grow and shrink', () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const rand = rng(3);
    let last = -1;
    let lastSeq = -1;
    let bad = 0;
    let fired = 0;
    for (let round = 0; round < 5; round++) {
      const n = round % 2 === 0 ? 50_000 : 500;
      for (let i = 0; i < n; i++) {
        const d = Math.floor(rand() * 50) / 4; // many equal deadlines: ties must go in creation order
        const seq = fired + i;
        loop.after(d, () => {
          const now = clock.now();
          if (now < last || (now === last && seq < lastSeq)) bad++;
          if (now !== last) lastSeq = -1;
          last = now;
          lastSeq = Math.max(lastSeq, seq);
          fired++;
        });
      }
      clock.advance(20);
      last = -1;
      lastSeq = -1;
    }
    expect(bad).toBe(0);
    expect(fired).toBe(151_000);
  });
});

describe('Loop timer memory with many whole-millisecond durations', () => {
  it('returns to its baseline after 300k timers of distinct integer durations are cancelled, a timer pending', () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const keep = loop.after(1e9, () => {});
    const noop = () => {};
    const warm: number[] = [];
    for (let i = 0; i < 5000; i++) warm.push(loop.after(i, noop));
    for (const id of warm) loop.cancel(id);
    const before = used();
    const ids: number[] = [];
    for (let i = 0; i < 300_000; i++) ids.push(loop.after(10 + i, noop));
    for (let i = 0; i < ids.length; i++) loop.cancel(ids[(i * 7919) % ids.length]!);
    // lists that emptied are forgotten in bounded batches; a few more timers of new durations finish the sweep
    for (let i = 0; i < 200; i++) loop.cancel(loop.after(5_000_000 + i, noop));
    const after = used();
    expect(Math.abs(after - before)).toBeLessThan(MB);
    expect(loop.cancel(keep)).toBe(true);
  });
});
