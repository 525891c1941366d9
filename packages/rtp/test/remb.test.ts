import { toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import { parseRtcp, Remb, type RtcpParseError, tryParseRtcp } from '../src/index.js';
import { bytesOf, rtcpSample } from './vectors.js';

describe('REMB (draft-alvestrand-rmcat-remb)', () => {
  it('builds the libwebrtc REMB vector (522022 bps, 3 SSRCs)', () => {
    const r = new Remb(0x12345678, 522022, [0x23456789, 0x2345678a, 0x2345678b]);
    expect(r.encodeBitrate()).toEqual({ exp: 1, mantissa: 261011 });
    expect(toHex(r.serialize())).toBe(rtcpSample('rtcp-remb').hex);
  });

  it('builds the Chrome REMB vector (8927168 bps)', () => {
    const r = new Remb(1, 8927168, [0x4874ed16]);
    expect(toHex(r.serialize())).toBe(rtcpSample('rtcp-remb-chrome').hex);
    const [p] = parseRtcp(bytesOf(rtcpSample('rtcp-remb-chrome')));
    if (p?.kind !== 'remb') throw new Error('not REMB');
    expect(p.bitrate).toBe(8927168);
  });

  it('rounds bitrates that do not fit 18 bits down and handles huge ones', () => {
    const r = new Remb(1, 2 ** 18 + 1);
    expect(r.encodeBitrate()).toEqual({ exp: 1, mantissa: 2 ** 17 });
    const big = new Remb(1, 2 ** 40);
    const [p] = parseRtcp(big.serialize());
    if (p?.kind !== 'remb') throw new Error('not REMB');
    expect(p.bitrate).toBe(2 ** 40);
    expect(() => new Remb(1, -1).serialize()).toThrow(RangeError);
  });

  it('rejects a Num SSRC that overruns, and keeps a non-REMB AFB as generic feedback', () => {
    const bad = Uint8Array.of(0x8f, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0x52, 0x45, 0x4d, 0x42, 2, 0, 0, 1);
    expect((tryParseRtcp(bad) as RtcpParseError).reason).toBe('bad-fci');
    const afb = Uint8Array.of(0x8f, 206, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0x41, 0x42, 0x43, 0x44);
    const [p] = parseRtcp(afb);
    expect(p?.kind).toBe('feedback');
  });
});
