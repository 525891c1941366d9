import { ByteWriter } from '@mdh/bytes';
import { AlertDescription } from '../constants.js';
import { DtlsError } from '../errors.js';
import { parseWith } from './parse-util.js';

/**
 * ServerKeyExchange for ECDHE (RFC 8422 §5.4): `ServerECDHParams { curve_type(1)=named_curve(3), namedcurve(2),
 * point<1..2^8-1> }` then a TLS 1.2 `digitally-signed` struct `{ SignatureAndHashAlgorithm(2), signature<0..2^16-1> }`.
 * The signature covers `client_random || server_random || ServerECDHParams`.
 */
export interface ServerKeyExchange {
  group: number;
  publicKey: Uint8Array;
  signatureScheme: number;
  signature: Uint8Array;
  /** The ServerECDHParams bytes (what was signed after the two randoms). */
  params: Uint8Array;
}

/** Serializes ServerECDHParams. */
export function serializeEcdhParams(group: number, publicKey: Uint8Array): Uint8Array {
  return new ByteWriter(4 + publicKey.length).u8(3).u16(group).u8(publicKey.length).bytes(publicKey).finish();
}

/** Parses a ServerKeyExchange body. */
export function parseServerKeyExchange(data: Uint8Array): ServerKeyExchange {
  return parseWith(data, 'ServerKeyExchange', (r) => {
    const curveType = r.u8();
    if (curveType !== 3) throw new DtlsError('only named_curve is supported', AlertDescription.handshakeFailure);
    const group = r.u16();
    const publicKey = r.bytes(r.u8());
    if (publicKey.length === 0) throw new DtlsError('empty ECDH point', AlertDescription.decodeError);
    const params = data.subarray(0, 4 + publicKey.length);
    const signatureScheme = r.u16();
    const signature = r.bytes(r.u16());
    return { group, publicKey, signatureScheme, signature, params };
  });
}

/** Serializes a ServerKeyExchange body. */
export function serializeServerKeyExchange(
  params: Uint8Array,
  signatureScheme: number,
  signature: Uint8Array,
): Uint8Array {
  return new ByteWriter(params.length + 4 + signature.length)
    .bytes(params)
    .u16(signatureScheme)
    .u16(signature.length)
    .bytes(signature)
    .finish();
}
