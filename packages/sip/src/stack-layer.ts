/**
 * The SIP stack: transaction state machines (RFC 3261 §17), digest auth, SDP offer/answer, dialogs,
 * transports and the user agent.
 */
export * from './transaction/timers.js';
export type * from './transaction/types.js';
export * from './transaction/client-invite.js';
export * from './transaction/client-non-invite.js';
export * from './transaction/server-invite.js';
export * from './transaction/server-non-invite.js';
export * from './auth/digest.js';
export * from './sdp/offer-answer.js';
export * from './dialog/dialog.js';
