import { isToken, TOKEN } from '../uri/chars.js';
import type { parseUri } from '../uri/uri.js';
import { SipParseError } from './errors.js';
import {
  COMPACT_FORMS,
  canonicalForKey,
  EAGER_SPLIT,
  headerKey,
  KNOWN_HEADER_KEYS,
  LIST_HEADERS,
} from './header-names.js';
import { type SipMessage, SipRequest, SipResponse } from './message.js';
import { splitList } from './scan.js';

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

const NodeBuffer = (
  globalThis as unknown as {
    Buffer?: {
      from(
        b: ArrayBufferLike,
        o: number,
        l: number,
      ): { latin1Slice(s: number, e: number): string; indexOf(s: string, from: number): number };
      byteLength(s: string, enc: 'utf8'): number;
    };
  }
).Buffer;
/** Node's native Latin-1 decoder, called directly on a Uint8Array (no Buffer object per message). */
const nativeLatin1 = (
  NodeBuffer as unknown as { prototype?: { latin1Slice?: (this: Uint8Array, s: number, e: number) => string } }
)?.prototype?.latin1Slice;
const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Enc = new TextEncoder();

/** Decodes bytes as Latin-1 (one char per octet). @internal */
export function latin1(b: Uint8Array, start: number, end: number): string {
  if (nativeLatin1 !== undefined) return nativeLatin1.call(b, start, end);
  let r = '';
  for (let i = start; i < end; i += 8192) {
    r += String.fromCharCode.apply(null, Array.from(b.subarray(i, Math.min(end, i + 8192))));
  }
  return r;
}

/** Re-reads a Latin-1 string holding UTF-8 octets as UTF-8 (kept as Latin-1 when not valid UTF-8). @internal */
export function latin1ToUtf8(s: string): string {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  try {
    return utf8Fatal.decode(b);
  } catch {
    return s;
  }
}

const HIGH = /[\x80-\xff]/;

const CRLFCRLF = '\r\n\r\n';

interface NameInfo {
  key: string;
  name: string;
  list: boolean;
  /** lower-case spelling this entry matches ('' for uncached names) */
  lname: string;
}

const BY_LENGTH: [string, NameInfo][][] = [];
/** Same, indexed by length * 128 + first char code. */
const BY_LEN_CHAR: [string, NameInfo][][] = [];
const COMPACT_INFO: (NameInfo | undefined)[] = [];

/** Known header names (long and compact) by a case-insensitive hash, verified char by char. */
const NAME_TABLE = new Map<number, NameInfo[]>();

function hashLower(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

function addName(lname: string): void {
  const key = headerKey(lname);
  const info: NameInfo = { key, name: canonicalForKey(key) ?? lname, list: LIST_HEADERS.has(key), lname };
  const h = hashLower(lname);
  const l = NAME_TABLE.get(h);
  if (l) l.push(info);
  else NAME_TABLE.set(h, [info]);
}
for (const c of Object.keys(COMPACT_FORMS)) addName(c);
for (const n of KNOWN_HEADER_KEYS) addName(n);
for (const l of NAME_TABLE.values()) {
  for (const info of l) {
    if (info.lname.length === 1) COMPACT_INFO[info.lname.charCodeAt(0)] = info;
    else if (info.lname === info.key) {
      const len = info.name.length;
      BY_LENGTH[len] ??= [];
      BY_LENGTH[len]!.push([info.name, info]);
    }
  }
}
// most frequent first (RFC 3261 §8.1.1 mandatory headers)
for (const l of BY_LENGTH) {
  if (!l) continue;
  const top = ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Content-Length', 'Content-Type'];
  const rank = (n: string) => (top.includes(n) ? top.indexOf(n) : 99);
  l.sort((a, b) => rank(a[0]) - rank(b[0]));
  for (const e of l) {
    const k = e[0].length * 128 + e[0].charCodeAt(0);
    BY_LEN_CHAR[k] ??= [];
    BY_LEN_CHAR[k]!.push(e);
  }
}

/** Known names in their canonical spelling, by length (compared with ===, no hashing). */

/** The known name spelled exactly `head.slice(a, e)`, found without slicing: length + first char, then the rest. */
function canonicalAt(head: string, a: number, e: number): NameInfo | undefined {
  const n = e - a;
  const c = head.charCodeAt(a);
  if (n === 1) return COMPACT_INFO[c >= 65 && c <= 90 ? c + 32 : c];
  if (n > 40 || c >= 128) return undefined;
  const l = BY_LEN_CHAR[n * 128 + c];
  if (l === undefined) return undefined;
  outer: for (let i = 0; i < l.length; i++) {
    const en = l[i]!;
    const name = en[0];
    // same length and first char already: compare the rest (startsWith is not inlined by V8)
    for (let j = 1; j < n; j++) if (head.charCodeAt(a + j) !== name.charCodeAt(j)) continue outer;
    return en[1];
  }
  return undefined;
}
/** Exact spellings of known names seen on the wire (bounded). */
const SPELLINGS = new Map<string, NameInfo>();

function lookupName(head: string, a: number, e: number, h: number): NameInfo | undefined {
  const l = NAME_TABLE.get(h);
  if (l === undefined) return undefined;
  outer: for (let k = 0; k < l.length; k++) {
    const info = l[k]!;
    const ln = info.lname;
    if (ln.length !== e - a) continue;
    for (let i = 0; i < ln.length; i++) {
      let c = head.charCodeAt(a + i);
      if (c >= 65 && c <= 90) c += 32;
      if (c !== ln.charCodeAt(i)) continue outer;
    }
    return info;
  }
  return undefined;
}

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
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxHeaders = opts.maxHeaders ?? 512;
  const stream = opts.transport === 'stream';
  // RFC 3261 §7.5: ignore CRLFs before the start line
  let start = 0;
  while (start < b.length && (b[start] === 13 || b[start] === 10)) start++;
  if (start >= b.length) throw new SipParseError('empty', 'empty message', start);
  let emptyLine = -1;
  let bodyStart = -1;
  let head = '';
  // end of the header section within `head` (head may run on into the body)
  let hl = 0;
  // fast path: one native Latin-1 decode (no Buffer object) of at most the largest header section; the
  // header loop finds the empty line (CRLF or bare LF) itself, so there is no separate search
  let deferred = false;
  if (nativeLatin1 !== undefined) {
    head = nativeLatin1.call(b, start, Math.min(b.length, start + maxHeaderBytes + 4));
    hl = head.length;
    deferred = true;
  } else {
    const he = findHeaderEnd(b, start, Math.min(b.length, start + maxHeaderBytes + 4));
    if (!he) headerEndError(b, start, maxHeaderBytes);
    emptyLine = he[0];
    bodyStart = he[1];
    head = latin1(b, start, emptyLine);
    hl = head.length;
  }
  let msg: SipMessage;
  let isReq: boolean;
  let plain: boolean;
  const offs: number[] = [];
  try {
    // ---- start line
    let eol = head.indexOf('\n');
    if (eol < 0) headerEndError(b, start, maxHeaderBytes);
    const line0 = head.charCodeAt(eol - 1) === 13 ? head.slice(0, eol - 1) : head.slice(0, eol);
    if (line0.charCodeAt(0) === 83 && line0.startsWith('SIP/')) {
      isReq = false;
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
      msg = new SipResponse((c0 - 48) * 100 + (c1 - 48) * 10 + (c2 - 48), reason, 'SIP/2.0');
    } else {
      isReq = true;
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
      if (!isToken(method))
        throw new SipParseError('bad-method', `method is not a token: '${method.slice(0, 40)}'`, start);
      if (line0.indexOf(' ', sp1 + 1) !== sp2 || uri.indexOf('\t') >= 0) {
        throw new SipParseError(
          'bad-request-line',
          'Request-URI contains whitespace or the request line has extra spaces',
          start + sp1 + 1,
        );
      }
      if (uri.length === 0) throw new SipParseError('bad-request-line', 'empty Request-URI', start + sp1 + 1);
      checkVersion(version, start + sp2 + 1, true);
      msg = new SipRequest(method, uri, 'SIP/2.0');
    }
    // ---- header lines (RFC 3261 §7.3), one charCodeAt pass
    const names = msg._n;
    const keys = msg._k;
    const values = msg._v;
    let pos = eol + 1;
    // fast path only for pure ASCII (no UTF-8 to decode): the first octet >= 0x80, if any, is past the headers
    // (the decoded text may run on into the body: a non-ASCII body only costs a search for the end)
    plain = true;
    if (NodeBuffer !== undefined) {
      if (NodeBuffer.byteLength(head, 'utf8') !== head.length) {
        let e = head.indexOf(CRLFCRLF);
        if (e < 0) e = hl;
        plain = NodeBuffer.byteLength(head.slice(0, e), 'utf8') === e;
      }
    } else plain = !HIGH.test(head);
    while (pos < hl) {
      // fast path (plain ASCII head, no bare CR): locate ':' and LF natively, no folding on the next line
      if (plain) {
        const lf = head.indexOf('\n', pos);
        const colon = head.indexOf(':', pos);
        const nc = head.charCodeAt(lf + 1);
        const lc = head.charCodeAt(colon - 1);
        let info: NameInfo | undefined;
        if (
          colon > pos &&
          colon < lf &&
          head.charCodeAt(lf - 1) === 13 &&
          nc !== 32 &&
          nc !== 9 &&
          lc !== 32 &&
          lc !== 9
        ) {
          info = canonicalAt(head, pos, colon);
          const rawName = info === undefined ? head.slice(pos, colon) : '';
          if (info === undefined) info = SPELLINGS.get(rawName);
          if (info === undefined && isToken(rawName)) {
            info = lookupName(head, pos, colon, hashLower(rawName.toLowerCase()));
            if (info !== undefined && SPELLINGS.size < 1024) SPELLINGS.set(rawName, info);
            else if (info === undefined) {
              const k = headerKey(rawName);
              info = { key: k, name: canonicalForKey(k) ?? rawName, list: LIST_HEADERS.has(k), lname: '' };
            }
          }
        }
        if (info !== undefined) {
          let vs = colon + 1;
          let c = head.charCodeAt(vs);
          while (c === 32 || c === 9) c = head.charCodeAt(++vs);
          let ve = lf;
          c = head.charCodeAt(ve - 1);
          while (ve > vs && (c === 13 || c === 32 || c === 9)) c = head.charCodeAt(--ve - 1);
          const v = head.slice(vs, ve);
          if (info.list && v.length > 0) {
            if (v.indexOf(',') < 0 || !EAGER_SPLIT.has(info.key)) {
              // lists the transaction/dialog layers read are split now; the others when first asked for
              if (v.indexOf(',') >= 0) msg._lazy = true;
              names.push(info.name);
              keys.push(info.key);
              values.push(v);
              offs.push(vs);
            } else {
              const parts = splitList(v);
              for (let j = 0; j < parts.length; j++) {
                const part = parts[j]!;
                if (part.length === 0)
                  throw new SipParseError('empty-list-element', `empty element in ${info.name} list`, start + pos);
                names.push(info.name);
                keys.push(info.key);
                values.push(part);
                offs.push(-1);
              }
            }
          } else {
            names.push(info.name);
            keys.push(info.key);
            values.push(v);
            offs.push(vs);
          }
          if (keys.length > maxHeaders)
            throw new SipParseError('too-many-headers', 'too many header fields', start + pos, 413);
          pos = lf + 1;
          continue;
        }
      }
      // general path: folding, odd whitespace, bad lines (exact errors)
      let i = pos;
      let h = 0;
      let c = head.charCodeAt(i);
      if (c === 10 || (c === 13 && head.charCodeAt(i + 1) === 10)) {
        // an empty line: the header section ends here (bare-LF message), the body follows it
        const lfAt = c === 10 ? i : i + 1;
        emptyLine = start + i;
        bodyStart = start + lfAt + 1;
        break;
      }
      if (c === 32 || c === 9)
        throw new SipParseError('bad-folding', 'continuation line before any header', start + pos);
      while (i < hl) {
        c = head.charCodeAt(i);
        if (c === 58 || c === 32 || c === 9 || c === 10 || c === 13) break;
        if (c >= 128 || TOKEN[c] !== 1)
          throw new SipParseError('bad-header-name', 'bad character in header name', start + i);
        h = (Math.imul(h, 31) + (c >= 65 && c <= 90 ? c + 32 : c)) | 0;
        i++;
      }
      const ne = i;
      while (i < hl && (c === 32 || c === 9)) c = head.charCodeAt(++i);
      if (c !== 58 || ne === pos) throw new SipParseError('bad-header-line', 'header line without ":"', start + pos);
      let info = lookupName(head, pos, ne, h);
      if (info === undefined) {
        const rawName = head.slice(pos, ne);
        const k = headerKey(rawName);
        info = { key: k, name: canonicalForKey(k) ?? rawName, list: LIST_HEADERS.has(k), lname: '' };
      }
      // value
      i++;
      while (i < hl) {
        c = head.charCodeAt(i);
        if (c !== 32 && c !== 9) break;
        i++;
      }
      const vs = i;
      let acc = 0;
      while (i < hl) {
        c = head.charCodeAt(i);
        if (c === 10) break;
        acc |= c;
        i++;
      }
      eol = i;
      let e = eol;
      while (e > vs) {
        const d = head.charCodeAt(e - 1);
        if (d !== 32 && d !== 9 && d !== 13) break;
        e--;
      }
      let v = head.slice(vs, e);
      // RFC 3261 §7.3.1: folded continuation lines (starting with SP/HT) join with one SP
      let f = head.charCodeAt(eol + 1);
      while (eol + 1 < hl && (f === 32 || f === 9)) {
        const p2 = eol + 1;
        let j = p2;
        while (j < hl) {
          const d = head.charCodeAt(j);
          if (d === 10) break;
          acc |= d;
          j++;
        }
        eol = j;
        const more = trimWs(head, p2, j);
        if (more.length > 0) v = v.length > 0 ? `${v} ${more}` : more;
        f = head.charCodeAt(eol + 1);
      }
      if (acc >= 128 && HIGH.test(v)) v = latin1ToUtf8(v);
      if (info.list && v.length > 0 && !EAGER_SPLIT.has(info.key)) {
        if (v.indexOf(',') >= 0) msg._lazy = true;
        names.push(info.name);
        keys.push(info.key);
        values.push(v);
        offs.push(-1);
      } else if (info.list && v.length > 0) {
        const parts = splitList(v);
        for (let j = 0; j < parts.length; j++) {
          const part = parts[j]!;
          if (part.length === 0)
            throw new SipParseError('empty-list-element', `empty element in ${info.name} list`, start + pos);
          names.push(info.name);
          keys.push(info.key);
          values.push(part);
          offs.push(-1);
        }
      } else {
        names.push(info.name);
        keys.push(info.key);
        values.push(v);
        offs.push(-1);
      }
      if (keys.length > maxHeaders)
        throw new SipParseError('too-many-headers', 'too many header fields', start + pos, 413);
      pos = eol + 1;
    }
  } catch (e) {
    // an error in a section that never ends is reported as such (a truncated message)
    if (deferred && !findHeaderEnd(b, start, Math.min(b.length, start + maxHeaderBytes + 4)))
      headerEndError(b, start, maxHeaderBytes);
    throw e;
  }
  if (emptyLine < 0) headerEndError(b, start, maxHeaderBytes);
  const keys = msg._k;
  const values = msg._v;
  // ---- Content-Length (RFC 3261 §18.3, §20.14)
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
  const avail = b.length - bodyStart;
  let len: number;
  if (cl < 0) {
    // RFC 3261 §18.3: "The Content-Length header field MUST be used with stream oriented transports"
    if (stream)
      throw new SipParseError('missing-content-length', 'Content-Length is mandatory on stream transports', start);
    len = avail;
  } else {
    if (cl > avail) {
      throw new SipParseError('body-truncated', `body has ${avail} octets but Content-Length says ${cl}`, b.length);
    }
    len = cl;
  }
  if (len > maxBody) throw new SipParseError('body-too-large', 'body too large', bodyStart, 413);
  msg.body = b.subarray(bodyStart, bodyStart + len);
  msg._h = head;
  msg._o = offs;
  if (opts.strict !== false) {
    // the views may scan the input octets only while we own them (the caller may reuse the buffer)
    if (plain) {
      msg._u = b;
      msg._ub = start;
    }
    try {
      validateSyntax(msg, isReq);
    } finally {
      msg._u = undefined;
    }
  }
  return msg;
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

function trimWs(s: string, a: number, e: number): string {
  while (a < e) {
    const c = s.charCodeAt(a);
    if (c !== 32 && c !== 9) break;
    a++;
  }
  while (e > a) {
    const c = s.charCodeAt(e - 1);
    if (c !== 32 && c !== 9 && c !== 13) break;
    e--;
  }
  return s.slice(a, e);
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
function validateSyntax(msg: SipMessage, isReq: boolean): void {
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
