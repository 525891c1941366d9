// The public types of the SipStack (stack.ts): send targets, request handlers, options and counters.
import type { Loop } from '@mdh/loop';
import type { createResponse } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import type { TransactionTimers } from '../transaction/timers.js';
import type { Peer, SipTransport } from '../transport/transport.js';

/** Where a request is sent: a transport and a peer (result of target selection, RFC 3263). */
export interface SendTarget {
  transport: SipTransport;
  peer: Peer;
  /** Stream flow to reuse (responses, in-dialog requests over the same connection). */
  flow?: string;
}

/** Why a client transaction ended without a final response. */
export type ClientFailure = 'timeout' | 'transport';

/** Callbacks of a client transaction. */
export interface ClientRequestHandlers {
  /** Every response passed up (provisional and final; several 2xx when forked). */
  onResponse(res: SipResponse): void;
  /** Timer B/F fired or the transport failed (RFC 3261 §8.1.3.1: treat as 408 / 503). */
  onFailure?(why: ClientFailure): void;
}

/** A client transaction as seen by its user. */
export interface ClientRequest {
  /** The request as sent (with its Via). */
  readonly request: SipRequest;
  /** Where it went. */
  readonly target: SendTarget;
}

/** An incoming request with its server transaction; answer it with {@link IncomingRequest.respond}. */
export interface IncomingRequest {
  readonly request: SipRequest;
  /** Source and transport it arrived on. */
  readonly source: Peer;
  readonly transport: SipTransport;
  readonly flow?: string;
  /** Sends a response through the server transaction (RFC 3261 §17.2); returns the bytes as sent. */
  respond(res: SipResponse): Uint8Array;
  /** Convenience: builds the response with createResponse and sends it. */
  reply(status: number, opts?: Parameters<typeof createResponse>[2]): SipResponse;
  /** Whether a final response was sent. */
  readonly answered: boolean;
}

/** Options of {@link SipStack}. */
export interface SipStackOptions {
  loop: Loop;
  transports: SipTransport[];
  timers?: Partial<TransactionTimers>;
  /** Value of the User-Agent/Server header (omitted when empty). */
  userAgent?: string;
  /** Largest message accepted (default 65535 bytes). */
  maxMessageBytes?: number;
  /** Cap on live transactions; new requests beyond it get 503 (default 50 000). */
  maxTransactions?: number;
  /** Address to advertise in Via/Contact when bound to a wildcard address. */
  advertisedAddress?: string;
}

/** Counters of the stack. */
export interface SipStackStats {
  requestsIn: number;
  responsesIn: number;
  retransmissionsIn: number;
  parseErrors: number;
  strayResponses: number;
  clientTransactions: number;
  serverTransactions: number;
  timeouts: number;
  callbackErrors: number;
}
