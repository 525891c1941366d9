import { AlertDescription, alertName } from './constants.js';

/**
 * A fatal DTLS protocol failure (STYLE §4b). `alert` is the alert description that was (or would be) sent to the
 * peer; `remote` is true when the peer sent the alert to us.
 */
export class DtlsError extends Error {
  override readonly name = 'DtlsError';
  constructor(
    message: string,
    /** Alert description (RFC 5246 §7.2). */
    readonly alert: number = AlertDescription.internalError,
    /** True when the alert came from the peer. */
    readonly remote = false,
  ) {
    super(message);
  }
  /** The alert's name, e.g. `decrypt_error` as `decryptError`. */
  get alertName(): string {
    return alertName(this.alert);
  }
}

/** Misuse of the API (STYLE §4c): thrown at the edge with a message that says what to do. */
export class DtlsUsageError extends Error {
  override readonly name = 'DtlsUsageError';
}

/** Throws a DtlsError with decode_error. */
export function decodeError(what: string): never {
  throw new DtlsError(`malformed ${what}`, AlertDescription.decodeError);
}
