import { formatUri, type Uri } from '../uri/uri.js';
import { SipRequest, SipResponse } from './message.js';

/** A source of random bytes (injectable for reproducible tests). */
export type RandomBytes = (n: number) => Uint8Array;

/** Default random source: Web Crypto (`globalThis.crypto.getRandomValues`). */
export const cryptoRandom: RandomBytes = (n) => {
  const b = new Uint8Array(n);
  globalThis.crypto.getRandomValues(b);
  return b;
};

const ALPHA = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomToken(n: number, random: RandomBytes): string {
  const b = random(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHA[(b[i] ?? 0) % 36];
  return s;
}

/** The RFC 3261 §8.1.1.7 magic cookie every branch starts with. */
export const BRANCH_MAGIC = 'z9hG4bK';

/** A new Via branch: `z9hG4bK` + 16 random token characters (RFC 3261 §8.1.1.7). */
export function newBranch(random: RandomBytes = cryptoRandom): string {
  return BRANCH_MAGIC + randomToken(16, random);
}

/** A new From/To tag: 10 random token characters (≥ 32 bits of randomness, RFC 3261 §19.3). */
export function newTag(random: RandomBytes = cryptoRandom): string {
  return randomToken(10, random);
}

/** A new Call-ID: 20 random characters, optionally `@host` (RFC 3261 §8.1.1.4). */
export function newCallId(host?: string, random: RandomBytes = cryptoRandom): string {
  const id = randomToken(20, random);
  return host ? `${id}@${host}` : id;
}

/** Options of {@link createRequest}. */
export interface CreateRequestOptions {
  /** Method token (INVITE, REGISTER...). */
  method: string;
  /** Request-URI. */
  uri: string | Uri;
  /** From header value (`"Alice" <sip:alice@x>;tag=abc`). A tag is added when absent. */
  from: string;
  /** To header value. */
  to: string;
  /** Call-ID (default: {@link newCallId}). */
  callId?: string;
  /** CSeq number (default 1); the CSeq method is the request method. */
  cseq?: number;
  /** Via value(s), top first (the transport layer usually adds the top Via). */
  via?: string | readonly string[];
  /** Max-Forwards (default 70, RFC 3261 §8.1.1.6). */
  maxForwards?: number;
  /** Contact value(s). */
  contact?: string | readonly string[];
  /** Route value(s). */
  route?: readonly string[];
  /** Extra headers, in order. */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** Body (strings are UTF-8 encoded). */
  body?: Uint8Array | string;
  /** Content-Type of the body. */
  contentType?: string;
  /** Random source for the tag and Call-ID. */
  random?: RandomBytes;
}

/**
 * Builds a request with the mandatory headers of RFC 3261 §8.1.1 (To, From, CSeq, Call-ID,
 * Max-Forwards, and Via when given).
 *
 * @example createRequest({ method: 'OPTIONS', uri: 'sip:bob@example.com', from: '<sip:alice@example.com>', to: '<sip:bob@example.com>' })
 */
export function createRequest(o: CreateRequestOptions): SipRequest {
  const random = o.random ?? cryptoRandom;
  const req = new SipRequest(o.method, typeof o.uri === 'string' ? o.uri : formatUri(o.uri));
  if (o.via !== undefined) for (const v of typeof o.via === 'string' ? [o.via] : o.via) req.add('Via', v);
  req.add('Max-Forwards', o.maxForwards ?? 70);
  for (const r of o.route ?? []) req.add('Route', r);
  req.add('From', /;\s*tag\s*=/i.test(o.from) ? o.from : `${o.from};tag=${newTag(random)}`);
  req.add('To', o.to);
  req.add('Call-ID', o.callId ?? newCallId(undefined, random));
  req.add('CSeq', `${o.cseq ?? 1} ${o.method}`);
  if (o.contact !== undefined)
    for (const c of typeof o.contact === 'string' ? [o.contact] : o.contact) req.add('Contact', c);
  for (const [n, v] of o.headers ?? []) req.add(n, v);
  if (o.body !== undefined) req.setBody(o.body, o.contentType);
  else if (o.contentType !== undefined) req.set('Content-Type', o.contentType);
  return req;
}

/** Reason phrases of RFC 3261 §21 and common extensions. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  199: 'Early Dialog Terminated',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  580: 'Precondition Failure',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

/** Options of {@link createResponse}. */
export interface CreateResponseOptions {
  /** Reason phrase (default from {@link REASON_PHRASES}). */
  reason?: string;
  /** To tag to add when the request's To has none (RFC 3261 §8.2.6.2; not for 100). */
  toTag?: string;
  /** Extra headers. */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** Body. */
  body?: Uint8Array | string;
  /** Content-Type of the body. */
  contentType?: string;
}

/**
 * Builds a response to `req` per RFC 3261 §8.2.6: copies every Via (in order), From, To, Call-ID and
 * CSeq, Timestamp for 100 (§8.2.6.1), Record-Route for 101–299 (§12.1.1); adds the To tag when given.
 *
 * @example createResponse(req, 180, { toTag: newTag() })
 */
export function createResponse(req: SipRequest, status: number, opts: CreateResponseOptions = {}): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699)
    throw new RangeError(`status ${status} is not 100..699`);
  const res = new SipResponse(status, opts.reason ?? REASON_PHRASES[status] ?? '');
  for (const v of req.getAll('via')) res.add('Via', v);
  if (status > 100 && status < 300) for (const v of req.getAll('record-route')) res.add('Record-Route', v);
  const from = req.get('from');
  if (from !== undefined) res.add('From', from);
  const to = req.get('to');
  if (to !== undefined) {
    const hasTag = /;\s*tag\s*=/i.test(to.replace(/"(?:[^"\\]|\\.)*"|<[^>]*>/g, ''));
    res.add('To', opts.toTag !== undefined && !hasTag && status !== 100 ? `${to};tag=${opts.toTag}` : to);
  }
  const cid = req.get('call-id');
  if (cid !== undefined) res.add('Call-ID', cid);
  const cseq = req.get('cseq');
  if (cseq !== undefined) res.add('CSeq', cseq);
  if (status === 100) {
    const ts = req.get('timestamp');
    if (ts !== undefined) res.add('Timestamp', ts);
  }
  for (const [n, v] of opts.headers ?? []) res.add(n, v);
  if (opts.body !== undefined) res.setBody(opts.body, opts.contentType);
  return res;
}
