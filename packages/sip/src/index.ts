/**
 * @mdh/sip — the message layer (messages, URIs, framing, RFC 3263 resolution) and the stack
 * (transports, transactions, dialogs, digest auth, SDP, the user agent).
 * @packageDocumentation
 */
export * from './message-layer.js';
export * from './stack-layer.js';
