/**
 * Transport-wide congestion control feedback, draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1 (RTPFB,
 * FMT 15). The compound parser keeps it as a {@link FeedbackPacket}; these functions decode and build its FCI:
 *
 * ```
 * |      base sequence number     |      packet status count      |
 * |                 reference time                | fb pkt. count |
 * |          packet chunk         |         packet chunk          |  ...
 * |         recv delta            |  recv delta   | zero padding  |  ...
 * ```
 * A run-length chunk is `0 | symbol(2) | run length(13)`; a status vector chunk is `1 | S | symbols(14)` with
 * fourteen 1-bit (S=0) or seven 2-bit (S=1) symbols. Symbols: 0 not received, 1 received with a small delta
 * (1 octet, 0..63.75 ms), 2 received with a large or negative delta (2 octets, signed). Deltas are in 250 µs.
 */
import { RtcpParseError } from '../errors.js';
import { FeedbackPacket, RtpfbFmt } from './feedback.js';

/** Status of one packet in a TWCC report. */
export const TwccStatus = { NOT_RECEIVED: 0, SMALL_DELTA: 1, LARGE_DELTA: 2 } as const;

/** One packet's feedback: its transport-wide sequence number, status and receive delta. */
export interface TwccPacketStatus {
  sequenceNumber: number;
  status: 0 | 1 | 2;
  /** Receive delta from the previous received packet (or the reference time) in µs; absent if not received. */
  deltaUs?: number;
}

/** A decoded TWCC feedback message. */
export interface TransportWideCc {
  senderSsrc: number;
  mediaSsrc: number;
  baseSequenceNumber: number;
  /** Reference time in multiples of 64 ms (signed 24 bits). */
  referenceTime: number;
  /** Feedback packet count (8 bits, wraps). */
  feedbackPacketCount: number;
  packets: TwccPacketStatus[];
}

/** Upper bound on the packet status count accepted when decoding (the field is 16 bits). */
const MAX_STATUS = 0xffff;

/** Decodes the FCI of an RTPFB FMT 15 message. Throws {@link RtcpParseError} on a malformed FCI. */
export function decodeTransportWideCc(fb: FeedbackPacket): TransportWideCc {
  if (fb.packetType !== 205 || fb.fmt !== RtpfbFmt.TWCC) {
    throw new RtcpParseError('wrong-type', 0, 'not an RTPFB FMT 15 (transport-wide CC) message');
  }
  const b = fb.fci;
  if (b.length < 8) throw new RtcpParseError('bad-fci', 0, 'TWCC FCI shorter than 8 octets');
  const base = (b[0]! << 8) | b[1]!;
  const count = (b[2]! << 8) | b[3]!;
  if (count > MAX_STATUS) throw new RtcpParseError('bad-fci', 2, 'packet status count too large');
  const ref = (((b[4]! << 16) | (b[5]! << 8) | b[6]!) << 8) >> 8;
  const fbCount = b[7]!;
  const statuses: number[] = [];
  let o = 8;
  while (statuses.length < count) {
    if (o + 2 > b.length) throw new RtcpParseError('bad-fci', o, 'TWCC packet chunks run past the FCI');
    const chunk = (b[o]! << 8) | b[o + 1]!;
    o += 2;
    if ((chunk & 0x8000) === 0) {
      const sym = (chunk >> 13) & 3;
      const run = chunk & 0x1fff;
      for (let i = 0; i < run && statuses.length < count; i++) statuses.push(sym);
    } else if ((chunk & 0x4000) === 0) {
      for (let i = 13; i >= 0 && statuses.length < count; i--) statuses.push((chunk >> i) & 1);
    } else {
      for (let i = 12; i >= 0 && statuses.length < count; i -= 2) statuses.push((chunk >> i) & 3);
    }
  }
  const packets: TwccPacketStatus[] = [];
  for (let i = 0; i < count; i++) {
    const st = statuses[i]!;
    const seq = (base + i) & 0xffff;
    if (st === 0) {
      packets.push({ sequenceNumber: seq, status: 0 });
    } else if (st === 1) {
      if (o + 1 > b.length) throw new RtcpParseError('bad-fci', o, 'TWCC receive deltas run past the FCI');
      packets.push({ sequenceNumber: seq, status: 1, deltaUs: b[o]! * 250 });
      o += 1;
    } else if (st === 2) {
      if (o + 2 > b.length) throw new RtcpParseError('bad-fci', o, 'TWCC receive deltas run past the FCI');
      packets.push({ sequenceNumber: seq, status: 2, deltaUs: ((((b[o]! << 8) | b[o + 1]!) << 16) >> 16) * 250 });
      o += 2;
    } else {
      throw new RtcpParseError('bad-fci', o, 'reserved TWCC status symbol 3');
    }
  }
  return {
    senderSsrc: fb.senderSsrc,
    mediaSsrc: fb.mediaSsrc,
    baseSequenceNumber: base,
    referenceTime: ref,
    feedbackPacketCount: fbCount,
    packets,
  };
}

/**
 * Builds an RTPFB FMT 15 message. `packets` are consecutive sequence numbers from `baseSequenceNumber`; each
 * received packet's `deltaUs` is rounded to 250 µs and its status chosen (small when 0..63.75 ms, else large).
 * Chunks are run-length for runs of 7 or more equal symbols, else 2-bit status vectors.
 */
export function encodeTransportWideCc(t: {
  senderSsrc: number;
  mediaSsrc: number;
  baseSequenceNumber: number;
  referenceTime: number;
  feedbackPacketCount: number;
  packets: readonly { received: boolean; deltaUs?: number }[];
}): FeedbackPacket {
  const n = t.packets.length;
  if (n > MAX_STATUS) throw new RangeError('too many packets for one TWCC message');
  if (!Number.isInteger(t.referenceTime) || t.referenceTime < -0x800000 || t.referenceTime > 0x7fffff) {
    throw new RangeError('TWCC reference time must be a signed 24-bit integer');
  }
  const syms: number[] = [];
  const deltas: number[] = [];
  for (const p of t.packets) {
    if (!p.received) {
      syms.push(0);
      continue;
    }
    const d = Math.round((p.deltaUs ?? 0) / 250);
    if (d >= 0 && d <= 255) syms.push(1);
    else if (d >= -32768 && d <= 32767) syms.push(2);
    else throw new RangeError(`TWCC delta ${p.deltaUs} µs does not fit 16 bits of 250 µs`);
    deltas.push(d);
  }
  const chunks: number[] = [];
  for (let i = 0; i < n; ) {
    let run = 1;
    while (i + run < n && syms[i + run] === syms[i] && run < 0x1fff) run++;
    if (run >= 7) {
      chunks.push((syms[i]! << 13) | run);
      i += run;
    } else {
      let c = 0xc000;
      for (let k = 0; k < 7; k++) c |= (i + k < n ? syms[i + k]! : 0) << (12 - 2 * k);
      chunks.push(c);
      i += 7;
    }
  }
  let len = 8 + 2 * chunks.length;
  for (const d of deltas) len += d >= 0 && d <= 255 ? 1 : 2;
  const fci = new Uint8Array((len + 3) & ~3);
  fci[0] = (t.baseSequenceNumber >> 8) & 0xff;
  fci[1] = t.baseSequenceNumber & 0xff;
  fci[2] = n >> 8;
  fci[3] = n & 0xff;
  const ref = t.referenceTime & 0xffffff;
  fci[4] = ref >> 16;
  fci[5] = (ref >> 8) & 0xff;
  fci[6] = ref & 0xff;
  fci[7] = t.feedbackPacketCount & 0xff;
  let o = 8;
  for (const c of chunks) {
    fci[o++] = c >> 8;
    fci[o++] = c & 0xff;
  }
  let di = 0;
  for (const s of syms) {
    if (s === 0) continue;
    const d = deltas[di++]!;
    if (s === 1) fci[o++] = d;
    else {
      fci[o++] = (d >> 8) & 0xff;
      fci[o++] = d & 0xff;
    }
  }
  return new FeedbackPacket({
    packetType: 205,
    fmt: RtpfbFmt.TWCC,
    senderSsrc: t.senderSsrc,
    mediaSsrc: t.mediaSsrc,
    fci,
  });
}
