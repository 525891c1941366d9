import { toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import { ExtendedReport, parseRtcp, type RtcpParseError, tryParseRtcp, XrBlockType } from '../src/index.js';

describe('Extended Report (RFC 3611)', () => {
  it('encodes RRTR (BT 4) and DLRR (BT 5) blocks per §4.4 / §4.5', () => {
    const xr = new ExtendedReport(0x11223344, [
      ExtendedReport.rrtrBlock(0xe0000001, 0x80000000),
      ExtendedReport.dlrrBlock([{ ssrc: 0x55667788, lrr: 0x00018000, dlrr: 0x00000100 }]),
    ]);
    const hex = toHex(xr.serialize());
    // header: V=2 PT=207 length = (4 + 12 + 16)/4 - 1 + 1 = 8 words
    expect(hex).toBe(
      '80cf0008' +
        '11223344' +
        '04000002' +
        'e0000001' +
        '80000000' +
        '05000003' +
        '55667788' +
        '00018000' +
        '00000100',
    );
    const [p] = parseRtcp(xr.serialize());
    if (p?.kind !== 'xr') throw new Error('not XR');
    expect(p.blocks.length).toBe(2);
    expect(ExtendedReport.readRrtr(p.blocks[0]!)).toEqual({ ntpSeconds: 0xe0000001, ntpFraction: 0x80000000 });
    expect(ExtendedReport.readDlrr(p.blocks[1]!)).toEqual([{ ssrc: 0x55667788, lrr: 0x18000, dlrr: 0x100 }]);
    expect(ExtendedReport.readDlrr(p.blocks[0]!)).toBeUndefined();
  });

  it('passes unknown block types through unchanged', () => {
    const raw = Uint8Array.of(0x80, 207, 0, 3, 0, 0, 0, 9, XrBlockType.VOIP_METRICS, 7, 0, 1, 1, 2, 3, 4);
    const [p] = parseRtcp(raw);
    if (p?.kind !== 'xr') throw new Error('not XR');
    expect(p.blocks[0]).toEqual({ blockType: 7, typeSpecific: 7, body: Uint8Array.of(1, 2, 3, 4) });
    expect(toHex(p.serialize())).toBe(toHex(raw));
  });

  it('rejects an overrunning block', () => {
    const bad = Uint8Array.of(0x80, 207, 0, 2, 0, 0, 0, 9, 4, 0, 0, 2);
    expect((tryParseRtcp(bad) as RtcpParseError).reason).toBe('bad-xr');
  });
});
