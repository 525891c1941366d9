import { ContentType, DTLS_1_0, HandshakeType } from './constants.js';
import { computeCookie, verifyCookie } from './cookie.js';
import { DtlsError } from './errors.js';
import { parseClientHello } from './messages/client-hello.js';
import { parseHandshakeFragments, serializeHandshake } from './messages/handshake-header.js';
import { serializeHelloVerifyRequest } from './messages/hello-verify-request.js';
import { parseRecords, serializePlainRecord } from './record.js';

/** What a server should do with a datagram from a peer it holds no state for. */
export type HelloVerifyDecision =
  | { action: 'accept'; clientRandom: Uint8Array }
  | { action: 'reply'; datagram: Uint8Array }
  | { action: 'drop'; reason: string };

/**
 * The stateless half of the cookie exchange (RFC 6347 §4.2.1), for servers that allocate an engine only once a peer
 * proved it receives at its address: a ClientHello without a valid cookie gets a HelloVerifyRequest (same record
 * sequence number) and no state; a ClientHello with a valid cookie is accepted; anything else is dropped.
 */
export function statelessHelloVerify(datagram: Uint8Array, secret: Uint8Array, peerId: string): HelloVerifyDecision {
  const { records } = parseRecords(datagram);
  const rec = records[0];
  if (!rec || rec.type !== ContentType.handshake || rec.epoch !== 0)
    return { action: 'drop', reason: 'not a ClientHello' };
  try {
    const f = parseHandshakeFragments(rec.fragment)[0];
    if (!f || f.msgType !== HandshakeType.clientHello) return { action: 'drop', reason: 'not a ClientHello' };
    if (f.fragmentOffset !== 0 || f.fragmentLength !== f.length)
      return { action: 'drop', reason: 'fragmented ClientHello' };
    const ch = parseClientHello(f.body);
    if (verifyCookie(secret, peerId, ch)) return { action: 'accept', clientRandom: ch.random };
    const hvr = serializeHelloVerifyRequest({ version: DTLS_1_0, cookie: computeCookie(secret, peerId, ch) });
    const hs = serializeHandshake(HandshakeType.helloVerifyRequest, f.messageSeq, hvr);
    return { action: 'reply', datagram: serializePlainRecord(ContentType.handshake, 0, rec.seq, hs, DTLS_1_0) };
  } catch (e) {
    if (e instanceof DtlsError) return { action: 'drop', reason: e.message };
    throw e;
  }
}
