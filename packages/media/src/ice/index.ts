/** STUN (RFC 8489) and ICE-lite (RFC 8445) for @mdh/media. */
export { bytesToIp, formatAddress, ipToBytes, sameAddress, type TransportAddress } from './address.js';
export {
  candidatePriority,
  formatIceCandidate,
  hostCandidates,
  ICE_TYPE_PREFERENCE,
  type IceCandidate,
  type IceCandidateType,
  IceSdpError,
  parseIceCandidate,
  tryParseIceCandidate,
} from './candidate.js';
export { crc32 } from './crc32.js';
export {
  type IceCandidatePair,
  type IceFailureReason,
  IceLiteAgent,
  type IceLiteAgentOptions,
  type IceLiteEvent,
  type IceLiteOutput,
  type IceLiteState,
  type IceLiteStats,
} from './ice-lite-agent.js';
export {
  formatIceAttributes,
  generateIceCredentials,
  type IceCredentials,
  type IceSdpInfo,
  type IceSdpLines,
  type IceSdpParams,
  isValidIcePwd,
  isValidIceUfrag,
  parseIceAttributes,
} from './ice-sdp.js';
export {
  addressValue,
  decodeAddress,
  decodeErrorCode,
  decodeText,
  decodeUnknownAttributes,
  decodeXorAddress,
  errorCodeValue,
  readU32,
  readU64,
  type StunErrorCodeValue,
  textValue,
  u32Value,
  u64Value,
  unknownAttributesValue,
  xorAddressValue,
} from './stun-attributes.js';
export {
  isUnknownRequiredAttribute,
  STUN_FINGERPRINT_XOR,
  STUN_HEADER_LENGTH,
  STUN_MAGIC_COOKIE,
  STUN_MAX_ATTRIBUTES,
  STUN_REASONS,
  StunAttr,
  type StunClass,
  StunErrorCode,
  StunMethod,
} from './stun-constants.js';
export { StunParseError, type StunParseErrorCode, StunUsageError } from './stun-error.js';
export { StunKey } from './stun-key.js';
export {
  getAttribute,
  hasAttribute,
  isStunMessage,
  newTransactionId,
  parseStun,
  type StunAttribute,
  type StunMessage,
  type StunMessageInit,
  serializeStun,
  stunMessageType,
  tryParseStun,
  verifyFingerprint,
  verifyIntegrity,
  verifyIntegritySha256,
} from './stun-message.js';
