import { ByteWriter } from '@mdh/bytes';
import { parseWith } from './parse-util.js';

/** HelloVerifyRequest (RFC 6347 §4.2.1): `server_version(2) cookie<0..2^8-1>`. */
export interface HelloVerifyRequest {
  version: number;
  cookie: Uint8Array;
}

/** Parses a HelloVerifyRequest body. */
export function parseHelloVerifyRequest(data: Uint8Array): HelloVerifyRequest {
  return parseWith(data, 'HelloVerifyRequest', (r) => {
    const version = r.u16();
    const cookie = r.bytes(r.u8());
    return { version, cookie };
  });
}

/** Serializes a HelloVerifyRequest body. */
export function serializeHelloVerifyRequest(m: HelloVerifyRequest): Uint8Array {
  return new ByteWriter(3 + m.cookie.length).u16(m.version).u8(m.cookie.length).bytes(m.cookie).finish();
}
