import { fromHex, toHex } from '@mdh/bytes';
import { describe, expect, it } from 'vitest';
import {
  encodeAbsSendTime,
  encodeAudioLevel,
  encodeSdesString,
  encodeTransmissionOffset,
  encodeTransportWideSeq,
  findExtensionElement,
  parseAbsSendTime,
  parseAudioLevel,
  parseExtensionElements,
  parseSdesString,
  parseTransmissionOffset,
  parseTransportWideSeq,
  RtpPacket,
  RtpParseError,
} from '../src/index.js';
import { bytesOf, rtpSamples } from './vectors.js';

const sample = (id: string) => RtpPacket.parse(bytesOf(rtpSamples.find((s) => s.id === id)!));

describe('RFC 8285 element walking', () => {
  it('skips padding octets and stops at the reserved id 15 (one-byte form, §4.2)', () => {
    // pad, id 1 (1 octet), pad, pad, id 15 → stop; the octets after it are ignored.
    const block = fromHex('00' + '10aa' + '0000' + 'f0' + '20bb');
    expect(parseExtensionElements(0xbede, block, 0, block.length)).toEqual([{ id: 1, value: fromHex('aa') }]);
    expect(findExtensionElement(0xbede, block, 0, block.length, 2)).toBeUndefined();
  });

  it('reports a malformed block as RtpParseError, and lookups return what precedes the fault', () => {
    const bad = fromHex('10aa' + '3f');
    expect(() => parseExtensionElements(0xbede, bad, 0, bad.length)).toThrow(RtpParseError);
    expect(toHex(findExtensionElement(0xbede, bad, 0, bad.length, 1)!)).toBe('aa');
    const bad2 = fromHex('0105aa');
    expect(() => parseExtensionElements(0x1000, bad2, 0, bad2.length)).toThrow(RtpParseError);
    const p = RtpPacket.parse(fromHex('906400010000000000000001bede0001' + '3faabbcc'));
    expect(() => p.getExtensions()).toThrow(RtpParseError);
    expect(p.getExtension(3)).toBeUndefined();
  });

  it('accepts two-byte appbits 0x100X and keeps them when re-encoding', () => {
    const p = RtpPacket.parse(fromHex('906400010000000000000001' + '10050001' + '0101aa00'));
    expect(p.extensionProfile).toBe(0x1005);
    expect(toHex(p.getExtension(1)!)).toBe('aa');
    p.setExtension(2, fromHex('bb'));
    expect(RtpPacket.parse(p.serialize()).extensionProfile).toBe(0x1005);
  });
});

describe('issue #14 item 9: ID 0 is padding, not an element (RFC 8285 §4.2)', () => {
  it('an ID-0 octet with a non-zero length nibble is skipped as one padding octet', () => {
    // 0x05 = ID 0 with L=5: padding; then id 1 (1 octet 0xaa), then padding.
    const block = fromHex('05' + '10aa' + '00');
    expect(parseExtensionElements(0xbede, block, 0, block.length)).toEqual([{ id: 1, value: fromHex('aa') }]);
    expect(findExtensionElement(0xbede, block, 0, block.length, 0)).toBeUndefined();
  });

  it('setExtension on a received packet with ID-0 octets does not throw and round-trips', () => {
    const p = RtpPacket.parse(fromHex('906400010000000000000001bede0001' + '0f10aa00' + 'c0ffee'));
    expect(p.getExtensions()).toEqual([{ id: 1, value: fromHex('aa') }]);
    expect(() => p.setExtension(2, fromHex('bbcc'))).not.toThrow();
    const q = RtpPacket.parse(p.serialize());
    expect(q.getExtensions()).toEqual([
      { id: 1, value: fromHex('aa') },
      { id: 2, value: fromHex('bbcc') },
    ]);
    expect(q.extensionProfile).toBe(0xbede);
    expect(toHex(q.payload)).toBe('c0ffee');
  });

  it('two-byte form: ID 0 octets are padding too', () => {
    const p = RtpPacket.parse(fromHex('906400010000000000000001100000020000' + '0102aabb' + '0000'));
    expect(p.getExtensions()).toEqual([{ id: 1, value: fromHex('aabb') }]);
    p.setExtension(20, fromHex('01'));
    expect(RtpPacket.parse(p.serialize()).getExtension(20)).toEqual(fromHex('01'));
  });

  it('editing a packet whose block is malformed keeps the elements before the fault instead of throwing', () => {
    const p = RtpPacket.parse(fromHex('906400010000000000000001bede0001' + '10aa3fcc'));
    expect(() => p.getExtensions()).toThrow(RtpParseError);
    expect(() => p.setExtension(5, fromHex('dd'))).not.toThrow();
    expect(RtpPacket.parse(p.serialize()).getExtensions()).toEqual([
      { id: 1, value: fromHex('aa') },
      { id: 5, value: fromHex('dd') },
    ]);
  });
});

describe('extension value codecs', () => {
  it('audio level (RFC 6464): the libwebrtc sample carries V=1, level 90', () => {
    const p = sample('rtp-one-byte-ext-toffset-audiolevel');
    expect(parseAudioLevel(p.getExtension(9)!)).toEqual({ voice: true, level: 90 });
    expect(toHex(encodeAudioLevel(90, true))).toBe('da');
    expect(toHex(encodeAudioLevel(127))).toBe('7f');
    expect(() => encodeAudioLevel(128)).toThrow(RangeError);
    expect(parseAudioLevel(new Uint8Array(0))).toBeUndefined();
  });

  it('transmission time offset (RFC 5450): 0x0056ce = 22222, signed 24 bits', () => {
    const p = sample('rtp-one-byte-ext-toffset-audiolevel');
    expect(parseTransmissionOffset(p.getExtension(1)!)).toBe(22222);
    expect(toHex(encodeTransmissionOffset(22222))).toBe('0056ce');
    expect(parseTransmissionOffset(encodeTransmissionOffset(-5))).toBe(-5);
    expect(() => encodeTransmissionOffset(0x800000)).toThrow(RangeError);
  });

  it('MID (RFC 8843): the libwebrtc sample says "mid"', () => {
    const p = sample('rtp-one-byte-ext-mid');
    expect(parseSdesString(p.getExtension(11)!)).toBe('mid');
    expect(toHex(encodeSdesString('mid'))).toBe('6d6964');
    expect(() => encodeSdesString('')).toThrow(RangeError);
  });

  it('abs-send-time: 6.18 fixed-point seconds', () => {
    const p = sample('rtp-capture-one-byte-ext');
    const v = p.getExtension(2)!;
    expect(parseAbsSendTime(v)).toBeCloseTo(0xf34350 / 262144, 12);
    expect(toHex(encodeAbsSendTime(1500))).toBe('060000');
    expect(toHex(encodeAbsSendTime(64_000 + 250))).toBe('010000');
    expect(parseAbsSendTime(encodeAbsSendTime(12_345))).toBeCloseTo(12.345, 5);
  });

  it('transport-wide sequence number', () => {
    const p = sample('rtp-capture-one-byte-ext');
    expect(parseTransportWideSeq(p.getExtension(4)!)).toBe(0x009b);
    expect(toHex(encodeTransportWideSeq(65535))).toBe('ffff');
    expect(() => encodeTransportWideSeq(65536)).toThrow(RangeError);
    expect(parseTransportWideSeq(fromHex('01'))).toBeUndefined();
  });
});
