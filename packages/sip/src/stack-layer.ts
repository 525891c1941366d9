/**
 * The SIP stack: transaction state machines (RFC 3261 §17), digest auth, SDP offer/answer, dialogs,
 * transports and the user agent. Exports are listed by name; modules under src/ that are not named
 * here are internal. Test helpers (the in-memory network) are on `@mdh/sip/testing`.
 */

export type { AbortOptions } from './abort.js';
export {
  computeDigestResponse,
  DIGEST_PREFERENCE,
  type DigestAlgorithm,
  type DigestChallenge,
  DigestClient,
  type DigestCredentials,
  type DigestInput,
  DigestParseError,
  DigestServer,
  type DigestServerOptions,
  type DigestVerdict,
  formatDigestChallenge,
  formatDigestCredentials,
  parseAuthParams,
  parseDigestChallenge,
  parseDigestCredentials,
} from './auth/digest.js';
export {
  Bridge,
  BridgeError,
  type BridgeErrorCode,
  type BridgeMediaMode,
  type BridgeOptions,
  bridge,
  mapFailureStatus,
} from './b2bua/bridge.js';
export { RtpRelay, type RtpRelayStats } from './b2bua/relay.js';
export {
  Dialog,
  DialogSequenceError,
  type DialogState,
  dialogId,
  type InDialogRequestOptions,
} from './dialog/dialog.js';
export {
  buildDialogInfo,
  DIALOG_INFO_TYPE,
  type DialogInfo,
  type DialogInfoDialog,
  type DialogInfoStateName,
  type DialogParticipant,
  parseDialogInfo,
  tryParseDialogInfo,
} from './events/dialog-info.js';
export { EventBodyError } from './events/event-body-error.js';
export {
  buildMessageSummary,
  MESSAGE_SUMMARY_TYPE,
  type MessageCounts,
  type MessageSummary,
  parseMessageSummary,
  tryParseMessageSummary,
} from './events/message-summary.js';
export {
  CallMedia,
  type CallMediaOptions,
  type CallMediaReport,
  callMediaReport,
  defaultDtlsCertificate,
  makeSdesCrypto,
  mediaOptionsFor,
  SDES_SUITES,
} from './media/call-media.js';
export { answerRegister, locationRouter } from './proxy/location-router.js';
export {
  createProxy,
  type ForkMode,
  type ProxyDecision,
  type ProxyOptions,
  type ProxyRequestInfo,
  type ProxyRouter,
  type ProxyStats,
  type ProxyTarget,
  SipProxy,
} from './proxy/proxy.js';
export {
  createStatelessProxy,
  type ForwardingHost,
  forwardResponseByVia,
  forwardStatelessly,
  StatelessProxy,
  type StatelessProxyOptions,
  type StatelessProxyStats,
} from './proxy/stateless.js';
export {
  type AudioCodec,
  answerSdpOffer,
  createSdpOffer,
  type LocalMedia,
  type MediaDirection,
  type NegotiatedMedia,
  parseSdp,
  readSdpAnswer,
  type SdpAnswer,
  type SdpCrypto,
  type SdpFingerprint,
  SdpNegotiationError,
  type SdpSessionInfo,
  type SdpSetup,
  type SrtpMode,
} from './sdp/offer-answer.js';
export type { SdpIceLocal, SdpIceRemote } from './sdp/webrtc.js';
export {
  type ClientInviteOptions,
  type ClientInviteState,
  ClientInviteTransaction,
} from './transaction/client-invite.js';
export {
  type ClientNonInviteOptions,
  type ClientNonInviteState,
  ClientNonInviteTransaction,
} from './transaction/client-non-invite.js';
export {
  type ServerInviteOptions,
  type ServerInviteState,
  ServerInviteTransaction,
} from './transaction/server-invite.js';
export { type ServerNonInviteState, ServerNonInviteTransaction } from './transaction/server-non-invite.js';
export { type Timed, TimerQueues } from './transaction/timer-queues.js';
export {
  DEFAULT_TIMERS,
  Deadlines,
  resolveTimers,
  TIMER_D_MS,
  TRYING_DELAY_MS,
  type TransactionTimers,
} from './transaction/timers.js';
export type { Transaction, TransactionEvent, TransactionOptions, TransactionOutput } from './transaction/types.js';
export { type ListenOptions, listenTransport, selfSignedIdentity } from './transport/listen.js';
export { StreamTransport, type StreamTransportOptions } from './transport/stream.js';
export {
  defaultPort,
  type InboundPacket,
  newTransportStats,
  type Peer,
  type SipTransport,
  SipTransportError,
  type TransportProtocol,
  type TransportStats,
  viaTransport,
} from './transport/transport.js';
export { UdpTransport, type UdpTransportOptions } from './transport/udp.js';
export { WsTransport, type WsTransportOptions } from './transport/ws.js';
export { Call, type CallEndReason, type CallEvents, type CallOwner } from './ua/call.js';
export { type AnswerOptions, type CallMediaSettings, offeredMode } from './ua/call-media-owner.js';
export {
  type EventHeader,
  parseEventHeader,
  parseSubscriptionState,
  type SubscriptionStateHeader,
  type SubscriptionStateName,
} from './ua/event-headers.js';
export { bumpVersion, holdDirection, sdpDirection, withDirection } from './ua/hold.js';
export { type CallDtmf, dtmfRelayBody, parseDtmfInfo } from './ua/info-dtmf.js';
export { type Binding, type LocationStore, type MaybePromise, MemoryLocationStore } from './ua/location.js';
export {
  type EventPackage,
  IncomingSubscription,
  type IncomingSubscriptionEvents,
  type NotifierHost,
  type NotifierTermination,
  type NotifyOptions,
} from './ua/notifier.js';
export {
  formatTrace,
  type PinoLike,
  type SipLogFn,
  type SipLogger,
  type SipLogLevel,
  type SipTraceEvent,
  sipReceiveChannel,
  sipSendChannel,
} from './ua/observability.js';
export { type RAck, type ReliableDeps, ReliableProvisionals } from './ua/prack.js';
export type { ReferRequest, ReferVerdict } from './ua/refer.js';
export { addressOfRecord, Registrar, type RegistrarOptions } from './ua/registrar.js';
export type { SessionTimerOptions } from './ua/session-timer.js';
export {
  type ClientFailure,
  type ClientRequest,
  type ClientRequestHandlers,
  type IncomingRequest,
  type SendTarget,
  SipStack,
  type SipStackOptions,
  type SipStackStats,
} from './ua/stack.js';
export type { UaStats } from './ua/stats.js';
export {
  type SubscribeOptions,
  type SubscriberHost,
  Subscription,
  type SubscriptionEvents,
  type SubscriptionNotify,
  type SubscriptionState,
  type SubscriptionTermination,
} from './ua/subscription.js';
export { SubscriptionLimitError, Subscriptions, type SubscriptionsHost } from './ua/subscriptions.js';
export { SipCallError, type TargetResolver } from './ua/targets.js';
export {
  IncomingCall,
  type InviteOptions,
  type OutgoingInvite,
  Registration,
  UserAgent,
  type UserAgentEvents,
  type UserAgentOptions,
} from './ua/user-agent.js';
