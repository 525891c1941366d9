import { toHex } from '@mdh/bytes';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GenericNack, parseRtcp, type RtcpParseError, tryParseRtcp } from '../src/index.js';
import { bytesOf, rtcpSample } from './vectors.js';

describe('Generic NACK (RFC 4585 §6.2.1)', () => {
  it('builds the libwebrtc kPacket NACK from lost sequence numbers', () => {
    const n = GenericNack.fromSequenceNumbers(0x12345678, 0x23456789, [0, 1, 3, 8, 16]);
    expect(n.pairs).toEqual([{ pid: 0, blp: 0x8085 }]);
    expect(toHex(n.serialize())).toBe(rtcpSample('rtcp-nack').hex);
  });

  it('builds the wrap-around vector across 65535 → 0', () => {
    const lost = [65500, 65516, 65534, 65535, 0, 1, 3, 20, 100];
    const n = GenericNack.fromSequenceNumbers(0x12345678, 0x23456789, lost);
    expect(toHex(n.serialize())).toBe(rtcpSample('rtcp-nack-wraparound').hex);
    const [p] = parseRtcp(bytesOf(rtcpSample('rtcp-nack-wraparound')));
    if (p?.kind !== 'nack') throw new Error('not NACK');
    expect(p.lostSequenceNumbers()).toEqual(lost);
  });

  it('fromSequenceNumbers → lostSequenceNumbers is the identity on increasing runs (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 60 }),
        (start, gaps) => {
          const lost = [start];
          for (const g of gaps) lost.push((lost[lost.length - 1]! + g) & 0xffff);
          const n = GenericNack.fromSequenceNumbers(1, 2, lost);
          const [p] = parseRtcp(n.serialize());
          if (p?.kind !== 'nack') throw new Error('not NACK');
          expect(p.lostSequenceNumbers()).toEqual(lost);
        },
      ),
    );
  });

  it('rejects an FCI that is not a multiple of 4', () => {
    const ok = Uint8Array.of(0x81, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 2);
    const [n] = parseRtcp(ok);
    if (n?.kind !== 'nack') throw new Error('not NACK');
    expect(n.lostSequenceNumbers()).toEqual([1, 3]);
    // P=1 with 2 padding octets leaves a 2-octet FCI.
    const padded = Uint8Array.of(0xa1, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 2);
    expect((tryParseRtcp(padded) as RtcpParseError).reason).toBe('bad-fci');
  });
});
