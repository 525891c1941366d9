/** RFC 4733 telephone-events: payload (§2.3), sender (§2.5.1) and receiver (§2.5.2) on explicit time values. */
import { describe, expect, it } from 'vitest';
import {
  type DtmfDigitEvent,
  type DtmfPacket,
  DtmfParseError,
  DtmfReceiver,
  DtmfSender,
  type DtmfSenderOptions,
  dtmfDigit,
  dtmfEventCode,
  parseTelephoneEvent,
  serializeTelephoneEvent,
  serializeTelephoneEventInto,
  tryParseTelephoneEvent,
} from '../src/index.js';

/** Runs a sender from `t0` until idle, with the media clock at 8 kHz from `ts0`; returns [time, packet] pairs. */
function drive(tx: DtmfSender, t0: number, ts0: number, limit = 100_000): [number, DtmfPacket][] {
  const out: [number, DtmfPacket][] = [];
  let now = t0;
  for (let i = 0; i < limit; i++) {
    for (let p = tx.poll(now, ts0 + (now - t0) * 8); p; p = tx.poll(now, ts0 + (now - t0) * 8)) out.push([now, p]);
    const next = tx.nextDeadline();
    if (next === undefined) return out;
    expect(next).toBeGreaterThan(now);
    now = next;
  }
  throw new Error('sender did not finish');
}

function send(digits: string, opts: DtmfSenderOptions = {}, ts0 = 1000): [number, DtmfPacket][] {
  const tx = new DtmfSender(opts);
  tx.enqueue(digits, 0);
  return drive(tx, 0, ts0);
}

describe('telephone-event payload (RFC 4733 §2.3)', () => {
  it('encodes event, E bit, volume and duration', () => {
    expect([...serializeTelephoneEvent({ event: 5, end: true, volume: 10, duration: 800 })]).toEqual([
      5, 0x8a, 3, 0x20,
    ]);
    expect([...serializeTelephoneEvent({ event: 16, end: false, volume: 63, duration: 0xffff })]).toEqual([
      16, 0x3f, 0xff, 0xff,
    ]);
    const buf = new Uint8Array(6);
    expect(serializeTelephoneEventInto({ event: 11, end: false, volume: 0, duration: 160 }, buf, 2)).toBe(4);
    expect([...buf]).toEqual([0, 0, 11, 0, 0, 160]);
  });
  it('parses what it encodes, ignoring the reserved R bit', () => {
    for (const ev of [
      { event: 0, end: false, volume: 0, duration: 0 },
      { event: 11, end: true, volume: 37, duration: 12345 },
      { event: 255, end: true, volume: 63, duration: 0xffff },
    ]) {
      expect(parseTelephoneEvent(serializeTelephoneEvent(ev))).toEqual(ev);
    }
    expect(parseTelephoneEvent(new Uint8Array([1, 0xca, 0, 160]))).toEqual({
      event: 1,
      end: true,
      volume: 10,
      duration: 160,
    });
  });
  it('rejects truncated and odd-length payloads with typed errors, never throwing from try*', () => {
    for (const n of [0, 1, 2, 3]) {
      const r = tryParseTelephoneEvent(new Uint8Array(n));
      expect(r).toBeInstanceOf(DtmfParseError);
      expect((r as DtmfParseError).reason).toBe('truncated');
    }
    for (const n of [5, 6, 7, 9, 68, 1500]) {
      const r = tryParseTelephoneEvent(new Uint8Array(n));
      expect((r as DtmfParseError).reason).toBe('bad-length');
    }
    expect(() => parseTelephoneEvent(new Uint8Array(2))).toThrow(DtmfParseError);
    // 8 octets (two blocks, §2.5.1.5 style): the first block is read
    expect(parseTelephoneEvent(new Uint8Array([2, 0x80, 0, 8, 3, 0, 0, 0])).event).toBe(2);
  });
  it('garbage never throws', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(rnd() % 20).map(() => rnd() & 0xff);
      const r = tryParseTelephoneEvent(b);
      if (!(r instanceof DtmfParseError))
        expect(serializeTelephoneEvent({ ...r })).toEqual(b.subarray(0, 4).map((x, j) => (j === 1 ? x & 0xbf : x)));
    }
  });
  it('refuses out-of-range fields (API misuse)', () => {
    expect(() => serializeTelephoneEvent({ event: 256, end: false, volume: 0, duration: 0 })).toThrow(RangeError);
    expect(() => serializeTelephoneEvent({ event: 1, end: false, volume: 64, duration: 0 })).toThrow(RangeError);
    expect(() => serializeTelephoneEvent({ event: 1, end: false, volume: 0, duration: 0x10000 })).toThrow(RangeError);
    expect(() =>
      serializeTelephoneEventInto({ event: 1, end: false, volume: 0, duration: 0 }, new Uint8Array(3)),
    ).toThrow(RangeError);
  });
  it('maps digits and codes (§3.2)', () => {
    expect([...'0123456789*#ABCD!'].map(dtmfEventCode)).toEqual([...Array(17).keys()]);
    expect(dtmfEventCode('a')).toBe(12);
    expect(dtmfEventCode('x')).toBeUndefined();
    expect(dtmfEventCode('12')).toBeUndefined();
    expect(dtmfDigit(11)).toBe('#');
    expect(dtmfDigit(16)).toBe('!');
    expect(dtmfDigit(17)).toBeUndefined();
  });
});

describe('DtmfSender (§2.5.1)', () => {
  it('one digit: marker on the first packet, same timestamp, growing duration, the end packet three times', () => {
    const pkts = send('5');
    expect(pkts.map(([t]) => t)).toEqual([0, 20, 40, 60, 80, 100, 120, 140]);
    expect(pkts.map(([, p]) => p.marker)).toEqual([true, false, false, false, false, false, false, false]);
    expect(new Set(pkts.map(([, p]) => p.timestamp))).toEqual(new Set([1000]));
    expect(pkts.map(([, p]) => p.event.duration)).toEqual([0, 160, 320, 480, 640, 800, 800, 800]);
    expect(pkts.map(([, p]) => p.event.end)).toEqual([false, false, false, false, false, true, true, true]);
    for (const [, p] of pkts) {
      expect(p.event.event).toBe(5);
      expect(p.event.volume).toBe(10);
      expect(parseTelephoneEvent(p.payload)).toEqual(p.event);
      expect(p.digit).toBe('5');
    }
  });
  it('several digits: the gap after the last end packet, a new timestamp each', () => {
    const pkts = send('1#', { durationMs: 60, gapMs: 40 });
    const starts = pkts.filter(([, p]) => p.marker);
    expect(starts.map(([t, p]) => [t, p.digit, p.timestamp])).toEqual([
      [0, '1', 1000],
      [140, '#', 1000 + 140 * 8], // last end of '1' at 100, + 40 ms gap
    ]);
    expect(pkts.filter(([, p]) => p.event.end).map(([t, p]) => [t, p.digit, p.event.duration])).toEqual([
      [60, '1', 480],
      [80, '1', 480],
      [100, '1', 480],
      [200, '#', 480],
      [220, '#', 480],
      [240, '#', 480],
    ]);
  });
  it('a late poll sends one update with the duration reached, not a burst', () => {
    const tx = new DtmfSender();
    tx.enqueue('7', 0);
    expect(tx.poll(0, 0)?.event.duration).toBe(0);
    expect(tx.poll(0, 0)).toBeUndefined();
    expect(tx.nextDeadline()).toBe(20);
    expect(tx.poll(19, 0)).toBeUndefined();
    const p = tx.poll(75, 600);
    expect(p?.event.duration).toBe(480);
    expect(p?.timestamp).toBe(0);
    expect(tx.poll(75, 600)).toBeUndefined();
    expect(tx.nextDeadline()).toBe(80);
  });
  it('fractional times: polling at the deadline sends one update, then waits (pnpm sim seed 13 hung here)', () => {
    // found by `pnpm sim --calls 20 --loss 0.2 --dup 0.1 --reorder 0.3 --seed 13`: (now - start) / 20 rounds down to
    // 2.999… while start + 3 · 20 rounds to now, so the update was due again at once, for ever
    const start = 4040.0973177835463;
    const tx = new DtmfSender();
    tx.enqueue('3', start);
    expect(tx.poll(start, 0)?.event.duration).toBe(0);
    const now = 4100.097317783546;
    expect(now - start).toBeLessThan(60); // the floating-point case itself
    const got: number[] = [];
    for (let p = tx.poll(now, 480); p && got.length < 10; p = tx.poll(now, 480)) got.push(p.event.duration);
    expect(got).toEqual([480]);
    expect(tx.nextDeadline()).toBeGreaterThan(now);
  });
  it('keeps a new event after the previous one when the media clock did not move', () => {
    const tx = new DtmfSender({ gapMs: 0 });
    tx.enqueue('12', 0);
    const ts: number[] = [];
    let now = 0;
    for (let i = 0; i < 100 && tx.busy; i++) {
      for (let p = tx.poll(now, 5000); p; p = tx.poll(now, 5000)) if (p.marker) ts.push(p.timestamp);
      now = tx.nextDeadline() ?? now;
    }
    expect(ts).toEqual([5000, 5800]);
  });
  it('splits an event longer than 0xFFFF units into segments (§2.5.1.3)', () => {
    const pkts = send('9', { durationMs: 10_000 }, 0xffff0000); // also crosses the 32-bit timestamp wrap
    const segs = [...new Set(pkts.map(([, p]) => p.timestamp))];
    expect(segs).toEqual([0xffff0000, (0xffff0000 + 0xffff) >>> 0]);
    const first = pkts.filter(([, p]) => p.timestamp === segs[0]);
    expect(first.at(-1)![1].event).toMatchObject({ duration: 0xffff, end: false });
    expect(pkts.filter(([, p]) => p.marker)).toHaveLength(1);
    const ends = pkts.filter(([, p]) => p.event.end);
    expect(ends.map(([, p]) => p.event.duration)).toEqual([80000 - 0xffff, 80000 - 0xffff, 80000 - 0xffff]);
    for (const [, p] of pkts) expect(p.event.duration).toBeLessThanOrEqual(0xffff);
  });
  it('busy/sendingEvent/pending/clear', () => {
    const tx = new DtmfSender();
    expect(tx.busy).toBe(false);
    tx.enqueue('123', 0);
    expect(tx.busy).toBe(true);
    tx.poll(0, 0);
    expect(tx.sendingEvent).toBe(true);
    expect(tx.pending).toBe('23');
    tx.clear();
    const rest = drive(tx, 20, 160);
    expect(rest.filter(([, p]) => p.event.end)).toHaveLength(3);
    expect(rest.every(([, p]) => p.digit === '1')).toBe(true);
    expect(tx.busy).toBe(false);
  });
  it('refuses bad digits, too many digits and bad options (API misuse)', () => {
    const tx = new DtmfSender({ maxQueued: 4 });
    expect(() => tx.enqueue('12x', 0)).toThrow(RangeError);
    expect(tx.busy).toBe(false);
    expect(() => tx.enqueue('12345', 0)).toThrow(RangeError);
    expect(() => new DtmfSender({ durationMs: 10 })).toThrow(RangeError);
    expect(() => new DtmfSender({ volume: 64 })).toThrow(RangeError);
  });
});

/** Feeds sender packets to a receiver, skipping those `drop` says to, at their send times. */
function receive(pkts: [number, DtmfPacket][], drop: (i: number, p: DtmfPacket) => boolean = () => false) {
  const rx = new DtmfReceiver();
  const got: DtmfDigitEvent[] = [];
  pkts.forEach(([t, p], i) => {
    if (drop(i, p)) return;
    rx.handleTimeout(t);
    expect(rx.handlePayload(p.payload, p.timestamp, p.marker, t)).toBeUndefined();
    for (let d = rx.poll(); d; d = rx.poll()) got.push(d);
  });
  return { rx, got };
}

describe('DtmfReceiver (§2.5.2)', () => {
  it('reports each digit once with its duration; repeated end packets are duplicates', () => {
    const { rx, got } = receive(send('123#*ABCD!'));
    expect(got.map((d) => d.digit).join('')).toBe('123#*ABCD!');
    expect(got.every((d) => d.duration === 800 && d.durationMs === 100 && d.reason === 'end')).toBe(true);
    expect(rx.stats.duplicates).toBe(20);
    expect(rx.stats.events).toBe(10);
  });
  it('a lost start packet (and marker) still gives the digit', () => {
    const { got } = receive(send('42'), (_i, p) => p.marker);
    expect(got.map((d) => [d.digit, d.duration])).toEqual([
      ['4', 800],
      ['2', 800],
    ]);
  });
  it('all end packets lost: the digit ends by timeout, or when the next digit starts', () => {
    const rx = new DtmfReceiver({ timeoutMs: 500 });
    const pkts = send('6').filter(([, p]) => !p.event.end);
    for (const [t, p] of pkts) rx.handlePayload(p.payload, p.timestamp, p.marker, t);
    expect(rx.poll()).toBeUndefined();
    expect(rx.nextDeadline()).toBe(80 + 500);
    rx.handleTimeout(579);
    expect(rx.poll()).toBeUndefined();
    rx.handleTimeout(580);
    expect(rx.poll()).toMatchObject({ digit: '6', duration: 640, reason: 'timeout' });
    expect(rx.stats.timeouts).toBe(1);
    expect(rx.nextDeadline()).toBeUndefined();

    const { got } = receive(send('78'), (_i, p) => p.digit === '7' && p.event.end);
    expect(got.map((d) => [d.digit, d.reason])).toEqual([
      ['7', 'superseded'],
      ['8', 'end'],
    ]);
  });
  it('reordering: an update after the end packet is a duplicate; an older event after a newer is late', () => {
    const pkts = send('12');
    const rx = new DtmfReceiver();
    const one = pkts.filter(([, p]) => p.digit === '1');
    const two = pkts.filter(([, p]) => p.digit === '2');
    const feed = ([t, p]: [number, DtmfPacket]) => rx.handlePayload(p.payload, p.timestamp, p.marker, t);
    feed(one[0]!);
    feed(one[5]!); // end before the updates
    feed(one[2]!);
    feed(two[0]!);
    feed(one[3]!);
    for (const x of two.slice(1)) feed(x);
    const got = [rx.poll(), rx.poll(), rx.poll()];
    expect(got.map((d) => d?.digit)).toEqual(['1', '2', undefined]);
    expect(got[0]!.duration).toBe(800);
    expect(rx.stats.duplicates).toBeGreaterThanOrEqual(3);
  });
  it('sipp-style repeats with one sequence number and a duration that starts at 0 are one digit', () => {
    const rx = new DtmfReceiver();
    const ts = 13280;
    for (const [i, d] of [0, 320, 640, 960].entries()) {
      rx.handleEvent({ event: 1, end: false, volume: 10, duration: d }, ts, i === 0, i * 20);
    }
    for (let i = 0; i < 3; i++) rx.handleEvent({ event: 1, end: true, volume: 10, duration: 1280 }, ts, false, 80);
    expect(rx.poll()).toMatchObject({ digit: '1', duration: 1280, reason: 'end' });
    expect(rx.poll()).toBeUndefined();
  });
  it('the same event replayed after the dedup window is heard again; retransmissions within it are not', () => {
    const rx = new DtmfReceiver({ dedupWindowMs: 1000 });
    const play = (t0: number, ts: number, event: number) => {
      rx.handleEvent({ event, end: false, volume: 10, duration: 0 }, ts, true, t0);
      rx.handleEvent({ event, end: false, volume: 10, duration: 320 }, ts, false, t0 + 20);
      for (let k = 0; k < 3; k++)
        rx.handleEvent({ event, end: true, volume: 10, duration: 640 }, ts, false, t0 + 40 + k);
    };
    play(0, 13280, 1);
    rx.handleEvent({ event: 1, end: true, volume: 10, duration: 640 }, 13280, false, 900); // a late retransmission
    play(1500, 13280, 1); // the same recording again (sipp playing the same pcap twice)
    play(3000, 43200, 5);
    rx.handleEvent({ event: 1, end: false, volume: 10, duration: 0 }, 13280, true, 3100); // a stray older packet: late
    play(4500, 13280, 1); // an older recording after the window: a new event
    const digits: string[] = [];
    for (let e = rx.poll(); e; e = rx.poll()) digits.push(e.digit!);
    expect(digits.join('')).toBe('1151');
    expect(rx.stats.late).toBe(1);
    expect(rx.stats.duplicates).toBe(4 * 2 + 1);
  });

  it('long events across segments are one digit with the total duration', () => {
    const { got } = receive(send('3', { durationMs: 10_000 }, 0xffff0000));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ digit: '3', duration: 80000, durationMs: 10_000, timestamp: 0xffff0000 });
  });
  it('a long event stays one digit when the packet closing a segment is lost', () => {
    const pkts = send('3', { durationMs: 10_000 });
    const { got, rx } = receive(pkts, (_i, p) => p.event.duration === 0xffff && !p.event.end);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ digit: '3', duration: 80000, reason: 'end' });
    expect(rx.stats.events).toBe(1);
  });

  it('a sender restarting its timestamps far back is not taken for late packets', () => {
    const rx = new DtmfReceiver();
    rx.handleEvent({ event: 1, end: true, volume: 10, duration: 800 }, 8_000_000, true, 0);
    rx.handleEvent({ event: 2, end: true, volume: 10, duration: 800 }, 1000, true, 100);
    rx.handleEvent({ event: 3, end: true, volume: 10, duration: 800 }, 900, true, 200); // 100 units back: late
    expect([rx.poll()?.digit, rx.poll()?.digit, rx.poll()]).toEqual(['1', '2', undefined]);
    expect(rx.stats.late).toBe(1);
  });
  it('malformed payloads are counted and returned, never thrown; the queue is bounded', () => {
    const rx = new DtmfReceiver({ maxQueued: 2 });
    expect(rx.handlePayload(new Uint8Array(3), 0, true, 0)).toBeInstanceOf(DtmfParseError);
    expect(rx.handlePayload(new Uint8Array(5), 0, true, 0)).toBeInstanceOf(DtmfParseError);
    expect(rx.stats.malformed).toBe(2);
    for (let i = 0; i < 5; i++) rx.handleEvent({ event: i, end: true, volume: 0, duration: 160 }, i * 1000, true, i);
    expect(rx.stats.overflow).toBe(3);
    expect([rx.poll()?.digit, rx.poll()?.digit, rx.poll()]).toEqual(['3', '4', undefined]);
    let seed = 7;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      const len = seed % 9;
      const b = new Uint8Array(len).map((_, j) => (seed >>> (j * 3)) & 0xff);
      expect(() => rx.handlePayload(b, seed, (seed & 1) === 1, i)).not.toThrow();
      rx.handleTimeout(i);
      rx.poll();
    }
  });
});
