import { ByteWriter } from '@mdh/bytes';
import { AlertDescription } from '../constants.js';
import { DtlsError } from '../errors.js';
import { parseWith } from './parse-util.js';

/** Certificate (RFC 5246 §7.4.2): `certificate_list<0..2^24-1>` of `ASN.1Cert<1..2^24-1>` (sender's first). */
export function parseCertificate(data: Uint8Array): Uint8Array[] {
  return parseWith(data, 'Certificate', (r) => {
    const total = r.u24();
    if (total !== r.remaining) throw new DtlsError('bad certificate_list length', AlertDescription.decodeError);
    const out: Uint8Array[] = [];
    while (r.remaining > 0) {
      const n = r.u24();
      if (n === 0) throw new DtlsError('empty certificate', AlertDescription.decodeError);
      out.push(r.bytes(n));
      if (out.length > 16) throw new DtlsError('certificate chain too long', AlertDescription.badCertificate);
    }
    return out;
  });
}

/** Serializes a Certificate body. */
export function serializeCertificate(chain: readonly Uint8Array[]): Uint8Array {
  const total = chain.reduce((a, c) => a + 3 + c.length, 0);
  const w = new ByteWriter(3 + total);
  w.u24(total);
  for (const c of chain) w.u24(c.length).bytes(c);
  return w.finish();
}
