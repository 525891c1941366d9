import { AlertDescription } from '../constants.js';
import { DtlsError, decodeError } from '../errors.js';

/** Handshake header length in DTLS (RFC 6347 §4.2.2). */
export const HANDSHAKE_HEADER_LENGTH = 12;

/**
 * One handshake fragment (RFC 6347 §4.2.2):
 * `msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3) body`.
 */
export interface HandshakeFragment {
  msgType: number;
  length: number;
  messageSeq: number;
  fragmentOffset: number;
  fragmentLength: number;
  /** View of the fragment bytes. */
  body: Uint8Array;
}

/** Parses every handshake fragment in one record's plaintext (several may share a record). */
export function parseHandshakeFragments(data: Uint8Array): HandshakeFragment[] {
  const out: HandshakeFragment[] = [];
  let off = 0;
  while (off < data.length) {
    if (data.length - off < HANDSHAKE_HEADER_LENGTH) decodeError('handshake header');
    const d = data;
    const msgType = d[off]!;
    const length = (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!;
    const messageSeq = (d[off + 4]! << 8) | d[off + 5]!;
    const fragmentOffset = (d[off + 6]! << 16) | (d[off + 7]! << 8) | d[off + 8]!;
    const fragmentLength = (d[off + 9]! << 16) | (d[off + 10]! << 8) | d[off + 11]!;
    if (fragmentOffset + fragmentLength > length) {
      throw new DtlsError('handshake fragment past message end', AlertDescription.decodeError);
    }
    const start = off + HANDSHAKE_HEADER_LENGTH;
    if (start + fragmentLength > data.length) decodeError('handshake fragment length');
    out.push({
      msgType,
      length,
      messageSeq,
      fragmentOffset,
      fragmentLength,
      body: d.subarray(start, start + fragmentLength),
    });
    off = start + fragmentLength;
  }
  return out;
}

/** Writes a handshake header into `out` at `off`. */
export function writeHandshakeHeader(
  out: Uint8Array,
  off: number,
  msgType: number,
  length: number,
  messageSeq: number,
  fragmentOffset: number,
  fragmentLength: number,
): void {
  out[off] = msgType;
  out[off + 1] = (length >> 16) & 0xff;
  out[off + 2] = (length >> 8) & 0xff;
  out[off + 3] = length & 0xff;
  out[off + 4] = (messageSeq >> 8) & 0xff;
  out[off + 5] = messageSeq & 0xff;
  out[off + 6] = (fragmentOffset >> 16) & 0xff;
  out[off + 7] = (fragmentOffset >> 8) & 0xff;
  out[off + 8] = fragmentOffset & 0xff;
  out[off + 9] = (fragmentLength >> 16) & 0xff;
  out[off + 10] = (fragmentLength >> 8) & 0xff;
  out[off + 11] = fragmentLength & 0xff;
}

/**
 * Serializes one handshake fragment. With the defaults it is the whole message as it enters the transcript
 * (RFC 6347 §4.2.6: the hash covers each message as if sent in a single fragment).
 */
export function serializeHandshake(
  msgType: number,
  messageSeq: number,
  body: Uint8Array,
  fragmentOffset = 0,
  fragmentLength = body.length - fragmentOffset,
): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_HEADER_LENGTH + fragmentLength);
  writeHandshakeHeader(out, 0, msgType, body.length, messageSeq, fragmentOffset, fragmentLength);
  out.set(body.subarray(fragmentOffset, fragmentOffset + fragmentLength), HANDSHAKE_HEADER_LENGTH);
  return out;
}
