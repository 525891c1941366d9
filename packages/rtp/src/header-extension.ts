/**
 * RTP header extension elements: RFC 3550 §5.3.1 (the generic block) and RFC 8285 (the one-byte form,
 * profile 0xBEDE, §4.2; the two-byte form, profile 0x100X, §4.3).
 */
import { RtpParseError } from './errors.js';

/** One RFC 8285 header extension element: a local identifier and its value octets. */
export interface RtpHeaderExtensionElement {
  /** Local identifier: 1..14 in the one-byte form, 1..255 in the two-byte form. */
  readonly id: number;
  /** The element's data (a zero-copy view when parsed). */
  readonly value: Uint8Array;
}

/** Profile value of the RFC 8285 one-byte header form (§4.2). */
export const ONE_BYTE_PROFILE = 0xbede;
/** Profile value of the RFC 8285 two-byte header form with appbits 0 (§4.3: 0x100 followed by 4 appbits). */
export const TWO_BYTE_PROFILE = 0x1000;

/** Whether `profile` is the one-byte form (RFC 8285 §4.2). */
export function isOneByteProfile(profile: number): boolean {
  return profile === ONE_BYTE_PROFILE;
}

/** Whether `profile` is the two-byte form 0x100X (RFC 8285 §4.3), X being the four appbits. */
export function isTwoByteProfile(profile: number): boolean {
  return (profile & 0xfff0) === TWO_BYTE_PROFILE;
}

/**
 * Walks the elements of an RFC 8285 extension block. Calls `visit(id, start, end)` for every element, stops
 * early when `visit` returns true. Returns false when the block is malformed (an element runs past the end);
 * elements before the fault have been visited. RFC 8285 §4.2: ID 0 is a padding octet, ID 15 stops processing.
 */
function walk(
  profile: number,
  buf: Uint8Array,
  off: number,
  len: number,
  visit: (id: number, start: number, end: number) => boolean,
): boolean {
  const end = off + len;
  let p = off;
  if (profile === ONE_BYTE_PROFILE) {
    while (p < end) {
      const b = buf[p]!;
      const id = b >> 4;
      if (id === 0) {
        // §4.2: ID 0 is reserved for padding, never an element. A padding octet supplies neither an ID nor a
        // length: it is ignored and the parser moves on to the next octet (a non-zero length nibble included).
        p++;
        continue;
      }
      if (id === 15) return true; // §4.2: reserved, processing stops
      const l = (b & 15) + 1;
      const s = p + 1;
      if (s + l > end) return false;
      if (visit(id, s, s + l)) return true;
      p = s + l;
    }
    return true;
  }
  if ((profile & 0xfff0) === TWO_BYTE_PROFILE) {
    while (p < end) {
      const id = buf[p]!;
      if (id === 0) {
        p++;
        continue;
      }
      if (p + 2 > end) return false;
      const l = buf[p + 1]!;
      const s = p + 2;
      if (s + l > end) return false;
      if (visit(id, s, s + l)) return true;
      p = s + l;
    }
    return true;
  }
  return true;
}

/**
 * Decodes the RFC 8285 elements of an extension block up to the first fault (an element running past the
 * block); never throws. Used when a received packet is edited: what follows the fault cannot be located.
 */
export function parseExtensionElementsLenient(
  profile: number,
  buf: Uint8Array,
  off: number,
  len: number,
): RtpHeaderExtensionElement[] {
  const out: RtpHeaderExtensionElement[] = [];
  walk(profile, buf, off, len, (id, s, e) => {
    out.push({ id, value: buf.subarray(s, e) });
    return false;
  });
  return out;
}

/**
 * Decodes all RFC 8285 elements of an extension block (`len` octets at `off`). The generic RFC 3550 form has
 * no elements (returns `[]`). Throws {@link RtpParseError} if an element runs past the block.
 */
export function parseExtensionElements(
  profile: number,
  buf: Uint8Array,
  off: number,
  len: number,
): RtpHeaderExtensionElement[] {
  const out: RtpHeaderExtensionElement[] = [];
  const ok = walk(profile, buf, off, len, (id, s, e) => {
    out.push({ id, value: buf.subarray(s, e) });
    return false;
  });
  if (!ok) throw new RtpParseError('bad-extension', off, 'RFC 8285 element runs past the extension block');
  return out;
}

/** Finds the value of element `id` in an RFC 8285 extension block, or `undefined`. */
export function findExtensionElement(
  profile: number,
  buf: Uint8Array,
  off: number,
  len: number,
  id: number,
): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  walk(profile, buf, off, len, (i, s, e) => {
    if (i === id) {
      found = buf.subarray(s, e);
      return true;
    }
    return false;
  });
  return found;
}

/** Whether the elements all fit the one-byte form: ids 1..14 and values of 1..16 octets (RFC 8285 §4.2). */
export function fitsOneByte(elements: readonly RtpHeaderExtensionElement[]): boolean {
  for (const el of elements) {
    if (el.id < 1 || el.id > 14 || el.value.length < 1 || el.value.length > 16) return false;
  }
  return true;
}

/** Size in octets of the encoded element block, padded to a 32-bit boundary (without the 4-octet header). */
export function extensionElementsSize(elements: readonly RtpHeaderExtensionElement[], twoByte: boolean): number {
  let n = 0;
  for (const el of elements) n += (twoByte ? 2 : 1) + el.value.length;
  return (n + 3) & ~3;
}

/**
 * Writes the elements (one- or two-byte form) followed by zero padding to a 32-bit boundary at `off`; returns
 * the number of octets written. The caller writes the 4-octet profile/length header.
 */
export function writeExtensionElements(
  elements: readonly RtpHeaderExtensionElement[],
  twoByte: boolean,
  buf: Uint8Array,
  off: number,
): number {
  let p = off;
  for (const el of elements) {
    const v = el.value;
    if (twoByte) {
      buf[p++] = el.id;
      buf[p++] = v.length;
    } else {
      buf[p++] = (el.id << 4) | (v.length - 1);
    }
    buf.set(v, p);
    p += v.length;
  }
  while ((p - off) & 3) buf[p++] = 0;
  return p - off;
}

/** Throws a RangeError unless `el` is encodable in some RFC 8285 form (id 1..255, value ≤ 255 octets). */
export function checkElement(id: number, value: Uint8Array): void {
  if (!Number.isInteger(id) || id < 1 || id > 255) {
    throw new RangeError(`RTP header extension id must be 1..255 (RFC 8285), got ${id}`);
  }
  if (value.length > 255) throw new RangeError(`RTP header extension value too long (${value.length} > 255)`);
}
