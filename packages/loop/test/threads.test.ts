// These tests start real worker threads. Worker modules are the .mjs fixtures under ./fixtures, which
// import the BUILT package (packages/loop/dist) because workers cannot load TypeScript. The root
// `pnpm test` builds first; when dist is missing (a bare `vitest run`), beforeAll builds it.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AtomicInt,
  Channel,
  ChannelClosedError,
  ChannelTimeoutError,
  Condvar,
  Mutex,
  spawn,
  ThreadError,
} from '../src/index.js';

const fx = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

beforeAll(() => {
  const dist = fileURLToPath(new URL('../dist/threads/index.js', import.meta.url));
  if (!existsSync(dist)) {
    try {
      execSync('pnpm --filter @mdh/loop run build', { stdio: 'ignore', timeout: 120_000 });
    } catch {
      // tsc emits even with type errors elsewhere; the existence check below is what matters
    }
  }
  expect(existsSync(dist)).toBe(true);
}, 130_000);

describe('spawn', () => {
  it('runs the main export with the arguments and joins its result', async () => {
    const t = spawn<{ sum: number }>(fx('add.mjs'), [2, 40]);
    expect(await t.join(10_000)).toEqual({ sum: 42 });
    expect(t.done).toBe(true);
  });

  it('propagates the worker error as a ThreadError', async () => {
    const t = spawn(fx('throws.mjs'), ['boom']);
    const err = await t.join(10_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThreadError);
    expect((err as ThreadError).remoteName).toBe('RangeError');
    expect((err as ThreadError).message).toContain('boom');
  });

  it('a missing module is a ThreadError, and a detached thread cannot be joined', async () => {
    const t = spawn(new URL('./fixtures/does-not-exist.mjs', import.meta.url));
    await expect(t.join(10_000)).rejects.toBeInstanceOf(ThreadError);
    const d = spawn(fx('add.mjs'), [1, 1]);
    d.detach();
    expect(() => d.join()).toThrow(ThreadError);
    await d.terminate();
  });

  it('accepts an absolute path and a file: URL string', async () => {
    expect(await spawn(fileURLToPath(fx('add.mjs')), [1, 2]).join(10_000)).toEqual({ sum: 3 });
    expect(await spawn(fx('add.mjs').href, [3, 4]).join(10_000)).toEqual({ sum: 7 });
  });

  it('rejects relative module paths', () => {
    expect(() => spawn('./x.mjs')).toThrow(TypeError);
  });
});

describe('Mutex', () => {
  it('100,000 increments from 4 workers under a mutex end exact', async () => {
    const m = new Mutex();
    const counter = new SharedArrayBuffer(4);
    const threads = Array.from({ length: 4 }, () =>
      spawn<number>(fx('mutex-counter.mjs'), [m.handle, counter, 25_000]),
    );
    const done = await Promise.all(threads.map((t) => t.join(60_000)));
    expect(done).toEqual([25_000, 25_000, 25_000, 25_000]);
    expect(new Int32Array(counter)[0]).toBe(100_000);
    expect(m.locked).toBe(false);
  }, 60_000);

  it('lockAsync keeps the event loop running while a worker holds the lock', async () => {
    const m = new Mutex();
    const flag = new AtomicInt(0);
    const t = spawn(fx('hold-mutex.mjs'), [m.handle, flag.handle, 150]);
    for (let i = 0; i < 1000 && flag.load() === 0; i++) await new Promise((r) => setTimeout(r, 2));
    expect(flag.load()).toBe(1);
    let ticks = 0;
    const iv = setInterval(() => ticks++, 5);
    const got = await m.lockAsync(10_000);
    clearInterval(iv);
    expect(got).toBe(true);
    expect(ticks).toBeGreaterThan(3); // timers kept firing while we waited
    m.unlock();
    expect(await t.join(10_000)).toBe(true);
  });

  it('tryLock / lockAsync / unlock misuse', async () => {
    const m = new Mutex();
    expect(m.tryLock()).toBe(true);
    expect(m.tryLock()).toBe(false);
    expect(await m.lockAsync(20)).toBe(false); // held: times out without blocking the loop
    const waiter = m.lockAsync(5_000);
    m.unlock();
    expect(await waiter).toBe(true);
    m.unlock();
    expect(() => m.unlock()).toThrow(/not locked/);
    expect(await m.withLock(() => 7)).toBe(7);
    expect(m.locked).toBe(false);
    expect(() => Mutex.from({ kind: 'condvar', buffer: new SharedArrayBuffer(4), byteOffset: 0 })).toThrow(TypeError);
  });
});

describe('AtomicInt', () => {
  it('load/store/add/sub/cas/exchange with int32 truncation', () => {
    const a = new AtomicInt(5.9);
    expect(a.load()).toBe(5);
    expect(a.add(3)).toBe(8);
    expect(a.sub(1)).toBe(7);
    expect(a.cas(6, 1)).toBe(false);
    expect(a.cas(7, 1)).toBe(true);
    expect(a.exchange(9)).toBe(1);
    a.store(0x7fffffff);
    expect(a.add(1)).toBe(-0x80000000);
    expect(() => a.store(Number.NaN)).toThrow(TypeError);
  });

  it('is exact across workers without a lock', async () => {
    const a = new AtomicInt(0);
    const ts = [0, 1, 2].map(() => spawn<number>(fx('atomic-add.mjs'), [a.handle, 10_000]));
    await Promise.all(ts.map((t) => t.join(30_000)));
    expect(a.load()).toBe(30_000);
  });
});

describe('Channel', () => {
  it('bounded producer/consumer across workers loses and duplicates nothing', async () => {
    const ch = new Channel<{ producer: number; i: number }>({ capacity: 8 });
    const N = 2_000;
    const producers = [0, 1, 2].map((p) => spawn(fx('channel-producer.mjs'), [ch.handle, p, N]));
    const consumer = spawn<{ producer: number; i: number }[]>(fx('channel-consumer.mjs'), [ch.handle]);
    // The main thread consumes too, asynchronously.
    const mine: { producer: number; i: number }[] = [];
    const mainConsumer = (async () => {
      for await (const v of ch) mine.push(v);
    })();
    await Promise.all(producers.map((t) => t.join(60_000)));
    ch.close();
    const theirs = await consumer.join(60_000);
    await mainConsumer;
    const all = [...theirs, ...mine];
    expect(all.length).toBe(3 * N);
    const seen = new Set(all.map((v) => `${v.producer}:${v.i}`));
    expect(seen.size).toBe(3 * N);
    // Per producer, each consumer sees values in send order (FIFO).
    for (const list of [theirs, mine]) {
      for (const p of [0, 1, 2]) {
        const seq = list.filter((v) => v.producer === p).map((v) => v.i);
        expect(seq).toEqual([...seq].sort((a, b) => a - b));
      }
    }
  }, 60_000);

  it('try/timeout/close semantics on the main thread', async () => {
    const ch = new Channel<string>({ capacity: 2 });
    expect(ch.tryRecv()).toEqual({ ok: false, closed: false });
    expect(ch.trySend('a')).toBe(true);
    expect(ch.trySend('b')).toBe(true);
    expect(ch.trySend('c')).toBe(false); // full
    await expect(ch.send('c', 10)).rejects.toBeInstanceOf(ChannelTimeoutError);
    expect(ch.length).toBe(2);
    const later = ch.send('c', 5_000);
    expect(await ch.recv()).toBe('a');
    await later;
    ch.close();
    expect(ch.closed).toBe(true);
    expect(ch.trySend('d')).toBe(false);
    await expect(ch.send('d')).rejects.toBeInstanceOf(ChannelClosedError);
    // Values queued before the close are still delivered.
    expect(ch.tryRecv()).toEqual({ ok: true, value: 'b' });
    expect(await ch.recv()).toBe('c');
    expect(ch.tryRecv()).toEqual({ ok: false, closed: true });
    await expect(ch.recv()).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it('unbounded channels are limited by their byte ring, with wrap-around', async () => {
    const ch = new Channel<Uint8Array>({ maxBytes: 256 });
    const big = new Uint8Array(100).fill(7);
    let sent = 0;
    while (ch.trySend(big)) sent++;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(3);
    expect(() => ch.trySend(new Uint8Array(300))).toThrow(RangeError);
    // Cycle many times through the ring so messages straddle its end; FIFO order is kept.
    const expected: number[] = Array.from({ length: sent }, () => 7);
    for (let i = 0; i < 50; i++) {
      const r = ch.tryRecv();
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.value).toEqual(new Uint8Array(100).fill(expected.shift()!));
      expect(ch.trySend(new Uint8Array(100).fill(i))).toBe(true);
      expected.push(i);
    }
    expect(ch.length).toBe(sent);
    expect(() => new Channel({ capacity: -1 })).toThrow(RangeError);
  });
});

describe('Condvar', () => {
  it('timed wait in a worker times out when nobody signals', async () => {
    const m = new Mutex();
    const cv = new Condvar();
    const flag = new AtomicInt(0);
    const t = spawn<{ signalled: boolean; elapsed: number }>(fx('condvar-wait.mjs'), [
      m.handle,
      cv.handle,
      flag.handle,
      50,
    ]);
    const r = await t.join(30_000);
    expect(r.signalled).toBe(false);
    expect(r.elapsed).toBeGreaterThanOrEqual(45);
  });

  it('a worker waiting on the condvar is woken by signal', async () => {
    const m = new Mutex();
    const cv = new Condvar();
    const flag = new AtomicInt(0);
    const t = spawn<{ signalled: boolean; elapsed: number }>(fx('condvar-wait.mjs'), [
      m.handle,
      cv.handle,
      flag.handle,
      20_000,
    ]);
    await new Promise((r) => setTimeout(r, 50));
    await m.lockAsync();
    flag.store(1);
    cv.broadcast();
    m.unlock();
    const r = await t.join(30_000);
    expect(r.signalled).toBe(true);
    expect(r.elapsed).toBeLessThan(20_000);
  });

  it('timedWaitAsync on the main thread times out and re-takes the mutex', async () => {
    const m = new Mutex();
    const cv = new Condvar();
    await m.lockAsync();
    expect(await cv.timedWaitAsync(m, 20)).toBe(false);
    expect(m.locked).toBe(true);
    const p = cv.timedWaitAsync(m, 5_000);
    await m.lockAsync(); // the waiter released it
    cv.signal();
    m.unlock();
    expect(await p).toBe(true);
    m.unlock();
  });
});
