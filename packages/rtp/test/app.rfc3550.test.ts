import { toHex, utf8Encode } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import { AppPacket, parseRtcp, type RtcpParseError, tryParseRtcp } from '../src/index.js';
import { bytesOf, rtcpSample } from './vectors.js';

describe('AppPacket (RFC 3550 §6.7)', () => {
  it('builds the libwebrtc APP vector', () => {
    const a = new AppPacket({ subtype: 30, ssrc: 0x12345678, name: 'name', data: utf8Encode('testdata') });
    expect(a.size()).toBe(20);
    expect(toHex(a.serialize())).toBe(rtcpSample('rtcp-app').hex);
  });

  it('round-trips the APP inside the pion compound', () => {
    const pkts = parseRtcp(bytesOf(rtcpSample('rtcp-compound-real-rr-sdes-bye-pli-rrr-app')));
    const app = pkts[5];
    if (app?.kind !== 'app') throw new Error('not APP');
    expect(app.name).toBe('NAME');
    expect(toHex(app.serialize())).toBe('80cc00034baae1ab4e414d4541424344');
  });

  it('rejects a short APP and bad names', () => {
    expect((tryParseRtcp(Uint8Array.of(0x80, 204, 0, 1, 0, 0, 0, 1)) as RtcpParseError).reason).toBe('truncated');
    expect(() => new AppPacket({ ssrc: 1, name: 'toolong' }).serialize()).toThrow(RangeError);
    expect(() => new AppPacket({ ssrc: 1, name: 'abcd', subtype: 32 }).serialize()).toThrow(RangeError);
    expect(() => new AppPacket({ ssrc: 1, name: 'abcd', data: new Uint8Array(3) }).serialize()).toThrow(RangeError);
  });
});
