import { toHex } from '@mdh/bytes';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseRtcp,
  RtcpParseError,
  RtpPacket,
  RtpParseError,
  rtcpParseRr,
  rtpParse,
  serializeRtcp,
  validateRtcpCompound,
} from '../src/index.js';
import { bytesOf, rtcpSamples, rtpSamples } from './vectors.js';

const seedsRtp = rtpSamples.map(bytesOf);
const seedsRtcp = rtcpSamples.map(bytesOf);

/** A valid sample with a few random octets overwritten, truncated or extended. */
function mutated(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.integer({ min: -8, max: 8 }),
    )
    .map(([s, edits, cut]) => {
      const len = Math.max(0, s.length + cut);
      const b = new Uint8Array(len);
      b.set(s.subarray(0, Math.min(len, s.length)));
      for (const [i, v] of edits) if (len > 0) b[i % len] = v;
      return b;
    });
}

const anyBytes = fc.uint8Array({ maxLength: 200 });

function rtpRoundTrip(buf: Uint8Array): void {
  const r = RtpPacket.tryParse(buf);
  if (r instanceof RtpParseError) return;
  // Touch every lazy accessor: none may throw an untyped error.
  void r.csrcs;
  void r.payload;
  void r.extensionData;
  for (let id = 0; id < 256; id += 17) r.getExtension(id);
  try {
    r.getExtensions();
  } catch (e) {
    expect(e).toBeInstanceOf(RtpParseError);
  }
  const again = r.serialize();
  expect(toHex(again)).toBe(toHex(buf));
  const r2 = RtpPacket.parse(again);
  expect(r2.sequenceNumber).toBe(r.sequenceNumber);
  expect(toHex(r2.payload)).toBe(toHex(r.payload));
}

function rtcpRoundTrip(buf: Uint8Array): void {
  let pkts: ReturnType<typeof parseRtcp>;
  try {
    pkts = parseRtcp(buf);
  } catch (e) {
    expect(e).toBeInstanceOf(RtcpParseError);
    return;
  }
  validateRtcpCompound(buf);
  // decode → encode → decode is stable (the encoding is canonical after one pass).
  const once = serializeRtcp(pkts);
  const twice = serializeRtcp(parseRtcp(once));
  expect(toHex(twice)).toBe(toHex(once));
}

describe('fuzz: parsers never throw untyped errors and never hang', () => {
  it('RtpPacket on random bytes', () => {
    fc.assert(fc.property(anyBytes, rtpRoundTrip), { numRuns: 3000 });
  });

  it('RtpPacket on mutated samples', () => {
    fc.assert(fc.property(mutated(seedsRtp), rtpRoundTrip), { numRuns: 3000 });
  });

  it('RtpPacket on random headers with version 2', () => {
    fc.assert(
      fc.property(anyBytes, (b) => {
        if (b.length > 0) b[0] = 0x80 | (b[0]! & 0x3f);
        rtpRoundTrip(b);
      }),
      { numRuns: 3000 },
    );
  });

  it('parseRtcp on random bytes', () => {
    fc.assert(fc.property(anyBytes, rtcpRoundTrip), { numRuns: 3000 });
  });

  it('parseRtcp on mutated samples', () => {
    fc.assert(fc.property(mutated(seedsRtcp), rtcpRoundTrip), { numRuns: 5000 });
  });

  it('parseRtcp on random bodies behind valid headers of every type', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 192, max: 210 }),
        fc.integer({ min: 0, max: 31 }),
        fc.boolean(),
        fc.uint8Array({ maxLength: 120 }),
        (pt, count, pad, body) => {
          const words = Math.floor(body.length / 4);
          const b = new Uint8Array(4 + 4 * words);
          b[0] = 0x80 | (pad ? 0x20 : 0) | count;
          b[1] = pt;
          b[2] = words >> 8;
          b[3] = words & 0xff;
          b.set(body.subarray(0, 4 * words), 4);
          rtcpRoundTrip(b);
        },
      ),
      { numRuns: 10000 },
    );
  });

  it('seed parsers return results on any input', () => {
    fc.assert(
      fc.property(anyBytes, (b) => {
        expect(typeof rtpParse(b).ok).toBe('boolean');
        expect(typeof rtcpParseRr(b).ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('property: RTP build → parse → build', () => {
  it('round-trips arbitrary headers, CSRCs, extensions, payloads and padding', () => {
    fc.assert(
      fc.property(
        fc.record({
          marker: fc.boolean(),
          payloadType: fc.integer({ min: 0, max: 127 }),
          sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
          timestamp: fc.integer({ min: 0, max: 0xffffffff }),
          ssrc: fc.integer({ min: 0, max: 0xffffffff }),
          csrcs: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
          payload: fc.uint8Array({ maxLength: 64 }),
          paddingLength: fc.integer({ min: 0, max: 255 }),
          extensions: fc.uniqueArray(
            fc.record({ id: fc.integer({ min: 1, max: 255 }), value: fc.uint8Array({ maxLength: 20 }) }),
            { selector: (e) => e.id, maxLength: 5 },
          ),
        }),
        (init) => {
          const p = new RtpPacket(init);
          const bytes = p.serialize();
          expect(bytes.length).toBe(p.size());
          const q = RtpPacket.parse(bytes);
          expect(q.marker).toBe(init.marker);
          expect(q.payloadType).toBe(init.payloadType);
          expect(q.sequenceNumber).toBe(init.sequenceNumber);
          expect(q.timestamp).toBe(init.timestamp);
          expect(q.ssrc).toBe(init.ssrc);
          expect(q.csrcs).toEqual(init.csrcs);
          expect(toHex(q.payload)).toBe(toHex(init.payload));
          expect(q.paddingLength).toBe(init.paddingLength);
          for (const e of init.extensions) expect(toHex(q.getExtension(e.id)!)).toBe(toHex(e.value));
          expect(q.getExtensions().length).toBe(init.extensions.length);
          expect(toHex(q.serialize())).toBe(toHex(bytes));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
