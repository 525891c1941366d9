/** The ways a DNS query can fail. */
export type DnsErrorCode = 'NXDOMAIN' | 'NODATA' | 'SERVFAIL' | 'TIMEOUT' | 'REFUSED' | 'FORMERR' | 'BADRESPONSE';

/**
 * A typed DNS failure. `NXDOMAIN`: the name does not exist (RCODE 3). `NODATA`: the name exists but
 * has no record of that type (RFC 2308 §2.2). `SERVFAIL`/`REFUSED`/`FORMERR`: what every server
 * answered. `TIMEOUT`: no server answered in time. `BADRESPONSE`: answers were malformed or did not
 * match the query (ID, question). `name` and `type` say what was asked.
 *
 * @example
 * try { await resolver.srv('_sip._udp.example.com'); }
 * catch (e) { if (e instanceof DnsError && e.code === 'NODATA') useDefaultPort(); }
 */
export class DnsError extends Error {
  /** What went wrong. */
  readonly code: DnsErrorCode;
  /** The queried name. */
  readonly hostname: string;
  /** The queried type mnemonic ('A', 'SRV'...). */
  readonly rrtype: string;

  constructor(code: DnsErrorCode, hostname: string, rrtype: string, detail?: string, options?: { cause?: unknown }) {
    super(`${rrtype} ${hostname}: ${code}${detail ? ` (${detail})` : ''}`, options);
    this.name = 'DnsError';
    this.code = code;
    this.hostname = hostname;
    this.rrtype = rrtype;
  }
}

/** A DNS message could not be decoded (truncated, bad pointer, bad RDATA length...). */
export class DnsFormatError extends Error {
  /** Byte offset where decoding failed. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'DnsFormatError';
    this.offset = offset;
  }
}
