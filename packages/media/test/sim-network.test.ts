/** SimNetwork: a seeded, manual-clock datagram network. Same seed → same trace; different seed → different. */
import { ManualClock } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import { fnv1a64, SeededRandom, type SimLinkOptions, SimNetwork } from '../src/testing.js';

/**
 * Two endpoints exchanging `n` numbered datagrams each way every 20 ms under `link`; the driver jumps the
 * manual clock to each send time or delivery time in turn. Returns the network and the deliveries in order.
 */
function run(seed: number, link: SimLinkOptions, n = 1000) {
  const clock = new ManualClock(0);
  const net = new SimNetwork({ seed, clock, link, keepTrace: true });
  const got: string[] = [];
  let sent = 0;
  let nextSend = 0;
  for (let guard = 0; guard < 100_000; guard++) {
    const due = net.nextDeliveryAt();
    const t = Math.min(sent < n ? nextSend : Number.POSITIVE_INFINITY, due ?? Number.POSITIVE_INFINITY);
    if (t === Number.POSITIVE_INFINITY) break;
    if (t > clock.now()) clock.set(t);
    for (let d = net.poll(); d; d = net.poll())
      got.push(`${d.to}:${d.data[0]! | (d.data[1]! << 8)}@${d.deliverAt.toFixed(3)}`);
    if (sent < n && clock.now() >= nextSend) {
      const b = new Uint8Array([sent & 0xff, sent >> 8, 7, 7]);
      net.send('a:1', 'b:2', b);
      b.fill(0xee); // the network keeps its own copy
      net.send('b:2', 'a:1', new Uint8Array([sent & 0xff, sent >> 8]));
      sent++;
      nextSend += 20;
    }
  }
  return { net, got, clock };
}

const ROUGH: SimLinkOptions = {
  loss: 0.1,
  duplicate: 0.05,
  reorder: 0.2,
  delayMs: 30,
  jitterMs: 25,
  reorderDelayMs: 50,
};

describe('SeededRandom (mulberry32)', () => {
  it('repeats for a seed, differs between seeds, stays in range', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const xa = Array.from({ length: 100 }, () => a.nextU32());
    expect(Array.from({ length: 100 }, () => b.nextU32())).toEqual(xa);
    expect(Array.from({ length: 100 }, () => c.nextU32())).not.toEqual(xa);
    const r = new SeededRandom(1);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    expect(Math.abs(sum / 20_000 - 0.5)).toBeLessThan(0.01);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[r.int(6)]++;
    for (const k of counts) expect(k).toBeGreaterThan(850);
    expect([...new SeededRandom(9).fill(new Uint8Array(7))]).toEqual([...new SeededRandom(9).fill(new Uint8Array(7))]);
    expect(new SeededRandom(5).split().nextU32()).not.toBe(new SeededRandom(5).nextU32());
  });
});

describe('SimNetwork', () => {
  it('the same seed gives the same delivery trace and digest, byte for byte', () => {
    const x = run(7, ROUGH);
    const y = run(7, ROUGH);
    expect(y.got).toEqual(x.got);
    expect(y.net.trace).toEqual(x.net.trace);
    expect(y.net.digest()).toBe(x.net.digest());
    expect(x.net.digest()).toMatch(/^[0-9a-f]{16}$/);
    expect(x.net.digest()).toBe(fnv1a64(x.net.trace.map((r) => `${SimNetwork.formatRecord(r)}\n`).join('')));
  });

  it('digest: false keeps no digest but the same deliveries and trace callbacks', () => {
    const clock = new ManualClock(0);
    const seen: string[] = [];
    const net = new SimNetwork({
      seed: 7,
      clock,
      link: { delayMs: 10 },
      digest: false,
      onTrace: (r) => seen.push(r.kind),
    });
    net.send('a:1', 'b:2', new Uint8Array([1, 2, 3]));
    expect(net.digest()).toBe('');
    expect(seen).toEqual(['send']);
    clock.set(net.nextDeliveryAt() ?? 0);
    expect(net.poll()?.data).toEqual(new Uint8Array([1, 2, 3]));
    expect(seen).toEqual(['send', 'deliver']);
  });

  it('different seeds give different traces and digests', () => {
    const digests = new Set([1, 2, 3, 4, 5].map((s) => run(s, ROUGH, 200).net.digest()));
    expect(digests.size).toBe(5);
    expect(run(1, ROUGH, 200).got).not.toEqual(run(2, ROUGH, 200).got);
  });

  it('applies loss, duplication, reordering, delay and jitter at about the rates asked', () => {
    const { net, got } = run(11, ROUGH, 5000);
    const s = net.stats;
    expect(s.sent).toBe(10_000);
    expect(s.lost / s.sent).toBeGreaterThan(0.08);
    expect(s.lost / s.sent).toBeLessThan(0.12);
    expect(s.duplicated / (s.sent - s.lost)).toBeGreaterThan(0.04);
    expect(s.duplicated / (s.sent - s.lost)).toBeLessThan(0.06);
    expect(s.reordered / (s.sent - s.lost)).toBeGreaterThan(0.18);
    expect(s.reordered / (s.sent - s.lost)).toBeLessThan(0.22);
    expect(s.delivered).toBe(s.sent - s.lost + s.duplicated);
    expect(got.length).toBe(s.delivered);
    expect(net.inFlight).toBe(0);
    // delay within [delay, delay + jitter + reorder delay); deliveries out of send order happen
    for (const r of net.trace.filter((t) => t.deliverAt !== undefined)) {
      const d = r.deliverAt! - r.at;
      expect(d >= 30 && d < 30 + 25 + 50).toBe(true);
    }
    const seqB = got.filter((g) => g.startsWith('b:2')).map((g) => Number(g.split(':')[2]!.split('@')[0]));
    let inversions = 0;
    for (let i = 1; i < seqB.length; i++) if (seqB[i]! < seqB[i - 1]!) inversions++;
    expect(inversions).toBeGreaterThan(100);
  });

  it('without impairments delivers everything once, in order, exactly after the delay', () => {
    const { net, got } = run(3, { delayMs: 15 }, 100);
    expect(net.stats).toMatchObject({ sent: 200, delivered: 200, lost: 0, duplicated: 0, reordered: 0 });
    const toB = got.filter((g) => g.startsWith('b:2'));
    expect(toB).toEqual(Array.from({ length: 100 }, (_, i) => `b:2:${i}@${(i * 20 + 15).toFixed(3)}`));
  });

  it('per-direction links, the MTU, the in-flight bound and private copies', () => {
    const clock = new ManualClock(0);
    const net = new SimNetwork({ seed: 1, clock, link: { delayMs: 5 }, maxInFlight: 3 });
    net.setLink('a', 'b', { loss: 1 });
    net.setLink('a', 'c', { mtu: 4 });
    net.send('a', 'b', new Uint8Array(1));
    net.send('a', 'c', new Uint8Array(5));
    const data = new Uint8Array([1, 2, 3]);
    net.send('a', 'c', data);
    data[0] = 9;
    net.send('b', 'a', new Uint8Array(1));
    net.send('b', 'a', new Uint8Array(1));
    net.send('b', 'a', new Uint8Array(1)); // the fourth in flight
    expect(net.stats).toMatchObject({ lost: 1, tooBig: 1, overflow: 1 });
    expect(net.nextDeliveryAt()).toBe(5);
    expect(net.poll()).toBeUndefined();
    clock.set(5);
    const first = net.poll();
    expect(first).toMatchObject({ id: 3, from: 'a', to: 'c', sentAt: 0, deliverAt: 5 });
    expect([...first!.data]).toEqual([1, 2, 3]);
    expect(net.poll()?.to).toBe('a');
    expect(net.poll()?.to).toBe('a');
    expect(net.poll()).toBeUndefined();
    expect(net.nextDeliveryAt()).toBeUndefined();
  });

  it('refuses impossible options (API misuse)', () => {
    const clock = new ManualClock(0);
    expect(() => new SimNetwork({ seed: 1, clock, link: { loss: 1.5 } })).toThrow(RangeError);
    expect(() => new SimNetwork({ seed: 1, clock, link: { delayMs: -1 } })).toThrow(RangeError);
    expect(() => new SeededRandom(Number.NaN)).toThrow(RangeError);
  });

  it('fnv1a64 matches the published FNV-1a 64-bit test values', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });
});
