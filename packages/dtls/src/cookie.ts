import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ClientHello } from './messages/client-hello.js';

/** Cookie length in octets (RFC 6347 §4.2.1 allows up to 255). */
export const COOKIE_LENGTH = 20;

/**
 * Stateless HelloVerifyRequest cookie (RFC 6347 §4.2.1): `HMAC-SHA256(secret, peer || client_version || random ||
 * session_id || cipher_suites || compression_methods)` truncated to 20 octets. The server keeps no state between
 * the HelloVerifyRequest and the second ClientHello.
 */
export function computeCookie(secret: Uint8Array, peer: string, ch: ClientHello): Uint8Array {
  const h = createHmac('sha256', secret);
  h.update(peer);
  h.update(Uint8Array.of(0, ch.version >> 8, ch.version & 0xff));
  h.update(ch.random);
  h.update(Uint8Array.of(ch.sessionId.length));
  h.update(ch.sessionId);
  for (const c of ch.cipherSuites) h.update(Uint8Array.of(c >> 8, c & 0xff));
  h.update(Uint8Array.from(ch.compressionMethods));
  return new Uint8Array(h.digest().subarray(0, COOKIE_LENGTH));
}

/** Checks a cookie in constant time. */
export function verifyCookie(secret: Uint8Array, peer: string, ch: ClientHello): boolean {
  if (ch.cookie.length !== COOKIE_LENGTH) return false;
  return timingSafeEqual(computeCookie(secret, peer, ch), ch.cookie);
}
