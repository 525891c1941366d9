import { DnsFormatError } from './errors.js';
import {
  decodeNaptrRdata,
  encodeCharString,
  encodeNameUncompressed,
  encodeNaptrRdata,
  isUtf8,
  type NaptrData,
  naptrStringsAreUtf8,
} from './naptr.js';

const utf8Text = new TextDecoder('utf-8');

/** Resource record types this codec understands (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 3403, RFC 6891). */
export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  OPT: 41,
} as const;

/** The mnemonic of a type number ('TYPE99' for unknown ones, RFC 3597 §5). */
export function rrTypeName(type: number): string {
  for (const [k, v] of Object.entries(RRType)) if (v === type) return k;
  return `TYPE${type}`;
}

/** Response codes (RFC 1035 §4.1.1). */
export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** SRV RDATA (RFC 2782). */
export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** SOA RDATA (RFC 1035 §3.3.13). */
export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/** A question (RFC 1035 §4.1.2). */
export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

/**
 * A resource record (RFC 1035 §4.1.3). `rdata` is always the raw RDATA; the decoded form is in the
 * field matching the type: `address` (A, AAAA), `target` (CNAME, NS, PTR), `srv`, `naptr`, `soa`, `txt`.
 * `txt` and `naptr` are absent when their strings are not UTF-8 text (then only `rdata` carries them).
 */
export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: Uint8Array;
  address?: string;
  target?: string;
  srv?: SrvData;
  naptr?: NaptrData;
  soa?: SoaData;
  txt?: string[];
}

/** A whole DNS message (RFC 1035 §4.1). */
export interface DnsMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

const MAX_POINTER_JUMPS = 64;

/** Escapes a label as presentation text (RFC 4343 §2.1: '.', '\\' and non-printables as \DDD). */
function labelText(buf: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = start; i < start + len; i++) {
    const c = buf[i]!;
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${c.toString().padStart(3, '0')}`;
  }
  return s;
}

/**
 * Decodes a possibly compressed domain name (RFC 1035 §4.1.4) at `pos`. Pointers must point
 * backwards and are bounded in number, so a crafted loop cannot hang. Returns the name without a
 * trailing dot ('' for the root) and the offset after the name in place.
 */
export function decodeName(buf: Uint8Array, pos: number): { name: string; next: number } {
  const labels: string[] = [];
  let p = pos;
  let next = -1;
  let jumps = 0;
  let wire = 1;
  for (;;) {
    if (p >= buf.length) throw new DnsFormatError('name runs past the end', p);
    const len = buf[p]!;
    if (len === 0) {
      if (next < 0) next = p + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (p + 1 >= buf.length) throw new DnsFormatError('truncated compression pointer', p);
      const target = ((len & 0x3f) << 8) | buf[p + 1]!;
      if (target >= p) throw new DnsFormatError('compression pointer does not point backwards', p);
      if (++jumps > MAX_POINTER_JUMPS) throw new DnsFormatError('too many compression pointers', p);
      if (next < 0) next = p + 2;
      p = target;
      continue;
    }
    if (kind !== 0) throw new DnsFormatError(`reserved label type 0x${len.toString(16)}`, p);
    if (p + 1 + len > buf.length) throw new DnsFormatError('label runs past the end', p);
    wire += len + 1;
    if (wire > 255) throw new DnsFormatError('name longer than 255 octets', p);
    labels.push(labelText(buf, p + 1, len));
    p += 1 + len;
  }
  return { name: labels.join('.'), next };
}

/** Dotted-quad text of 4 bytes. */
function ipv4(buf: Uint8Array, p: number): string {
  return `${buf[p]}.${buf[p + 1]}.${buf[p + 2]}.${buf[p + 3]}`;
}

/** RFC 5952 text of 16 bytes (lower case, longest zero run of >= 2 groups compressed). */
export function ipv6(buf: Uint8Array, p: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((buf[p + 2 * i]! << 8) | buf[p + 2 * i + 1]!);
  let bestS = -1;
  let bestL = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestL) {
      bestS = i;
      bestL = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestL < 2) return hex.join(':');
  return `${hex.slice(0, bestS).join(':')}::${hex.slice(bestS + bestL).join(':')}`;
}

function u16(buf: Uint8Array, p: number): number {
  return (buf[p]! << 8) | buf[p + 1]!;
}

function u32(buf: Uint8Array, p: number): number {
  return ((buf[p]! << 24) >>> 0) + ((buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!);
}

function decodeRecord(buf: Uint8Array, pos: number): { rr: DnsRecord; next: number } {
  const n = decodeName(buf, pos);
  let p = n.next;
  if (p + 10 > buf.length) throw new DnsFormatError('truncated resource record header', p);
  const type = u16(buf, p);
  const klass = u16(buf, p + 2);
  // RFC 2181 §8: a TTL with the top bit set is treated as zero.
  const rawTtl = u32(buf, p + 4);
  const ttl = rawTtl > 0x7fffffff ? 0 : rawTtl;
  const rdlen = u16(buf, p + 8);
  p += 10;
  const end = p + rdlen;
  if (end > buf.length) throw new DnsFormatError('RDATA runs past the end', p);
  const rr: DnsRecord = { name: n.name, type, class: klass, ttl, rdata: buf.subarray(p, end) };
  const exactName = (q: number) => {
    const r = decodeName(buf, q);
    if (r.next !== end) throw new DnsFormatError(`${rrTypeName(type)} RDATA length mismatch`, q);
    return r.name;
  };
  switch (type) {
    case RRType.A:
      if (rdlen !== 4) throw new DnsFormatError('A RDATA must be 4 octets', p);
      rr.address = ipv4(buf, p);
      break;
    case RRType.AAAA:
      if (rdlen !== 16) throw new DnsFormatError('AAAA RDATA must be 16 octets', p);
      rr.address = ipv6(buf, p);
      break;
    case RRType.CNAME:
    case RRType.NS:
    case RRType.PTR:
      rr.target = exactName(p);
      break;
    case RRType.SRV:
      if (rdlen < 7) throw new DnsFormatError('SRV RDATA too short', p);
      rr.srv = { priority: u16(buf, p), weight: u16(buf, p + 2), port: u16(buf, p + 4), target: exactName(p + 6) };
      break;
    case RRType.NAPTR: {
      const naptr = decodeNaptrRdata(buf, p, end, decodeName);
      // Text that is not UTF-8 cannot be carried losslessly in the string fields: such a record keeps only
      // its raw `rdata` (so re-encoding the message reproduces it).
      if (naptrStringsAreUtf8(buf, p, end)) rr.naptr = naptr;
      break;
    }
    case RRType.SOA: {
      const m = decodeName(buf, p);
      const r = decodeName(buf, m.next);
      if (r.next + 20 !== end) throw new DnsFormatError('SOA RDATA length mismatch', r.next);
      const q = r.next;
      rr.soa = {
        mname: m.name,
        rname: r.name,
        serial: u32(buf, q),
        refresh: u32(buf, q + 4),
        retry: u32(buf, q + 8),
        expire: u32(buf, q + 12),
        minimum: u32(buf, q + 16),
      };
      break;
    }
    case RRType.TXT: {
      const out: string[] = [];
      let q = p;
      let text = true;
      while (q < end) {
        const l = buf[q]!;
        if (q + 1 + l > end) throw new DnsFormatError('TXT string overruns RDATA', q);
        const b = buf.subarray(q + 1, q + 1 + l);
        // RFC 1035 §3.3.14: TXT strings are octets. Binary (non-UTF-8) ones stay in `rdata` only, so that
        // re-encoding is lossless and no string grows past 255 octets through U+FFFD replacement.
        if (isUtf8(b)) out.push(utf8Text.decode(b));
        else text = false;
        q += 1 + l;
      }
      if (text) rr.txt = out;
      break;
    }
    default:
      break;
  }
  return { rr, next: end };
}

/**
 * Decodes a DNS message (RFC 1035 §4.1). Throws {@link DnsFormatError} on anything malformed —
 * never another exception, never a hang (pointers are bounded, every length is checked).
 */
export function decodeMessage(buf: Uint8Array): DnsMessage {
  if (!(buf instanceof Uint8Array)) throw new DnsFormatError('message must be a Uint8Array', 0);
  if (buf.length < 12) throw new DnsFormatError('message shorter than the 12-octet header', 0);
  const flags = u16(buf, 2);
  const msg: DnsMessage = {
    id: u16(buf, 0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  const qd = u16(buf, 4);
  const counts = [u16(buf, 6), u16(buf, 8), u16(buf, 10)] as const;
  let p = 12;
  for (let i = 0; i < qd; i++) {
    const n = decodeName(buf, p);
    if (n.next + 4 > buf.length) throw new DnsFormatError('truncated question', n.next);
    msg.questions.push({ name: n.name, type: u16(buf, n.next), class: u16(buf, n.next + 2) });
    p = n.next + 4;
  }
  const sections = [msg.answers, msg.authorities, msg.additionals];
  for (let s = 0; s < 3; s++) {
    const list = sections[s]!;
    for (let i = 0; i < counts[s]!; i++) {
      const r = decodeRecord(buf, p);
      list.push(r.rr);
      p = r.next;
    }
  }
  // RFC 6891 §6.1.3: with an OPT record the RCODE has 12 bits.
  const opt = msg.additionals.find((r) => r.type === RRType.OPT);
  if (opt) msg.rcode |= ((opt.ttl >>> 24) & 0xff) << 4;
  return msg;
}

const encodeName = encodeNameUncompressed;

function parseIpv4(s: string): Uint8Array {
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) {
    throw new RangeError(`bad IPv4 address ${s}`);
  }
  return Uint8Array.from(parts);
}

/** Parses IPv6 text (with :: and an optional trailing dotted quad) into 16 bytes. */
export function parseIpv6(s: string): Uint8Array {
  let text = s;
  const dq = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dq) {
    const v4 = parseIpv4(dq[1]!);
    text = `${text.slice(0, dq.index)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) throw new RangeError(`bad IPv6 address ${s}`);
  const head = halves[0] ? halves[0].split(':') : [];
  const back = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = 8 - head.length - back.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) throw new RangeError(`bad IPv6 address ${s}`);
  const groups = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...back];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new RangeError(`bad IPv6 address ${s}`);
    const v = Number.parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

function rdataOf(rr: DnsRecord): Uint8Array {
  switch (rr.type) {
    case RRType.A:
      if (rr.address !== undefined) return parseIpv4(rr.address);
      break;
    case RRType.AAAA:
      if (rr.address !== undefined) return parseIpv6(rr.address);
      break;
    case RRType.CNAME:
    case RRType.NS:
    case RRType.PTR:
      if (rr.target !== undefined) return encodeName(rr.target);
      break;
    case RRType.SRV:
      if (rr.srv) {
        const t = encodeName(rr.srv.target);
        const out = new Uint8Array(6 + t.length);
        const v = new DataView(out.buffer);
        v.setUint16(0, rr.srv.priority);
        v.setUint16(2, rr.srv.weight);
        v.setUint16(4, rr.srv.port);
        out.set(t, 6);
        return out;
      }
      break;
    case RRType.NAPTR:
      if (rr.naptr) return encodeNaptrRdata(rr.naptr);
      break;
    case RRType.SOA:
      if (rr.soa) {
        const m = encodeName(rr.soa.mname);
        const r = encodeName(rr.soa.rname);
        const out = new Uint8Array(m.length + r.length + 20);
        out.set(m, 0);
        out.set(r, m.length);
        const v = new DataView(out.buffer, m.length + r.length);
        const s = rr.soa;
        [s.serial, s.refresh, s.retry, s.expire, s.minimum].forEach((x, i) => {
          v.setUint32(4 * i, x >>> 0);
        });
        return out;
      }
      break;
    case RRType.TXT:
      if (rr.txt) {
        const parts = rr.txt.map(encodeCharString);
        const out = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
        let p = 0;
        for (const x of parts) {
          out.set(x, p);
          p += x.length;
        }
        return out;
      }
      break;
    default:
      break;
  }
  return rr.rdata;
}

/**
 * Encodes a DNS message without name compression (RFC 1035 §4.1). RDATA comes from the decoded
 * field of each record when present, otherwise from `rdata`. Throws RangeError for values that do
 * not fit the wire format.
 */
export function encodeMessage(m: DnsMessage): Uint8Array {
  const chunks: Uint8Array[] = [];
  const head = new Uint8Array(12);
  const hv = new DataView(head.buffer);
  hv.setUint16(0, m.id & 0xffff);
  const flags =
    (m.qr ? 0x8000 : 0) |
    ((m.opcode & 0xf) << 11) |
    (m.aa ? 0x0400 : 0) |
    (m.tc ? 0x0200 : 0) |
    (m.rd ? 0x0100 : 0) |
    (m.ra ? 0x0080 : 0) |
    (m.rcode & 0xf);
  hv.setUint16(2, flags);
  hv.setUint16(4, m.questions.length);
  hv.setUint16(6, m.answers.length);
  hv.setUint16(8, m.authorities.length);
  hv.setUint16(10, m.additionals.length);
  chunks.push(head);
  for (const q of m.questions) {
    chunks.push(encodeName(q.name));
    chunks.push(Uint8Array.of(q.type >> 8, q.type & 0xff, q.class >> 8, q.class & 0xff));
  }
  for (const rr of [...m.answers, ...m.authorities, ...m.additionals]) {
    chunks.push(encodeName(rr.name));
    const rd = rdataOf(rr);
    if (rd.length > 0xffff) throw new RangeError('RDATA longer than 65535 octets');
    const fixed = new Uint8Array(10);
    const v = new DataView(fixed.buffer);
    v.setUint16(0, rr.type);
    v.setUint16(2, rr.class);
    v.setUint32(4, rr.ttl >>> 0);
    v.setUint16(8, rd.length);
    chunks.push(fixed, rd);
  }
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/**
 * Builds a standard query (RD set, one question, class IN; RFC 1035 §4.1.1). With `ednsUdpSize`,
 * an OPT record advertising that UDP payload size is added (RFC 6891 §6.1.2).
 */
export function encodeQuery(id: number, name: string, type: number, ednsUdpSize = 0): Uint8Array {
  const msg: DnsMessage = {
    id,
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: true,
    ra: false,
    rcode: 0,
    questions: [{ name, type, class: 1 }],
    answers: [],
    authorities: [],
    additionals: [],
  };
  if (ednsUdpSize > 0) {
    msg.additionals.push({ name: '', type: RRType.OPT, class: ednsUdpSize, ttl: 0, rdata: new Uint8Array(0) });
  }
  return encodeMessage(msg);
}
