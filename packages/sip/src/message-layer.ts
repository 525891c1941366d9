/**
 * The SIP message layer: messages (RFC 3261 §7, §20, §25), URIs (§19.1), stream framing (§18.3,
 * RFC 5626 §4.4.1) and RFC 3263 server location.
 * @packageDocumentation
 */

export {
  type FramerEvent,
  type FramerOutput,
  StreamFramer,
  type StreamFramerOptions,
} from './framing/stream-framer.js';
export {
  BRANCH_MAGIC,
  type CreateRequestOptions,
  type CreateResponseOptions,
  createRequest,
  createResponse,
  cryptoRandom,
  newBranch,
  newCallId,
  newTag,
  type RandomBytes,
  REASON_PHRASES,
} from './message/build.js';
export { SipParseError } from './message/errors.js';
export {
  COMPACT_FORMS,
  canonicalHeaderName,
  headerKey,
  LIST_HEADERS,
  SINGLETON_HEADERS,
} from './message/header-names.js';
export {
  isRequest,
  isResponse,
  type SipHeader,
  type SipMessage,
  SipMessageBase,
  SipRequest,
  SipResponse,
} from './message/message.js';
export { KNOWN_METHODS, type ParseOptions, parseMessage, tryParseMessage } from './message/parse.js';
export { messageToString, serializeMessage } from './message/serialize.js';
export { type RequestRejection, type ValidateOptions, validateRequest } from './message/validate.js';
export {
  type AuthParams,
  type Contact,
  type CSeq,
  formatAuth,
  formatNameAddr,
  formatParams,
  formatVia,
  type HeaderParams,
  type MediaType,
  type NameAddr,
  parseAuth,
  parseCallId,
  parseContact,
  parseCSeq,
  parseDeltaSeconds,
  parseMaxForwards,
  parseMediaType,
  parseNameAddr,
  parseSipDate,
  parseTokenList,
  parseVia,
  type Via,
} from './message/views.js';
export {
  isIpAddress,
  type SipDnsResolver,
  type SipResolveOptions,
  type SipTarget,
  type SipTransportName,
  sipResolve,
} from './resolve/sip-resolve.js';
export {
  type AbsoluteUri,
  formatUri,
  isValidHost,
  parseHostPort as parseUriHostPort,
  parseUri,
  type SipUri,
  stripBrackets,
  type TelUri,
  tryParseUri,
  type Uri,
  type UriParams,
  uriEquals,
} from './uri/uri.js';
