import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReceiverStats } from '../src/index.js';

/** Feeds packets seq[i] with timestamp step 160 at 20 ms spacing (no jitter). */
function feed(s: ReceiverStats, seqs: number[], t0 = 0): void {
  for (const seq of seqs) s.update(seq, (seq * 160) >>> 0, t0 + seq * 20);
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('ReceiverStats: RFC 3550 A.1 sequence validation', () => {
  it('puts a new source on probation for MIN_SEQUENTIAL = 2 packets', () => {
    const s = new ReceiverStats({ ssrc: 1, clockRate: 8000 });
    expect(s.update(100, 0, 0)).toBe(false);
    expect(s.valid).toBe(false);
    expect(s.expected).toBe(0);
    expect(s.update(101, 160, 20)).toBe(true);
    expect(s.valid).toBe(true);
    // init_seq ran on the second packet: base_seq = 101, received = 1.
    expect(s.baseSeq).toBe(101);
    expect(s.received).toBe(1);
    feed(s, range(102, 109));
    expect(s.received).toBe(9);
    expect(s.expected).toBe(9);
    expect(s.cumulativeLost).toBe(0);
    expect(s.extendedHighestSeq).toBe(109);
  });

  it('restarts probation when the probation packets are not in sequence', () => {
    const s = new ReceiverStats({ ssrc: 1, clockRate: 8000 });
    expect(s.update(100, 0, 0)).toBe(false);
    expect(s.update(200, 0, 20)).toBe(false);
    expect(s.update(201, 160, 40)).toBe(true);
    expect(s.baseSeq).toBe(201);
  });

  it('trusts the first packet with probation 0', () => {
    const s = new ReceiverStats({ ssrc: 1, clockRate: 8000, probation: 0 });
    expect(s.update(0, 0, 0)).toBe(true);
    expect(s.expected).toBe(1);
    expect(s.cycles).toBe(0);
  });

  it('counts cycles across the 65535 → 0 wrap', () => {
    const s = new ReceiverStats({ ssrc: 1, clockRate: 8000 });
    for (const seq of [65533, 65534, 65535, 0, 1, 2]) s.update(seq, 0, 0);
    expect(s.cycles).toBe(65536);
    expect(s.maxSeq).toBe(2);
    expect(s.extendedHighestSeq).toBe(65538);
    // base_seq = 65534: expected = 65538 - 65534 + 1 = 5 = received.
    expect(s.expected).toBe(5);
    expect(s.received).toBe(5);
    expect(s.reportBlock(0).highestSeq).toBe(65538);
  });

  it('a large jump is dropped once, and two sequential packets after it re-sync (A.1 restart)', () => {
    const s = new ReceiverStats({ ssrc: 1, clockRate: 8000 });
    feed(s, range(1000, 1010));
    expect(s.update(30000, 0, 500)).toBe(false);
    expect(s.received).toBe(10);
    expect(s.update(30001, 160, 520)).toBe(true);
    expect(s.baseSeq).toBe(30001);
    expect(s.received).toBe(1);
    expect(s.expected).toBe(1);
  });

  it('duplicates and late (reordered) packets are counted; cumulative lost may go negative', () => {
    const s = new ReceiverStats({ ssrc: 1, clockRate: 8000 });
    feed(s, range(100, 110));
    expect(s.update(108, 0, 0)).toBe(true); // reordered / duplicate: udelta > 65536 - MAX_MISORDER
    expect(s.maxSeq).toBe(110);
    expect(s.received).toBe(11);
    expect(s.expected).toBe(10);
    expect(s.cumulativeLost).toBe(-1);
  });
});

describe('ReceiverStats: A.3 loss and the report block', () => {
  it('computes cumulative and interval fraction lost by hand', () => {
    const s = new ReceiverStats({ ssrc: 0xabc, clockRate: 8000 });
    // 100 is probation; 101..104 counted, 105 and 106 lost, 107..110 counted.
    feed(s, [...range(100, 104), ...range(107, 110)]);
    expect(s.expected).toBe(10);
    expect(s.received).toBe(8);
    const b1 = s.reportBlock(1000);
    expect(b1.ssrc).toBe(0xabc);
    expect(b1.cumulativeLost).toBe(2);
    expect(b1.fractionLost).toBe(51); // floor(2 * 256 / 10)
    expect(b1.highestSeq).toBe(110);
    feed(s, range(111, 120));
    const b2 = s.reportBlock(2000);
    expect(b2.fractionLost).toBe(0); // no loss in this interval
    expect(b2.cumulativeLost).toBe(2);
    // Interval with 5 of 10 lost: fraction = 128.
    feed(s, [121, 123, 125, 127, 129, 130]);
    const b3 = s.reportBlock(3000);
    expect(b3.cumulativeLost).toBe(2 + 4);
    expect(b3.fractionLost).toBe(Math.floor((4 * 256) / 10));
    // No packets at all in an interval: fraction 0.
    expect(s.reportBlock(4000).fractionLost).toBe(0);
  });

  it('fills LSR and DLSR from the last SR received (§6.4.1)', () => {
    const s = new ReceiverStats({ ssrc: 1, clockRate: 8000 });
    feed(s, range(1, 3));
    expect(s.reportBlock(0).lsr).toBe(0);
    expect(s.reportBlock(0).dlsr).toBe(0);
    s.onSenderReport(0x12345678, 0x9abcdef0, 1000);
    const b = s.reportBlock(1500);
    expect(b.lsr).toBe(0x56789abc);
    expect(b.dlsr).toBe(32768); // 0.5 s in 1/65536 s
  });
});

describe('ReceiverStats: A.8 interarrival jitter', () => {
  it('matches a hand computation', () => {
    const s = new ReceiverStats({ ssrc: 1, clockRate: 8000, probation: 0 });
    // 20 ms packets (160 timestamp units); arrivals 0, 20, 45, 60, 80 ms.
    const arrivals = [0, 20, 45, 60, 80];
    arrivals.forEach((t, i) => {
      s.update(i, i * 160, t);
    });
    // D: 0, 40, 40, 0 → J: 0, 2.5, 4.84375, 4.541015625
    expect(s.jitterEstimate).toBeCloseTo(4.541015625, 12);
    expect(s.jitter).toBe(4);
    expect(s.reportBlock(100).jitter).toBe(4);
  });

  it('is unaffected by the 32-bit timestamp wrap', () => {
    const s = new ReceiverStats({ ssrc: 1, clockRate: 8000, probation: 0 });
    const ts0 = 0xffffff60;
    for (let i = 0; i < 5; i++) s.update(i, (ts0 + i * 160) >>> 0, i * 20);
    expect(s.jitterEstimate).toBe(0);
  });

  it('grows for a steady 90 kHz video stream with alternating delay', () => {
    const s = new ReceiverStats({ ssrc: 1, clockRate: 90000, probation: 0 });
    // Every other packet is 10 ms late: |D| = 900 units each time after the first.
    for (let i = 0; i < 3; i++) s.update(i, i * 3000, i * (100 / 3) + (i % 2) * 10);
    // J1 = 900/16 = 56.25, J2 = 56.25 + (900 - 56.25)/16 = 108.984375
    expect(s.jitterEstimate).toBeCloseTo(108.984375, 6);
  });
});

describe('ReceiverStats: properties', () => {
  it('in-order streams with gaps: lost = the missing numbers, across wraps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 2, maxLength: 300 }),
        (start, gaps) => {
          const s = new ReceiverStats({ ssrc: 1, clockRate: 8000 });
          let seq = start;
          let ext = start;
          // The first two packets must be sequential to pass probation.
          s.update(seq, 0, 0);
          seq = (seq + 1) & 0xffff;
          ext += 1;
          s.update(seq, 0, 0);
          const baseExt = ext;
          let missing = 0;
          for (const g of gaps) {
            seq = (seq + g) & 0xffff;
            ext += g;
            missing += g - 1;
            expect(s.update(seq, 0, 0)).toBe(true);
          }
          expect(s.expected).toBe(ext - baseExt + 1);
          expect(s.received).toBe(gaps.length + 1);
          expect(s.cumulativeLost).toBe(missing);
          expect(s.extendedHighestSeq - s.baseSeq).toBe(ext - baseExt);
          const b = s.reportBlock(0);
          expect(b.fractionLost).toBe(Math.floor((missing * 256) / (ext - baseExt + 1)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws and keeps report fields in range on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(1e7)), {
          maxLength: 200,
        }),
        (pkts) => {
          const s = new ReceiverStats({ ssrc: 1, clockRate: 48000 });
          for (const [seq, ts, t] of pkts) s.update(seq, ts, t);
          const b = s.reportBlock(1e7);
          expect(b.fractionLost).toBeGreaterThanOrEqual(0);
          expect(b.fractionLost).toBeLessThanOrEqual(255);
          expect(b.cumulativeLost).toBeGreaterThanOrEqual(-0x800000);
          expect(b.cumulativeLost).toBeLessThanOrEqual(0x7fffff);
          expect(b.highestSeq).toBeGreaterThanOrEqual(0);
          expect(b.highestSeq).toBeLessThanOrEqual(0xffffffff);
          expect(Number.isInteger(b.jitter)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
