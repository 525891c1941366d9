import { isToken } from '../uri/chars.js';
import type { parseUri } from '../uri/uri.js';
import { SipParseError } from './errors.js';
import { HeaderCursor, readHeaders } from './header-loop.js';
import { type SipMessage, SipRequest, SipResponse } from './message.js';
import { latin1, latin1ToUtf8, NodeBuffer, nativeLatin1, utf8Enc } from './text.js';

export { latin1, latin1ToUtf8 } from './text.js';

/** Options of {@link parseMessage}. */
export interface ParseOptions {
  /**
   * `datagram` (default, RFC 3261 §18.3): a missing Content-Length means "to the end of the datagram",
   * a shorter body is an error and extra octets are ignored. `stream`: the input is exactly one framed
   * message; a missing Content-Length is an error (400, reason `missing-content-length`).
   */
  transport?: 'datagram' | 'stream';
  /**
   * Validate eagerly what the transaction and dialog layers read (the Request-URI, Via, From, To, Call-ID,
   * CSeq and its method, Max-Forwards, Contact). Default true. Other views (Route, Record-Route, Date...)
   * are checked when read and by {@link validateRequest}. With false only the framing is checked and
   * the typed views throw lazily when read.
   */
  strict?: boolean;
  /** Largest header section accepted in octets (default 65536) → 413 beyond. */
  maxHeaderBytes?: number;
  /** Largest body accepted in octets (default 16 MiB) → 413 beyond. */
  maxBodyBytes?: number;
  /** Largest number of header values (default 512) → 413 beyond. */
  maxHeaders?: number;
}

/** Methods defined by RFC 3261 and its extensions (an unknown method with a bad CSeq answers 501). */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'REGISTER',
  'OPTIONS',
  'INFO',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'UPDATE',
  'MESSAGE',
  'REFER',
  'PUBLISH',
]);

const HIGH = /[\x80-\xff]/;
const CRLFCRLF = '\r\n\r\n';

/**
 * Finds the end of the header section: returns [index of the empty line's first octet, body start],
 * or undefined. Accepts CRLF (RFC 3261 §7) and, liberally, bare LF line ends.
 * @internal
 */
export function findHeaderEnd(b: Uint8Array, from: number, to: number): [number, number] | undefined {
  let i = from;
  while (i < to) {
    const n = b.indexOf(10, i);
    if (n < 0 || n >= to) return undefined;
    // n is a LF; the next line is empty if followed by LF or CRLF
    const a = b[n + 1];
    if (a === 10) return [n + 1, n + 2];
    if (a === 13 && b[n + 2] === 10) return [n + 1, n + 3];
    i = n + 1;
  }
  return undefined;
}

/**
 * Parses one SIP message from bytes (or a string, encoded as UTF-8). Throws {@link SipParseError} with a
 * reason, the offset and the status a server should answer (400, 413, 501, 505).
 *
 * RFC 3261 §7 (message format), §7.3 (header fields, folding, compact forms, comma lists),
 * §18.3 (Content-Length framing), §25 (ABNF).
 *
 * @example
 * const m = parseMessage('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n...\r\n\r\n');
 */
export function parseMessage(input: Uint8Array | string, opts: ParseOptions = {}): SipMessage {
  const b = typeof input === 'string' ? utf8Enc.encode(input) : input;
  const maxHeaderBytes = opts.maxHeaderBytes ?? 65536;
  // RFC 3261 §7.5: ignore CRLFs before the start line
  let start = 0;
  while (start < b.length && (b[start] === 13 || b[start] === 10)) start++;
  if (start >= b.length) throw new SipParseError('empty', 'empty message', start);
  const limit = Math.min(b.length, start + maxHeaderBytes + 4);
  // fast path: one native Latin-1 decode (no Buffer object) of at most the largest header section; the
  // header loop finds the empty line (CRLF or bare LF) itself, so there is no separate search
  let head: string;
  if (nativeLatin1 !== undefined) head = nativeLatin1.call(b, start, limit);
  else {
    const he = findHeaderEnd(b, start, limit);
    if (!he) headerEndError(b, start, maxHeaderBytes);
    // the section and its empty line: the loop finds the end itself
    head = latin1(b, start, he[1]);
  }
  let cur: HeaderCursor;
  let plain: boolean;
  try {
    const eol = head.indexOf('\n');
    if (eol < 0) headerEndError(b, start, maxHeaderBytes);
    const msg = parseStartLine(head.charCodeAt(eol - 1) === 13 ? head.slice(0, eol - 1) : head.slice(0, eol), start);
    cur = new HeaderCursor(msg, head, head.length, start, opts.maxHeaders ?? 512, b);
    plain = isPlain(head);
    readHeaders(cur, eol + 1, plain);
  } catch (e) {
    // an error in a section that never ends is reported as such (a truncated message)
    if (!findHeaderEnd(b, start, limit)) headerEndError(b, start, maxHeaderBytes);
    throw e;
  }
  if (cur.emptyLine < 0) headerEndError(b, start, maxHeaderBytes);
  const msg = cur.msg;
  msg.body = bodyOf(b, cur, opts, start);
  msg._h = head;
  msg._o = cur.offs;
  if (opts.strict !== false) {
    // the views may scan the input octets only while we own them (the caller may reuse the buffer)
    if (plain) {
      msg._u = b;
      msg._ub = start;
    }
    try {
      validateSyntax(msg);
    } finally {
      msg._u = undefined;
    }
  }
  return msg;
}

/**
 * Whether the header section in `head` is pure ASCII (no UTF-8 to decode): then every line may take the
 * fast path. The decoded text may run on into the body: a non-ASCII body only costs a search for the end.
 */
function isPlain(head: string): boolean {
  if (NodeBuffer === undefined) return !HIGH.test(head);
  if (NodeBuffer.byteLength(head, 'utf8') === head.length) return true;
  let e = head.indexOf(CRLFCRLF);
  if (e < 0) e = head.length;
  return NodeBuffer.byteLength(head.slice(0, e), 'utf8') === e;
}

/** The body by Content-Length (RFC 3261 §18.3, §20.14), cached for the `contentLength` view. */
function bodyOf(b: Uint8Array, cur: HeaderCursor, opts: ParseOptions, start: number): Uint8Array {
  const cl = contentLengthOf(cur.msg, start);
  const bodyStart = cur.bodyStart;
  const avail = b.length - bodyStart;
  let len: number;
  if (cl < 0) {
    // RFC 3261 §18.3: "The Content-Length header field MUST be used with stream oriented transports"
    if (opts.transport === 'stream')
      throw new SipParseError('missing-content-length', 'Content-Length is mandatory on stream transports', start);
    len = avail;
  } else {
    if (cl > avail) {
      throw new SipParseError('body-truncated', `body has ${avail} octets but Content-Length says ${cl}`, b.length);
    }
    len = cl;
  }
  if (len > (opts.maxBodyBytes ?? 16 * 1024 * 1024))
    throw new SipParseError('body-too-large', 'body too large', bodyStart, 413);
  cur.msg._cache().cl = cl < 0 ? null : cl;
  return b.subarray(bodyStart, bodyStart + len);
}

/** Content-Length (RFC 3261 §20.14): 1*DIGIT, every value equal; -1 when absent. */
function contentLengthOf(msg: SipMessage, start: number): number {
  const keys = msg._k;
  const values = msg._v;
  let cl = -1;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] !== 'content-length') continue;
    const v = values[i]!;
    let n = 0;
    if (v.length === 0 || v.length > 10) n = -1;
    for (let j = 0; j < v.length && n >= 0; j++) {
      const ch = v.charCodeAt(j);
      if (ch < 48 || ch > 57) n = -1;
      else n = n * 10 + (ch - 48);
    }
    if (n < 0) throw new SipParseError('bad-content-length', `malformed Content-Length '${v.slice(0, 20)}'`, start);
    if (cl >= 0 && n !== cl)
      throw new SipParseError('content-length-conflict', 'several different Content-Length values', start);
    cl = n;
  }
  return cl;
}

/** The request or status line (RFC 3261 §7.1, §7.2), without its line end. */
function parseStartLine(line0: string, start: number): SipMessage {
  if (line0.charCodeAt(0) === 83 && line0.startsWith('SIP/')) return parseStatusLine(line0, start);
  const sp1 = line0.indexOf(' ');
  const sp2 = line0.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 === sp1)
    throw new SipParseError('bad-request-line', `malformed request line '${line0.slice(0, 80)}'`, start);
  const method = line0.slice(0, sp1);
  let uri = line0.slice(sp1 + 1, sp2);
  // as header values: octets ≥ 0x80 are read as UTF-8 (the serialiser writes UTF-8), so that a non-ASCII
  // Request-URI (accepted when not strict) survives parse → serialize → parse unchanged
  if (HIGH.test(uri)) uri = latin1ToUtf8(uri);
  const version = line0.slice(sp2 + 1);
  if (!isToken(method)) throw new SipParseError('bad-method', `method is not a token: '${method.slice(0, 40)}'`, start);
  if (line0.indexOf(' ', sp1 + 1) !== sp2 || uri.indexOf('\t') >= 0) {
    throw new SipParseError(
      'bad-request-line',
      'Request-URI contains whitespace or the request line has extra spaces',
      start + sp1 + 1,
    );
  }
  if (uri.length === 0) throw new SipParseError('bad-request-line', 'empty Request-URI', start + sp1 + 1);
  checkVersion(version, start + sp2 + 1, true);
  return new SipRequest(method, uri, 'SIP/2.0');
}

/** `SIP-Version SP Status-Code SP Reason-Phrase` (RFC 3261 §7.2). */
function parseStatusLine(line0: string, start: number): SipResponse {
  const sp1 = line0.indexOf(' ');
  if (sp1 < 0) throw new SipParseError('bad-status-line', `malformed status line '${line0.slice(0, 80)}'`, start);
  checkVersion(line0.slice(0, sp1), start, false);
  const sp2 = line0.indexOf(' ', sp1 + 1);
  const code = sp2 < 0 ? line0.slice(sp1 + 1) : line0.slice(sp1 + 1, sp2);
  const c0 = code.charCodeAt(0);
  const c1 = code.charCodeAt(1);
  const c2 = code.charCodeAt(2);
  if (code.length !== 3 || c0 < 49 || c0 > 54 || c1 < 48 || c1 > 57 || c2 < 48 || c2 > 57) {
    throw new SipParseError(
      'bad-status-code',
      `status code must be 100..699, got '${code.slice(0, 20)}'`,
      start + sp1 + 1,
    );
  }
  let reason = sp2 < 0 ? '' : line0.slice(sp2 + 1);
  if (HIGH.test(reason)) reason = latin1ToUtf8(reason);
  return new SipResponse((c0 - 48) * 100 + (c1 - 48) * 10 + (c2 - 48), reason, 'SIP/2.0');
}

/** Like {@link parseMessage} but returns the error instead of throwing (hot paths). */
export function tryParseMessage(input: Uint8Array | string, opts?: ParseOptions): SipMessage | SipParseError {
  try {
    return parseMessage(input, opts);
  } catch (e) {
    if (e instanceof SipParseError) return e;
    return new SipParseError('internal', e instanceof Error ? e.message : String(e));
  }
}

function headerEndError(b: Uint8Array, start: number, maxHeaderBytes: number): never {
  if (b.length - start > maxHeaderBytes)
    throw new SipParseError('headers-too-large', 'header section too large', start, 413);
  throw new SipParseError('no-header-end', 'header section not terminated by an empty line', b.length);
}

function checkVersion(v: string, off: number, req: boolean): void {
  if (v === 'SIP/2.0') return;
  const m = /^SIP\/(\d+)\.(\d+)$/i.exec(v);
  if (!m)
    throw new SipParseError(
      req ? 'bad-request-line' : 'bad-status-line',
      `malformed SIP-Version '${v.slice(0, 20)}'`,
      off,
    );
  if (Number(m[1]) !== 2 || Number(m[2]) !== 0) {
    throw new SipParseError('version-not-supported', `SIP-Version ${v} not supported`, off, 505);
  }
}

/** Whether a record has an own key (no array allocated, unlike Object.keys). */
function hasKeys(o: Record<string, string>): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
}

/** Eager checks of the core headers (RFC 3261 §8.1.1, §20, §25). Populates the view cache. */
function validateSyntax(msg: SipMessage): void {
  const isReq = msg.kind === 'request';
  let ruri: ReturnType<typeof parseUri> | undefined;
  if (isReq) {
    const req = msg as SipRequest;
    ruri = req.requestUri;
    // RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11)
    if (ruri.kind === 'sip' && hasKeys(ruri.headers)) {
      throw new SipParseError('request-uri-headers', 'Request-URI must not contain headers', -1);
    }
  }
  msg.vias;
  msg.from;
  msg.to;
  msg.callId;
  const cseq = msg.cseq;
  msg.maxForwards;
  msg.contacts;
  msg._eagerRoutes();
  if (isReq && cseq) {
    const req = msg as SipRequest;
    if (cseq.method !== req.method) {
      const known = KNOWN_METHODS.has(req.method);
      throw new SipParseError(
        'cseq-method-mismatch',
        `CSeq method ${cseq.method} does not match request method ${req.method.slice(0, 40)}`,
        -1,
        known ? 400 : 501,
      );
    }
  }
}
