import { toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import { rtcpParseRr, rtcpRr, rtpHeader, rtpPacket, rtpParse, rtpSeqNext, seedBuiltins } from '../src/index.js';
import { rtcpSample } from './vectors.js';

describe('mdhavers seed parity: stdlib/rtp (SPEC §13.6)', () => {
  it('rtp_header builds version 2, CC, marker and PT', () => {
    expect(toHex(rtpHeader(4660, 1698894456, 0x12345678, 100, 0))).toBe('806412346543127812345678');
    expect(toHex(rtpHeader(1, 2, 3))).toBe('800000010000000200000003');
    expect(toHex(rtpHeader(1, 2, 3, 0, 1, [5, 6]))).toBe('828000010000000200000003' + '0000000500000006');
    // marker % 2, payload_type % 128, floats truncated
    expect(toHex(rtpHeader(1, 2, 3, 228, 3).subarray(0, 2))).toBe('80e4');
    expect(toHex(rtpHeader(1.9, 2, 3).subarray(2, 4))).toBe('0001');
    expect(rtpHeader(0, 0, 0, 0, 0, new Array(20).fill(1)).length).toBe(12 + 60);
  });

  it('rtp_header: a bool marker is a type error, range checks of the write builtins apply', () => {
    expect(() => rtpHeader(1, 2, 3, 0, true as unknown as number)).toThrow(TypeError);
    expect(() => rtpHeader(65536, 2, 3)).toThrow(RangeError);
    expect(() => rtpHeader(1, 2 ** 32, 3)).toThrow(RangeError);
    expect(() => rtpHeader(1, 2, -1)).toThrow(RangeError);
  });

  it('rtp_packet appends bytes or the UTF-8 of a string', () => {
    expect(toHex(rtpPacket('hi', 1, 2, 3))).toBe('800000010000000200000003' + '6869');
    expect(toHex(rtpPacket(Uint8Array.of(9), 1, 2, 3, 8, 1))).toBe('808800010000000200000003' + '09');
  });

  it('rtp_parse returns the spec keys in order and does not interpret X/P/version', () => {
    const r = rtpParse(rtpPacket(Uint8Array.of(1, 2, 3), 65535, 7, 9, 96, 1, [42]));
    expect(Object.keys(r)).toEqual([
      'ok',
      'version',
      'padding',
      'extension',
      'csrc_count',
      'marker',
      'payload_type',
      'seq',
      'timestamp',
      'ssrc',
      'header_len',
      'csrcs',
      'payload',
    ]);
    expect(r).toMatchObject({
      ok: true,
      version: 2,
      padding: false,
      extension: false,
      csrc_count: 1,
      marker: true,
      payload_type: 96,
      seq: 65535,
      timestamp: 7,
      ssrc: 9,
      header_len: 16,
      csrcs: [42],
    });
    if (r.ok) expect(toHex(r.payload)).toBe('010203');
    // Version 1 with X and P set: reported as is; the extension stays in the payload.
    const odd = rtpParse(Uint8Array.of(0x70, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0, 0, 1));
    expect(odd).toMatchObject({ ok: true, version: 1, padding: true, extension: true, header_len: 12 });
    if (odd.ok) expect(odd.payload.length).toBe(5);
  });

  it('rtp_parse errors', () => {
    expect(rtpParse(new Uint8Array(11))).toEqual({ ok: false, error: 'rtp packet too short', len: 11 });
    expect(rtpParse(Uint8Array.of(0x82, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1))).toEqual({
      ok: false,
      error: 'rtp header too short',
      len: 13,
    });
  });

  it('rtp_seq_next wraps', () => {
    expect(rtpSeqNext(0)).toBe(1);
    expect(rtpSeqNext(65535)).toBe(0);
    expect(seedBuiltins.rtp_seq_next(65534)).toBe(65535);
  });
});

describe('mdhavers seed parity: stdlib/rtcp (SPEC §13.7)', () => {
  it('rtcp_rr builds the libwebrtc RR vector', () => {
    const b = rtcpRr(0x12345678, [
      {
        ssrc: 0x23456789,
        fraction_lost: 55,
        cumulative_lost: 0x111213,
        highest_seq: 0x22232425,
        jitter: 0x33343536,
        lsr: 0x44454647,
        dlsr: 0x55565758,
      },
    ]);
    expect(toHex(b)).toBe(rtcpSample('rtcp-rr-one-block').hex);
    expect(toHex(rtcpRr(7))).toBe('80c9000100000007');
    // Missing keys read as 0.
    expect(toHex(rtcpRr(1, [{}]).subarray(8))).toBe('00'.repeat(24));
    // A negative cumulative_lost keeps its sign through %, so the u32 write fails as in the reference.
    expect(() => rtcpRr(1, [{ cumulative_lost: -1 }])).toThrow(RangeError);
    expect(rtcpRr(1, new Array(40).fill({})).length).toBe(8 + 31 * 24);
  });

  it('rtcp_parse_rr decodes a leading RR with keys in order', () => {
    const r = rtcpParseRr(
      rtcpRr(0x12345678, [
        { ssrc: 1, fraction_lost: 2, cumulative_lost: 3, highest_seq: 4, jitter: 5, lsr: 6, dlsr: 7 },
      ]),
    );
    expect(r).toEqual({
      ok: true,
      version: 2,
      padding: false,
      count: 1,
      packet_type: 201,
      length: 32,
      ssrc: 0x12345678,
      reports: [{ ssrc: 1, fraction_lost: 2, cumulative_lost: 3, highest_seq: 4, jitter: 5, lsr: 6, dlsr: 7 }],
    });
    if (r.ok) {
      expect(Object.keys(r)).toEqual(['ok', 'version', 'padding', 'count', 'packet_type', 'length', 'ssrc', 'reports']);
      expect(Object.keys(r.reports[0]!)).toEqual([
        'ssrc',
        'fraction_lost',
        'cumulative_lost',
        'highest_seq',
        'jitter',
        'lsr',
        'dlsr',
      ]);
    }
  });

  it('rtcp_parse_rr errors, and stops at the length when the count claims more (the reference hangs)', () => {
    expect(rtcpParseRr(new Uint8Array(7))).toEqual({ ok: false, error: 'rtcp packet too short', len: 7 });
    expect(rtcpParseRr(Uint8Array.of(0x80, 200, 0, 1, 0, 0, 0, 0))).toEqual({
      ok: false,
      error: 'not RTCP RR',
      packet_type: 200,
    });
    expect(rtcpParseRr(Uint8Array.of(0x80, 201, 0, 2, 0, 0, 0, 0))).toEqual({
      ok: false,
      error: 'rtcp length mismatch',
      len: 8,
      expected: 12,
    });
    const lying = rtcpRr(1, [{ ssrc: 9 }]);
    lying[0] = 0x80 | 31;
    const r = rtcpParseRr(lying);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.count).toBe(31);
      expect(r.reports.length).toBe(1);
    }
  });
});
