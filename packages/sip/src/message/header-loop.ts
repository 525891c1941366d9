import { TOKEN } from '../uri/chars.js';
import { SipParseError } from './errors.js';
import { EAGER_SPLIT } from './header-names.js';
import { lookupName, type NameInfo, nameInfoAt, unknownName } from './header-table.js';
import type { SipMessage } from './message.js';
import { splitList } from './scan.js';
import { latin1ToUtf8 } from './text.js';

const HIGH = /[\x80-\xff]/;

/**
 * The header section being read (RFC 3261 §7.3): `head` is the Latin-1 text of the message from its start
 * line (it may run on into the body), `start` the offset of `head` in the input octets. @internal
 */
export class HeaderCursor {
  /** offset of each value in `head`, -1 when not a plain slice (folded, split or re-decoded) */
  readonly offs: number[] = [];
  /** input offset of the empty line ending the section, -1 until found */
  emptyLine = -1;
  /** input offset of the body */
  bodyStart = -1;

  /** the input octets (`dv.getUint8(start + i)` is `head.charCodeAt(i)` in a pure-ASCII section) */
  readonly dv: DataView;

  constructor(
    readonly msg: SipMessage,
    readonly head: string,
    readonly hl: number,
    readonly start: number,
    readonly maxHeaders: number,
    b: Uint8Array,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Appends one value (a list value split into elements when the transaction/dialog layers read it). */
  push(info: NameInfo, v: string, at: number, lineStart: number): void {
    const m = this.msg;
    if (info.list && v.length > 0) {
      const comma = v.indexOf(',') >= 0;
      if (comma && EAGER_SPLIT.has(info.key)) {
        const parts = splitList(v);
        for (let j = 0; j < parts.length; j++) {
          const part = parts[j]!;
          if (part.length === 0)
            throw new SipParseError('empty-list-element', `empty element in ${info.name} list`, this.start + lineStart);
          m._n.push(info.name);
          m._k.push(info.key);
          m._v.push(part);
          this.offs.push(-1);
        }
        this.checkCount(lineStart);
        return;
      }
      // the other lists are split when first asked for (RFC 3261 §7.3.1)
      if (comma) m._lazy = true;
    }
    m._n.push(info.name);
    m._k.push(info.key);
    m._v.push(v);
    this.offs.push(at);
    this.checkCount(lineStart);
  }

  private checkCount(lineStart: number): void {
    if (this.msg._k.length > this.maxHeaders)
      throw new SipParseError('too-many-headers', 'too many header fields', this.start + lineStart, 413);
  }
}

/**
 * Reads every header line from `pos` up to the empty line (RFC 3261 §7.3); sets `emptyLine` and `bodyStart`
 * on the cursor, or leaves them -1 when the section does not end within `head`. `plain`: the section is
 * pure ASCII, so a line may take the fast path (values are slices of `head` at known offsets). @internal
 */
export function readHeaders(cur: HeaderCursor, pos: number, plain: boolean): void {
  const hl = cur.hl;
  while (pos < hl) {
    const next = plain ? fastLine(cur, pos) : -1;
    if (next >= 0) pos = next;
    else {
      pos = generalLine(cur, pos);
      if (pos < 0) return;
    }
  }
}

/**
 * One `Name: value CRLF` line with a token name, no folding on the next line and no bare CR: the colon and
 * the line end are found natively, the name by the precomputed table. Returns the next line's start, or -1
 * when the general path must read this line.
 */
function fastLine(cur: HeaderCursor, pos: number): number {
  const head = cur.head;
  const lf = head.indexOf('\n', pos);
  const colon = head.indexOf(':', pos);
  if (colon <= pos || colon >= lf || head.charCodeAt(lf - 1) !== 13) return -1;
  const nc = head.charCodeAt(lf + 1);
  const lc = head.charCodeAt(colon - 1);
  if (nc === 32 || nc === 9 || lc === 32 || lc === 9) return -1;
  const info = nameInfoAt(head, pos, colon, cur.dv, cur.start);
  if (info === undefined) return -1;
  let vs = colon + 1;
  let c = head.charCodeAt(vs);
  while (c === 32 || c === 9) c = head.charCodeAt(++vs);
  let ve = lf;
  c = head.charCodeAt(ve - 1);
  while (ve > vs && (c === 13 || c === 32 || c === 9)) c = head.charCodeAt(--ve - 1);
  cur.push(info, head.slice(vs, ve), vs, pos);
  return lf + 1;
}

/**
 * Any other line, with exact errors: the empty line (CRLF or bare LF; returns -1 and sets the body start),
 * folded continuation lines joined with one SP (RFC 3261 §7.3.1), whitespace before the colon, UTF-8 values.
 */
function generalLine(cur: HeaderCursor, pos: number): number {
  const head = cur.head;
  const hl = cur.hl;
  const start = cur.start;
  let i = pos;
  let h = 0;
  let c = head.charCodeAt(i);
  if (c === 10 || (c === 13 && head.charCodeAt(i + 1) === 10)) {
    const lfAt = c === 10 ? i : i + 1;
    cur.emptyLine = start + i;
    cur.bodyStart = start + lfAt + 1;
    return -1;
  }
  if (c === 32 || c === 9) throw new SipParseError('bad-folding', 'continuation line before any header', start + pos);
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
  const info = lookupName(head, pos, ne, h) ?? unknownName(head.slice(pos, ne));
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
  let eol = i;
  let v = trimWs(head, vs, eol);
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
  cur.push(info, v, -1, pos);
  return eol + 1;
}

/** `s.slice(a, e)` without leading SP/HT and trailing SP/HT/CR. @internal */
export function trimWs(s: string, a: number, e: number): string {
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
