import { fromHex, toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import { RtpPacket, RtpParseError } from '../src/index.js';
import { bytesOf, hex32, rtpSamples } from './vectors.js';

describe('RtpPacket against the RFC 3550 / RFC 8285 sample vectors', () => {
  for (const s of rtpSamples) {
    if (s.expect_error) {
      it(`rejects ${s.id} (${s.expect_error})`, () => {
        const buf = bytesOf(s);
        expect(() => RtpPacket.parse(buf)).toThrow(RtpParseError);
        const r = RtpPacket.tryParse(buf);
        expect(r).toBeInstanceOf(RtpParseError);
        expect((r as RtpParseError).reason).toBe('bad-padding');
        expect((r as RtpParseError).offset).toBe(buf.length - 1);
      });
      continue;
    }
    it(`decodes ${s.id} field by field and re-serialises it byte-exact`, () => {
      const buf = bytesOf(s);
      expect(buf.length).toBe(s.length);
      const d = s.decoded;
      const p = RtpPacket.parse(buf);
      expect(p.version).toBe(d.version);
      expect(p.paddingLength > 0).toBe(d.padding);
      expect(p.hasExtension).toBe(d.extension);
      expect(p.csrcs.length).toBe(d.csrc_count);
      expect(p.marker).toBe(d.marker);
      expect(p.payloadType).toBe(d.payload_type);
      expect(p.sequenceNumber).toBe(d.sequence_number);
      expect(p.timestamp).toBe(d.timestamp);
      expect(hex32(p.ssrc)).toBe(d.ssrc);
      expect(p.csrcs.map(hex32)).toEqual(d.csrcs);
      expect(p.headerLength).toBe(d.header_length);
      expect(toHex(p.payload)).toBe(d.payload);
      expect(p.payloadLength).toBe(d.payload.length / 2);
      expect(p.paddingLength).toBe(d.padding_length);
      const ext = d.header_extension;
      if (ext === null) {
        expect(p.extensionProfile).toBeNull();
        expect(p.getExtensions()).toEqual([]);
      } else {
        expect(p.extensionProfile!.toString(16).padStart(4, '0')).toBe(ext.profile);
        expect(p.extensionData.length).toBe(ext.length_words * 4);
        const els = p.getExtensions().map((e) => ({ id: e.id, length: e.value.length, value: toHex(e.value) }));
        expect(els).toEqual(ext.elements);
        for (const e of ext.elements) expect(toHex(p.getExtension(e.id)!)).toBe(e.value);
        if (ext.data !== undefined) expect(toHex(p.extensionData)).toBe(ext.data);
      }
      // Zero-copy: the payload is a view on the input.
      expect(p.payload.buffer).toBe(buf.buffer);
      expect(p.size()).toBe(buf.length);
      expect(toHex(p.serialize())).toBe(s.hex);
      const into = new Uint8Array(buf.length + 10);
      expect(p.serializeInto(into, 5)).toBe(buf.length);
      expect(toHex(into.subarray(5, 5 + buf.length))).toBe(s.hex);
    });
  }

  it('mutating fields of a parsed packet and re-serialising works', () => {
    const s = rtpSamples.find((x) => x.id === 'rtp-csrc-ext-payload-padding')!;
    const p = RtpPacket.parse(bytesOf(s));
    p.sequenceNumber = 65535;
    p.timestamp = 0xfffffffe;
    p.marker = true;
    p.payloadType = 0;
    p.ssrc = 0xdeadbeef;
    p.csrcs = [1];
    p.payload = fromHex('0102030405');
    p.paddingLength = 4;
    const q = RtpPacket.parse(p.serialize());
    expect(q.sequenceNumber).toBe(65535);
    expect(q.timestamp).toBe(0xfffffffe);
    expect(q.marker).toBe(true);
    expect(q.payloadType).toBe(0);
    expect(q.ssrc).toBe(0xdeadbeef);
    expect(q.csrcs).toEqual([1]);
    expect(toHex(q.payload)).toBe('0102030405');
    expect(q.paddingLength).toBe(4);
    expect(toHex(q.getExtension(1)!)).toBe('0056ce');
    // New padding is zeros followed by the count (RFC 3550 §5.1).
    expect(toHex(p.serialize().subarray(-4))).toBe('00000004');
  });

  it('builds packets from fields', () => {
    const p = new RtpPacket({ payloadType: 100, sequenceNumber: 4660, timestamp: 1698894456, ssrc: 0x12345678 });
    expect(p.size()).toBe(12);
    expect(toHex(p.serialize())).toBe('806412346543127812345678');
    const q = new RtpPacket({
      payloadType: 100,
      sequenceNumber: 4660,
      timestamp: 1698894456,
      ssrc: 0x12345678,
      csrcs: [0x34567890, 0x32435465],
      extensions: [{ id: 1, value: fromHex('0056ce') }],
      payload: fromHex('7061796c6f6164'),
      paddingLength: 8,
    });
    // Same fields as libwebrtc kPacket, but our padding octets are zeros + count.
    expect(toHex(q.serialize())).toBe(
      'b264123465431278123456783456789032435465bede0001120056ce7061796c6f61640000000000000008',
    );
  });

  it('writes RFC 8285 one-byte elements and switches to two-byte when needed', () => {
    const p = new RtpPacket({ payloadType: 100, sequenceNumber: 4660, timestamp: 1698894456, ssrc: 0x12345678 });
    p.setExtension(1, fromHex('0056ce')).setExtension(9, fromHex('da'));
    // The libwebrtc kPacketWithTOAndAL sample.
    expect(toHex(p.serialize())).toBe('906412346543127812345678bede0002120056ce90da0000');
    p.removeExtension(9);
    p.setExtension(240, fromHex('0056ce'));
    // Two-byte form (0x1000) with ids 1 and 240.
    const q = RtpPacket.parse(p.serialize());
    expect(q.extensionProfile).toBe(0x1000);
    expect(toHex(q.getExtension(240)!)).toBe('0056ce');
    expect(toHex(q.getExtension(1)!)).toBe('0056ce');
    expect(q.removeExtension(240)).toBe(true);
    expect(q.removeExtension(240)).toBe(false);
    // A zero-length element requires the two-byte form.
    q.setExtension(3, new Uint8Array(0));
    const r = RtpPacket.parse(q.serialize());
    expect(r.extensionProfile).toBe(0x1000);
    expect(r.getExtension(3)!.length).toBe(0);
    r.clearExtension();
    expect(r.hasExtension).toBe(false);
    expect(r.serialize().length).toBe(12);
  });

  it('keeps a generic RFC 3550 extension opaque and can replace it', () => {
    const p = new RtpPacket({ ssrc: 1 });
    p.setGenericExtension(0x0001, fromHex('ffffffff'));
    p.payload = fromHex('9836be889e');
    p.marker = true;
    p.payloadType = 96;
    p.sequenceNumber = 27023;
    p.timestamp = 3653407706;
    p.ssrc = 0x1c642782;
    expect(toHex(p.serialize())).toBe('90e0698fd9c293da1c64278200010001ffffffff9836be889e');
    expect(p.getExtension(1)).toBeUndefined();
    expect(p.removeExtension(1)).toBe(false);
    expect(() => p.setGenericExtension(1, new Uint8Array(3))).toThrow(RangeError);
  });

  it('rejects malformed packets with typed errors and offsets', () => {
    const cases: [string, string, number][] = [
      ['', 'truncated', 0],
      ['80641234654312781234', 'truncated', 0],
      ['406412346543127812345678', 'bad-version', 0],
      ['c06412346543127812345678', 'bad-version', 0],
      ['826412346543127812345678', 'truncated', 12], // CC=2 without CSRCs
      ['906412346543127812345678', 'truncated', 12], // X=1 without extension header
      ['906412346543127812345678bede0002120056ce', 'truncated', 12], // extension overruns
      ['a06412346543127812345678', 'bad-padding', 11], // P=1, count 0x78 > 0 octets left
    ];
    for (const [h, reason, offset] of cases) {
      const r = RtpPacket.tryParse(fromHex(h));
      expect(r).toBeInstanceOf(RtpParseError);
      expect((r as RtpParseError).reason).toBe(reason);
      expect((r as RtpParseError).offset).toBe(offset);
    }
  });

  it('validates fields on construction and serialisation', () => {
    expect(() => new RtpPacket({ payloadType: 128 })).toThrow(RangeError);
    expect(() => new RtpPacket({ sequenceNumber: 65536 })).toThrow(RangeError);
    expect(() => new RtpPacket({ csrcs: new Array(16).fill(1) })).toThrow(RangeError);
    const p = new RtpPacket();
    p.timestamp = -1;
    expect(() => p.serialize()).toThrow(RangeError);
    const q = new RtpPacket({ payload: new Uint8Array(10) });
    expect(() => q.serializeInto(new Uint8Array(21))).toThrow(RangeError);
    expect(q.serializeInto(new Uint8Array(22))).toBe(22);
    expect(() => p.setExtension(0, new Uint8Array(1))).toThrow(RangeError);
    expect(() => p.setExtension(1, new Uint8Array(256))).toThrow(RangeError);
  });

  it('clone() owns its bytes', () => {
    const buf = bytesOf(rtpSamples[0]!);
    const p = RtpPacket.parse(buf);
    const c = p.clone();
    buf[2] = 0;
    expect(c.sequenceNumber).toBe(4660);
    expect(toHex(c.serialize())).toBe(rtpSamples[0]!.hex);
  });
});
