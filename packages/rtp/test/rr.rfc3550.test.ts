import { toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import { parseRtcp, ReceiverReport } from '../src/index.js';
import { bytesOf, rtcpSample } from './vectors.js';

describe('ReceiverReport (RFC 3550 §6.4.2)', () => {
  it('builds the libwebrtc kPacket RR from fields', () => {
    const rr = new ReceiverReport({
      ssrc: 0x12345678,
      reports: [
        {
          ssrc: 0x23456789,
          fractionLost: 55,
          cumulativeLost: 0x111213,
          highestSeq: 0x22232425,
          jitter: 0x33343536,
          lsr: 0x44454647,
          dlsr: 0x55565758,
        },
      ],
    });
    expect(rr.size()).toBe(32);
    expect(toHex(rr.serialize())).toBe(rtcpSample('rtcp-rr-one-block').hex);
  });

  it('encodes a negative cumulative lost as signed 24 bits (mediasoup vector)', () => {
    const rr = new ReceiverReport({
      ssrc: 0x5d931534,
      reports: [{ ssrc: 0x01932db4, fractionLost: 0, cumulativeLost: -1, highestSeq: 0, jitter: 0, lsr: 0, dlsr: 5 }],
    });
    expect(toHex(rr.serialize())).toBe(rtcpSample('rtcp-rr-negative-cumulative-lost').hex);
    const [p] = parseRtcp(bytesOf(rtcpSample('rtcp-rr-negative-cumulative-lost')));
    if (p?.kind !== 'rr') throw new Error('not an RR');
    expect(p.reports[0]!.cumulativeLost).toBe(-1);
  });

  it('an empty RR is 8 octets and limits are enforced', () => {
    expect(toHex(new ReceiverReport({ ssrc: 7 }).serialize())).toBe('80c9000100000007');
    const block = { ssrc: 1, fractionLost: 0, cumulativeLost: 0, highestSeq: 0, jitter: 0, lsr: 0, dlsr: 0 };
    expect(() => new ReceiverReport({ ssrc: 1, reports: new Array(32).fill(block) }).serialize()).toThrow(RangeError);
    expect(() =>
      new ReceiverReport({ ssrc: 1, reports: [{ ...block, cumulativeLost: 0x800000 }] }).serialize(),
    ).toThrow(RangeError);
    expect(() => new ReceiverReport({ ssrc: 1, reports: [{ ...block, fractionLost: 256 }] }).serialize()).toThrow(
      RangeError,
    );
    expect(new ReceiverReport({ ssrc: 1, reports: new Array(31).fill(block) }).size()).toBe(8 + 31 * 24);
  });

  it('P=1 padding is parsed and re-emitted', () => {
    const rr = new ReceiverReport({ ssrc: 9 });
    rr.paddingLength = 4;
    const bytes = rr.serialize();
    expect(toHex(bytes)).toBe('a0c900020000000900000004');
    const [p] = parseRtcp(bytes);
    expect(p!.paddingLength).toBe(4);
  });
});
