import { toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import { PictureLossIndication, parseRtcp, type RtcpParseError, tryParseRtcp } from '../src/index.js';
import { bytesOf, rtcpSample } from './vectors.js';

describe('Picture Loss Indication (RFC 4585 §6.3.1)', () => {
  it('builds the libwebrtc PLI vector', () => {
    const p = new PictureLossIndication(0x12345678, 0x23456789);
    expect(p.size()).toBe(12);
    expect(toHex(p.serialize())).toBe(rtcpSample('rtcp-pli').hex);
  });

  it('parses the PLI of the pion compound', () => {
    const pkts = parseRtcp(bytesOf(rtcpSample('rtcp-compound-real-rr-sdes-bye-pli-rrr-app')));
    const p = pkts[3];
    if (p?.kind !== 'pli') throw new Error('not PLI');
    expect(p.senderSsrc).toBe(0x902f9e2e);
    expect(p.mediaSsrc).toBe(0x902f9e2e);
  });

  it('rejects a PLI without its SSRCs', () => {
    expect((tryParseRtcp(Uint8Array.of(0x81, 206, 0, 1, 0, 0, 0, 1)) as RtcpParseError).reason).toBe('truncated');
  });
});
