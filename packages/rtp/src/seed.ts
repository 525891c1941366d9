/**
 * Parity helpers matching the mdhavers standard library (SPEC §13.6 `stdlib/rtp`, §13.7 `stdlib/rtcp`), so the
 * interpreter can bind `rtp_header`, `rtp_packet`, `rtp_parse`, `rtp_seq_next`, `rtcp_rr` and `rtcp_parse_rr`
 * directly. Results are plain objects whose keys are in the order the spec gives. Unlike {@link RtpPacket}
 * these helpers deliberately do not check the version, skip extensions or strip padding (the seed semantics).
 */
import { utf8Encode } from '@mdh/bytes';
import { seqNext } from './seq.js';

/** A value the seed helpers accept where bytes are expected: bytes as is, a string as UTF-8. */
export type SeedBytes = Uint8Array | string;

function toBytes(v: SeedBytes): Uint8Array {
  return typeof v === 'string' ? utf8Encode(v) : v;
}

/** "Wherever a value is expected, a float is truncated" (SPEC §12.2); booleans are type errors. */
function intArg(v: unknown, what: string): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${what} must be an integer, got ${typeof v}`);
  return Math.trunc(v);
}

function writeU16(b: Uint8Array, off: number, v: number, what: string): void {
  if (v < 0 || v > 0xffff) throw new RangeError(`${what}: value ${v} is out of range 0..65535`);
  b[off] = v >>> 8;
  b[off + 1] = v & 0xff;
}

function writeU32(b: Uint8Array, off: number, v: number, what: string): void {
  if (v < 0 || v > 0xffffffff) throw new RangeError(`${what}: value ${v} is out of range 0..4294967295`);
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * `rtp_header(seq, ts, ssrc, payload_type = 0, marker = 0, csrcs = [])` (SPEC §13.6): a 12 + 4·cc octet header,
 * version 2, no padding and no extension, cc = min(len(csrcs), 15). `marker` must be a number (a boolean is a
 * type error). Out-of-range values throw RangeError like the write builtins.
 */
export function rtpHeader(
  seq: number,
  ts: number,
  ssrc: number,
  payloadType: number = 0,
  marker: number = 0,
  csrcs: readonly number[] = [],
): Uint8Array {
  if (typeof marker === 'boolean') throw new TypeError('rtp_header: marker must be an int, not a bool');
  const m = intArg(marker, 'marker');
  const pt = intArg(payloadType, 'payload_type');
  const cc = Math.min(csrcs.length, 15);
  const b = new Uint8Array(12 + 4 * cc);
  b[0] = 128 + cc;
  const b1 = (m % 2) * 128 + (pt % 128);
  if (b1 < 0 || b1 > 255) throw new RangeError(`rtp_header: octet 1 value ${b1} is out of range 0..255`);
  b[1] = b1;
  writeU16(b, 2, intArg(seq, 'seq'), 'rtp_header seq');
  writeU32(b, 4, intArg(ts, 'ts'), 'rtp_header ts');
  writeU32(b, 8, intArg(ssrc, 'ssrc'), 'rtp_header ssrc');
  for (let i = 0; i < cc; i++) writeU32(b, 12 + 4 * i, intArg(csrcs[i], 'csrc'), 'rtp_header csrc');
  return b;
}

/** `rtp_packet(payload, seq, ts, ssrc, payload_type = 0, marker = 0, csrcs = [])`: the header then the payload. */
export function rtpPacket(
  payload: SeedBytes,
  seq: number,
  ts: number,
  ssrc: number,
  payloadType: number = 0,
  marker: number = 0,
  csrcs: readonly number[] = [],
): Uint8Array {
  const h = rtpHeader(seq, ts, ssrc, payloadType, marker, csrcs);
  const p = toBytes(payload);
  const out = new Uint8Array(h.length + p.length);
  out.set(h, 0);
  out.set(p, h.length);
  return out;
}

/** The success result of {@link rtpParse}, keys in spec order. */
export interface SeedRtpParsed {
  ok: true;
  version: number;
  padding: boolean;
  extension: boolean;
  csrc_count: number;
  marker: boolean;
  payload_type: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  header_len: number;
  csrcs: number[];
  payload: Uint8Array;
}

/** The failure result of the seed parsers. */
export interface SeedFailure {
  ok: false;
  error: string;
  [key: string]: unknown;
}

/**
 * `rtp_parse(packet)` (SPEC §13.6). Fewer than 12 octets or fewer than 12 + 4·cc: `{ok: false, error, len}`.
 * The version is not checked, extensions are not skipped and padding is not removed; the payload is a copy.
 */
export function rtpParse(packet: SeedBytes): SeedRtpParsed | SeedFailure {
  const b = toBytes(packet);
  const n = b.length;
  if (n < 12) return { ok: false, error: 'rtp packet too short', len: n };
  const b0 = b[0]!;
  const b1 = b[1]!;
  const cc = b0 % 16;
  const headerLen = 12 + 4 * cc;
  if (n < headerLen) return { ok: false, error: 'rtp header too short', len: n };
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(readU32(b, 12 + 4 * i));
  return {
    ok: true,
    version: Math.floor(b0 / 64),
    padding: (b0 & 0x20) !== 0,
    extension: (b0 & 0x10) !== 0,
    csrc_count: cc,
    marker: (b1 & 0x80) !== 0,
    payload_type: b1 % 128,
    seq: (b[2]! << 8) | b[3]!,
    timestamp: readU32(b, 4),
    ssrc: readU32(b, 8),
    header_len: headerLen,
    csrcs,
    payload: b.slice(headerLen),
  };
}

/** `rtp_seq_next(seq)`: seq + 1, wrapping 65535 to 0. */
export function rtpSeqNext(seq: number): number {
  return seqNext(intArg(seq, 'seq'));
}

/** One report as the seed helpers take and give it (missing keys read as 0). */
export interface SeedReport {
  ssrc?: number;
  fraction_lost?: number;
  cumulative_lost?: number;
  highest_seq?: number;
  jitter?: number;
  lsr?: number;
  dlsr?: number;
}

/**
 * `rtcp_rr(sender_ssrc, reports = [])` (SPEC §13.7): an RTCP RR with rc = min(len(reports), 31) blocks; the
 * second word of a block is `fraction_lost·2^24 + cumulative_lost % 2^24` (remainder with the dividend's sign,
 * so a negative value is out of range and throws, as in the reference).
 */
export function rtcpRr(senderSsrc: number, reports: readonly SeedReport[] = []): Uint8Array {
  const rc = Math.min(reports.length, 31);
  const total = 8 + 24 * rc;
  const b = new Uint8Array(total);
  b[0] = 128 + rc;
  b[1] = 201;
  writeU16(b, 2, total / 4 - 1, 'rtcp_rr length');
  writeU32(b, 4, intArg(senderSsrc, 'sender_ssrc'), 'rtcp_rr sender_ssrc');
  for (let i = 0; i < rc; i++) {
    const r = reports[i]!;
    const o = 8 + 24 * i;
    const get = (k: keyof SeedReport): number => intArg(r[k] ?? 0, k);
    writeU32(b, o, get('ssrc'), 'rtcp_rr ssrc');
    writeU32(b, o + 4, get('fraction_lost') * 2 ** 24 + (get('cumulative_lost') % 2 ** 24), 'rtcp_rr lost');
    writeU32(b, o + 8, get('highest_seq'), 'rtcp_rr highest_seq');
    writeU32(b, o + 12, get('jitter'), 'rtcp_rr jitter');
    writeU32(b, o + 16, get('lsr'), 'rtcp_rr lsr');
    writeU32(b, o + 20, get('dlsr'), 'rtcp_rr dlsr');
  }
  return b;
}

/** The success result of {@link rtcpParseRr}, keys in spec order. */
export interface SeedRrParsed {
  ok: true;
  version: number;
  padding: boolean;
  count: number;
  packet_type: 201;
  length: number;
  ssrc: number;
  reports: Required<SeedReport>[];
}

/**
 * `rtcp_parse_rr(packet)` (SPEC §13.7): decodes a leading RTCP RR. Unlike the reference (which hangs when the
 * count exceeds the length), report parsing stops at the length limit.
 */
export function rtcpParseRr(packet: SeedBytes): SeedRrParsed | SeedFailure {
  const b = toBytes(packet);
  const n = b.length;
  if (n < 8) return { ok: false, error: 'rtcp packet too short', len: n };
  const pt = b[1]!;
  if (pt !== 201) return { ok: false, error: 'not RTCP RR', packet_type: pt };
  const length = (((b[2]! << 8) | b[3]!) + 1) * 4;
  if (length > n) return { ok: false, error: 'rtcp length mismatch', len: n, expected: length };
  const count = b[0]! % 32;
  const reports: Required<SeedReport>[] = [];
  for (let i = 0; i < count; i++) {
    const o = 8 + 24 * i;
    if (o + 24 > length) break;
    const w = readU32(b, o + 4);
    reports.push({
      ssrc: readU32(b, o),
      fraction_lost: w >>> 24,
      cumulative_lost: w & 0xffffff,
      highest_seq: readU32(b, o + 8),
      jitter: readU32(b, o + 12),
      lsr: readU32(b, o + 16),
      dlsr: readU32(b, o + 20),
    });
  }
  return {
    ok: true,
    version: Math.floor(b[0]! / 64),
    padding: (b[0]! & 0x20) !== 0,
    count,
    packet_type: 201,
    length,
    ssrc: readU32(b, 4),
    reports,
  };
}

/** The seed helpers under their mdhavers builtin names, for the interpreter to bind. */
export const seedBuiltins = {
  /** {@link rtpHeader} */
  rtp_header: rtpHeader,
  /** {@link rtpPacket} */
  rtp_packet: rtpPacket,
  /** {@link rtpParse} */
  rtp_parse: rtpParse,
  /** {@link rtpSeqNext} */
  rtp_seq_next: rtpSeqNext,
  /** {@link rtcpRr} */
  rtcp_rr: rtcpRr,
  /** {@link rtcpParseRr} */
  rtcp_parse_rr: rtcpParseRr,
} as const;
