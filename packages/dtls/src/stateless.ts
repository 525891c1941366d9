import { ContentType, DTLS_1_0, HandshakeType } from './constants.js';
import { computeCookie, verifyCookie } from './cookie.js';
import { DtlsError } from './errors.js';
import { parseClientHello } from './messages/client-hello.js';
import { parseHandshakeFragments, serializeHandshake } from './messages/handshake-header.js';
import { serializeHelloVerifyRequest } from './messages/hello-verify-request.js';
import { type DtlsRecord, parseRecords, serializePlainRecord } from './record.js';

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
    let body = f.body;
    if (f.fragmentOffset !== 0 || f.fragmentLength !== f.length) {
      // A fragmented ClientHello (RFC 6347 §4.2.3) is answered statelessly only when all its fragments share this
      // datagram; a server keeps no state for a peer before the cookie exchange.
      const whole = reassembleInDatagram(records, f.messageSeq, f.length);
      if (!whole) return { action: 'drop', reason: 'fragmented ClientHello' };
      body = whole;
    }
    const ch = parseClientHello(body);
    if (verifyCookie(secret, peerId, ch)) return { action: 'accept', clientRandom: ch.random };
    const hvr = serializeHelloVerifyRequest({ version: DTLS_1_0, cookie: computeCookie(secret, peerId, ch) });
    const hs = serializeHandshake(HandshakeType.helloVerifyRequest, f.messageSeq, hvr);
    return { action: 'reply', datagram: serializePlainRecord(ContentType.handshake, 0, rec.seq, hs, DTLS_1_0) };
  } catch (e) {
    if (e instanceof DtlsError) return { action: 'drop', reason: e.message };
    throw e;
  }
}

const MAX_CLIENT_HELLO = 16384;

/** Joins the ClientHello fragments of message `seq` found in one datagram's epoch-0 records; undefined if a gap. */
function reassembleInDatagram(records: readonly DtlsRecord[], seq: number, length: number): Uint8Array | undefined {
  if (length > MAX_CLIENT_HELLO) return undefined;
  const buf = new Uint8Array(length);
  const have = new Uint8Array(length);
  let got = 0;
  for (const r of records) {
    if (r.type !== ContentType.handshake || r.epoch !== 0) continue;
    for (const f of parseHandshakeFragments(r.fragment)) {
      if (f.msgType !== HandshakeType.clientHello || f.messageSeq !== seq || f.length !== length) continue;
      buf.set(f.body, f.fragmentOffset);
      for (let i = f.fragmentOffset; i < f.fragmentOffset + f.fragmentLength; i++) {
        if (have[i] === 0) {
          have[i] = 1;
          got++;
        }
      }
    }
  }
  return got === length ? buf : undefined;
}
