import { ByteWriter } from '@mdh/bytes';
import { AlertDescription } from '../constants.js';
import { DtlsError } from '../errors.js';
import { parseWith } from './parse-util.js';

/**
 * CertificateRequest (RFC 5246 §7.4.4): `certificate_types<1..2^8-1> supported_signature_algorithms<2..2^16-2>
 * certificate_authorities<0..2^16-1>`.
 */
export interface CertificateRequest {
  certificateTypes: number[];
  signatureSchemes: number[];
  authorities: Uint8Array[];
}

/** Certificate types (RFC 5246 §7.4.4, RFC 8422 §5.5). */
export const ClientCertificateType = { rsaSign: 1, ecdsaSign: 64 } as const;

/** Parses a CertificateRequest body. */
export function parseCertificateRequest(data: Uint8Array): CertificateRequest {
  return parseWith(data, 'CertificateRequest', (r) => {
    const nTypes = r.u8();
    if (nTypes < 1) throw new DtlsError('empty certificate_types', AlertDescription.decodeError);
    const certificateTypes: number[] = [];
    for (let i = 0; i < nTypes; i++) certificateTypes.push(r.u8());
    const sLen = r.u16();
    if (sLen % 2 !== 0 || sLen < 2)
      throw new DtlsError('bad supported_signature_algorithms', AlertDescription.decodeError);
    const signatureSchemes: number[] = [];
    for (let i = 0; i < sLen / 2; i++) signatureSchemes.push(r.u16());
    const aLen = r.u16();
    const end = r.remaining - aLen;
    if (end < 0) throw new DtlsError('bad certificate_authorities', AlertDescription.decodeError);
    const authorities: Uint8Array[] = [];
    while (r.remaining > end) authorities.push(r.bytes(r.u16()));
    return { certificateTypes, signatureSchemes, authorities };
  });
}

/** Serializes a CertificateRequest body. */
export function serializeCertificateRequest(m: CertificateRequest): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(m.certificateTypes.length);
  for (const t of m.certificateTypes) w.u8(t);
  w.u16(m.signatureSchemes.length * 2);
  for (const s of m.signatureSchemes) w.u16(s);
  const slot = w.reserve(2);
  for (const a of m.authorities) w.u16(a.length).bytes(a);
  w.patchU16(slot, w.since(slot));
  return w.finish();
}
