import type { SipRequest } from '../message/message.js';
import type { Uri } from '../uri/uri.js';
import { loopHash, type ProxyIdentity } from './routing.js';

/** What the proxy answers itself instead of forwarding a request (RFC 3261 §16.3). */
export interface ProxyRejection {
  status: number;
  reason?: string;
  headers?: [string, string][];
  /** The request looped back to us (§16.3 item 4). */
  loop?: boolean;
}

const SUPPORTED_SCHEMES = new Set(['sip', 'sips']);

/** Methods a proxy lists in `Allow` when it is the final recipient of a request (OPTIONS, RFC 3261 §11). */
export const PROXY_ALLOW: [string, string] = ['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER'];

/**
 * Request validation of a proxy (RFC 3261 §16.3 items 2–5; item 1, syntax, is the parser's; item 6,
 * Proxy-Authorization, the router's): a rejection to answer, or the request's loop hash (§16.6 item 8) when it
 * may be forwarded.
 */
export function validateProxyRequest(req: SipRequest, id: ProxyIdentity): ProxyRejection | string {
  // §16.3 item 2: a scheme we cannot route → 416.
  let ruri: Uri;
  try {
    ruri = req.requestUri;
  } catch {
    return { status: 400, reason: 'Bad Request (Request-URI)' };
  }
  if (!SUPPORTED_SCHEMES.has(ruri.scheme)) return { status: 416 };
  // §16.3 item 4: loop detection — our own Via with the same loop hash means the request came back unchanged.
  const hash = loopHash(req);
  if (id.looped(req, hash)) return { status: 482, loop: true };
  // §16.3 item 3: Max-Forwards 0 (the stack answered 483 to all but OPTIONS): we are the final recipient (§11).
  if (req.maxForwards === 0) return { status: 200, headers: [PROXY_ALLOW] };
  // §16.3 item 5: we support no extension that a proxy must understand.
  const pr = req.proxyRequire;
  if (pr.length) return { status: 420, headers: [['Unsupported', pr.join(', ')]] };
  return hash;
}
