/** Base class of every error raised by @mdh/srtp. `code` names the failure for logs and counters. */
export class SrtpError extends Error {
  override name = 'SrtpError';
  constructor(
    message: string,
    /** Short machine-readable reason, e.g. `'auth'`, `'replay'`, `'short'`. */
    readonly code: string,
  ) {
    super(message);
  }
}

/** The authentication tag (HMAC-SHA1 or the GCM tag) did not verify (RFC 3711 §3.3 step 5, RFC 7714 §8). */
export class SrtpAuthError extends SrtpError {
  override name = 'SrtpAuthError';
  constructor(
    message: string,
    /** SSRC of the rejected packet. */
    readonly ssrc: number,
  ) {
    super(message, 'auth');
  }
}

/** The packet index was already received or is older than the replay window (RFC 3711 §3.3.2). */
export class SrtpReplayError extends SrtpError {
  override name = 'SrtpReplayError';
  constructor(
    message: string,
    /** SSRC of the rejected packet. */
    readonly ssrc: number,
    /** The estimated packet index (SRTP: ROC·2^16 + SEQ; SRTCP: the 31-bit index). */
    readonly index: number,
  ) {
    super(message, 'replay');
  }
}

/** The packet is not a well-formed (S)RTP/(S)RTCP packet: too short, wrong version, bad lengths, unknown MKI. */
export class SrtpParseError extends SrtpError {
  override name = 'SrtpParseError';
}

/** API misuse: unknown profile, wrong key length, bad option. Thrown at construction or call time. */
export class SrtpConfigError extends SrtpError {
  override name = 'SrtpConfigError';
  constructor(message: string) {
    super(message, 'config');
  }
}

/**
 * A limit was reached: the packet index space of a key is exhausted (2^48 SRTP, 2^31 SRTCP — RFC 3711 §9.2
 * requires re-keying), the caller's output buffer is too small, or too many SSRC streams exist.
 */
export class SrtpLimitError extends SrtpError {
  override name = 'SrtpLimitError';
}
