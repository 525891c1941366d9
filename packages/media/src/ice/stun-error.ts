/** Why a datagram is not a well-formed STUN message (RFC 8489 §5, §6.3, §14). */
export type StunParseErrorCode =
  | 'too-short'
  | 'not-stun'
  | 'bad-cookie'
  | 'bad-length'
  | 'truncated-attribute'
  | 'bad-attribute'
  | 'too-many-attributes'
  | 'fingerprint-not-last';

/** A malformed STUN message (STYLE §4a: noise from the peer; callers drop and count it). */
export class StunParseError extends Error {
  override readonly name = 'StunParseError';
  constructor(
    /** What was wrong. */
    readonly code: StunParseErrorCode,
    message: string,
    /** Octet offset in the datagram where the problem was found. */
    readonly offset = 0,
  ) {
    super(`${message} (at octet ${offset})`);
  }
}

/** Misuse of the STUN/ICE API (STYLE §4c): thrown at the edge with a message that says what to do. */
export class StunUsageError extends Error {
  override readonly name = 'StunUsageError';
}
