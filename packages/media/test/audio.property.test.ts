/** Property tests (fast-check) of the audio components: decoders never throw, round trips hold, bounds hold. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DtmfParseError,
  DtmfReceiver,
  g711Decode,
  g711Encode,
  JitterBuffer,
  type parseTelephoneEvent,
  serializeTelephoneEvent,
  tryParseTelephoneEvent,
  tryReadWav,
  WavError,
  writeWav,
} from '../src/index.js';

const int16s = fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 400 }).map((a) => Int16Array.from(a));

describe('properties', () => {
  it('G.711: decode∘encode is idempotent after one pass (both laws, both decision sets)', () => {
    fc.assert(
      fc.property(
        int16s,
        fc.constantFrom('PCMU' as const, 'PCMA' as const),
        fc.constantFrom('itu' as const, 'nearest' as const),
        (pcm, codec, d) => {
          const a = new Uint8Array(pcm.length);
          g711Encode(codec, pcm, a, 0, d);
          const once = new Int16Array(pcm.length);
          g711Decode(codec, a, once);
          const b = new Uint8Array(pcm.length);
          g711Encode(codec, once, b, 0, d);
          const twice = new Int16Array(pcm.length);
          g711Decode(codec, b, twice);
          expect(twice).toEqual(once);
        },
      ),
    );
  });

  it('WAV: write → read returns the samples; any mutation gives audio or a WavError', () => {
    fc.assert(
      fc.property(
        int16s,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (pcm, edits) => {
          const f = writeWav(pcm);
          const r = tryReadWav(f);
          expect(r instanceof WavError ? r : [...r.samples]).toEqual([...pcm]);
          for (const [at, v] of edits) f[at % f.length] = v;
          const m = tryReadWav(f);
          expect(m instanceof WavError || m.samples.length <= pcm.length + 100).toBe(true);
        },
      ),
    );
  });

  it('telephone-event: any 4 octets parse and re-serialise (R bit cleared); other lengths are typed errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (b) => {
        const r = tryParseTelephoneEvent(b);
        if (b.length >= 4 && b.length % 4 === 0 && b.length <= 64) {
          const ev = r as ReturnType<typeof parseTelephoneEvent>;
          expect([...serializeTelephoneEvent(ev)]).toEqual([b[0], b[1]! & 0xbf, b[2], b[3]]);
        } else expect(r).toBeInstanceOf(DtmfParseError);
      }),
    );
  });

  it('DtmfReceiver: arbitrary packets never throw and report each timestamp at most once in a row', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 8 }), fc.integer({ min: 0, max: 2000 }), fc.boolean()), {
          maxLength: 200,
        }),
        (pkts) => {
          const rx = new DtmfReceiver();
          let t = 0;
          const seen: number[] = [];
          for (const [p, ts, m] of pkts) {
            t += 7;
            rx.handlePayload(p, ts * 160, m, t);
            rx.handleTimeout(t);
            for (let e = rx.poll(); e; e = rx.poll()) seen.push(e.timestamp);
          }
          for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
          expect(rx.stats.events).toBeLessThanOrEqual(pkts.length);
        },
      ),
    );
  });

  it('JitterBuffer: arbitrary push/pop sequences keep the counters consistent and the size bounded', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('push' as const),
              ts: fc.integer({ min: 0, max: 0xffffffff }),
              len: fc.nat(300),
              m: fc.boolean(),
            }),
            fc.record({ op: fc.constant('near' as const), k: fc.integer({ min: -5, max: 60 }), m: fc.boolean() }),
            fc.record({ op: fc.constant('tick' as const), dt: fc.nat(100) }),
          ),
          { maxLength: 300 },
        ),
        (ops) => {
          const jb = new JitterBuffer({ capacity: 10, maxPayload: 256 });
          let now = 0;
          let queued = 0;
          let n = 0;
          for (const o of ops) {
            if (o.op === 'tick') now += o.dt;
            else {
              const ts = o.op === 'push' ? o.ts : (n + o.k) * 160;
              const len = o.op === 'push' ? o.len : 160;
              if (jb.push(new Uint8Array(len), ts, n++ & 0xffff, o.m, now) === 'queued') queued++;
            }
            let guard = 0;
            for (let f = jb.pop(now); f; f = jb.pop(now)) expect(++guard).toBeLessThan(1000);
            expect(jb.buffered).toBeLessThanOrEqual(10);
          }
          const s = jb.stats;
          expect(s.played + s.flushed + s.skipped + jb.buffered).toBe(queued);
          expect(queued + s.late + s.duplicate + s.overflow + s.tooLarge).toBe(s.received);
        },
      ),
    );
  });
});
