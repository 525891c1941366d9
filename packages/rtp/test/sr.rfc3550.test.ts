import { toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import { parseRtcp, type RtcpParseError, SenderReport, tryParseRtcp } from '../src/index.js';
import { bytesOf, rtcpSample } from './vectors.js';

describe('SenderReport (RFC 3550 §6.4.1)', () => {
  it('builds the libwebrtc kPacket SR (no blocks) from fields', () => {
    const sr = new SenderReport({
      ssrc: 0x12345678,
      ntpSeconds: 0x11121418,
      ntpFraction: 0x22242628,
      rtpTimestamp: 0x33343536,
      packetCount: 0x44454647,
      octetCount: 0x55565758,
    });
    expect(sr.size()).toBe(28);
    expect(toHex(sr.serialize())).toBe(rtcpSample('rtcp-sr-no-blocks').hex);
  });

  it('builds the rtp.js SR with one report block from fields', () => {
    const sr = new SenderReport({
      ssrc: 0x5d931534,
      ntpSeconds: 3711615412,
      ntpFraction: 1985245553,
      rtpTimestamp: 577280,
      packetCount: 3608,
      octetCount: 577280,
      reports: [
        { ssrc: 0x01932db4, fractionLost: 80, cumulativeLost: 216, highestSeq: 342342, jitter: 0, lsr: 8234, dlsr: 5 },
      ],
    });
    expect(sr.size()).toBe(52);
    expect(toHex(sr.serialize())).toBe(rtcpSample('rtcp-sr-one-block').hex);
  });

  it('round-trips and exposes the NTP time', () => {
    const [p] = parseRtcp(bytesOf(rtcpSample('rtcp-sr-one-block')));
    if (p?.kind !== 'sr') throw new Error('not an SR');
    expect(p.ntpMs).toBeCloseTo(3711615412 * 1000 + (1985245553 / 2 ** 32) * 1000, 3);
    expect(toHex(p.serialize())).toBe(rtcpSample('rtcp-sr-one-block').hex);
  });

  it('keeps profile-specific extensions after the blocks', () => {
    const sr = new SenderReport({
      ssrc: 1,
      ntpSeconds: 2,
      ntpFraction: 3,
      rtpTimestamp: 4,
      packetCount: 5,
      octetCount: 6,
      extension: Uint8Array.of(1, 2, 3, 4),
    });
    const [q] = parseRtcp(sr.serialize());
    if (q?.kind !== 'sr') throw new Error('not an SR');
    expect(toHex(q.extension)).toBe('01020304');
  });

  it('rejects a short sender info and out-of-range fields', () => {
    expect((tryParseRtcp(Uint8Array.of(0x80, 200, 0, 1, 0, 0, 0, 1)) as RtcpParseError).reason).toBe('truncated');
    const sr = new SenderReport({
      ssrc: 1,
      ntpSeconds: 2 ** 32,
      ntpFraction: 0,
      rtpTimestamp: 0,
      packetCount: 0,
      octetCount: 0,
    });
    expect(() => sr.serialize()).toThrow(RangeError);
  });
});
