/**
 * Compound RTCP packets (RFC 3550 §6.1): a sequence of RTCP packets, each found by its own length field.
 * A length that overruns the datagram or leaves a fragment shorter than a header is an error, never an
 * over-read. Reduced-size RTCP (RFC 5506: a single packet of any type, not starting with SR/RR) is accepted;
 * the full RFC 3550 Appendix A.2 validity checks run with `strict: true` or {@link validateRtcpCompound}.
 */
import { RtcpParseError } from '../errors.js';
import { AppPacket } from './app.js';
import { Goodbye } from './bye.js';
import { RtcpType, type RtcpView, r16, viewAt } from './common.js';
import { FeedbackPacket, PsfbFmt, RtpfbFmt } from './feedback.js';
import { FullIntraRequest } from './fir.js';
import { GenericNack } from './nack.js';
import { PictureLossIndication } from './pli.js';
import { Remb } from './remb.js';
import { ReceiverReport } from './rr.js';
import { SourceDescription } from './sdes.js';
import { SenderReport } from './sr.js';
import { UnknownRtcpPacket } from './unknown.js';
import { ExtendedReport } from './xr.js';

/** Any RTCP packet; narrow on `kind`. */
export type RtcpPacket =
  | SenderReport
  | ReceiverReport
  | SourceDescription
  | Goodbye
  | AppPacket
  | GenericNack
  | PictureLossIndication
  | FullIntraRequest
  | Remb
  | FeedbackPacket
  | ExtendedReport
  | UnknownRtcpPacket;

/** Options of {@link parseRtcp}. */
export interface ParseRtcpOptions {
  /** Apply the RFC 3550 A.2 header validity checks too (see {@link validateRtcpCompound}). Default false. */
  strict?: boolean;
  /** With `strict`, still accept RFC 5506 reduced-size RTCP (first packet not SR/RR). Default true. */
  allowReducedSize?: boolean;
  /** Upper bound on the number of packets in one compound (default 256). */
  maxPackets?: number;
}

/**
 * Parses a (compound) RTCP datagram into its packets. Throws {@link RtcpParseError} on: fewer than 4 octets,
 * version ≠ 2, a length field overrunning the datagram, bad padding, or a malformed packet body.
 */
export function parseRtcp(buf: Uint8Array, opts?: ParseRtcpOptions): RtcpPacket[] {
  if (opts?.strict) {
    const e = validateRtcpCompound(buf, opts);
    if (e !== null) throw e;
  }
  const max = opts?.maxPackets ?? 256;
  const out: RtcpPacket[] = [];
  let o = 0;
  const n = buf.length;
  if (n === 0) throw new RtcpParseError('truncated', 0, 'empty RTCP datagram');
  while (o < n) {
    if (out.length >= max) throw new RtcpParseError('too-many-packets', o, `more than ${max} packets`);
    const v = viewAt(buf, o);
    out.push(parseView(v));
    o = v.offset + (r16(buf, o + 2) + 1) * 4;
  }
  return out;
}

/** Like {@link parseRtcp} but returns the error instead of throwing. */
export function tryParseRtcp(buf: Uint8Array, opts?: ParseRtcpOptions): RtcpPacket[] | RtcpParseError {
  try {
    return parseRtcp(buf, opts);
  } catch (e) {
    if (e instanceof RtcpParseError) return e;
    throw e;
  }
}

/** Decodes one located packet by its type (and FMT for feedback). */
function parseView(v: RtcpView): RtcpPacket {
  switch (v.packetType) {
    case RtcpType.SR:
      return SenderReport.parseView(v);
    case RtcpType.RR:
      return ReceiverReport.parseView(v);
    case RtcpType.SDES:
      return SourceDescription.parseView(v);
    case RtcpType.BYE:
      return Goodbye.parseView(v);
    case RtcpType.APP:
      return AppPacket.parseView(v);
    case RtcpType.RTPFB:
      if (v.count === RtpfbFmt.NACK) return GenericNack.parseView(v);
      return FeedbackPacket.parseView(v);
    case RtcpType.PSFB:
      if (v.count === PsfbFmt.PLI) return PictureLossIndication.parseView(v);
      if (v.count === PsfbFmt.FIR) return FullIntraRequest.parseView(v);
      if (v.count === PsfbFmt.AFB && Remb.matches(v)) return Remb.parseView(v);
      return FeedbackPacket.parseView(v);
    case RtcpType.XR:
      return ExtendedReport.parseView(v);
    default:
      return UnknownRtcpPacket.parseView(v);
  }
}

/**
 * RFC 3550 Appendix A.2 validity checks on a compound: version 2 everywhere, the first packet is SR or RR
 * (unless `allowReducedSize`, RFC 5506 §3.1), padding only in the last packet, and the lengths add up to the
 * datagram exactly. Returns the first violation, or null.
 */
export function validateRtcpCompound(buf: Uint8Array, opts?: { allowReducedSize?: boolean }): RtcpParseError | null {
  const n = buf.length;
  if (n < 4) return new RtcpParseError('truncated', 0, 'RTCP datagram shorter than a header');
  const first = buf[1]!;
  if ((opts?.allowReducedSize ?? true) === false && first !== RtcpType.SR && first !== RtcpType.RR) {
    return new RtcpParseError('bad-first-packet', 1, `compound starts with PT ${first}, not SR or RR (A.2)`);
  }
  let o = 0;
  while (o < n) {
    if (n - o < 4) return new RtcpParseError('truncated', o, 'trailing fragment shorter than a header');
    const b0 = buf[o]!;
    if (b0 >> 6 !== 2) return new RtcpParseError('bad-version', o, `version ${b0 >> 6} (A.2)`);
    const len = (r16(buf, o + 2) + 1) * 4;
    if (o + len > n) return new RtcpParseError('bad-length', o + 2, 'lengths do not add up to the datagram (A.2)');
    if (b0 & 0x20 && o + len !== n) {
      return new RtcpParseError('bad-padding', o, 'padding bit set on a packet that is not the last (A.2)');
    }
    o += len;
  }
  return null;
}

/** Total size in octets of the compound made of `packets`. */
export function rtcpCompoundSize(packets: readonly RtcpPacket[]): number {
  let n = 0;
  for (const p of packets) n += p.size();
  return n;
}

/** Writes the compound made of `packets` at `offset`; returns the octets written. */
export function serializeRtcpInto(packets: readonly RtcpPacket[], buf: Uint8Array, offset = 0): number {
  let o = offset;
  for (const p of packets) o += p.serializeInto(buf, o);
  return o - offset;
}

/** Serialises `packets` as one compound datagram. */
export function serializeRtcp(packets: readonly RtcpPacket[]): Uint8Array {
  const out = new Uint8Array(rtcpCompoundSize(packets));
  serializeRtcpInto(packets, out, 0);
  return out;
}

/**
 * RFC 5761 §4 demultiplexing of RTP and RTCP on one port: an RTCP packet has the second octet (its packet type)
 * in 192..223. Returns false for anything shorter than 2 octets.
 */
export function isRtcpPacket(buf: Uint8Array): boolean {
  if (buf.length < 2) return false;
  const pt = buf[1]!;
  return pt >= 192 && pt <= 223;
}
