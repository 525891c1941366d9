/**
 * Codecs for the values of common RTP header extensions (to use with `RtpPacket.getExtension(id)` /
 * `setExtension(id, value)`; the ids are negotiated in SDP `a=extmap`, RFC 8285 §5).
 */
import { utf8Decode, utf8Encode } from '@mdh/bytes';

/** Well-known extension URIs as they appear in SDP `a=extmap`. */
export const EXTENSION_URIS = {
  audioLevel: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  absSendTime: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  transportWideCc: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  rid: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  repairedRid: 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
  toffset: 'urn:ietf:params:rtp-hdrext:toffset',
} as const;

/** Decoded RFC 6464 client-to-mixer audio level. */
export interface AudioLevel {
  /** V flag: the packet contains voice activity (when the extmap says `vad=on`). */
  voice: boolean;
  /** Level in -dBov, 0 (loudest) .. 127 (silence). */
  level: number;
}

/** Decodes an RFC 6464 §3 audio level value (first octet: V bit then 7-bit level). */
export function parseAudioLevel(value: Uint8Array): AudioLevel | undefined {
  if (value.length < 1) return undefined;
  const b = value[0]!;
  return { voice: (b & 0x80) !== 0, level: b & 0x7f };
}

/** Encodes an RFC 6464 audio level value (one octet). */
export function encodeAudioLevel(level: number, voice = false): Uint8Array {
  if (!Number.isInteger(level) || level < 0 || level > 127) throw new RangeError('audio level must be 0..127 -dBov');
  return Uint8Array.of((voice ? 0x80 : 0) | level);
}

/** Decodes abs-send-time: a 24-bit 6.18 fixed-point value in seconds; returns seconds (0 ≤ s < 64). */
export function parseAbsSendTime(value: Uint8Array): number | undefined {
  if (value.length < 3) return undefined;
  return ((value[0]! << 16) | (value[1]! << 8) | value[2]!) / 262144;
}

/** Encodes abs-send-time from a time in milliseconds (taken modulo 64 s) as 3 octets of 6.18 fixed point. */
export function encodeAbsSendTime(ms: number): Uint8Array {
  const v = Math.round(((((ms / 1000) % 64) + 64) % 64) * 262144) & 0xffffff;
  return Uint8Array.of(v >>> 16, (v >>> 8) & 0xff, v & 0xff);
}

/** Decodes the transport-wide sequence number (16 bits). */
export function parseTransportWideSeq(value: Uint8Array): number | undefined {
  if (value.length < 2) return undefined;
  return (value[0]! << 8) | value[1]!;
}

/** Encodes a transport-wide sequence number (2 octets). */
export function encodeTransportWideSeq(seq: number): Uint8Array {
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) throw new RangeError('transport-wide seq must be 0..65535');
  return Uint8Array.of(seq >>> 8, seq & 0xff);
}

/** Decodes an SDES-style string extension (MID RFC 8843, RID/repaired-RID RFC 8852) from UTF-8. */
export function parseSdesString(value: Uint8Array): string {
  return utf8Decode(value);
}

/** Encodes an SDES-style string extension (MID, RID) to UTF-8; 1..255 octets. */
export function encodeSdesString(s: string): Uint8Array {
  const b = utf8Encode(s);
  if (b.length < 1 || b.length > 255) throw new RangeError('MID/RID must encode to 1..255 octets');
  return b;
}

/** Decodes RFC 5450 transmission time offset: a signed 24-bit count of RTP timestamp units. */
export function parseTransmissionOffset(value: Uint8Array): number | undefined {
  if (value.length < 3) return undefined;
  return (((value[0]! << 16) | (value[1]! << 8) | value[2]!) << 8) >> 8;
}

/** Encodes an RFC 5450 transmission time offset (signed 24 bits). */
export function encodeTransmissionOffset(offset: number): Uint8Array {
  if (!Number.isInteger(offset) || offset < -0x800000 || offset > 0x7fffff)
    throw new RangeError('toffset out of range');
  const v = offset & 0xffffff;
  return Uint8Array.of(v >>> 16, (v >>> 8) & 0xff, v & 0xff);
}
