import { ByteReader, BytesRangeError } from '@mdh/bytes';
import { AlertDescription } from '../constants.js';
import { DtlsError } from '../errors.js';

/** Runs a parser over `data`, turning truncation into decode_error and requiring every octet to be consumed. */
export function parseWith<T>(data: Uint8Array, what: string, fn: (r: ByteReader) => T): T {
  const r = new ByteReader(data);
  let v: T;
  try {
    v = fn(r);
  } catch (e) {
    if (e instanceof BytesRangeError) throw new DtlsError(`truncated ${what}`, AlertDescription.decodeError);
    throw e;
  }
  if (r.remaining !== 0) throw new DtlsError(`trailing bytes in ${what}`, AlertDescription.decodeError);
  return v;
}
