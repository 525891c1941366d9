/** Encoders and decoders for STUN attribute values (RFC 8489 §14, RFC 8445 §16.1). Decoders never throw. */
import { bytesToIp, ipToBytes, type TransportAddress } from './address.js';
import { STUN_REASONS } from './stun-constants.js';
import { StunUsageError } from './stun-error.js';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });

function addressOctets(a: TransportAddress): Uint8Array {
  const ip = ipToBytes(a.address);
  if (!ip) throw new StunUsageError(`not an IP address: ${a.address}`);
  if (!(Number.isInteger(a.port) && a.port >= 0 && a.port <= 0xffff)) throw new StunUsageError(`bad port ${a.port}`);
  return ip;
}

/** MAPPED-ADDRESS value (§14.1): family 0x01 (IPv4) or 0x02 (IPv6), port, address. */
export function addressValue(a: TransportAddress): Uint8Array {
  const ip = addressOctets(a);
  const v = new Uint8Array(4 + ip.length);
  v[1] = ip.length === 4 ? 1 : 2;
  v[2] = a.port >> 8;
  v[3] = a.port & 0xff;
  v.set(ip, 4);
  return v;
}

/**
 * XOR-MAPPED-ADDRESS value (§14.2): the port XOR the cookie's top 16 bits, an IPv4 address XOR the cookie, an IPv6
 * address XOR cookie ‖ transaction id.
 */
export function xorAddressValue(a: TransportAddress, transactionId: Uint8Array): Uint8Array {
  const ip = addressOctets(a);
  const v = new Uint8Array(4 + ip.length);
  v[1] = ip.length === 4 ? 1 : 2;
  v[2] = (a.port >> 8) ^ 0x21;
  v[3] = (a.port & 0xff) ^ 0x12;
  v[4] = ip[0]! ^ 0x21;
  v[5] = ip[1]! ^ 0x12;
  v[6] = ip[2]! ^ 0xa4;
  v[7] = ip[3]! ^ 0x42;
  for (let i = 4; i < ip.length; i++) v[4 + i] = ip[i]! ^ transactionId[i - 4]!;
  return v;
}

function readAddress(v: Uint8Array, tid: Uint8Array | undefined): TransportAddress | undefined {
  if (v.length < 4) return undefined;
  const fam = v[1];
  const n = fam === 1 ? 4 : fam === 2 ? 16 : 0;
  if (n === 0 || v.length !== 4 + n) return undefined;
  let port = (v[2]! << 8) | v[3]!;
  const ip = v.slice(4);
  if (tid) {
    port ^= 0x2112;
    ip[0]! ^= 0x21;
    ip[1]! ^= 0x12;
    ip[2]! ^= 0xa4;
    ip[3]! ^= 0x42;
    for (let i = 4; i < n; i++) ip[i]! ^= tid[i - 4]!;
  }
  return { address: bytesToIp(ip), port };
}

/** Decodes a MAPPED-ADDRESS (or ALTERNATE-SERVER) value; undefined when malformed. */
export function decodeAddress(value: Uint8Array): TransportAddress | undefined {
  return readAddress(value, undefined);
}

/** Decodes an XOR-MAPPED-ADDRESS value with the message's transaction id; undefined when malformed. */
export function decodeXorAddress(value: Uint8Array, transactionId: Uint8Array): TransportAddress | undefined {
  if (transactionId.length !== 12) return undefined;
  return readAddress(value, transactionId);
}

/** ERROR-CODE value (§14.8): class (hundreds) and number, then a UTF-8 reason (at most 763 octets). */
export function errorCodeValue(code: number, reason = STUN_REASONS[code] ?? ''): Uint8Array {
  if (!(Number.isInteger(code) && code >= 300 && code <= 699))
    throw new StunUsageError(`STUN error code must be 300..699, got ${code}`);
  let r = enc.encode(reason);
  if (r.length > 763) r = r.subarray(0, 763);
  const v = new Uint8Array(4 + r.length);
  v[2] = Math.floor(code / 100);
  v[3] = code % 100;
  v.set(r, 4);
  return v;
}

/** A decoded ERROR-CODE. */
export interface StunErrorCodeValue {
  /** 300..699. */
  code: number;
  /** The reason phrase (UTF-8). */
  reason: string;
}

/** Decodes an ERROR-CODE value; undefined when malformed (class outside 3..6 or number above 99). */
export function decodeErrorCode(value: Uint8Array): StunErrorCodeValue | undefined {
  if (value.length < 4) return undefined;
  const cls = value[2]! & 0x07;
  const num = value[3]!;
  if (cls < 3 || cls > 6 || num > 99) return undefined;
  return { code: cls * 100 + num, reason: dec.decode(value.subarray(4)) };
}

/** UNKNOWN-ATTRIBUTES value (§14.9): a list of 16-bit types. */
export function unknownAttributesValue(types: readonly number[]): Uint8Array {
  const v = new Uint8Array(types.length * 2);
  types.forEach((t, i) => {
    v[i * 2] = t >> 8;
    v[i * 2 + 1] = t & 0xff;
  });
  return v;
}

/** Decodes UNKNOWN-ATTRIBUTES; undefined when the length is odd. */
export function decodeUnknownAttributes(value: Uint8Array): number[] | undefined {
  if (value.length % 2 !== 0) return undefined;
  const r: number[] = [];
  for (let i = 0; i < value.length; i += 2) r.push((value[i]! << 8) | value[i + 1]!);
  return r;
}

/** A 32-bit big-endian value (PRIORITY, §16.1 of RFC 8445). */
export function u32Value(n: number): Uint8Array {
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** Reads a 32-bit value; undefined unless exactly 4 octets. */
export function readU32(value: Uint8Array): number | undefined {
  if (value.length !== 4) return undefined;
  return ((value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0;
}

/** A 64-bit big-endian value (the tie-breaker of ICE-CONTROLLED / ICE-CONTROLLING). */
export function u64Value(n: bigint): Uint8Array {
  const v = new Uint8Array(8);
  new DataView(v.buffer).setBigUint64(0, BigInt.asUintN(64, n));
  return v;
}

/** Reads a 64-bit value; undefined unless exactly 8 octets. */
export function readU64(value: Uint8Array): bigint | undefined {
  if (value.length !== 8) return undefined;
  return new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0);
}

/** A UTF-8 text value (USERNAME, SOFTWARE, REALM, NONCE). */
export function textValue(s: string): Uint8Array {
  return enc.encode(s);
}

/** Decodes a UTF-8 text value (malformed sequences become U+FFFD). */
export function decodeText(value: Uint8Array): string {
  return dec.decode(value);
}
