import { AlertDescription } from '../constants.js';
import { DtlsError } from '../errors.js';

/** Finished (RFC 5246 §7.4.9): `verify_data[12]` (verify_data_length is 12 for every suite here). */
export function parseFinished(data: Uint8Array): Uint8Array {
  if (data.length !== 12) throw new DtlsError('bad Finished length', AlertDescription.decodeError);
  return data;
}

/** Serializes a Finished body (the verify_data itself). */
export function serializeFinished(verifyData: Uint8Array): Uint8Array {
  return verifyData.slice();
}
