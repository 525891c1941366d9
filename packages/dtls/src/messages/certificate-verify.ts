import { ByteWriter } from '@mdh/bytes';
import { parseWith } from './parse-util.js';

/**
 * CertificateVerify (RFC 5246 §7.4.8): a `digitally-signed` struct `{ SignatureAndHashAlgorithm(2),
 * signature<0..2^16-1> }` over every handshake message so far.
 */
export interface DigitallySigned {
  signatureScheme: number;
  signature: Uint8Array;
}

/** Parses a CertificateVerify body. */
export function parseCertificateVerify(data: Uint8Array): DigitallySigned {
  return parseWith(data, 'CertificateVerify', (r) => {
    const signatureScheme = r.u16();
    const signature = r.bytes(r.u16());
    return { signatureScheme, signature };
  });
}

/** Serializes a CertificateVerify body. */
export function serializeCertificateVerify(m: DigitallySigned): Uint8Array {
  return new ByteWriter(4 + m.signature.length)
    .u16(m.signatureScheme)
    .u16(m.signature.length)
    .bytes(m.signature)
    .finish();
}
