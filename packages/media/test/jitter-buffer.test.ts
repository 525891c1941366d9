/** JitterBuffer on explicit time values: ordering, drops by reason, wraps, talkspurts, adaptive delay. */
import { describe, expect, it } from 'vitest';
import { JitterBuffer, type JitterBufferOptions } from '../src/index.js';

/** A 160-octet payload whose first octet tags the frame. */
const frame = (tag: number) => new Uint8Array(160).fill(tag & 0xff);

/** Pops every 20 ms over [from, to) and lists tags ('-' for missing); undefined results are skipped. */
function playout(jb: JitterBuffer, from: number, to: number): (number | '-')[] {
  const out: (number | '-')[] = [];
  for (let t = from; t < to; t += 20) {
    for (let f = jb.pop(t); f; f = jb.pop(t)) out.push(f.kind === 'frame' ? f.payload[0]! : '-');
  }
  return out;
}

const fixed: JitterBufferOptions = { mode: 'fixed', targetDelayMs: 60 };

describe('JitterBuffer', () => {
  it('plays an in-order stream one frame per 20 ms after the target delay', () => {
    const jb = new JitterBuffer(fixed);
    for (let i = 0; i < 10; i++) expect(jb.push(frame(i), 1000 + i * 160, 5 + i, i === 0, i * 20)).toBe('queued');
    expect(jb.playoutState).toBe('buffering');
    expect(jb.nextDeadline()).toBe(60);
    expect(jb.pop(59)).toBeUndefined();
    const f = jb.pop(60);
    expect(f).toMatchObject({ kind: 'frame', timestamp: 1000, sequenceNumber: 5, marker: true });
    expect(jb.pop(60)).toBeUndefined();
    expect(jb.nextDeadline()).toBe(80);
    expect(playout(jb, 80, 260)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(jb.stats).toMatchObject({ received: 10, played: 10, concealed: 0, late: 0, duplicate: 0 });
  });

  it('undoes reordering and drops duplicates (held or already played)', () => {
    const jb = new JitterBuffer(fixed);
    const order = [0, 2, 1, 4, 3, 3, 5];
    const results = order.map((i, k) => jb.push(frame(i), i * 160, i, false, k * 20));
    expect(results).toEqual(['queued', 'queued', 'queued', 'queued', 'queued', 'duplicate', 'queued']);
    expect(playout(jb, 60, 180)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(jb.push(frame(2), 2 * 160, 2, false, 180)).toBe('duplicate');
    expect(jb.stats.duplicate).toBe(2);
  });

  it('conceals a lost frame and drops it as late when it arrives after its playout time', () => {
    const jb = new JitterBuffer(fixed);
    for (const i of [0, 1, 3, 4, 5]) jb.push(frame(i), i * 160, i, false, i * 20);
    expect(playout(jb, 60, 120)).toEqual([0, 1, '-']);
    expect(jb.push(frame(2), 2 * 160, 2, false, 121)).toBe('late');
    expect(playout(jb, 120, 180)).toEqual([3, 4, 5]);
    expect(jb.stats).toMatchObject({ late: 1, concealed: 1, played: 5 });
  });

  it('is unaffected by the sequence number and timestamp wrapping together', () => {
    const jb = new JitterBuffer(fixed);
    const ts0 = 2 ** 32 - 3 * 160;
    const order = [0, 1, 3, 2, 4, 5, 6, 7];
    order.forEach((i, k) => {
      expect(jb.push(frame(i), (ts0 + i * 160) >>> 0, (65533 + i) & 0xffff, false, k * 20)).toBe('queued');
    });
    const seen: [number, number][] = [];
    for (let t = 60; t < 220; t += 20) {
      const f = jb.pop(t);
      if (f?.kind === 'frame') seen.push([f.sequenceNumber, f.timestamp]);
    }
    expect(seen.map(([s]) => s)).toEqual([65533, 65534, 65535, 0, 1, 2, 3, 4]);
    expect(seen.map(([, ts]) => ts)).toEqual([ts0, ts0 + 160, ts0 + 320, 0, 160, 320, 480, 640]);
  });

  it('is bounded: packets beyond the capacity are overflow, large payloads are refused, payloads are copied', () => {
    const jb = new JitterBuffer({ ...fixed, capacity: 8, maxPayload: 200 });
    const p = frame(1);
    expect(jb.push(p, 0, 0, false, 0)).toBe('queued');
    p.fill(99); // the caller reuses its buffer at once
    expect(jb.push(frame(2), 8 * 160, 8, false, 0)).toBe('overflow');
    expect(jb.push(new Uint8Array(201), 160, 1, false, 0)).toBe('too-large');
    expect(jb.push(frame(3), 7 * 160, 7, false, 0)).toBe('queued');
    expect(jb.buffered).toBe(2);
    expect(jb.pop(60)).toMatchObject({ kind: 'frame' });
    expect(jb.stats).toMatchObject({ overflow: 1, tooLarge: 1 });
    const f = new JitterBuffer(fixed);
    f.push(p.fill(7), 0, 0, false, 0);
    p.fill(8);
    expect(f.pop(60)?.kind === 'frame' && f.pop(60) === undefined).toBe(true);
    const g = new JitterBuffer(fixed);
    g.push(frame(5), 0, 0, false, 0);
    const got = g.pop(100);
    expect(got?.kind === 'frame' ? [...got.payload.subarray(0, 2)] : []).toEqual([5, 5]);
  });

  it('an earlier packet while buffering moves the start back', () => {
    const jb = new JitterBuffer(fixed);
    jb.push(frame(1), 160, 1, false, 0);
    jb.push(frame(0), 0, 0, true, 5);
    jb.push(frame(2), 320, 2, false, 20);
    expect(playout(jb, 60, 120)).toEqual([0, 1, 2]);
  });

  it('goes idle after the talkspurt and starts the next one at its marker bit with a fresh delay', () => {
    const jb = new JitterBuffer(fixed);
    for (let i = 0; i < 3; i++) jb.push(frame(i), i * 160, i, i === 0, i * 20);
    expect(playout(jb, 60, 300)).toEqual([0, 1, 2, '-', '-', '-', '-', '-']);
    expect(jb.playoutState).toBe('idle');
    expect(jb.nextDeadline()).toBeUndefined();
    // 1 s of silence (DTX): the sender's clock ran on, the marker says a talkspurt starts
    const ts = 3 * 160 + 8000;
    jb.push(frame(10), ts, 3, true, 1060);
    jb.push(frame(11), ts + 160, 4, false, 1080);
    expect(jb.nextDeadline()).toBe(1120);
    expect(playout(jb, 1100, 1160)).toEqual([10, 11]);
    expect(jb.stats.talkspurts).toBe(2);
  });

  it('a marker bit while concealing with nothing buffered resynchronises at once', () => {
    const jb = new JitterBuffer(fixed);
    jb.push(frame(0), 0, 0, true, 0);
    expect(playout(jb, 60, 100)).toEqual([0, '-']);
    jb.push(frame(1), 30 * 160, 1, true, 100);
    expect(jb.playoutState).toBe('buffering');
    expect(playout(jb, 100, 200)).toEqual([1, '-']);
  });

  it('timestamp jumps beyond maxJumpMs (forward or back) start a new talkspurt; old frames are flushed', () => {
    const jb = new JitterBuffer({ ...fixed, maxJumpMs: 1000 });
    for (let i = 0; i < 4; i++) jb.push(frame(i), 100_000 + i * 160, i, false, i * 20);
    expect(playout(jb, 60, 80)).toEqual([0]);
    expect(jb.push(frame(50), 100_000 + 8000 * 5, 4, false, 80)).toBe('queued');
    expect(jb.stats.flushed).toBe(3);
    expect(playout(jb, 80, 160)).toEqual([50]);
    expect(jb.push(frame(60), 5, 5, false, 160)).toBe('queued'); // far back: sender restarted
    expect(jb.stats.talkspurts).toBe(3);
    expect(playout(jb, 160, 240)).toEqual([60]);
  });

  it('a late wake-up drains the due frames in one go', () => {
    const jb = new JitterBuffer(fixed);
    for (let i = 0; i < 6; i++) jb.push(frame(i), i * 160, i, false, 0);
    const got: number[] = [];
    for (let f = jb.pop(140); f; f = jb.pop(140)) if (f.kind === 'frame') got.push(f.payload[0]!);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(jb.nextDeadline()).toBe(160);
  });

  it('adaptive mode sizes the next talkspurt from the measured jitter; fixed mode does not', () => {
    for (const mode of ['adaptive', 'fixed'] as const) {
      const jb = new JitterBuffer({ mode, targetDelayMs: 40, minDelayMs: 20, maxDelayMs: 200 });
      // arrivals jitter by up to ±30 ms around the 20 ms cadence
      const jitter = [0, 30, -20, 25, -30, 10, 30, -25, 0, 20, -10, 30, -30, 15, 25, -20];
      let t = 0;
      for (let i = 0; i < 200; i++) {
        jb.push(frame(i), i * 160, i, i === 0, i * 20 + 40 + jitter[i % jitter.length]!);
        for (; t <= i * 20 + 40; t += 20) jb.pop(t);
      }
      for (; t < 200 * 20 + 400; t += 20) jb.pop(t);
      expect(jb.playoutState).toBe('idle');
      jb.push(frame(0), 300 * 160, 300, true, t);
      if (mode === 'fixed') expect(jb.targetDelayMs).toBe(40);
      else {
        expect(jb.jitterMs).toBeGreaterThan(10);
        expect(jb.targetDelayMs).toBeGreaterThan(40);
        expect(jb.targetDelayMs).toBeLessThanOrEqual(200);
        expect(jb.targetDelayMs % 20).toBe(0);
      }
    }
  });

  it('adaptive: a late packet grows the delay by one inserted concealment frame', () => {
    const jb = new JitterBuffer({ mode: 'adaptive', targetDelayMs: 40 });
    const seq: (number | '-')[] = [];
    for (let t = 0; t <= 240; t += 10) {
      if (t % 20 === 0 && t / 20 < 10 && t / 20 !== 5) jb.push(frame(t / 20), (t / 20) * 160, t / 20, t === 0, t);
      if (t === 150) expect(jb.push(frame(5), 5 * 160, 5, false, t)).toBe('late');
      for (let f = jb.pop(t); f; f = jb.pop(t)) seq.push(f.kind === 'frame' ? f.payload[0]! : '-');
    }
    expect(seq).toEqual([0, 1, 2, 3, 4, '-', '-', 6, 7, 8, 9]);
    expect(jb.stats).toMatchObject({ late: 1, stretched: 1, concealed: 2, played: 9 });
    expect(jb.targetDelayMs).toBe(60);
  });

  it('adaptive: a buffer deeper than the jitter needs shrinks one frame per second', () => {
    const jb = new JitterBuffer({ mode: 'adaptive', targetDelayMs: 200, minDelayMs: 20 });
    let concealedDuringStream = 0;
    for (let i = 0; i < 400; i++) {
      jb.push(frame(i), i * 160, i, i === 0, i * 20);
      for (let f = jb.pop(i * 20); f; f = jb.pop(i * 20)) if (f.kind === 'missing') concealedDuringStream++;
    }
    expect(concealedDuringStream).toBe(0);
    expect(jb.stats.skipped).toBeGreaterThanOrEqual(5);
    expect(jb.buffered).toBeLessThanOrEqual(4);
    expect(jb.targetDelayMs).toBeLessThan(200);
    expect(jb.stats.played + jb.stats.skipped + jb.buffered).toBe(400);
  });

  it('a steady stream keeps a small adaptive delay', () => {
    const jb = new JitterBuffer({ targetDelayMs: 60, minDelayMs: 20 });
    for (let i = 0; i < 100; i++) jb.push(frame(i), i * 160, i, false, i * 20);
    for (let t = 0; t < 2500; t += 20) jb.pop(t);
    jb.push(frame(0), 500 * 160, 500, true, 2500);
    expect(jb.jitterMs).toBeLessThan(1);
    expect(jb.targetDelayMs).toBe(20);
  });

  it('random input never throws and the counters add up', () => {
    let seed = 99;
    const rnd = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const jb = new JitterBuffer({ capacity: 16, maxPayload: 200 });
    let queued = 0;
    let t = 0;
    for (let i = 0; i < 20_000; i++) {
      t += rnd(15);
      const ts = rnd(10) === 0 ? rnd(2 ** 32) : (i * 160 + (rnd(7) - 3) * 160) >>> 0;
      const r = jb.push(new Uint8Array(rnd(260)), ts, rnd(65536), rnd(20) === 0, t);
      if (r === 'queued') queued++;
      for (let f = jb.pop(t); f; f = jb.pop(t));
      expect(jb.buffered).toBeLessThanOrEqual(16);
    }
    const s = jb.stats;
    expect(s.received).toBe(20_000);
    expect(queued + s.late + s.duplicate + s.overflow + s.tooLarge).toBe(s.received);
    expect(s.played + s.flushed + s.skipped + jb.buffered).toBe(queued);
  });

  it('refuses bad options (API misuse)', () => {
    expect(() => new JitterBuffer({ capacity: 1 })).toThrow(RangeError);
    expect(() => new JitterBuffer({ maxPayload: 0 })).toThrow(RangeError);
    expect(() => new JitterBuffer({ minDelayMs: 100, maxDelayMs: 50 })).toThrow(RangeError);
  });
});
