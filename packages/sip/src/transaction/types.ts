import type { CoreOutput } from '@mdh/loop';

/**
 * What a transaction tells its owner (RFC 3261 §17). `M` is the message type the owner passes in (the
 * transaction never parses).
 */
export type TransactionEvent<M> =
  /** A response to pass up to the transaction user (client transactions). */
  | { type: 'response'; status: number; message: M }
  /** Timer B, F or H fired: the peer never answered (RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1). */
  | { type: 'timeout'; timer: 'B' | 'F' | 'H' }
  /** The transport reported an error (RFC 3261 §17.1.4, §17.2.4). */
  | { type: 'transportError' }
  /** A server INVITE transaction received the ACK for its non-2xx final response. */
  | { type: 'ack'; message: M }
  /** The transaction has ended; the owner drops it. */
  | { type: 'terminated' };

/**
 * One output of a transaction (the sans-I/O union, docs/design.md): bytes to hand to the transport (original
 * sends and retransmissions) as a datagram, or an event. Deadlines are read with `nextDeadline()`, so no
 * deadline outputs are queued.
 */
export type TransactionOutput<M> = CoreOutput<TransactionEvent<M>>;

/** Options common to every transaction. */
export interface TransactionOptions {
  /** True on TCP/TLS/WS: no retransmissions, and the wait timers D, I, J, K are zero. */
  reliable: boolean;
  /** Timer overrides. */
  timers?: Partial<import('./timers.js').TransactionTimers>;
}

/** Shared behaviour of the four machines. */
export interface Transaction<M> {
  /** The transaction key (branch, plus method for matching). */
  readonly id: string;
  /** Current state name. */
  readonly state: string;
  /** Drains one pending output, or undefined when there is none. */
  pollOutput(): TransactionOutput<M> | undefined;
  /** The next time `handleTimeout` must be called, or undefined when no timer is armed. */
  nextDeadline(): number | undefined;
  /** Fires every timer due at `now`. */
  handleTimeout(now: number): void;
  /** The transport failed to deliver a message of this transaction. */
  handleTransportError(now: number): void;
}
