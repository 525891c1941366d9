import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTransportWideCc,
  encodeTransportWideCc,
  FeedbackPacket,
  parseRtcp,
  RtcpParseError,
} from '../src/index.js';
import { bytesOf, rtcpSample } from './vectors.js';

describe('transport-wide CC feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1)', () => {
  it('decodes the captured Chrome TWCC message', () => {
    const s = rtcpSample('rtcp-twcc-capture');
    const d = s.decoded[0];
    const [fb] = parseRtcp(bytesOf(s));
    if (fb?.kind !== 'feedback') throw new Error('not feedback');
    const t = decodeTransportWideCc(fb);
    expect(t.baseSequenceNumber).toBe(d.base_sequence_number);
    expect(t.packets.length).toBe(d.packet_status_count);
    expect(t.referenceTime).toBe(d.reference_time);
    expect(t.feedbackPacketCount).toBe(d.feedback_packet_count);
    // run-length chunk 0x2009: nine packets received with small deltas 1c 0c 2c 38 00 04 00 08 18 (× 250 µs)
    expect(t.packets.map((p) => p.status)).toEqual(new Array(9).fill(1));
    expect(t.packets.map((p) => p.deltaUs)).toEqual([0x1c, 0x0c, 0x2c, 0x38, 0, 4, 0, 8, 0x18].map((x) => x * 250));
    expect(t.packets.map((p) => p.sequenceNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('decodes 1-bit and 2-bit status vectors, large and negative deltas', () => {
    // base 65534, count 5, one 1-bit status vector chunk 0xAA00: symbols 1 0 1 0 1, deltas 10, 20, 30 (× 250 µs).
    const fci = Uint8Array.of(0xff, 0xfe, 0, 5, 0, 0, 1, 7, 0xaa, 0x00, 10, 20, 30, 0, 0, 0);
    const fb = new FeedbackPacket({ packetType: 205, fmt: 15, senderSsrc: 1, mediaSsrc: 2, fci });
    const t = decodeTransportWideCc(fb);
    expect(t.packets).toEqual([
      { sequenceNumber: 65534, status: 1, deltaUs: 2500 },
      { sequenceNumber: 65535, status: 0 },
      { sequenceNumber: 0, status: 1, deltaUs: 5000 },
      { sequenceNumber: 1, status: 0 },
      { sequenceNumber: 2, status: 1, deltaUs: 7500 },
    ]);
    expect(t.referenceTime).toBe(1);
    expect(t.feedbackPacketCount).toBe(7);
    // 2-bit vector 0xE400 = 1 1 | 10 01 00 ...: symbols 2, 1, 0; deltas -4 (two octets) and 5 (one octet).
    const fci2 = Uint8Array.of(0, 1, 0, 3, 0, 0, 2, 0, 0b1110_0100, 0, 0xff, 0xfc, 5, 0, 0, 0);
    const t2 = decodeTransportWideCc(
      new FeedbackPacket({ packetType: 205, fmt: 15, senderSsrc: 1, mediaSsrc: 2, fci: fci2 }),
    );
    expect(t2.packets).toEqual([
      { sequenceNumber: 1, status: 2, deltaUs: -1000 },
      { sequenceNumber: 2, status: 1, deltaUs: 1250 },
      { sequenceNumber: 3, status: 0 },
    ]);
    expect(t2.referenceTime).toBe(2);
  });

  it('rejects truncated chunks and deltas, and other feedback types', () => {
    const mk = (fci: Uint8Array) => new FeedbackPacket({ packetType: 205, fmt: 15, senderSsrc: 1, mediaSsrc: 2, fci });
    expect(() => decodeTransportWideCc(mk(Uint8Array.of(0, 0, 0, 1)))).toThrow(RtcpParseError);
    expect(() => decodeTransportWideCc(mk(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0)))).toThrow(RtcpParseError);
    expect(() => decodeTransportWideCc(mk(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0, 0x20, 1)))).toThrow(RtcpParseError);
    expect(() => decodeTransportWideCc(mk(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0, 0x60, 1, 0, 0)))).toThrow(
      RtcpParseError,
    );
    expect(() =>
      decodeTransportWideCc(new FeedbackPacket({ packetType: 205, fmt: 3, senderSsrc: 1, mediaSsrc: 2 })),
    ).toThrow(RtcpParseError);
  });

  it('encode → serialize → parse → decode round-trips (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: -0x800000, max: 0x7fffff }),
        fc.array(
          fc.oneof(
            fc.constant({ received: false }),
            fc.integer({ min: -8192000, max: 8191750 }).map((d) => ({ received: true, deltaUs: d - (d % 250) })),
            fc.integer({ min: 0, max: 255 }).map((d) => ({ received: true, deltaUs: d * 250 })),
          ),
          { maxLength: 120 },
        ),
        (base, ref, packets) => {
          const fb = encodeTransportWideCc({
            senderSsrc: 1,
            mediaSsrc: 2,
            baseSequenceNumber: base,
            referenceTime: ref,
            feedbackPacketCount: 7,
            packets,
          });
          const [p] = parseRtcp(fb.serialize());
          if (p?.kind !== 'feedback') throw new Error('not feedback');
          const t = decodeTransportWideCc(p);
          expect(t.baseSequenceNumber).toBe(base);
          expect(t.referenceTime).toBe(ref);
          expect(t.feedbackPacketCount).toBe(7);
          expect(t.packets.length).toBe(packets.length);
          t.packets.forEach((q, i) => {
            expect(q.sequenceNumber).toBe((base + i) & 0xffff);
            expect(q.status !== 0).toBe(packets[i]!.received);
            if (packets[i]!.received) expect(q.deltaUs).toBe(packets[i]!.deltaUs! + 0);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fuzz: never throws anything but RtcpParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (fci) => {
        try {
          decodeTransportWideCc(new FeedbackPacket({ packetType: 205, fmt: 15, senderSsrc: 1, mediaSsrc: 2, fci }));
        } catch (e) {
          expect(e).toBeInstanceOf(RtcpParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
