import { ByteWriter } from '@mdh/bytes';
import { AlertDescription } from '../constants.js';
import { DtlsError } from '../errors.js';
import { type Extension, parseExtensions, writeExtensions } from './extensions.js';
import { parseWith } from './parse-util.js';

/**
 * ClientHello (RFC 6347 §4.2.1, RFC 5246 §7.4.1.2):
 * `client_version(2) random(32) session_id<0..32> cookie<0..2^8-1> cipher_suites<2..2^16-2>
 *  compression_methods<1..2^8-1> extensions<0..2^16-1>`.
 */
export interface ClientHello {
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cookie: Uint8Array;
  cipherSuites: number[];
  compressionMethods: number[];
  extensions: Extension[];
}

/** Parses a ClientHello body. */
export function parseClientHello(data: Uint8Array): ClientHello {
  return parseWith(data, 'ClientHello', (r) => {
    const version = r.u16();
    const random = r.bytes(32);
    const sid = r.u8();
    if (sid > 32) throw new DtlsError('session_id too long', AlertDescription.decodeError);
    const sessionId = r.bytes(sid);
    const cookie = r.bytes(r.u8());
    const csLen = r.u16();
    if (csLen < 2 || csLen % 2 !== 0) throw new DtlsError('bad cipher_suites', AlertDescription.decodeError);
    const cipherSuites: number[] = [];
    for (let i = 0; i < csLen / 2; i++) cipherSuites.push(r.u16());
    const cmLen = r.u8();
    if (cmLen < 1) throw new DtlsError('bad compression_methods', AlertDescription.decodeError);
    const compressionMethods: number[] = [];
    for (let i = 0; i < cmLen; i++) compressionMethods.push(r.u8());
    const extensions = r.remaining > 0 ? parseExtensions(r) : [];
    return { version, random, sessionId, cookie, cipherSuites, compressionMethods, extensions };
  });
}

/** Serializes a ClientHello body. */
export function serializeClientHello(m: ClientHello): Uint8Array {
  const w = new ByteWriter(256);
  w.u16(m.version).bytes(m.random).u8(m.sessionId.length).bytes(m.sessionId).u8(m.cookie.length).bytes(m.cookie);
  w.u16(m.cipherSuites.length * 2);
  for (const c of m.cipherSuites) w.u16(c);
  w.u8(m.compressionMethods.length);
  for (const c of m.compressionMethods) w.u8(c);
  if (m.extensions.length > 0) writeExtensions(w, m.extensions);
  return w.finish();
}
