import { createHash, createHmac } from 'node:crypto';
import { HmacSha1 } from './sha1.js';

const enc = new TextEncoder();

/**
 * A MESSAGE-INTEGRITY key (RFC 8489 §9.1.1 short-term: the password's UTF-8 octets; §9.2.2 long-term:
 * MD5(username ":" realm ":" password)). Holds precomputed HMAC-SHA1 state so per-message cost is just hashing.
 */
export class StunKey {
  /** The key octets. */
  readonly bytes: Uint8Array;
  /** @internal */
  readonly sha1: HmacSha1;

  constructor(key: Uint8Array) {
    this.bytes = key.slice();
    this.sha1 = new HmacSha1(this.bytes);
  }

  /**
   * Short-term credential key (§9.1.1): the password as UTF-8. (The RFC's OpaqueString preparation is the
   * identity for the ASCII ice-char passwords ICE uses, RFC 8445 §5.3.)
   */
  static shortTerm(password: string): StunKey {
    return new StunKey(enc.encode(password));
  }

  /**
   * Long-term credential key for MESSAGE-INTEGRITY (§9.2.2): MD5(username:realm:password). The caller passes
   * username, realm and password already prepared (OpaqueString, RFC 8265) where that matters.
   */
  static longTerm(username: string, realm: string, password: string): StunKey {
    return new StunKey(new Uint8Array(createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest()));
  }

  /** HMAC-SHA256 of `data` truncated to `length` octets (MESSAGE-INTEGRITY-SHA256, §14.6). */
  hmacSha256(data: Uint8Array, length = 32): Uint8Array {
    return new Uint8Array(createHmac('sha256', this.bytes).update(data).digest().subarray(0, length));
  }
}
