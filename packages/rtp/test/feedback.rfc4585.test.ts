import { toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import { FeedbackPacket, parseRtcp, RtpfbFmt } from '../src/index.js';
import { bytesOf, rtcpSample } from './vectors.js';

describe('generic RTPFB/PSFB feedback (RFC 4585 §6.1) as a typed passthrough', () => {
  it('keeps the transport-wide CC capture (P=1) byte-exact', () => {
    const [p] = parseRtcp(bytesOf(rtcpSample('rtcp-twcc-capture')));
    if (p?.kind !== 'feedback') throw new Error('not feedback');
    expect(p.fmt).toBe(RtpfbFmt.TWCC);
    expect(p.paddingLength).toBe(1);
    const built = new FeedbackPacket({
      packetType: 205,
      fmt: 15,
      senderSsrc: 1,
      mediaSsrc: 0xdd586eb6,
      fci: p.fci,
    });
    built.paddingLength = 1;
    expect(toHex(built.serialize())).toBe(rtcpSample('rtcp-twcc-capture').hex);
  });

  it('keeps the RFC 6051 RRR of the pion compound', () => {
    const pkts = parseRtcp(bytesOf(rtcpSample('rtcp-compound-real-rr-sdes-bye-pli-rrr-app')));
    const p = pkts[4];
    if (p?.kind !== 'feedback') throw new Error('not feedback');
    expect(p.fmt).toBe(RtpfbFmt.RRR);
    expect(p.fci.length).toBe(0);
    expect(toHex(p.serialize())).toBe('85cd0002902f9e2e902f9e2e');
  });
});
