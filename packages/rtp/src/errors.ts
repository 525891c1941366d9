/**
 * Typed errors of @mdh/rtp. Malformed input from the network raises (or, from the `try*` parsers, returns)
 * one of these, naming what was wrong and at which octet offset. Nothing else is ever thrown by a parser.
 */

/** An RTP packet (RFC 3550 §5.1) failed validation. */
export class RtpParseError extends Error {
  override readonly name = 'RtpParseError';
  /** Short machine-friendly reason, e.g. `'bad-version'`, `'truncated'`, `'bad-padding'`. */
  readonly reason: string;
  /** Octet offset in the input where the problem was found. */
  readonly offset: number;
  constructor(reason: string, offset: number, detail?: string) {
    super(`RTP parse error (${reason}) at offset ${offset}${detail ? `: ${detail}` : ''}`);
    this.reason = reason;
    this.offset = offset;
  }
}

/** An RTCP packet (RFC 3550 §6.4, RFC 4585, RFC 5104, RFC 3611) or compound failed validation. */
export class RtcpParseError extends Error {
  override readonly name = 'RtcpParseError';
  /** Short machine-friendly reason, e.g. `'bad-version'`, `'bad-length'`, `'truncated'`. */
  readonly reason: string;
  /** Octet offset in the input (the compound) where the problem was found. */
  readonly offset: number;
  constructor(reason: string, offset: number, detail?: string) {
    super(`RTCP parse error (${reason}) at offset ${offset}${detail ? `: ${detail}` : ''}`);
    this.reason = reason;
    this.offset = offset;
  }
}
