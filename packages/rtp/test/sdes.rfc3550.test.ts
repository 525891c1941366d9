import { fromHex, toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import { parseRtcp, type RtcpParseError, SdesType, SourceDescription, tryParseRtcp } from '../src/index.js';
import { bytesOf, rtcpSample } from './vectors.js';

describe('SourceDescription (RFC 3550 §6.5)', () => {
  it('builds the mediasoup CNAME vector', () => {
    const s = SourceDescription.cname(0x9f65e742, 't7mkYnCm46OcINy/');
    expect(s.size()).toBe(28);
    expect(toHex(s.serialize())).toBe(rtcpSample('rtcp-sdes-cname').hex);
  });

  it('builds the libwebrtc NAME + CNAME vector', () => {
    const s = new SourceDescription([
      {
        ssrc: 0x12345678,
        items: [
          { type: SdesType.NAME, text: 'abc' },
          { type: SdesType.CNAME, text: 'de' },
        ],
      },
    ]);
    expect(toHex(s.serialize())).toBe(rtcpSample('rtcp-sdes-name-and-cname').hex);
    const [p] = parseRtcp(bytesOf(rtcpSample('rtcp-sdes-name-and-cname')));
    if (p?.kind !== 'sdes') throw new Error('not SDES');
    expect(p.getCname()).toBe('de');
    expect(p.getCname(0x12345678)).toBe('de');
    expect(p.getCname(1)).toBeUndefined();
  });

  it('round-trips every item type, PRIV prefixes, several chunks and UTF-8', () => {
    const s = new SourceDescription([
      {
        ssrc: 1,
        items: [
          { type: SdesType.CNAME, text: 'user@host' },
          { type: SdesType.NAME, text: 'Jöhn Dœ' },
          { type: SdesType.EMAIL, text: 'j@example.com' },
          { type: SdesType.PHONE, text: '+1 555 0100' },
          { type: SdesType.LOC, text: 'Glasgow' },
          { type: SdesType.TOOL, text: 'mdh' },
          { type: SdesType.NOTE, text: 'on the phone' },
          { type: SdesType.PRIV, prefix: 'x-key', text: 'value' },
        ],
      },
      { ssrc: 2, items: [] },
      { ssrc: 3, items: [{ type: SdesType.CNAME, text: 'abc' }] },
    ]);
    const bytes = s.serialize();
    expect(bytes.length % 4).toBe(0);
    expect(bytes.length).toBe(s.size());
    const [p] = parseRtcp(bytes);
    if (p?.kind !== 'sdes') throw new Error('not SDES');
    expect(p.chunks).toEqual(s.chunks);
    expect(toHex(p.serialize())).toBe(toHex(bytes));
  });

  it('rejects a chunk without its null terminator and an overrunning item', () => {
    // SC=1, item CNAME length 4 "abcd", no null octet before the end.
    const noNull = fromHex('81ca000200000001' + '0104' + '6162');
    expect((tryParseRtcp(noNull) as RtcpParseError).reason).toBe('truncated');
    const noTerm = fromHex('81ca0002000000010102616200'.slice(0, 24));
    expect((tryParseRtcp(noTerm) as RtcpParseError).reason).toBe('bad-sdes');
    const badPriv = fromHex('81ca00020000000108020500');
    expect((tryParseRtcp(badPriv) as RtcpParseError).reason).toBe('bad-sdes');
  });

  it('refuses items over 255 octets and the END type', () => {
    expect(() => SourceDescription.cname(1, 'x'.repeat(256)).serialize()).toThrow(RangeError);
    expect(() => new SourceDescription([{ ssrc: 1, items: [{ type: 0, text: '' }] }]).serialize()).toThrow(RangeError);
  });
});
