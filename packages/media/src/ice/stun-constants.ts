/** STUN numbers (RFC 8489 §5, §18; RFC 8445 §16.1 for the ICE attributes). */

/** The magic cookie in octets 4..8 of every RFC 5389/8489 message (§5). */
export const STUN_MAGIC_COOKIE = 0x2112a442;

/** Length of the STUN header (§5). */
export const STUN_HEADER_LENGTH = 20;

/** Value XORed into the CRC-32 of FINGERPRINT (§14.7): the octets "STUN". */
export const STUN_FINGERPRINT_XOR = 0x5354554e;

/** Methods used here (§18.2). */
export const StunMethod = {
  binding: 0x001,
} as const;

/** The four message classes (§5): the C1/C0 bits of the message type. */
export type StunClass = 'request' | 'indication' | 'success' | 'error';

/** Attribute types (RFC 8489 §18.3, RFC 8445 §16.1). */
export const StunAttr = {
  MAPPED_ADDRESS: 0x0001,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  UNKNOWN_ATTRIBUTES: 0x000a,
  REALM: 0x0014,
  NONCE: 0x0015,
  MESSAGE_INTEGRITY_SHA256: 0x001c,
  PASSWORD_ALGORITHM: 0x001d,
  USERHASH: 0x001e,
  XOR_MAPPED_ADDRESS: 0x0020,
  PRIORITY: 0x0024,
  USE_CANDIDATE: 0x0025,
  PASSWORD_ALGORITHMS: 0x8002,
  ALTERNATE_DOMAIN: 0x8003,
  SOFTWARE: 0x8022,
  ALTERNATE_SERVER: 0x8023,
  FINGERPRINT: 0x8028,
  ICE_CONTROLLED: 0x8029,
  ICE_CONTROLLING: 0x802a,
} as const;

/**
 * Comprehension-required attributes (type < 0x8000, §14) this codec understands. Any other comprehension-required
 * attribute in a request earns a 420 (Unknown Attribute) response (§6.3.1.1); in a response it is discarded (§6.3.3).
 */
const KNOWN_REQUIRED = new Set<number>([
  StunAttr.MAPPED_ADDRESS,
  StunAttr.USERNAME,
  StunAttr.MESSAGE_INTEGRITY,
  StunAttr.ERROR_CODE,
  StunAttr.UNKNOWN_ATTRIBUTES,
  StunAttr.REALM,
  StunAttr.NONCE,
  StunAttr.MESSAGE_INTEGRITY_SHA256,
  StunAttr.PASSWORD_ALGORITHM,
  StunAttr.USERHASH,
  StunAttr.XOR_MAPPED_ADDRESS,
  StunAttr.PRIORITY,
  StunAttr.USE_CANDIDATE,
]);

/** True for a comprehension-required attribute type (0x0000–0x7FFF) that this codec does not understand. */
export function isUnknownRequiredAttribute(type: number): boolean {
  return type < 0x8000 && !KNOWN_REQUIRED.has(type);
}

/** Error codes used by ICE (RFC 8489 §14.8, RFC 8445 §16.1). */
export const StunErrorCode = {
  tryAlternate: 300,
  badRequest: 400,
  unauthenticated: 401,
  unknownAttribute: 420,
  staleNonce: 438,
  roleConflict: 487,
  serverError: 500,
} as const;

/** Reason phrases the RFCs suggest for the codes above. */
export const STUN_REASONS: Readonly<Record<number, string>> = {
  300: 'Try Alternate',
  400: 'Bad Request',
  401: 'Unauthenticated',
  420: 'Unknown Attribute',
  438: 'Stale Nonce',
  487: 'Role Conflict',
  500: 'Server Error',
};

/** Largest number of attributes a parsed message may carry (a bound against attribute floods). */
export const STUN_MAX_ATTRIBUTES = 64;
