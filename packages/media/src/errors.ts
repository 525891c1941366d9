/** Why a media session failed or was refused (keying failures, misuse). */
export type MediaErrorCode =
  | 'dtls-failed'
  | 'fingerprint-mismatch'
  | 'no-srtp-profile'
  | 'bad-crypto'
  | 'closed'
  | 'no-remote'
  | 'bad-argument'
  /** Every port of the configured range is in use. */
  | 'no-port';

/** A typed media error: `code` says what went wrong, the message says where. */
export class MediaError extends Error {
  /** Machine-readable reason. */
  readonly code: MediaErrorCode;
  constructor(code: MediaErrorCode, message: string) {
    super(message);
    this.name = 'MediaError';
    this.code = code;
  }
}
