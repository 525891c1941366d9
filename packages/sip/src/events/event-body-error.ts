/** A body of an event package (RFC 3842 message summary, RFC 4235 dialog info) that cannot be read. */
export class EventBodyError extends Error {
  /** The event package whose body was malformed, e.g. `message-summary`. */
  readonly eventPackage: string;
  constructor(eventPackage: string, message: string) {
    super(`${eventPackage}: ${message}`);
    this.name = 'EventBodyError';
    this.eventPackage = eventPackage;
  }
}

/** Longest event body the parsers read (a NOTIFY body is bounded by the message size anyway). */
export const MAX_EVENT_BODY = 65_536;
