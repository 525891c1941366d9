import { toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import { FullIntraRequest, parseRtcp, type RtcpParseError, tryParseRtcp } from '../src/index.js';
import { bytesOf, rtcpSample } from './vectors.js';

describe('Full Intra Request (RFC 5104 §4.3.1)', () => {
  it('builds the libwebrtc FIR vector', () => {
    const f = new FullIntraRequest(0x12345678, [{ ssrc: 0x23456789, seqNr: 13 }]);
    expect(f.size()).toBe(20);
    expect(toHex(f.serialize())).toBe(rtcpSample('rtcp-fir').hex);
  });

  it('round-trips several entries', () => {
    const f = new FullIntraRequest(1, [
      { ssrc: 2, seqNr: 0 },
      { ssrc: 3, seqNr: 255 },
    ]);
    const [p] = parseRtcp(f.serialize());
    if (p?.kind !== 'fir') throw new Error('not FIR');
    expect(p.entries).toEqual(f.entries);
    expect(p.mediaSsrc).toBe(0);
    const [v] = parseRtcp(bytesOf(rtcpSample('rtcp-fir')));
    if (v?.kind !== 'fir') throw new Error('not FIR');
    expect(v.entries).toEqual([{ ssrc: 0x23456789, seqNr: 13 }]);
  });

  it('rejects an FCI that is not whole entries', () => {
    const bad = Uint8Array.of(0x84, 206, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2);
    expect((tryParseRtcp(bad) as RtcpParseError).reason).toBe('bad-fci');
    expect(() => new FullIntraRequest(1, [{ ssrc: 1, seqNr: 256 }]).serialize()).toThrow(RangeError);
  });
});
