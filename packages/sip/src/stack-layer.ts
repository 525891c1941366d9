/**
 * The SIP stack: transaction state machines (RFC 3261 §17), digest auth, SDP offer/answer, dialogs,
 * transports and the user agent.
 */

export * from './abort.js';
export * from './auth/digest.js';
export * from './b2bua/bridge.js';
export * from './b2bua/relay.js';
export * from './dialog/dialog.js';
export * from './events/dialog-info.js';
export * from './events/event-body-error.js';
export * from './events/message-summary.js';
export * from './media/call-media.js';
export * from './proxy/location-router.js';
export * from './proxy/proxy.js';
export * from './proxy/routing.js';
export * from './proxy/stateless.js';
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
export { type AnswerOptions, type CallMediaSettings, offeredMode } from './ua/call-media-owner.js';
export * from './ua/event-headers.js';
export { bumpVersion, holdDirection, sdpDirection, withDirection } from './ua/hold.js';
export { type CallDtmf, dtmfRelayBody, parseDtmfInfo } from './ua/info-dtmf.js';
export * from './ua/location.js';
export * from './ua/notifier.js';
export * from './ua/observability.js';
export {
  OPTION_100REL,
  parseRAck,
  parseRSeq,
  type RAck,
  type ReliableDeps,
  ReliableProvisionals,
} from './ua/prack.js';
export * from './ua/refer.js';
export * from './ua/registrar.js';
export type { SessionTimerOptions } from './ua/session-timer.js';
export * from './ua/stack.js';
export type { UaStats } from './ua/stats.js';
export * from './ua/subscription.js';
export * from './ua/subscriptions.js';
export * from './ua/targets.js';
export * from './ua/user-agent.js';
