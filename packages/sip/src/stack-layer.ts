/**
 * The SIP stack: transaction state machines (RFC 3261 §17), digest auth, SDP offer/answer, dialogs,
 * transports and the user agent.
 */

export * from './auth/digest.js';
export * from './dialog/dialog.js';
export * from './media/call-media.js';
export * from './proxy/proxy.js';
export * from './sdp/offer-answer.js';
export * from './sdp/webrtc.js';
export * from './transaction/client-invite.js';
export * from './transaction/client-non-invite.js';
export * from './transaction/server-invite.js';
export * from './transaction/server-non-invite.js';
export * from './transaction/timer-queues.js';
export * from './transaction/timers.js';
export type * from './transaction/types.js';
export * from './transport/listen.js';
export * from './transport/memory.js';
export * from './transport/stream.js';
export * from './transport/transport.js';
export * from './transport/udp.js';
export * from './transport/ws.js';
export * from './ua/call.js';
export * from './ua/registrar.js';
export * from './ua/stack.js';
export * from './ua/targets.js';
export * from './ua/user-agent.js';
