import { fromHex, toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import {
  AppPacket,
  ExtendedReport,
  FeedbackPacket,
  FullIntraRequest,
  GenericNack,
  Goodbye,
  isRtcpPacket,
  PictureLossIndication,
  parseRtcp,
  ReceiverReport,
  Remb,
  RtcpParseError,
  rtcpCompoundSize,
  SenderReport,
  SourceDescription,
  serializeRtcp,
  serializeRtcpInto,
  tryParseRtcp,
  UnknownRtcpPacket,
  validateRtcpCompound,
} from '../src/index.js';
import { bytesOf, checkDecoded, rtcpSample, rtcpSamples } from './vectors.js';

describe('RTCP compound parsing against every sample vector', () => {
  for (const s of rtcpSamples) {
    it(`${s.id}: each sub-packet decodes as the vector says and the compound re-serialises byte-exact`, () => {
      const buf = bytesOf(s);
      expect(buf.length).toBe(s.length);
      const pkts = parseRtcp(buf);
      expect(pkts.length).toBe(s.decoded.length);
      let offset = 0;
      pkts.forEach((p, i) => {
        const d = s.decoded[i];
        expect(offset).toBe(d.offset);
        checkDecoded(p, d);
        offset += p.size();
      });
      expect(rtcpCompoundSize(pkts)).toBe(buf.length);
      expect(toHex(serializeRtcp(pkts))).toBe(s.hex);
      const out = new Uint8Array(buf.length + 8);
      expect(serializeRtcpInto(pkts, out, 4)).toBe(buf.length);
      expect(toHex(out.subarray(4, 4 + buf.length))).toBe(s.hex);
      expect(isRtcpPacket(buf)).toBe(true);
    });
  }
});

describe('RFC 3550 A.2 validity checks and RFC 5506 reduced size', () => {
  it('accepts compounds that start with SR/RR and have padding only at the end', () => {
    for (const id of ['rtcp-sr-one-block', 'rtcp-rr-one-block', 'rtcp-compound-real-rr-sdes-bye-pli-rrr-app']) {
      expect(validateRtcpCompound(bytesOf(rtcpSample(id)), { allowReducedSize: false })).toBeNull();
      expect(parseRtcp(bytesOf(rtcpSample(id)), { strict: true, allowReducedSize: false }).length).toBeGreaterThan(0);
    }
  });

  it('flags padding on a packet that is not the last (the rtp.js compound has P=1 on its BYE)', () => {
    const buf = bytesOf(rtcpSample('rtcp-compound-rr-sr-bye-unknown-sdes'));
    const e = validateRtcpCompound(buf);
    expect(e).toBeInstanceOf(RtcpParseError);
    expect(e!.reason).toBe('bad-padding');
    expect(e!.offset).toBe(108);
    expect(() => parseRtcp(buf, { strict: true })).toThrow(RtcpParseError);
    // Lenient parsing (the default) still reads it.
    expect(parseRtcp(buf).length).toBe(5);
  });

  it('accepts reduced-size RTCP (a lone feedback packet) unless told not to', () => {
    const pli = bytesOf(rtcpSample('rtcp-pli'));
    expect(validateRtcpCompound(pli)).toBeNull();
    expect(parseRtcp(pli, { strict: true })[0]!.kind).toBe('pli');
    const e = validateRtcpCompound(pli, { allowReducedSize: false });
    expect(e!.reason).toBe('bad-first-packet');
  });
});

describe('RTCP length and header errors are typed and never over-read', () => {
  const sr = rtcpSample('rtcp-sr-one-block').hex;
  const cases: [string, string, string, number][] = [
    ['empty', '', 'truncated', 0],
    ['3-octet fragment', '80c800', 'truncated', 0],
    ['version 1', '40c8000112345678', 'bad-version', 0],
    ['length overruns the datagram', '81c9000812345678', 'bad-length', 2],
    ['trailing fragment after a packet', `${sr}81c9`, 'truncated', 52],
    ['second packet overlong', `${sr}81c90007`, 'bad-length', 54],
    ['padding count 0', 'a0c9000112345600', 'bad-padding', 7],
    ['padding count too big', 'a0c9000112345609', 'bad-padding', 7],
  ];
  for (const [name, h, reason, offset] of cases) {
    it(name, () => {
      const buf = fromHex(h.length % 2 ? h.slice(0, -1) : h);
      const r = tryParseRtcp(buf);
      expect(r).toBeInstanceOf(RtcpParseError);
      expect((r as RtcpParseError).reason).toBe(reason);
      expect((r as RtcpParseError).offset).toBe(offset);
    });
  }

  it('RC larger than the packet holds is bad-count', () => {
    // RR with RC=2 but room for one block.
    const r = tryParseRtcp(fromHex('82c9000712345678234567893711121322232425333435364445464755565758'));
    expect((r as RtcpParseError).reason).toBe('bad-count');
  });

  it('limits the number of packets in a compound', () => {
    const bye = fromHex('80cb0000');
    const many = new Uint8Array(4 * 300);
    for (let i = 0; i < 300; i++) many.set(bye, 4 * i);
    expect((tryParseRtcp(many) as RtcpParseError).reason).toBe('too-many-packets');
    expect(parseRtcp(many, { maxPackets: 300 }).length).toBe(300);
  });

  it('demultiplexes RTP and RTCP by packet type (RFC 5761 §4)', () => {
    expect(isRtcpPacket(fromHex('806412346543127812345678'))).toBe(false);
    expect(isRtcpPacket(fromHex('80c8'))).toBe(true);
    expect(isRtcpPacket(fromHex('80df'))).toBe(true);
    expect(isRtcpPacket(fromHex('80e0'))).toBe(false);
    expect(isRtcpPacket(fromHex('80'))).toBe(false);
  });
});

describe('per-class parse(buf, offset)', () => {
  const cases: [string, { parse(b: Uint8Array, o?: number): { serialize(): Uint8Array } }][] = [
    ['rtcp-sr-no-blocks', SenderReport],
    ['rtcp-rr-one-block', ReceiverReport],
    ['rtcp-sdes-cname', SourceDescription],
    ['rtcp-bye-reason', Goodbye],
    ['rtcp-app', AppPacket],
    ['rtcp-nack', GenericNack],
    ['rtcp-pli', PictureLossIndication],
    ['rtcp-fir', FullIntraRequest],
    ['rtcp-remb', Remb],
    ['rtcp-twcc-capture', FeedbackPacket],
    ['rtcp-app', UnknownRtcpPacket],
  ];
  for (const [id, cls] of cases) {
    it(`${id} via its class`, () => {
      const s = rtcpSample(id);
      expect(toHex(cls.parse(bytesOf(s)).serialize())).toBe(s.hex);
      const shifted = fromHex(`deadbeef${s.hex}`);
      expect(toHex(cls.parse(shifted, 4).serialize())).toBe(s.hex);
    });
  }

  it('parses the first packet of a compound and refuses another type', () => {
    const c = bytesOf(rtcpSample('rtcp-compound-real-rr-sdes-bye-pli-rrr-app'));
    expect(ReceiverReport.parse(c).ssrc).toBe(0x902f9e2e);
    expect(SourceDescription.parse(c, 32).getCname()).toBe('{9c00eb92-1afb-9d49-a47d-91f64eee69f5}');
    const e = (() => {
      try {
        SenderReport.parse(c);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(RtcpParseError);
    expect((e as RtcpParseError).reason).toBe('wrong-type');
    expect(() => PictureLossIndication.parse(bytesOf(rtcpSample('rtcp-fir')))).toThrow(RtcpParseError);
    expect(() => Remb.parse(fromHex('8fce0003000000010000000041424344'))).toThrow(RtcpParseError);
    expect(() => FeedbackPacket.parse(c)).toThrow(RtcpParseError);
    expect(() => ExtendedReport.parse(c)).toThrow(RtcpParseError);
  });
});
