import { AlertDescription } from '../constants.js';
import { DtlsError } from '../errors.js';

/** Alert (RFC 5246 §7.2): `level(1) description(1)`. */
export interface Alert {
  level: number;
  description: number;
}

/** Parses an Alert record body. */
export function parseAlert(data: Uint8Array): Alert {
  if (data.length !== 2) throw new DtlsError('bad alert length', AlertDescription.decodeError);
  return { level: data[0]!, description: data[1]! };
}

/** Serializes an Alert record body. */
export function serializeAlert(a: Alert): Uint8Array {
  return Uint8Array.of(a.level, a.description);
}
