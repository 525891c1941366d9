import { crc32 } from './crc32.js';
import {
  isUnknownRequiredAttribute,
  STUN_FINGERPRINT_XOR,
  STUN_HEADER_LENGTH,
  STUN_MAGIC_COOKIE,
  STUN_MAX_ATTRIBUTES,
  StunAttr,
  type StunClass,
  StunMethod,
} from './stun-constants.js';
import { StunParseError, StunUsageError } from './stun-error.js';
import type { StunKey } from './stun-key.js';

/** One attribute: its type and a zero-copy view of its value (without padding). */
export interface StunAttribute {
  readonly type: number;
  readonly value: Uint8Array;
}

/**
 * A parsed STUN message (RFC 8489 §5). `attributes` lists, in order, the attributes that count: everything up to
 * MESSAGE-INTEGRITY, then MESSAGE-INTEGRITY-SHA256 and FINGERPRINT if they follow; other attributes after
 * MESSAGE-INTEGRITY are ignored as §14.5 requires (and counted in `ignoredAttributes`).
 */
export interface StunMessage {
  /** The 12-bit method (0x001 = Binding). */
  readonly method: number;
  /** Request, indication, success or error response. */
  readonly class: StunClass;
  /** The 96-bit transaction id (a view into `raw`). */
  readonly transactionId: Uint8Array;
  /** The attributes that count, in message order. */
  readonly attributes: readonly StunAttribute[];
  /** The whole message (header + attributes); a view of the input. */
  readonly raw: Uint8Array;
  /** Offset in `raw` of the MESSAGE-INTEGRITY attribute, or -1. */
  readonly integrityOffset: number;
  /** Offset in `raw` of the MESSAGE-INTEGRITY-SHA256 attribute, or -1. */
  readonly integritySha256Offset: number;
  /** Offset in `raw` of the FINGERPRINT attribute, or -1. */
  readonly fingerprintOffset: number;
  /** Comprehension-required attribute types (< 0x8000) this codec does not understand, in order (§6.3.1.1). */
  readonly unknownRequired: readonly number[];
  /** How many attributes after MESSAGE-INTEGRITY were ignored (§14.5, §14.6). */
  readonly ignoredAttributes: number;
}

const CLASSES: readonly StunClass[] = ['request', 'indication', 'success', 'error'];

/** The 14-bit message type for a method and class (§5, Figure 3: M11..M0 interleaved with C1 C0). */
export function stunMessageType(method: number, cls: StunClass): number {
  const c = cls === 'request' ? 0 : cls === 'indication' ? 1 : cls === 'success' ? 2 : 3;
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((c & 1) << 4) | ((c & 2) << 7);
}

/**
 * Quick test that a datagram is a STUN message by its framing (§5, §7.3): top two bits zero, the magic cookie, a
 * length that is a multiple of 4 and matches the datagram. Use it after RFC 7983 first-octet demultiplexing.
 */
export function isStunMessage(data: Uint8Array): boolean {
  if (data.length < STUN_HEADER_LENGTH || (data[0]! & 0xc0) !== 0) return false;
  if (data[4] !== 0x21 || data[5] !== 0x12 || data[6] !== 0xa4 || data[7] !== 0x42) return false;
  const len = (data[2]! << 8) | data[3]!;
  return (len & 3) === 0 && len + STUN_HEADER_LENGTH === data.length;
}

/**
 * Parses one STUN message occupying the whole datagram (RFC 8489 §5, §14). Returns the message or a typed
 * {@link StunParseError}; never throws. Checks framing, attribute bounds and padding, the fixed lengths of
 * MESSAGE-INTEGRITY (20), MESSAGE-INTEGRITY-SHA256 (16–32, multiple of 4) and FINGERPRINT (4), that FINGERPRINT is
 * last, and caps the attribute count at {@link STUN_MAX_ATTRIBUTES}. It does not verify integrity or fingerprint:
 * see {@link verifyIntegrity}, {@link verifyFingerprint}.
 */
export function tryParseStun(data: Uint8Array): StunMessage | StunParseError {
  const n = data.length;
  if (n < STUN_HEADER_LENGTH) return new StunParseError('too-short', `${n} octets is shorter than a STUN header`);
  if ((data[0]! & 0xc0) !== 0) return new StunParseError('not-stun', 'the two most significant bits are not zero');
  if (((data[4]! << 24) | (data[5]! << 16) | (data[6]! << 8) | data[7]!) >>> 0 !== STUN_MAGIC_COOKIE)
    return new StunParseError('bad-cookie', 'no magic cookie', 4);
  const len = (data[2]! << 8) | data[3]!;
  if ((len & 3) !== 0) return new StunParseError('bad-length', `message length ${len} is not a multiple of 4`, 2);
  if (len + STUN_HEADER_LENGTH !== n)
    return new StunParseError('bad-length', `message length ${len} does not match the ${n}-octet datagram`, 2);
  const type = (data[0]! << 8) | data[1]!;
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const cls = CLASSES[((type >> 4) & 1) | ((type >> 7) & 2)]!;
  const attributes: StunAttribute[] = [];
  let unknownRequired: number[] | undefined;
  let integrityOffset = -1;
  let integritySha256Offset = -1;
  let fingerprintOffset = -1;
  let ignored = 0;
  let count = 0;
  // 0: before MESSAGE-INTEGRITY, 1: after it, 2: after MESSAGE-INTEGRITY-SHA256, 3: after FINGERPRINT
  let phase = 0;
  let pos = STUN_HEADER_LENGTH;
  while (pos < n) {
    if (pos + 4 > n) return new StunParseError('truncated-attribute', 'attribute header runs past the end', pos);
    const at = (data[pos]! << 8) | data[pos + 1]!;
    const al = (data[pos + 2]! << 8) | data[pos + 3]!;
    const next = pos + 4 + ((al + 3) & ~3); // §14: values are padded to a multiple of 4
    if (next > n)
      return new StunParseError('truncated-attribute', `attribute 0x${at.toString(16)} runs past the end`, pos);
    if (phase === 3)
      return new StunParseError('fingerprint-not-last', 'an attribute follows FINGERPRINT (§14.7: it is last)', pos);
    if (++count > STUN_MAX_ATTRIBUTES)
      return new StunParseError('too-many-attributes', `more than ${STUN_MAX_ATTRIBUTES} attributes`, pos);
    const value = data.subarray(pos + 4, pos + 4 + al);
    if (at === StunAttr.FINGERPRINT) {
      if (al !== 4) return new StunParseError('bad-attribute', `FINGERPRINT of length ${al}`, pos);
      fingerprintOffset = pos;
      phase = 3;
      attributes.push({ type: at, value });
    } else if (phase === 2) {
      ignored++;
    } else if (at === StunAttr.MESSAGE_INTEGRITY_SHA256) {
      if (al < 16 || al > 32 || (al & 3) !== 0)
        return new StunParseError('bad-attribute', `MESSAGE-INTEGRITY-SHA256 of length ${al}`, pos);
      integritySha256Offset = pos;
      phase = 2;
      attributes.push({ type: at, value });
    } else if (phase === 1) {
      ignored++;
    } else if (at === StunAttr.MESSAGE_INTEGRITY) {
      if (al !== 20) return new StunParseError('bad-attribute', `MESSAGE-INTEGRITY of length ${al}`, pos);
      integrityOffset = pos;
      phase = 1;
      attributes.push({ type: at, value });
    } else {
      attributes.push({ type: at, value });
      if (isUnknownRequiredAttribute(at)) (unknownRequired ??= []).push(at);
    }
    pos = next;
  }
  return {
    method,
    class: cls,
    transactionId: data.subarray(8, 20),
    attributes,
    raw: data,
    integrityOffset,
    integritySha256Offset,
    fingerprintOffset,
    unknownRequired: unknownRequired ?? NONE,
    ignoredAttributes: ignored,
  };
}

const NONE: readonly number[] = Object.freeze([]);

/** Like {@link tryParseStun} but throws the {@link StunParseError}. */
export function parseStun(data: Uint8Array): StunMessage {
  const r = tryParseStun(data);
  if (r instanceof StunParseError) throw r;
  return r;
}

/** The value of the first attribute of `type` that counts (§14: later duplicates are ignored), or undefined. */
export function getAttribute(msg: StunMessage, type: number): Uint8Array | undefined {
  const a = msg.attributes;
  for (let i = 0; i < a.length; i++) if (a[i]!.type === type) return a[i]!.value;
  return undefined;
}

/** True if an attribute of `type` counts in the message. */
export function hasAttribute(msg: StunMessage, type: number): boolean {
  const a = msg.attributes;
  for (let i = 0; i < a.length; i++) if (a[i]!.type === type) return true;
  return false;
}

const MAC = new Uint8Array(20);

/**
 * Runs `f` with the header length field of `raw` temporarily set to `len` (the integrity attributes cover the
 * message "as if" it ended after them, §14.5/§14.6), restoring it afterwards.
 */
function withLength<T>(raw: Uint8Array, len: number, f: () => T): T {
  const h = raw[2]!;
  const l = raw[3]!;
  raw[2] = len >> 8;
  raw[3] = len & 0xff;
  try {
    return f();
  } finally {
    raw[2] = h;
    raw[3] = l;
  }
}

/**
 * Verifies MESSAGE-INTEGRITY (HMAC-SHA1, §14.5) with `key`, in constant time. False when the attribute is absent
 * or wrong. The comparison runs over the datagram as received (its length field is set and restored in place).
 */
export function verifyIntegrity(msg: StunMessage, key: StunKey): boolean {
  const o = msg.integrityOffset;
  if (o < 0) return false;
  const raw = msg.raw;
  const h = raw[2]!;
  const l = raw[3]!;
  const len = o + 24 - STUN_HEADER_LENGTH;
  raw[2] = len >> 8;
  raw[3] = len & 0xff;
  key.mac.sign(raw, 0, o, -1, MAC, 0, 20);
  raw[2] = h;
  raw[3] = l;
  let diff = 0;
  for (let i = 0; i < 20; i++) diff |= MAC[i]! ^ raw[o + 4 + i]!;
  return diff === 0;
}

/** Verifies MESSAGE-INTEGRITY-SHA256 (§14.6) with `key`, in constant time. False when absent or wrong. */
export function verifyIntegritySha256(msg: StunMessage, key: StunKey): boolean {
  const o = msg.integritySha256Offset;
  if (o < 0) return false;
  const raw = msg.raw;
  const al = (raw[o + 2]! << 8) | raw[o + 3]!;
  const mac = withLength(raw, o + 4 + al - STUN_HEADER_LENGTH, () => key.hmacSha256(raw.subarray(0, o), al));
  let diff = 0;
  for (let i = 0; i < al; i++) diff |= mac[i]! ^ raw[o + 4 + i]!;
  return diff === 0;
}

/** Verifies FINGERPRINT (§14.7: CRC-32 of the message up to it, XOR 0x5354554e). False when absent or wrong. */
export function verifyFingerprint(msg: StunMessage): boolean {
  const o = msg.fingerprintOffset;
  if (o < 0) return false;
  const raw = msg.raw;
  const got = ((raw[o + 4]! << 24) | (raw[o + 5]! << 16) | (raw[o + 6]! << 8) | raw[o + 7]!) >>> 0;
  return (crc32(raw, 0, o) ^ STUN_FINGERPRINT_XOR) >>> 0 === got;
}

/** What {@link serializeStun} builds. */
export interface StunMessageInit {
  /** Method (default Binding). */
  method?: number;
  /** Message class. */
  class: StunClass;
  /** 12-octet transaction id (§6: a response copies the request's). */
  transactionId: Uint8Array;
  /** Attributes in order (values are padded with zero octets, §14). */
  attributes?: readonly StunAttribute[];
  /** Append MESSAGE-INTEGRITY (HMAC-SHA1) with this key (§14.5). */
  integrity?: StunKey;
  /** Append MESSAGE-INTEGRITY-SHA256 (full 32 octets) with this key, after MESSAGE-INTEGRITY if both (§14.6). */
  integritySha256?: StunKey;
  /** Append FINGERPRINT, last (§14.7). */
  fingerprint?: boolean;
  /**
   * Octet that pads attribute values to a multiple of 4 (default 0, as §14 requires of senders; receivers ignore
   * it). RFC 5769's test vectors pad with 0x20, so reproducing them byte for byte needs this.
   */
  padding?: number;
}

function writeAttrHeader(b: Uint8Array, p: number, type: number, len: number): void {
  b[p] = type >> 8;
  b[p + 1] = type & 0xff;
  b[p + 2] = len >> 8;
  b[p + 3] = len & 0xff;
}

/**
 * Serializes a STUN message into one buffer (RFC 8489 §5, §14), computing MESSAGE-INTEGRITY,
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT over the octets before each with the length field set as §14.5–§14.7
 * say. Throws {@link StunUsageError} for a transaction id that is not 12 octets, a method above 0xFFF, or a message
 * longer than the 16-bit length allows.
 */
export function serializeStun(init: StunMessageInit): Uint8Array {
  const method = init.method ?? StunMethod.binding;
  if (!(method >= 0 && method <= 0xfff)) throw new StunUsageError(`STUN method must be 0..0xfff, got ${method}`);
  const tid = init.transactionId;
  if (tid.length !== 12) throw new StunUsageError(`transaction id must be 12 octets, got ${tid.length}`);
  const attrs = init.attributes ?? [];
  let size = STUN_HEADER_LENGTH;
  for (let i = 0; i < attrs.length; i++) {
    const l = attrs[i]!.value.length;
    if (l > 0xffff) throw new StunUsageError(`attribute value of ${l} octets exceeds 65535`);
    size += 4 + ((l + 3) & ~3);
  }
  if (init.integrity) size += 24;
  if (init.integritySha256) size += 36;
  if (init.fingerprint) size += 8;
  if (size - STUN_HEADER_LENGTH > 0xfffc) throw new StunUsageError(`STUN message of ${size} octets is too long`);
  const b = new Uint8Array(size);
  const type = stunMessageType(method, init.class);
  b[0] = type >> 8;
  b[1] = type & 0xff;
  b[4] = 0x21;
  b[5] = 0x12;
  b[6] = 0xa4;
  b[7] = 0x42;
  b.set(tid, 8);
  let p = STUN_HEADER_LENGTH;
  const pad = init.padding ?? 0;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i]!;
    const l = a.value.length;
    writeAttrHeader(b, p, a.type, l);
    b.set(a.value, p + 4);
    const next = p + 4 + ((l + 3) & ~3);
    if (pad !== 0) for (let j = p + 4 + l; j < next; j++) b[j] = pad;
    p = next;
  }
  if (init.integrity) {
    const len = p + 24 - STUN_HEADER_LENGTH;
    b[2] = len >> 8;
    b[3] = len & 0xff;
    init.integrity.mac.sign(b, 0, p, -1, b, p + 4, 20);
    writeAttrHeader(b, p, StunAttr.MESSAGE_INTEGRITY, 20);
    p += 24;
  }
  if (init.integritySha256) {
    const len = p + 36 - STUN_HEADER_LENGTH;
    b[2] = len >> 8;
    b[3] = len & 0xff;
    b.set(init.integritySha256.hmacSha256(b.subarray(0, p)), p + 4);
    writeAttrHeader(b, p, StunAttr.MESSAGE_INTEGRITY_SHA256, 32);
    p += 36;
  }
  const len = size - STUN_HEADER_LENGTH;
  b[2] = len >> 8;
  b[3] = len & 0xff;
  if (init.fingerprint) {
    const fp = (crc32(b, 0, p) ^ STUN_FINGERPRINT_XOR) >>> 0;
    writeAttrHeader(b, p, StunAttr.FINGERPRINT, 4);
    b[p + 4] = fp >>> 24;
    b[p + 5] = (fp >>> 16) & 0xff;
    b[p + 6] = (fp >>> 8) & 0xff;
    b[p + 7] = fp & 0xff;
  }
  return b;
}

/** A fresh 96-bit transaction id from the injected random source (§6: uniformly random). */
export function newTransactionId(random: (n: number) => Uint8Array): Uint8Array {
  const t = random(12);
  if (t.length !== 12) throw new StunUsageError('random source returned the wrong number of octets');
  return t;
}
