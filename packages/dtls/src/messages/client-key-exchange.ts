import { ByteWriter } from '@mdh/bytes';
import { AlertDescription } from '../constants.js';
import { DtlsError } from '../errors.js';
import { parseWith } from './parse-util.js';

/** ClientKeyExchange for ECDHE (RFC 8422 §5.7): `ClientECDiffieHellmanPublic { point<1..2^8-1> }`. */
export function parseClientKeyExchange(data: Uint8Array): Uint8Array {
  return parseWith(data, 'ClientKeyExchange', (r) => {
    const p = r.bytes(r.u8());
    if (p.length === 0) throw new DtlsError('empty ECDH point', AlertDescription.decodeError);
    return p;
  });
}

/** Serializes a ClientKeyExchange body. */
export function serializeClientKeyExchange(publicKey: Uint8Array): Uint8Array {
  return new ByteWriter(1 + publicKey.length).u8(publicKey.length).bytes(publicKey).finish();
}
