import { DnsFormatError } from './errors.js';

/**
 * NAPTR RDATA (RFC 3403 §4.1):
 * ```
 *  ORDER (16) | PREFERENCE (16) | FLAGS <character-string> | SERVICES <character-string>
 *  | REGEXP <character-string> | REPLACEMENT <domain-name>
 * ```
 * The REPLACEMENT name "MUST NOT be compressed" (§4.1); `replacement` is given without the trailing
 * dot, and the root name is the empty string.
 */
export interface NaptrData {
  order: number;
  preference: number;
  flags: string;
  services: string;
  regexp: string;
  replacement: string;
}

const dec = new TextDecoder('utf-8', { fatal: false });
const strictDec = new TextDecoder('utf-8', { fatal: true });
const enc = new TextEncoder();

/** Whether `b` is well-formed UTF-8 (so that decoding it to text and encoding it back is lossless). */
export function isUtf8(b: Uint8Array): boolean {
  try {
    strictDec.decode(b);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the three <character-string>s of NAPTR RDATA at `pos` (after ORDER and PREFERENCE) are all
 * well-formed UTF-8; false also when they are malformed (the decoder reports that).
 */
export function naptrStringsAreUtf8(buf: Uint8Array, pos: number, end: number): boolean {
  let q = pos + 4;
  for (let i = 0; i < 3; i++) {
    if (q >= end) return false;
    const len = buf[q]!;
    if (q + 1 + len > end || !isUtf8(buf.subarray(q + 1, q + 1 + len))) return false;
    q += 1 + len;
  }
  return true;
}

/** Reads one <character-string> (RFC 1035 §3.3): a length octet and that many octets. */
export function readCharString(buf: Uint8Array, pos: number, end: number): { text: string; next: number } {
  if (pos >= end) throw new DnsFormatError('character-string missing', pos);
  const len = buf[pos]!;
  if (pos + 1 + len > end) throw new DnsFormatError('character-string overruns RDATA', pos);
  return { text: dec.decode(buf.subarray(pos + 1, pos + 1 + len)), next: pos + 1 + len };
}

/** Encodes one <character-string>; throws RangeError above 255 octets. */
export function encodeCharString(text: string): Uint8Array {
  const b = enc.encode(text);
  if (b.length > 255) throw new RangeError(`character-string longer than 255 octets (${b.length})`);
  const out = new Uint8Array(b.length + 1);
  out[0] = b.length;
  out.set(b, 1);
  return out;
}

/**
 * Encodes a domain name in presentation form (RFC 1035 §5.1: `\.`, `\\` and `\DDD` escapes, as
 * produced by the decoder) as uncompressed labels (RFC 1035 §3.1). A trailing dot is optional; ''
 * and '.' are the root. Throws RangeError for an empty label, a label over 63 octets or a name over
 * 255 octets.
 */
export function encodeNameUncompressed(name: string): Uint8Array {
  if (name === '' || name === '.') return new Uint8Array([0]);
  const labels: number[][] = [[]];
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    const cur = labels[labels.length - 1]!;
    if (ch === '\\') {
      const d = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d) && Number(d) <= 255) {
        cur.push(Number(d));
        i += 3;
      } else if (i + 1 < name.length) {
        for (const b of enc.encode(name[++i]!)) cur.push(b);
      } else throw new RangeError(`dangling escape in ${JSON.stringify(name)}`);
    } else if (ch === '.') labels.push([]);
    else if (ch.charCodeAt(0) < 0x80) cur.push(ch.charCodeAt(0));
    else {
      const cp = name.codePointAt(i)!;
      const s = String.fromCodePoint(cp);
      for (const b of enc.encode(s)) cur.push(b);
      i += s.length - 1;
    }
  }
  if (labels.length > 1 && labels[labels.length - 1]!.length === 0) labels.pop();
  let total = 1;
  for (const l of labels) {
    if (l.length === 0) throw new RangeError(`empty label in ${JSON.stringify(name)}`);
    if (l.length > 63) throw new RangeError(`label longer than 63 octets in ${JSON.stringify(name)}`);
    total += l.length + 1;
  }
  if (total > 255) throw new RangeError(`name longer than 255 octets: ${JSON.stringify(name)}`);
  const out = new Uint8Array(total);
  let p = 0;
  for (const l of labels) {
    out[p++] = l.length;
    out.set(l, p);
    p += l.length;
  }
  out[p] = 0;
  return out;
}

/** Serialises NAPTR RDATA (RFC 3403 §4.1). */
export function encodeNaptrRdata(n: NaptrData): Uint8Array {
  for (const [k, v] of [
    ['order', n.order],
    ['preference', n.preference],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`NAPTR ${k} must be 0..65535`);
  }
  const chunks = [
    encodeCharString(n.flags),
    encodeCharString(n.services),
    encodeCharString(n.regexp),
    encodeNameUncompressed(n.replacement),
  ];
  const size = 4 + chunks.reduce((a, c) => a + c.length, 0);
  const out = new Uint8Array(size);
  out[0] = n.order >> 8;
  out[1] = n.order & 0xff;
  out[2] = n.preference >> 8;
  out[3] = n.preference & 0xff;
  let p = 4;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/**
 * Parses NAPTR RDATA occupying `buf[start..end)`. `readName` decodes the REPLACEMENT (a full
 * message decoder passes one that follows compression pointers, leniently, though RFC 3403 forbids
 * them). Throws {@link DnsFormatError} when a field overruns or bytes are left over.
 */
export function decodeNaptrRdata(
  buf: Uint8Array,
  start: number,
  end: number,
  readName: (buf: Uint8Array, pos: number) => { name: string; next: number },
): NaptrData {
  if (end - start < 4 + 3 + 1) throw new DnsFormatError('NAPTR RDATA too short', start);
  const order = (buf[start]! << 8) | buf[start + 1]!;
  const preference = (buf[start + 2]! << 8) | buf[start + 3]!;
  const f = readCharString(buf, start + 4, end);
  const s = readCharString(buf, f.next, end);
  const r = readCharString(buf, s.next, end);
  const rep = readName(buf, r.next);
  if (rep.next !== end) throw new DnsFormatError('NAPTR RDATA length mismatch', rep.next);
  return { order, preference, flags: f.text, services: s.text, regexp: r.text, replacement: rep.name };
}
