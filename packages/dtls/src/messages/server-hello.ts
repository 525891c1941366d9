import { ByteWriter } from '@mdh/bytes';
import { AlertDescription } from '../constants.js';
import { DtlsError } from '../errors.js';
import { type Extension, parseExtensions, writeExtensions } from './extensions.js';
import { parseWith } from './parse-util.js';

/**
 * ServerHello (RFC 5246 §7.4.1.3):
 * `server_version(2) random(32) session_id<0..32> cipher_suite(2) compression_method(1) extensions<0..2^16-1>`.
 */
export interface ServerHello {
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions: Extension[];
}

/** Parses a ServerHello body. */
export function parseServerHello(data: Uint8Array): ServerHello {
  return parseWith(data, 'ServerHello', (r) => {
    const version = r.u16();
    const random = r.bytes(32);
    const sid = r.u8();
    if (sid > 32) throw new DtlsError('session_id too long', AlertDescription.decodeError);
    const sessionId = r.bytes(sid);
    const cipherSuite = r.u16();
    const compressionMethod = r.u8();
    const extensions = r.remaining > 0 ? parseExtensions(r) : [];
    return { version, random, sessionId, cipherSuite, compressionMethod, extensions };
  });
}

/** Serializes a ServerHello body. */
export function serializeServerHello(m: ServerHello): Uint8Array {
  const w = new ByteWriter(128);
  w.u16(m.version).bytes(m.random).u8(m.sessionId.length).bytes(m.sessionId).u16(m.cipherSuite).u8(m.compressionMethod);
  if (m.extensions.length > 0) writeExtensions(w, m.extensions);
  return w.finish();
}
