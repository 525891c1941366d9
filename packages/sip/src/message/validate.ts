import { SipParseError } from './errors.js';
import { SINGLETON_HEADERS } from './header-names.js';
import type { SipRequest } from './message.js';
import { KNOWN_METHODS } from './parse.js';
import { parseMediaType, parseSipDate } from './views.js';

/** Options of {@link validateRequest}: what this element supports. */
export interface ValidateOptions {
  /** Act as a proxy: check Proxy-Require and Max-Forwards 0 → 483 (RFC 3261 §16.3). Default false (UAS). */
  proxy?: boolean;
  /** Option tags this element supports (RFC 3261 §8.2.2.3). */
  supported?: readonly string[];
  /** Methods this element implements (default: RFC 3261 + common extensions) → 501 (§8.2.1). Proxies skip this. */
  methods?: readonly string[];
  /** URI schemes accepted in the Request-URI (default sip, sips, tel) → 416 (§8.2.2.1). */
  schemes?: readonly string[];
  /** Body types the UAS understands (default application/sdp) → 415 (§8.2.3). Proxies skip this. */
  contentTypes?: readonly string[];
  /** Whether the UAS would answer with a body of this type (checked against Accept → 406, §8.2.3/§21.4.7). */
  answerType?: string;
}

/** Why a request is refused: the status and reason phrase to answer, and headers to add (e.g. Unsupported). */
export interface RequestRejection {
  /** Status code to answer. */
  status: number;
  /** Reason phrase / explanation. */
  reason: string;
  /** Headers to include in the response (Unsupported for 420, Accept for 415). */
  headers: [string, string][];
  /** The parse error behind the rejection, when a typed view was malformed. */
  error?: SipParseError;
}

/**
 * Application-level checks a UAS or proxy makes on a syntactically valid request (RFC 3261 §8.2, §16.3):
 * mandatory headers, duplicated singleton headers, URI scheme, method, Require/Proxy-Require, body type,
 * Accept, Max-Forwards. Returns the rejection to send, or undefined when the request may be processed.
 * Typed views that are malformed also yield a 400.
 *
 * @example const rej = validateRequest(req); if (rej) send(createResponse(req, rej.status, { reason: rej.reason }));
 */
export function validateRequest(req: SipRequest, opts: ValidateOptions = {}): RequestRejection | undefined {
  try {
    return check(req, opts);
  } catch (e) {
    if (e instanceof SipParseError) return { status: e.status, reason: e.message, headers: [], error: e };
    throw e;
  }
}

function check(req: SipRequest, o: ValidateOptions): RequestRejection | undefined {
  const rej = (status: number, reason: string, headers: [string, string][] = []) => ({ status, reason, headers });
  // RFC 3261 §8.1.1: mandatory headers (Max-Forwards is not required of RFC 2543 peers, RFC 4475 §3.4.1)
  for (const h of ['To', 'From', 'CSeq', 'Call-ID', 'Via']) {
    if (!req.has(h)) return rej(400, `Missing ${h} header`);
  }
  for (const k of SINGLETON_HEADERS) {
    if (req.count(k) > 1) return rej(400, `Multiple ${k} headers`);
  }
  req.vias;
  req.from;
  req.to;
  req.contacts;
  req.routes;
  req.recordRoutes;
  // RFC 3261 §20.17: SIP-date is an RFC 1123 date in GMT (RFC 4475 §3.1.2.12)
  const date = req.get('date');
  if (date !== undefined) parseSipDate(date);
  const cseq = req.cseq;
  if (cseq && cseq.method !== req.method) {
    return rej(KNOWN_METHODS.has(req.method) ? 400 : 501, 'CSeq method does not match the request method');
  }
  const mf = req.maxForwards;
  const schemes = o.schemes ?? ['sip', 'sips', 'tel'];
  if (!schemes.includes(req.requestUri.scheme)) return rej(416, 'Unsupported URI Scheme');
  if (o.proxy) {
    if (mf === 0 && req.method !== 'OPTIONS') return rej(483, 'Too Many Hops');
    const unknown = req.proxyRequire.filter((t) => !(o.supported ?? []).includes(t));
    if (unknown.length > 0) return rej(420, 'Bad Extension', [['Unsupported', unknown.join(', ')]]);
    return undefined;
  }
  const methods = o.methods ?? [...KNOWN_METHODS];
  if (!methods.includes(req.method)) return rej(501, 'Not Implemented', [['Allow', methods.join(', ')]]);
  // RFC 3261 §8.2.2.3: Require (not for CANCEL / ACK)
  if (req.method !== 'CANCEL' && req.method !== 'ACK') {
    const unknown = req.require.filter((t) => !(o.supported ?? []).includes(t));
    if (unknown.length > 0) return rej(420, 'Bad Extension', [['Unsupported', unknown.join(', ')]]);
  }
  // RFC 3261 §8.2.3: body type
  if (req.body.length > 0) {
    const ct = req.contentType;
    const types = o.contentTypes ?? ['application/sdp'];
    if (!ct) return rej(400, 'Body without Content-Type');
    const t = `${ct.type}/${ct.subtype}`;
    if (!types.includes(t)) return rej(415, 'Unsupported Media Type', [['Accept', types.join(', ')]]);
  }
  // RFC 3261 §21.4.7: Accept excludes what we would answer with
  const accept = req.getAll('accept');
  const answer = o.answerType ?? (req.method === 'INVITE' ? 'application/sdp' : undefined);
  if (answer !== undefined && accept.length > 0 && !(accept.length === 1 && accept[0] === '')) {
    const ok = accept.some((a) => {
      const m = parseMediaType(a);
      return (
        (m.type === '*' || `${m.type}` === answer.split('/')[0]) &&
        (m.subtype === '*' || m.subtype === answer.split('/')[1])
      );
    });
    if (!ok) return rej(406, 'Not Acceptable');
  }
  return undefined;
}
