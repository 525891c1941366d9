/**
 * What a user agent holds, as counts (`ua.stats()`): for leak checks and dashboards. Every count goes back to 0
 * once the calls have ended and the transactions' own timers (RFC 3261 §17: Timer J/K/I/L, at most 64·T1) have run.
 */
export interface UaStats {
  /** Established calls (confirmed INVITE dialogs, RFC 3261 §12). */
  calls: number;
  /**
   * Dialogs held: the confirmed ones (`calls`) and the early dialogs of INVITEs we sent that are PRACKed
   * (RFC 3262, `earlyDialogs`).
   */
  dialogs: number;
  /** 2xx to INVITE / re-INVITE retransmitted until the ACK (RFC 3261 §13.3.1.4). */
  awaitingAck: number;
  /** Reliable provisional responses we sent (RFC 3262 §3), kept for their PRACKs. */
  reliableProvisionals: number;
  /** Early dialogs of INVITEs we sent whose reliable provisionals we PRACK (RFC 3262 §4). */
  earlyDialogs: number;
  /**
   * Subscriptions (RFC 6665): those made with `ua.subscribe()` and those served by `ua.subscriptions` packages,
   * plus the implicit ones of REFER (RFC 3515) — REFERs we sent awaiting their final NOTIFY and REFERs we follow
   * until we sent ours.
   */
  subscriptions: number;
  /** Registrations kept refreshed (removed by `close()`). */
  registrations: number;
  /** Live transactions (RFC 3261 §17), client and server, and of each kind. */
  transactions: {
    client: number;
    server: number;
    clientInvite: number;
    clientNonInvite: number;
    serverInvite: number;
    serverNonInvite: number;
  };
}
