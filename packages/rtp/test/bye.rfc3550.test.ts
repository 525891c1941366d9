import { toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import { Goodbye, parseRtcp, type RtcpParseError, tryParseRtcp } from '../src/index.js';
import { bytesOf, rtcpSample } from './vectors.js';

describe('Goodbye (RFC 3550 §6.6)', () => {
  it('builds the mediasoup BYE with a reason', () => {
    const b = new Goodbye([0x624276e0, 0x2624670e], 'Hasta la vista');
    expect(b.size()).toBe(28);
    expect(toHex(b.serialize())).toBe(rtcpSample('rtcp-bye-reason').hex);
  });

  it('builds the padded BYE of the rtp.js compound', () => {
    const b = new Goodbye([0x624276e0, 0x2624670e], 'Hasta la vista');
    b.paddingLength = 4;
    const hex = rtcpSample('rtcp-compound-rr-sr-bye-unknown-sdes').hex;
    expect(toHex(b.serialize())).toBe(hex.slice(108 * 2, 140 * 2));
  });

  it('round-trips a BYE without a reason and an empty reason', () => {
    const plain = new Goodbye([1]);
    expect(toHex(plain.serialize())).toBe('81cb000100000001');
    const [p] = parseRtcp(plain.serialize());
    if (p?.kind !== 'bye') throw new Error('not BYE');
    expect(p.reason).toBeUndefined();
    const empty = new Goodbye([1], '');
    const [q] = parseRtcp(empty.serialize());
    if (q?.kind !== 'bye') throw new Error('not BYE');
    expect(q.reason).toBe('');
    const [r] = parseRtcp(bytesOf(rtcpSample('rtcp-bye-reason')));
    if (r?.kind !== 'bye') throw new Error('not BYE');
    expect(r.reason).toBe('Hasta la vista');
  });

  it('re-serialises a padded BYE whose body shrank (fuzz regression): padding keeps it 32-bit aligned', () => {
    // P=1, 3 padding octets; reason of length 0 followed by 4 stray octets the encoder will not reproduce.
    const raw = Uint8Array.of(0xa0, 203, 0, 2, 0, 0xaa, 0xbb, 0xcc, 0xdd, 0, 0, 3);
    const [p] = parseRtcp(raw);
    if (p?.kind !== 'bye') throw new Error('not BYE');
    expect(p.reason).toBe('');
    expect(p.paddingLength).toBe(3);
    const out = p.serialize();
    expect(out.length % 4).toBe(0);
    expect(out.length).toBe(p.size());
    const [q] = parseRtcp(out);
    if (q?.kind !== 'bye') throw new Error('not BYE');
    expect(q.reason).toBe('');
  });

  it('rejects a reason that runs past the packet and an SSRC list that does not fit', () => {
    expect(
      (tryParseRtcp(Uint8Array.of(0x81, 203, 0, 2, 0, 0, 0, 1, 9, 0x61, 0x62, 0x63)) as RtcpParseError).reason,
    ).toBe('bad-bye');
    expect((tryParseRtcp(Uint8Array.of(0x82, 203, 0, 1, 0, 0, 0, 1)) as RtcpParseError).reason).toBe('truncated');
  });
});
