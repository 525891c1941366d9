import { isToken } from '../uri/chars.js';
import { COMPACT_FORMS, canonicalForKey, headerKey, KNOWN_HEADER_KEYS, LIST_HEADERS } from './header-names.js';

/** What the parser knows about one header name (RFC 3261 §7.3.3 compact forms expanded). @internal */
export interface NameInfo {
  /** lower-case long key (`via`, `call-id`) */
  key: string;
  /** canonical spelling (`Via`, `Call-ID`), or the name as received for extension headers */
  name: string;
  /** a comma-separated list header (RFC 3261 §7.3.1) */
  list: boolean;
  /** lower-case spelling this entry matches ('' for uncached names) */
  lname: string;
}

/** A canonical spelling as big-endian 32-bit words of its octets (the last word may overlap the one before). */
type Spelling = [name: string, info: NameInfo, words: number[]];
/** Known names in their canonical spelling, indexed by length * 128 + first char code. */
const BY_LEN_CHAR: Spelling[][] = [];
/** Compact forms by (lower-case) char code. */
const COMPACT_INFO: (NameInfo | undefined)[] = [];
/** Known header names (long and compact) by a case-insensitive hash, verified char by char. */
const NAME_TABLE = new Map<number, NameInfo[]>();
/** Exact spellings of known names seen on the wire (bounded). */
const SPELLINGS = new Map<string, NameInfo>();

/** The hash {@link lookupName} expects: 31-polynomial over lower-case char codes. @internal */
export function hashLower(s: string): number {
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

function buildTables(): void {
  for (const c of Object.keys(COMPACT_FORMS)) addName(c);
  for (const n of KNOWN_HEADER_KEYS) addName(n);
  const byLength: Spelling[][] = [];
  for (const l of NAME_TABLE.values()) {
    for (const info of l) {
      if (info.lname.length === 1) COMPACT_INFO[info.lname.charCodeAt(0)] = info;
      else if (info.lname === info.key) (byLength[info.name.length] ??= []).push([info.name, info, wordsOf(info.name)]);
    }
  }
  // most frequent first (RFC 3261 §8.1.1 mandatory headers)
  const top = ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Content-Length', 'Content-Type'];
  const rank = (n: string) => (top.includes(n) ? top.indexOf(n) : 99);
  for (const l of byLength) {
    if (!l) continue;
    l.sort((a, b) => rank(a[0]) - rank(b[0]));
    for (const e of l) (BY_LEN_CHAR[e[0].length * 128 + e[0].charCodeAt(0)] ??= []).push(e);
  }
}
buildTables();

/** The octets of `name` (ASCII) as 32-bit words at 0, 4, 8... and a last one ending at its end (length ≥ 4). */
function wordsOf(name: string): number[] {
  const w: number[] = [];
  const word = (i: number) =>
    ((name.charCodeAt(i) << 24) |
      (name.charCodeAt(i + 1) << 16) |
      (name.charCodeAt(i + 2) << 8) |
      name.charCodeAt(i + 3)) >>>
    0;
  if (name.length < 4) return w;
  for (let i = 0; i + 4 <= name.length; i += 4) w.push(word(i));
  if (name.length % 4 !== 0) w.push(word(name.length - 4));
  return w;
}

/**
 * The known name spelled exactly like the `n` octets at `p` of `dv` (canonical or compact; `c` is the first
 * octet), found by length and first octet, then compared four octets at a time. The caller has located the
 * name in a pure-ASCII header section.
 */
function canonicalAt(dv: DataView, p: number, n: number, c: number): NameInfo | undefined {
  if (n === 1) return COMPACT_INFO[c >= 65 && c <= 90 ? c + 32 : c];
  if (n > 40 || c >= 128) return undefined;
  const l = BY_LEN_CHAR[n * 128 + c];
  if (l === undefined) return undefined;
  outer: for (let i = 0; i < l.length; i++) {
    const en = l[i]!;
    if (n < 4) {
      const name = en[0];
      for (let j = 1; j < n; j++) if (dv.getUint8(p + j) !== name.charCodeAt(j)) continue outer;
      return en[1];
    }
    const w = en[2];
    const last = w.length - 1;
    for (let j = 0; j < last; j++) if (dv.getUint32(p + 4 * j) !== w[j]) continue outer;
    if (dv.getUint32(p + n - 4) === w[last]) return en[1];
  }
  return undefined;
}

/** A known name in any letter case, by its {@link hashLower} `h` (RFC 3261 §7.3.1: names are case-insensitive). @internal */
export function lookupName(head: string, a: number, e: number, h: number): NameInfo | undefined {
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

/** The entry of an extension (unknown) header name. @internal */
export function unknownName(rawName: string): NameInfo {
  const k = headerKey(rawName);
  return { key: k, name: canonicalForKey(k) ?? rawName, list: LIST_HEADERS.has(k), lname: '' };
}

/**
 * The entry of the header name `head.slice(a, e)` as the fast path of the header loop finds it (the name is
 * not yet checked to be a token; `dv` holds the same octets at `base + i`): canonical spellings first, then
 * spellings seen before, then any letter case.
 * Undefined when the name is not a token (the general path reports the error). @internal
 */
export function nameInfoAt(head: string, a: number, e: number, dv: DataView, base: number): NameInfo | undefined {
  const info = canonicalAt(dv, base + a, e - a, head.charCodeAt(a));
  if (info !== undefined) return info;
  const rawName = head.slice(a, e);
  const seen = SPELLINGS.get(rawName);
  if (seen !== undefined) return seen;
  if (!isToken(rawName)) return undefined;
  const known = lookupName(head, a, e, hashLower(rawName.toLowerCase()));
  if (known === undefined) return unknownName(rawName);
  if (SPELLINGS.size < 1024) SPELLINGS.set(rawName, known);
  return known;
}
