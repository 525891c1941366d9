/**
 * Typed parse error for SIP messages, URIs and header values.
 *
 * RFC 3261 §21.4.1: a malformed request is answered 400; §21.5.6: 505 for an unsupported SIP-Version;
 * §21.4.11: 413 when the message is too large; 501 for an unknown method whose CSeq disagrees.
 */
export class SipParseError extends Error {
  /** Short machine-usable reason, e.g. `bad-request-line`, `content-length-mismatch`. */
  readonly reason: string;
  /** Byte offset in the input where the problem was found (or -1 when unknown). */
  readonly offset: number;
  /**
   * The status a server should answer to a request (400, 413, 416, 501, 505...). For a response the
   * message is simply discarded (RFC 3261 §18.1.2), whatever this says.
   */
  readonly status: number;

  /**
   * @param reason short machine reason
   * @param message human text
   * @param offset byte offset (or -1)
   * @param status status code a server should answer
   */
  constructor(reason: string, message: string, offset = -1, status = 400) {
    super(message);
    this.name = 'SipParseError';
    this.reason = reason;
    this.offset = offset;
    this.status = status;
  }
}
